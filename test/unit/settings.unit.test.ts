// The `convscope.*` settings as the host reads them: defaults when unset, the user's values when
// valid, the default again when a value is not one the setting allows.
import assert from 'node:assert/strict';
import { setConfiguration } from '../support/fakeVscode';
import { readSettings } from '../../src/host/settings';
import { SETTING_DEFAULTS } from '../../src/shared/defaults';
import packageJson from '../../package.json';

describe('settings', function () {
  it('falls back to the study notes’ defaults when nothing is set', function () {
    setConfiguration({});
    const settings = readSettings();
    assert.equal(settings.preprocess, undefined, 'auto: the model’s own preprocessing');
    assert.equal(settings.filters.preset, 'lucid');
    assert.equal(settings.filters.steps, 40);
    assert.equal(settings.gradCam.intensity, 0.4);
    assert.equal(settings.gradCam.colormap, 'jet');
    assert.equal(settings.imagesPerRow, 16);
  });

  it('reads the preprocessing default and the filter preset', function () {
    setConfiguration({ 'convscope.preprocessing': 'caffe', 'convscope.filters.preset': 'clear' });
    const settings = readSettings();
    assert.equal(settings.preprocess, 'caffe');
    assert.equal(settings.filters.preset, 'clear');
    setConfiguration({ 'convscope.preprocessing': 'auto' });
    assert.equal(readSettings().preprocess, undefined);
  });

  it('ignores values a setting does not allow', function () {
    setConfiguration({ 'convscope.preprocessing': 'bgr', 'convscope.filters.preset': 'fancy', 'convscope.gradCam.intensity': 3, 'convscope.activations.imagesPerRow': -2 });
    const settings = readSettings();
    assert.equal(settings.preprocess, undefined);
    assert.equal(settings.filters.preset, 'lucid');
    assert.equal(settings.gradCam.intensity, 0.4);
    assert.equal(settings.imagesPerRow, 16);
  });

  it('reads what is done with EXIF orientation, with the image limits the jobs get: apply unless ignore is set', function () {
    setConfiguration({});
    assert.equal(readSettings().limits.image.exifOrientation, 'apply');
    setConfiguration({ 'convscope.image.exifOrientation': 'ignore', 'convscope.limits.maxImageMegapixels': 20 });
    assert.deepEqual(readSettings().limits.image, { maxImagePixels: 20e6, exifOrientation: 'ignore' });
    setConfiguration({ 'convscope.image.exifOrientation': 'sideways' });
    assert.equal(readSettings().limits.image.exifOrientation, 'apply');
  });

  it('declares in package.json the same default for every setting as src/shared/defaults.ts, and no setting without one', function () {
    const properties = packageJson.contributes.configuration.properties as Record<string, { default?: unknown }>;
    const declared = Object.fromEntries(Object.entries(properties).map(([key, property]) => [key.replace(/^convscope\./, ''), property.default]));
    assert.deepEqual(declared, SETTING_DEFAULTS);
  });
});
