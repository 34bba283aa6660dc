import * as tf from '@tensorflow/tfjs';
import assert from 'node:assert/strict';
import { forwardPaddingForInputGradient, registerFastWasmInputGradient, restoreStockWasmInputGradient } from '../../src/engine/wasmFastInputGradient';
import { useWasmBackend } from '../support/engineFixtures';

/** mulberry32: seeded values in [-1, 1). */
function seededValues(count: number, seed: number): Float32Array {
  let state = seed >>> 0;
  return Float32Array.from({ length: count }, () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (((t ^ (t >>> 14)) >>> 0) / 2 ** 32) * 2 - 1;
  });
}

interface Case {
  input: [number, number, number, number];
  kernel: [number, number];
  outChannels: number;
  strides: number;
  pad: 'same' | 'valid';
}

const CASES: Case[] = [
  { input: [1, 9, 9, 3], kernel: [3, 3], outChannels: 4, strides: 1, pad: 'same' },
  { input: [2, 8, 11, 5], kernel: [3, 3], outChannels: 7, strides: 1, pad: 'valid' },
  { input: [1, 10, 7, 2], kernel: [5, 3], outChannels: 3, strides: 1, pad: 'same' },
  { input: [3, 6, 6, 4], kernel: [1, 1], outChannels: 8, strides: 1, pad: 'valid' },
  { input: [1, 12, 12, 2], kernel: [4, 4], outChannels: 3, strides: 1, pad: 'same' },
  // Strided: the identity does not hold, the stock kernel runs.
  { input: [1, 9, 9, 3], kernel: [3, 3], outChannels: 4, strides: 2, pad: 'same' },
];

/** dx of sum(conv2d(x, w) * weights) on the current backend: Conv2DBackpropInput(weights, w). */
async function inputGradient(testCase: Case, seed: number): Promise<Float32Array> {
  const [, , , inChannels] = testCase.input;
  const x = tf.tensor4d(seededValues(testCase.input.reduce((a, b) => a * b), seed), testCase.input);
  const w = tf.tensor4d(seededValues(testCase.kernel[0] * testCase.kernel[1] * inChannels * testCase.outChannels, seed + 1), [...testCase.kernel, inChannels, testCase.outChannels]);
  const dx = tf.tidy(() => {
    const outShape = tf.conv2d(x, w, testCase.strides, testCase.pad).shape;
    const weights = tf.tensor(seededValues(outShape.reduce((a, b) => a * b), seed + 2), outShape);
    return tf.grad((input: tf.Tensor) => tf.conv2d(input as tf.Tensor4D, w, testCase.strides, testCase.pad).mul(weights).sum())(x);
  });
  const values = (await dx.data()) as Float32Array;
  tf.dispose([x, w, dx]);
  return values;
}

function maxDifference(a: Float32Array, b: Float32Array): number {
  assert.equal(a.length, b.length);
  return a.reduce((worst, value, i) => Math.max(worst, Math.abs(value - b[i])), 0);
}

describe('fast WASM Conv2DBackpropInput', function () {
  before(useWasmBackend);
  after(restoreStockWasmInputGradient);

  it('applies only to stride-1, channels-last convolutions', function () {
    const attrs = (strides: number, pad: 'same' | 'valid') => ({ inputShape: [1, 9, 9, 3] as [number, number, number, number], strides, pad, dataFormat: 'NHWC' as const });
    assert.deepEqual(forwardPaddingForInputGradient([1, 9, 9, 3], [3, 3, 3, 4], attrs(1, 'same')), [[0, 0], [1, 1], [1, 1], [0, 0]]);
    assert.deepEqual(forwardPaddingForInputGradient([1, 9, 9, 3], [3, 3, 3, 4], attrs(1, 'valid')), [[0, 0], [2, 2], [2, 2], [0, 0]]);
    assert.equal(forwardPaddingForInputGradient([1, 9, 9, 3], [3, 3, 3, 4], attrs(2, 'same')), undefined);
    assert.equal(forwardPaddingForInputGradient([1, 9, 9, 3], [3, 3, 3, 4], { ...attrs(1, 'same'), dataFormat: 'NCHW' }), undefined);
  });

  it('equals the stock kernel and the cpu backend on every case, and leaks nothing', async function () {
    for (const [index, testCase] of CASES.entries()) {
      restoreStockWasmInputGradient();
      const stock = await inputGradient(testCase, index * 10);
      const stockKernel = tf.getKernel(tf.Conv2DBackpropInput, 'wasm')?.kernelFunc;
      registerFastWasmInputGradient();
      assert.notEqual(tf.getKernel(tf.Conv2DBackpropInput, 'wasm')?.kernelFunc, stockKernel, 'the fast kernel is registered');
      const tensorsBefore = tf.memory().numTensors;
      const dataBefore = tf.engine().backend.numDataIds();
      const fast = await inputGradient(testCase, index * 10);
      assert.equal(tf.memory().numTensors, tensorsBefore, 'no tensor left behind');
      assert.equal(tf.engine().backend.numDataIds(), dataBefore, 'no WASM buffer left behind');
      await tf.setBackend('cpu');
      const cpu = await inputGradient(testCase, index * 10);
      await useWasmBackend();
      const label = JSON.stringify(testCase);
      assert.ok(maxDifference(fast, stock) < 1e-4, `fast vs stock ${label}: ${maxDifference(fast, stock)}`);
      assert.ok(maxDifference(fast, cpu) < 1e-4, `fast vs cpu ${label}: ${maxDifference(fast, cpu)}`);
      assert.ok(fast.some((value) => value !== 0), 'a gradient that is not all zero');
    }
  });
});
