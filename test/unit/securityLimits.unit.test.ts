// SECURITY.md's limits table against the code: every setting it names is contributed with the
// default it states, that default is the engine's own, and every message naming a setting names
// one that exists.
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { REPO_ROOT } from '../support/engineFixtures';
import { DEFAULT_HDF5_TIMEOUT_MS, DEFAULT_IMAGE_LIMITS, DEFAULT_MODEL_LIMITS } from '../../src/shared/defaults';

const read = (file: string) => readFileSync(path.join(REPO_ROOT, file), 'utf8');
const settings = (JSON.parse(read('package.json')) as { contributes: { configuration: { properties: Record<string, { default?: unknown }> } } }).contributes.configuration.properties;

/** The rows of SECURITY.md's limits table that name a setting: the setting, and the default column's text. */
function documentedLimits(): Map<string, string> {
  const section = read('SECURITY.md').split(/^## /m).find((part) => part.startsWith('Limits'));
  assert.ok(section, 'SECURITY.md has a Limits section');
  const rows = new Map<string, string>();
  for (const line of section.split('\n')) {
    const cells = line.split('|').map((cell) => cell.trim());
    const setting = /^`(convscope\.[\w.]+)`$/.exec(cells[3] ?? '')?.[1];
    if (setting) rows.set(setting, cells[2]);
  }
  return rows;
}

/** Each limit setting, with the engine's default in the setting's unit, and how SECURITY.md writes it. */
const ENGINE_DEFAULTS: Record<string, { value: number; documented: string }> = {
  'convscope.limits.maxWeightMegabytes': { value: DEFAULT_MODEL_LIMITS.maxWeightBytes / 2 ** 20, documented: `${DEFAULT_MODEL_LIMITS.maxWeightBytes / 2 ** 20} MiB` },
  'convscope.limits.maxImageMegapixels': { value: DEFAULT_IMAGE_LIMITS.maxImagePixels / 1e6, documented: `${DEFAULT_IMAGE_LIMITS.maxImagePixels / 1e6} megapixels` },
  'convscope.limits.hdf5ReadSeconds': { value: DEFAULT_HDF5_TIMEOUT_MS / 1000, documented: `${DEFAULT_HDF5_TIMEOUT_MS / 1000} s` },
};

function sourceFiles(folder: string): string[] {
  return readdirSync(path.join(REPO_ROOT, folder), { withFileTypes: true, recursive: true })
    .filter((entry) => entry.isFile() && entry.name.endsWith('.ts'))
    .map((entry) => path.relative(REPO_ROOT, path.join(entry.parentPath, entry.name)));
}

describe('SECURITY.md limits', function () {
  it('documents every limit setting, with the default package.json and the engine use', function () {
    const documented = documentedLimits();
    const limitSettings = Object.keys(settings).filter((name) => name.startsWith('convscope.limits.'));
    assert.deepEqual([...documented.keys()].sort(), limitSettings.sort());
    for (const name of limitSettings) {
      const engine = ENGINE_DEFAULTS[name];
      assert.ok(engine, `${name}: the test knows its engine default`);
      assert.equal(settings[name].default, engine.value, `${name}: package.json default`);
      assert.ok(documented.get(name)!.startsWith(engine.documented), `${name}: SECURITY.md says "${documented.get(name)}", expected "${engine.documented}"`);
    }
  });

  it('names only contributed settings in messages', function () {
    const named = new Set<string>();
    for (const file of sourceFiles('src')) for (const match of read(file).matchAll(/setting (convscope\.[\w.]+)/g)) named.add(match[1]);
    assert.ok(named.size > 0, 'some message names a setting');
    for (const name of named) assert.ok(name in settings, `a message names ${name}, which package.json does not contribute`);
  });
});
