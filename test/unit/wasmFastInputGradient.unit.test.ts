// The WASM Conv2DBackpropInput kernel (a forward convolution, of dy spread out with zeros for
// strides above 1) against the oracle, TF.js's cpu backend: the input gradient of a convolution on
// both backends for the same inputs.
import * as tf from '@tensorflow/tfjs';
import assert from 'node:assert/strict';
import { mulberry32 } from '../../src/engine/seededRandom';
import { planInputGradient, registerFastWasmInputGradient } from '../../src/engine/tfjs/wasmFastInputGradient';
import { useWasmBackend } from '../support/engineFixtures';

/** Seeded values: uniform in [-1, 1), or five levels with zero (exact ties and zeros). */
function seededValues(count: number, seed: number, levels = false): Float32Array {
  const random = mulberry32(seed);
  return Float32Array.from({ length: count }, () => (levels ? Math.floor(random() * 5) / 2 - 1 : random() * 2 - 1));
}

interface Case {
  input: [number, number, number, number];
  kernel: [number, number];
  outChannels: number;
  strides: number | [number, number];
  pad: 'same' | 'valid';
  levels?: boolean;
}

const CASES: Case[] = [
  { input: [1, 9, 9, 3], kernel: [3, 3], outChannels: 4, strides: 1, pad: 'same' },
  { input: [2, 8, 11, 5], kernel: [3, 3], outChannels: 7, strides: 1, pad: 'valid' },
  { input: [1, 10, 7, 2], kernel: [5, 3], outChannels: 3, strides: 1, pad: 'same', levels: true },
  { input: [3, 6, 6, 4], kernel: [1, 1], outChannels: 8, strides: 1, pad: 'valid' },
  { input: [1, 12, 12, 2], kernel: [4, 4], outChannels: 3, strides: 1, pad: 'same' },
  { input: [2, 7, 5, 3], kernel: [2, 3], outChannels: 2, strides: 1, pad: 'same', levels: true },
  // Strided: dy spread out with zeros.
  { input: [1, 9, 9, 3], kernel: [3, 3], outChannels: 4, strides: 2, pad: 'same' },
  { input: [2, 10, 11, 2], kernel: [3, 3], outChannels: 3, strides: 3, pad: 'valid', levels: true },
  { input: [1, 8, 9, 3], kernel: [2, 2], outChannels: 4, strides: [2, 1], pad: 'same' },
  { input: [2, 224, 224, 3], kernel: [3, 3], outChannels: 8, strides: 2, pad: 'same' },
  { input: [2, 13, 12, 5], kernel: [3, 3], outChannels: 6, strides: 2, pad: 'valid', levels: true },
  { input: [1, 11, 10, 4], kernel: [5, 5], outChannels: 3, strides: [1, 3], pad: 'same' },
  { input: [3, 9, 8, 2], kernel: [1, 1], outChannels: 5, strides: 2, pad: 'valid' },
];

/** dx of sum(conv2d(x, w) · weights) on the current backend: Conv2DBackpropInput(weights, w). */
function inputGradient(testCase: Case, seed: number): Float32Array {
  const [, , , inChannels] = testCase.input;
  const x = tf.tensor4d(seededValues(testCase.input.reduce((a, b) => a * b), seed, testCase.levels), testCase.input);
  const w = tf.tensor4d(seededValues(testCase.kernel[0] * testCase.kernel[1] * inChannels * testCase.outChannels, seed + 1, testCase.levels), [...testCase.kernel, inChannels, testCase.outChannels]);
  const dx = tf.tidy(() => {
    const outShape = tf.conv2d(x, w, testCase.strides, testCase.pad).shape;
    const weights = tf.tensor(seededValues(outShape.reduce((a, b) => a * b), seed + 2), outShape);
    return tf.grad((input: tf.Tensor) => tf.conv2d(input as tf.Tensor4D, w, testCase.strides, testCase.pad).mul(weights).sum())(x);
  });
  const values = Float32Array.from(dx.dataSync());
  tf.dispose([x, w, dx]);
  return values;
}

/** max|actual − expected| and max(1, max|expected|), the scale the difference is judged against. */
function difference(actual: Float32Array, expected: Float32Array): { worst: number; scale: number } {
  assert.equal(actual.length, expected.length);
  let worst = 0;
  let scale = 1;
  for (let i = 0; i < actual.length; i++) {
    worst = Math.max(worst, Math.abs(actual[i] - expected[i]));
    scale = Math.max(scale, Math.abs(expected[i]));
  }
  return { worst, scale };
}

describe('WASM Conv2DBackpropInput', function () {
  before(async function () {
    await useWasmBackend();
    registerFastWasmInputGradient();
  });

  it('runs channels-last convolutions as forward ones, spreading dy for strides above 1', function () {
    const attrs = (strides: number, pad: 'same' | 'valid') => ({ inputShape: [1, 9, 9, 3] as [number, number, number, number], strides, pad, dataFormat: 'NHWC' as const });
    const plan = (strides: number, pad: 'same' | 'valid', dataFormat: 'NHWC' | 'NCHW' = 'NHWC') => planInputGradient([1, 9, 9, 3], [3, 3, 3, 4], { ...attrs(strides, pad), dataFormat });
    assert.deepEqual(plan(1, 'same'), { strideHeight: 1, strideWidth: 1, spread: false, padding: [[0, 0], [1, 1], [1, 1], [0, 0]] });
    assert.deepEqual(plan(1, 'valid'), { strideHeight: 1, strideWidth: 1, spread: false, padding: [[0, 0], [2, 2], [2, 2], [0, 0]] });
    // 9 rows, 'same' / 2: 5 windows from row −1; the spread dy is 1 + 9 + 1 rows, 9 after the 3×3 convolution.
    assert.deepEqual(plan(2, 'same'), { strideHeight: 2, strideWidth: 2, spread: true, padding: [[0, 0], [1, 1], [1, 1], [0, 0]] });
    // 'valid' / 2: 4 windows, the last on rows 6–8; the spread dy is 2 + 7 + 2 rows, 9 after the convolution.
    assert.deepEqual(plan(2, 'valid'), { strideHeight: 2, strideWidth: 2, spread: true, padding: [[0, 0], [2, 2], [2, 2], [0, 0]] });
    assert.equal(plan(1, 'same', 'NCHW'), undefined);
  });

  it('gives the cpu backend’s gradient on every case, within 2e-5 of its scale, and leaks nothing', async function () {
    for (const [index, testCase] of CASES.entries()) {
      const seed = index * 10;
      const tensorsBefore = tf.memory().numTensors;
      const dataBefore = tf.engine().backend.numDataIds();
      const wasm = inputGradient(testCase, seed);
      assert.equal(tf.memory().numTensors, tensorsBefore, 'no tensor left behind');
      assert.equal(tf.engine().backend.numDataIds(), dataBefore, 'no WASM buffer left behind');
      await tf.setBackend('cpu');
      let cpu: Float32Array;
      try {
        cpu = inputGradient(testCase, seed);
      } finally {
        await tf.setBackend('wasm');
      }
      const { worst, scale } = difference(wasm, cpu);
      // Sums of up to 5·5·8 products in float32, in another order than on cpu.
      assert.ok(worst <= 2e-5 * scale, `${JSON.stringify(testCase)}: differs from cpu by ${worst} (scale ${scale})`);
      assert.ok(wasm.some((value) => value !== 0), 'a gradient that is not all zero');
    }
  });
});
