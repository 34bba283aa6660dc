// The WASM MaxPoolGrad kernel against the oracle, TF.js's cpu backend: the gradient of max pooling
// on both backends for the same inputs, over geometries (overlapping windows, padding, strides 1 to
// 3, windows wider than their stride, odd sizes, batches) and values (all-negative and all-zero
// windows, exact ties, ReLU outputs) where the stock WASM kernel is wrong.
import * as tf from '@tensorflow/tfjs';
import assert from 'node:assert/strict';
import { mulberry32 } from '../../src/engine/seededRandom';
import { registerFastWasmMaxPoolGrad } from '../../src/engine/tfjs/wasmFastMaxPoolGrad';
import { useWasmBackend } from '../support/engineFixtures';

/** distinct: in [-1, 1); levels: five levels with zero (ties); relu: mostly zero; negative: all below zero; zeros: all zero. */
type Values = 'distinct' | 'levels' | 'relu' | 'negative' | 'zeros';

interface Case {
  input: [number, number, number, number];
  pool: [number, number];
  strides: [number, number];
  pad: 'same' | 'valid';
  values: Values;
}

const GEOMETRIES: Array<Omit<Case, 'values'>> = [
  { input: [2, 8, 8, 3], pool: [2, 2], strides: [2, 2], pad: 'valid' },
  { input: [3, 9, 7, 4], pool: [2, 2], strides: [2, 2], pad: 'valid' },
  { input: [2, 9, 9, 3], pool: [2, 2], strides: [2, 2], pad: 'same' },
  { input: [1, 9, 12, 3], pool: [3, 3], strides: [3, 3], pad: 'valid' },
  { input: [2, 8, 9, 2], pool: [2, 3], strides: [2, 3], pad: 'same' },
  // Overlapping windows: their gradients add up where they share a maximum.
  { input: [1, 9, 9, 3], pool: [3, 3], strides: [2, 2], pad: 'valid' },
  { input: [2, 10, 7, 2], pool: [3, 3], strides: [2, 2], pad: 'same' },
  { input: [1, 7, 8, 5], pool: [3, 3], strides: [1, 1], pad: 'same' },
  { input: [2, 6, 7, 1], pool: [2, 2], strides: [1, 1], pad: 'valid' },
  { input: [1, 11, 6, 2], pool: [4, 2], strides: [3, 1], pad: 'same' },
  // Gaps between windows: positions no window covers get nothing.
  { input: [2, 10, 11, 3], pool: [2, 2], strides: [3, 3], pad: 'valid' },
  { input: [1, 9, 8, 2], pool: [1, 1], strides: [2, 3], pad: 'same' },
];
const VALUES: Values[] = ['distinct', 'levels', 'relu', 'negative', 'zeros'];

function drawValues(count: number, values: Values, seed: number): Float32Array {
  const random = mulberry32(seed);
  return Float32Array.from({ length: count }, () => {
    const value = random() * 2 - 1;
    switch (values) {
      case 'distinct':
        return value;
      case 'levels':
        return Math.floor(random() * 5) / 2 - 1;
      case 'relu':
        return Math.max(0, value - 0.4);
      case 'negative':
        return -Math.abs(value) - 0.01;
      case 'zeros':
        return 0;
    }
  });
}

/** dx of sum(maxPool(x) · weights) on the current backend, with the weights making dy differ from window to window. */
function poolGradient(testCase: Case, seed: number): Float32Array {
  const size = testCase.input.reduce((a, b) => a * b);
  const x = tf.tensor4d(drawValues(size, testCase.values, seed), testCase.input);
  const dx = tf.tidy(() => {
    const outShape = tf.maxPool(x, testCase.pool, testCase.strides, testCase.pad).shape;
    const weights = tf.tensor(drawValues(outShape.reduce((a, b) => a * b), 'distinct', seed + 1), outShape);
    return tf.grad((input: tf.Tensor) => tf.maxPool(input as tf.Tensor4D, testCase.pool, testCase.strides, testCase.pad).mul(weights).sum())(x);
  });
  const values = Float32Array.from(dx.dataSync());
  tf.dispose([x, dx]);
  return values;
}

/** The cpu backend's gradient for the same case. */
async function cpuPoolGradient(testCase: Case, seed: number): Promise<Float32Array> {
  await tf.setBackend('cpu');
  try {
    return poolGradient(testCase, seed);
  } finally {
    await tf.setBackend('wasm');
  }
}

/** max|actual − expected| within 1e-6 · max(1, max|expected|): overlapping windows add in float32 here, in float64 on cpu. */
function assertClose(actual: Float32Array, expected: Float32Array, label: string): void {
  assert.equal(actual.length, expected.length);
  let worst = 0;
  let scale = 1;
  for (let i = 0; i < actual.length; i++) {
    worst = Math.max(worst, Math.abs(actual[i] - expected[i]));
    scale = Math.max(scale, Math.abs(expected[i]));
  }
  assert.ok(worst <= 1e-6 * scale, `${label}: differs from cpu by ${worst}`);
}

describe('WASM MaxPoolGrad', function () {
  before(async function () {
    await useWasmBackend();
    registerFastWasmMaxPoolGrad();
  });

  it('sends each window’s gradient to its first maximum: all-negative, all-zero and tied windows included', async function () {
    // Windows: all negative (first maximum −1 at index 1), all zero (index 2), a three-way tie of 5s (index 8), ordinary (index 14).
    const x = [-3, -1, 0, 0, -2, -1, 0, 0, 5, 5, 1, 2, 5, 4, 3, 0];
    const expected = [0, 1, 1, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 1, 0];
    const dx = () => Array.from(tf.tidy(() => tf.grad((t: tf.Tensor) => tf.sum(tf.maxPool(t as tf.Tensor4D, 2, 2, 'valid')))(tf.tensor4d(x, [1, 4, 4, 1])).dataSync()));
    assert.deepEqual(dx(), expected, 'wasm');
    await tf.setBackend('cpu');
    try {
      assert.deepEqual(dx(), expected, 'cpu, the oracle');
    } finally {
      await tf.setBackend('wasm');
    }
  });

  it('gives the cpu backend’s gradient for every geometry and kind of values, and leaks nothing', async function () {
    this.timeout(20000);
    let index = 0;
    for (const geometry of GEOMETRIES) {
      for (const values of VALUES) {
        const testCase: Case = { ...geometry, values };
        const seed = 1 + index++ * 10;
        const tensorsBefore = tf.memory().numTensors;
        const dataBefore = tf.engine().backend.numDataIds();
        const wasm = poolGradient(testCase, seed);
        assert.equal(tf.memory().numTensors, tensorsBefore, 'no tensor left behind');
        assert.equal(tf.engine().backend.numDataIds(), dataBefore, 'no WASM buffer left behind');
        const label = JSON.stringify(testCase);
        assertClose(wasm, await cpuPoolGradient(testCase, seed), label);
        assert.ok(wasm.some((value) => value !== 0), `${label}: a gradient that is not all zero`);
      }
    }
  });

  it('passes nothing through windows of NaN or −Infinity only, as the cpu backend', async function () {
    const x = [NaN, NaN, -Infinity, -Infinity, NaN, NaN, -Infinity, -Infinity, NaN, 1, -Infinity, 2, 3, NaN, -Infinity, -Infinity];
    const dx = () => Array.from(tf.tidy(() => tf.grad((t: tf.Tensor) => tf.sum(tf.maxPool(t as tf.Tensor4D, 2, 2, 'valid')))(tf.tensor4d(x, [1, 4, 4, 1])).dataSync()));
    const wasm = dx();
    await tf.setBackend('cpu');
    try {
      assert.deepEqual(wasm, dx());
    } finally {
      await tf.setBackend('wasm');
    }
    assert.deepEqual(wasm, [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 0, 0, 0]);
  });
});
