import * as tf from '@tensorflow/tfjs';
import assert from 'node:assert/strict';
import { initializeBackend } from '../../src/engine/tfjs/backend';
import { WASM_DIRECTORY, useWasmBackend } from '../support/engineFixtures';

function nativeBackendInstalled(): boolean {
  try {
    require.resolve('@tensorflow/tfjs-node');
    return true;
  } catch {
    return false;
  }
}

describe('initializeBackend', function () {
  after(useWasmBackend);

  it('uses the backend asked for when it is available', async function () {
    assert.deepEqual(await initializeBackend('cpu', { wasmDirectory: WASM_DIRECTORY }), { backend: 'cpu', notes: [] });
    assert.equal(tf.getBackend(), 'cpu');
    assert.equal((await initializeBackend('wasm', { wasmDirectory: WASM_DIRECTORY })).backend, 'wasm');
  });

  it('falls back from tensorflow to wasm, saying why, when tfjs-node cannot load', async function () {
    if (nativeBackendInstalled()) this.skip();
    const selection = await initializeBackend('tensorflow', { wasmDirectory: WASM_DIRECTORY });
    assert.equal(selection.backend, 'wasm');
    assert.match(selection.notes[0], /^tensorflow backend unavailable: /);
  });

  it('never loads native code where it is not allowed', async function () {
    const selection = await initializeBackend('tensorflow', { wasmDirectory: WASM_DIRECTORY, allowNative: false });
    assert.equal(selection.backend, 'wasm');
    assert.match(selection.notes[0], /native backends are disabled/);
  });
});
