// Reading and writing tensors in place (engine/tfjs/float32Values.ts), on the WASM backend, where
// they work on its heap, and on the cpu backend, where they fall back to copies.
import * as tf from '@tensorflow/tfjs';
import assert from 'node:assert/strict';
import { float32TensorFilledBy, float32ValuesOf } from '../../src/engine/tfjs/float32Values';
import { useWasmBackend } from '../support/engineFixtures';

for (const backend of ['wasm', 'cpu'] as const) {
  describe(`float32 values in place (${backend})`, function () {
    before(async function () {
      await useWasmBackend();
      await tf.setBackend(backend);
    });
    after(async function () {
      await tf.setBackend('wasm');
    });

    it('reads a tensor’s values as dataSync does', function () {
      const tensor = tf.tidy(() => tf.range(0, 24, 1, 'float32').reshape([2, 3, 4]).mul(0.5).sub(3));
      try {
        assert.deepEqual(Array.from(float32ValuesOf(tensor)), Array.from(tensor.dataSync()));
      } finally {
        tensor.dispose();
      }
    });

    it('makes a tensor of the shape asked for with the values written, which other tensors can be read into', function () {
      const source = tf.tensor2d([1, -2, 3, -4, 5, -6], [2, 3]);
      const before = tf.memory().numTensors;
      const doubled = float32TensorFilledBy<tf.Rank.R2>([3, 2], (out) => {
        const values = float32ValuesOf(source);
        for (let i = 0; i < out.length; i++) out[i] = 2 * values[i];
      });
      try {
        assert.deepEqual(doubled.shape, [3, 2]);
        assert.equal(doubled.dtype, 'float32');
        assert.deepEqual(Array.from(doubled.dataSync()), [2, -4, 6, -8, 10, -12]);
        // Counted once, and usable by kernels like any tensor.
        assert.equal(tf.memory().numTensors, before + 1);
        assert.deepEqual(tf.tidy(() => Array.from(doubled.add(1).dataSync())), [3, -3, 7, -7, 11, -11]);
      } finally {
        tf.dispose([source, doubled]);
      }
    });

    it('frees the output when the filling throws', function () {
      const tensors = tf.memory().numTensors;
      // The backend's own count: on WASM the output is on its heap before any tensor holds it.
      const dataIds = tf.backend().numDataIds();
      assert.throws(
        () =>
          float32TensorFilledBy([4, 4], () => {
            throw new Error('filling failed');
          }),
        /filling failed/,
      );
      assert.equal(tf.memory().numTensors, tensors);
      assert.equal(tf.backend().numDataIds(), dataIds);
    });

    it('refuses to read a tensor that is not float32', function () {
      const integers = tf.tensor1d([1, 2, 3], 'int32');
      try {
        assert.throws(() => float32ValuesOf(integers), /int32/);
      } finally {
        integers.dispose();
      }
    });
  });
}
