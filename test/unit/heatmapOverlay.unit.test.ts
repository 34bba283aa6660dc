import * as tf from '@tensorflow/tfjs';
import assert from 'node:assert/strict';
import { colormapLookupTable } from '../../src/shared/colormaps';
import { overlayHeatmap, renderHeatmap, resizeBilinear } from '../../src/render/heatmapOverlay';
import { useWasmBackend } from '../support/engineFixtures';

/** A deterministic 0..1 map with a peak, like a normalised Grad-CAM heatmap. */
function sampleHeatmap(width: number, height: number): Float32Array {
  return Float32Array.from({ length: width * height }, (_, i) => {
    const x = i % width;
    const y = Math.floor(i / width);
    return Math.max(0, 1 - Math.hypot(x - width * 0.3, y - height * 0.6) / Math.max(width, height));
  });
}

function sampleImage(width: number, height: number): Uint8Array {
  return Uint8Array.from({ length: width * height * 3 }, (_, i) => (i * 37 + Math.floor(i / 7)) % 256);
}

describe('heatmap overlay', function () {
  before(useWasmBackend);

  it('resizes as cv2.resize does: pixel centres aligned, edges clamped', function () {
    // Two cells to four pixels: each source value covers two pixels, blended across the middle.
    assert.deepEqual(Array.from(resizeBilinear(Float32Array.of(0, 1), 2, 1, 4, 1)), [0, 0.25, 0.75, 1]);
    // Against TF.js' half-pixel-centre bilinear resize, upscaling and downscaling, odd sizes.
    for (const [width, height, toWidth, toHeight] of [[7, 5, 61, 43], [8, 8, 128, 128], [9, 6, 4, 3]]) {
      const source = sampleHeatmap(width, height);
      const expected = tf.tidy(() => tf.image.resizeBilinear(tf.tensor3d(source, [height, width, 1]), [toHeight, toWidth], false, true).dataSync());
      const actual = resizeBilinear(source, width, height, toWidth, toHeight);
      assert.equal(actual.length, expected.length);
      actual.forEach((value, i) => assert.ok(Math.abs(value - expected[i]) < 1e-5, `${width}×${height}→${toWidth}×${toHeight} at ${i}: ${value} vs ${expected[i]}`));
    }
  });

  it('adds the coloured heatmap times the intensity to the image, clipped to 0–255 (an independent computation)', function () {
    const [width, height, imageWidth, imageHeight] = [6, 4, 50, 30];
    const heatmap = sampleHeatmap(width, height);
    const pixels = sampleImage(imageWidth, imageHeight);
    for (const intensity of [0.4, 1.5]) {
      const actual = overlayHeatmap(heatmap, width, height, { pixels, width: imageWidth, height: imageHeight }, { intensity, colormap: 'jet' });
      const expected = tf.tidy(() => {
        const resized = tf.image.resizeBilinear(tf.tensor3d(heatmap, [height, width, 1]), [imageHeight, imageWidth], false, true);
        // np.uint8(255 * heatmap), then the colormap as a lookup table; tf.round, like cv2, rounds half to even.
        const levels = tf.cast(tf.floor(tf.mul(resized, 255)), 'int32').reshape([-1]);
        const colours = tf.gather(tf.tensor2d(colormapLookupTable('jet'), [256, 3], 'float32'), levels);
        const sum = tf.add(tf.mul(colours, intensity), tf.tensor2d(pixels, [imageWidth * imageHeight, 3], 'float32'));
        return tf.clipByValue(tf.round(sum), 0, 255).dataSync();
      });
      const mismatches = actual.filter((value, i) => value !== expected[i]).length;
      assert.equal(mismatches, 0, `intensity ${intensity}: ${mismatches} of ${actual.length} values differ`);
      if (intensity > 1) assert.ok(actual.some((value) => value === 255), 'saturates');
    }
  });

  it('leaves the image unchanged at intensity 0, and colours a zero heatmap with the colormap’s 0 colour', function () {
    const pixels = sampleImage(10, 8);
    const image = { pixels, width: 10, height: 8 };
    assert.deepEqual(overlayHeatmap(sampleHeatmap(3, 3), 3, 3, image, { intensity: 0, colormap: 'jet' }), pixels);
    const black = { pixels: new Uint8Array(10 * 8 * 3), width: 10, height: 8 };
    const overlay = overlayHeatmap(new Float32Array(9), 3, 3, black, { intensity: 1, colormap: 'jet' });
    const jetZero = Array.from(colormapLookupTable('jet').subarray(0, 3));
    assert.deepEqual(Array.from(overlay.subarray(0, 3)), jetZero);
    assert.deepEqual(jetZero, [0, 0, 128], 'jet starts at dark blue');
    assert.throws(() => overlayHeatmap(new Float32Array(9), 3, 3, black, { intensity: -1, colormap: 'jet' }), /intensity/);
  });

  it('draws the heatmap alone as matshow does: one enlarged block per cell', function () {
    const heatmap = Float32Array.of(0, 0.5, 1, 0.25, 0, 0.75);
    const image = renderHeatmap(heatmap, 3, 2, 'jet');
    assert.equal(image.scale, Math.ceil(256 / 3));
    assert.deepEqual([image.width, image.height], [3 * image.scale, 2 * image.scale]);
    const table = colormapLookupTable('jet');
    const colourAt = (x: number, y: number) => Array.from(image.rgb.subarray((y * image.width + x) * 3, (y * image.width + x) * 3 + 3));
    assert.deepEqual(colourAt(2 * image.scale + 5, 3), Array.from(table.subarray(255 * 3, 255 * 3 + 3)), 'the maximum is the top colour');
    assert.deepEqual(colourAt(image.scale - 1, image.scale - 1), Array.from(table.subarray(0, 3)), 'the minimum the bottom one');
    assert.ok(renderHeatmap(new Float32Array(6), 3, 2, 'jet').dead, 'an all-zero heatmap is drawn flat');
  });
});
