// A Cast to the dtype a tensor already has shares its values on the WASM heap (wasmSharedIdentity.ts),
// as the cpu backend does; a Cast that converts still converts, to bool as the cpu backend does
// (the stock WASM kernel made -2 into 254 and 0.5 into false). Disposing either tensor leaves the
// other's values in place, and nothing is left behind.
import * as tf from '@tensorflow/tfjs';
import assert from 'node:assert/strict';
import { registerSharedWasmCast, restoreStockWasmCast } from '../../src/engine/tfjs/wasmSharedIdentity';
import { useWasmBackend } from '../support/engineFixtures';

describe('WASM Cast: shared where the dtype stays, right where it becomes bool', function () {
  before(async function () {
    await useWasmBackend();
    registerSharedWasmCast();
  });

  const backend = () => tf.backend() as unknown as { numDataIds(): number };

  it('shares the values instead of copying them, and each tensor outlives the other', async function () {
    const x = tf.tensor1d([1.5, -2, 0, NaN]);
    const before = backend().numDataIds();
    const same = tf.cast(x, 'float32');
    assert.equal(backend().numDataIds(), before, 'no new buffer');
    assert.equal(same.dtype, 'float32');
    x.dispose();
    assert.deepEqual(Array.from(await same.data()), [1.5, -2, 0, NaN]);
    same.dispose();
    assert.equal(backend().numDataIds(), before - 1, 'the shared buffer is freed with its last owner');
  });

  it('still converts between dtypes, to bool as the cpu backend does', async function () {
    const values = [1.7, -2.2, 0, 0.5, -0, NaN, Infinity, -256];
    const convert = async (dtype: 'int32' | 'bool', from: 'float32' | 'int32') =>
      tf.tidy(() => tf.cast(tf.tensor1d(values, 'float32').cast(from), dtype)).data().then((data) => Array.from(data));
    const onWasm = { int32: await convert('int32', 'float32'), bool: await convert('bool', 'float32'), intToBool: await convert('bool', 'int32') };
    await tf.setBackend('cpu');
    try {
      const onCpu = { int32: await convert('int32', 'float32'), bool: await convert('bool', 'float32'), intToBool: await convert('bool', 'int32') };
      assert.deepEqual(onWasm, onCpu);
      assert.deepEqual(onCpu.bool, [1, 1, 0, 1, 0, 1, 1, 1]);
    } finally {
      await tf.setBackend('wasm');
    }
  });

  it('copies with the stock kernel (so the shared one is what runs)', function () {
    restoreStockWasmCast();
    try {
      const x = tf.tensor1d([1, 2]);
      const before = backend().numDataIds();
      const copy = tf.cast(x, 'float32');
      assert.equal(backend().numDataIds(), before + 1);
      tf.dispose([x, copy]);
    } finally {
      registerSharedWasmCast();
    }
  });
});
