// The WASM product with a transposed second operand, run as (b · aᵀ)ᵀ, against the oracle, TF.js's
// cpu backend: the products themselves over shapes (one row, more rows than columns, tiny and
// Dense-sized), the cases left to the stock kernel, and a Dense layer's input gradient, which is
// where back-propagation asks for this product.
import * as tf from '@tensorflow/tfjs';
import assert from 'node:assert/strict';
import { mulberry32 } from '../../src/engine/seededRandom';
import { registerFastWasmTransposedMatMul, restoreStockWasmTransposedMatMul } from '../../src/engine/tfjs/wasmFastTransposedMatMul';
import { useWasmBackend } from '../support/engineFixtures';

function drawValues(count: number, seed: number): Float32Array {
  const random = mulberry32(seed);
  return Float32Array.from({ length: count }, () => random() * 2 - 1);
}

/** `compute` on the cpu backend, with the same inputs drawn there. */
async function onCpu(compute: () => Float32Array): Promise<Float32Array> {
  await tf.setBackend('cpu');
  try {
    return compute();
  } finally {
    await tf.setBackend('wasm');
  }
}

/** max|actual − expected| within 1e-5 · max(1, max|expected|): the products add in a different order on each side. */
function assertClose(actual: Float32Array, expected: Float32Array, label: string): void {
  assert.equal(actual.length, expected.length, `${label}: length`);
  let worst = 0;
  let scale = 1;
  for (let i = 0; i < actual.length; i++) {
    worst = Math.max(worst, Math.abs(actual[i] - expected[i]));
    scale = Math.max(scale, Math.abs(expected[i]));
  }
  assert.ok(worst <= 1e-5 * scale, `${label}: differs from cpu by ${worst} (scale ${scale})`);
}

describe('WASM product with a transposed second operand', function () {
  before(async function () {
    await useWasmBackend();
    registerFastWasmTransposedMatMul();
  });

  const product = (aShape: number[], bShape: number[], transposeA: boolean, transposeB: boolean, seed: number) => () =>
    tf.tidy(() => {
      const a = tf.tensor(drawValues(aShape.reduce((x, y) => x * y), seed), aShape);
      const b = tf.tensor(drawValues(bShape.reduce((x, y) => x * y), seed + 1), bShape);
      return Float32Array.from(tf.matMul(a as tf.Tensor2D, b as tf.Tensor2D, transposeA, transposeB).dataSync());
    });

  it('gives the cpu backend’s a · bᵀ for one row, many rows, and shapes of every proportion, and leaks nothing', async function () {
    const cases: Array<[number, number, number]> = [
      // [rows of a, rows of b, shared length]
      [1, 1, 1],
      [1, 7, 5],
      [1, 300, 97],
      [3, 2, 4],
      [33, 17, 65],
      [64, 128, 32],
      [200, 3, 9],
    ];
    for (const [index, [m, n, k]] of cases.entries()) {
      const label = `${m}×${k} · (${n}×${k})ᵀ`;
      const tensorsBefore = tf.memory().numTensors;
      const dataBefore = tf.engine().backend.numDataIds();
      const wasm = product([m, k], [n, k], false, true, 10 * index + 1)();
      assert.equal(tf.memory().numTensors, tensorsBefore, `${label}: no tensor left behind`);
      assert.equal(tf.engine().backend.numDataIds(), dataBefore, `${label}: no WASM buffer left behind`);
      assertClose(wasm, await onCpu(product([m, k], [n, k], false, true, 10 * index + 1)), label);
    }
  });

  it('leaves batches of products and the other transposes to the stock kernel, which gives the cpu backend’s values there', async function () {
    const cases: Array<[number[], number[], boolean, boolean]> = [
      [[2, 3, 4], [2, 5, 4], false, true],
      [[4, 3], [4, 5], true, false],
      [[4, 3], [5, 4], true, true],
      [[3, 4], [4, 5], false, false],
    ];
    for (const [index, [aShape, bShape, transposeA, transposeB]] of cases.entries()) {
      const compute = product(aShape, bShape, transposeA, transposeB, 100 + index);
      assertClose(compute(), await onCpu(compute), JSON.stringify({ aShape, bShape, transposeA, transposeB }));
    }
  });

  it('gives a Dense layer’s input gradient as the cpu backend does, and as the stock kernel does', async function () {
    const gradient = () =>
      tf.tidy(() => {
        const weights = tf.tensor2d(drawValues(96 * 40, 7), [96, 40]);
        const bias = tf.tensor1d(drawValues(40, 8));
        const upstream = tf.tensor2d(drawValues(2 * 40, 9), [2, 40]);
        const x = tf.tensor2d(drawValues(2 * 96, 10), [2, 96]);
        const dense = (input: tf.Tensor) => tf.relu(tf.matMul(input as tf.Tensor2D, weights).add(bias)).mul(upstream).sum();
        return Float32Array.from(tf.grad(dense)(x).dataSync());
      });
    const fast = gradient();
    assert.ok(fast.some((value) => value !== 0), 'a gradient that is not all zero');
    assertClose(fast, await onCpu(gradient), 'against cpu');
    restoreStockWasmTransposedMatMul();
    try {
      assertClose(fast, gradient(), 'against the stock WASM kernel');
    } finally {
      registerFastWasmTransposedMatMul();
    }
  });
});
