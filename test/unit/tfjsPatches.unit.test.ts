// The TF.js patches are installed once, and only on the TF.js release they were checked against.
import * as tf from '@tensorflow/tfjs';
import assert from 'node:assert/strict';
import { SUPPORTED_TFJS_VERSION, checkTfjsVersion, describeTfjsMismatch, installTfjsPatches, loadedTfjsVersions } from '../../src/engine/tfjs/installTfjsPatches';

describe('TF.js patches', () => {
  it('accept the TF.js installed (the pinned release)', () => {
    assert.deepEqual(new Set(Object.values(loadedTfjsVersions())), new Set([SUPPORTED_TFJS_VERSION]));
    assert.doesNotThrow(() => checkTfjsVersion());
  });

  it('refuse another release or missing internals, naming the package and what to do', () => {
    const message = describeTfjsMismatch({ '@tensorflow/tfjs-core': '4.23.0', '@tensorflow/tfjs-backend-wasm': SUPPORTED_TFJS_VERSION }, ['Layer.prototype.addWeight (the variable size check)']);
    assert.match(message ?? '', /@tensorflow\/tfjs-core is 4\.23\.0; TF\.js lacks Layer\.prototype\.addWeight/);
    assert.match(message ?? '', /npm ci/);
    assert.doesNotMatch(message ?? '', /tfjs-backend-wasm is/);
    assert.equal(describeTfjsMismatch({ '@tensorflow/tfjs-core': SUPPORTED_TFJS_VERSION }, []), undefined);
  });

  it('replace the WASM MaxPoolGrad kernel once, however often they are installed', () => {
    installTfjsPatches();
    const replaced = tf.getKernel(tf.MaxPoolGrad, 'wasm');
    installTfjsPatches();
    assert.ok(replaced);
    assert.equal(tf.getKernel(tf.MaxPoolGrad, 'wasm'), replaced);
  });
});
