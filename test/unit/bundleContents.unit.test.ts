// The extension host and the webview never load the engine: TF.js, its backends and sharp belong
// to the worker and the CLI alone. A stray import of engine code from src/host or webview-ui would
// pull them into these bundles (and, in the host, tens of megabytes and a second of start-up).
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { REPO_ROOT } from '../support/engineFixtures';
import { ensureBuilt } from '../support/builtBundles';

const DIST = path.join(REPO_ROOT, 'dist');
const ENGINE_PACKAGES = /@tensorflow\/|\bsharp\b|h5wasm|fflate/;

/** Every module a bundle requires at run time (esbuild leaves externals as `require("…")`). */
function requiredModules(bundle: string): string[] {
  const source = readFileSync(bundle, 'utf8');
  return [...new Set([...source.matchAll(/\brequire\("([^"]+)"\)/g)].map((match) => match[1]))].sort();
}

describe('bundle contents', () => {
  before(() => ensureBuilt());

  it('the extension host bundle requires only vscode and Node built-ins', () => {
    const modules = requiredModules(path.join(DIST, 'extension.js'));
    assert.ok(modules.includes('vscode'), `extension.js requires ${modules.join(', ')}`);
    const engineModules = modules.filter((name) => ENGINE_PACKAGES.test(name));
    assert.deepEqual(engineModules, [], 'extension.js must leave TF.js and sharp to the engine worker');
    assert.deepEqual(modules.filter((name) => name !== 'vscode' && !name.startsWith('node:')), []);
  });

  it('the worker and the CLI do load the engine (so the check above looks at the right text)', () => {
    for (const bundle of ['worker.js', 'cli.js']) {
      const modules = requiredModules(path.join(DIST, bundle));
      assert.ok(modules.includes('@tensorflow/tfjs') && modules.includes('sharp'), `${bundle} requires ${modules.join(', ')}`);
    }
  });

  it('the webview bundle carries no engine code', () => {
    const folder = path.join(DIST, 'webview');
    for (const name of readdirSync(folder).filter((file) => file.endsWith('.js'))) {
      const source = readFileSync(path.join(folder, name), 'utf8');
      assert.deepEqual(requiredModules(path.join(folder, name)), [], `${name} must be self-contained`);
      // TF.js's bundles name themselves in their banner and version strings.
      assert.doesNotMatch(source, /@tensorflow\/tfjs|tfjs-core|libvips/, `${name} contains TF.js or sharp`);
    }
  });
});
