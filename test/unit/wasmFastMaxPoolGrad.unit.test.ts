import * as tf from '@tensorflow/tfjs';
import assert from 'node:assert/strict';
import { nonOverlappingPool, registerFastWasmMaxPoolGrad, restoreStockWasmMaxPoolGrad } from '../../src/engine/wasmFastMaxPoolGrad';
import { mulberry32 } from '../../src/engine/seededRandom';
import { useWasmBackend } from '../support/engineFixtures';

/** How a case's input is drawn: distinct values; distinct and positive; after a ReLU (many zero windows); few levels (ties); all negative. */
type Values = 'distinct' | 'positive' | 'relu' | 'levels' | 'negative';

interface Case {
  input: [number, number, number, number];
  pool: [number, number];
  strides: [number, number];
  pad: 'same' | 'valid';
  values: Values;
}

const CASES: Case[] = [
  { input: [2, 8, 8, 3], pool: [2, 2], strides: [2, 2], pad: 'valid', values: 'distinct' },
  { input: [3, 10, 6, 5], pool: [2, 2], strides: [2, 2], pad: 'valid', values: 'relu' },
  { input: [1, 9, 7, 4], pool: [2, 2], strides: [2, 2], pad: 'valid', values: 'levels' },
  { input: [2, 6, 6, 2], pool: [2, 2], strides: [2, 2], pad: 'same', values: 'negative' },
  { input: [1, 9, 12, 3], pool: [3, 3], strides: [3, 3], pad: 'valid', values: 'relu' },
  { input: [2, 8, 9, 2], pool: [2, 3], strides: [2, 3], pad: 'same', values: 'levels' },
  // Not the fast path's geometry: overlapping windows, padding; the stock kernel runs.
  { input: [1, 9, 9, 3], pool: [3, 3], strides: [2, 2], pad: 'valid', values: 'relu' },
  { input: [1, 7, 7, 2], pool: [2, 2], strides: [2, 2], pad: 'same', values: 'levels' },
];

function drawValues(count: number, values: Values, seed: number): Float32Array {
  const random = mulberry32(seed);
  return Float32Array.from({ length: count }, () => {
    const value = random() * 2 - 1;
    switch (values) {
      case 'distinct':
        return value;
      case 'positive':
        return value + 1.01;
      case 'relu':
        return Math.max(0, value - 0.3);
      case 'levels':
        return Math.round(value * 2) / 2;
      case 'negative':
        return -Math.abs(value) - 0.01;
    }
  });
}

/** dx of sum(maxPool(x) * weights) on the current backend: MaxPoolGrad(weights, x). */
async function poolGradient(testCase: Case, seed: number): Promise<Float32Array> {
  const x = tf.tensor4d(drawValues(testCase.input.reduce((a, b) => a * b), testCase.values, seed), testCase.input);
  const dx = tf.tidy(() => {
    const outShape = tf.maxPool(x, testCase.pool, testCase.strides, testCase.pad).shape;
    const weights = tf.tensor(drawValues(outShape.reduce((a, b) => a * b), 'distinct', seed + 1), outShape);
    return tf.grad((input: tf.Tensor) => tf.maxPool(input as tf.Tensor4D, testCase.pool, testCase.strides, testCase.pad).mul(weights).sum())(x);
  });
  const values = (await dx.data()) as Float32Array;
  tf.dispose([x, dx]);
  return values;
}

describe('fast WASM MaxPoolGrad', function () {
  before(useWasmBackend);
  after(restoreStockWasmMaxPoolGrad);

  it('applies only to windows that tile the input without padding', function () {
    const attrs = (filterSize: [number, number], strides: [number, number], pad: 'same' | 'valid') => ({ filterSize, strides, pad });
    assert.ok(nonOverlappingPool([1, 8, 8, 3], attrs([2, 2], [2, 2], 'valid')));
    assert.ok(nonOverlappingPool([1, 9, 9, 3], attrs([2, 2], [2, 2], 'valid')), 'a last row no window covers');
    assert.ok(nonOverlappingPool([1, 8, 8, 3], attrs([2, 2], [2, 2], 'same')), 'same padding that pads nothing');
    assert.equal(nonOverlappingPool([1, 9, 9, 3], attrs([2, 2], [2, 2], 'same')), undefined, 'padded');
    assert.equal(nonOverlappingPool([1, 9, 9, 3], attrs([3, 3], [2, 2], 'valid')), undefined, 'overlapping');
    assert.equal(nonOverlappingPool([1, 9, 9, 3], attrs([2, 2], [3, 3], 'valid')), undefined, 'gaps between windows');
  });

  it('equals the stock kernel on every case, ties and all-negative windows included, and leaks nothing', async function () {
    for (const [index, testCase] of CASES.entries()) {
      restoreStockWasmMaxPoolGrad();
      const stockKernel = tf.getKernel(tf.MaxPoolGrad, 'wasm')?.kernelFunc;
      const stock = await poolGradient(testCase, index * 10);
      registerFastWasmMaxPoolGrad();
      assert.notEqual(tf.getKernel(tf.MaxPoolGrad, 'wasm')?.kernelFunc, stockKernel, 'the fast kernel is registered');
      const tensorsBefore = tf.memory().numTensors;
      const dataBefore = tf.engine().backend.numDataIds();
      const fast = await poolGradient(testCase, index * 10);
      assert.equal(tf.memory().numTensors, tensorsBefore, 'no tensor left behind');
      assert.equal(tf.engine().backend.numDataIds(), dataBefore, 'no WASM buffer left behind');
      assert.deepEqual(fast, stock, `fast vs stock ${JSON.stringify(testCase)}`);
      assert.ok(fast.some((value) => value !== 0) || testCase.values === 'negative', 'a gradient that is not all zero');
    }
  });

  it('gives the cpu backend’s gradient where every window has one positive maximum', async function () {
    registerFastWasmMaxPoolGrad();
    const testCase: Case = { input: [2, 12, 10, 4], pool: [2, 2], strides: [2, 2], pad: 'valid', values: 'positive' };
    const fast = await poolGradient(testCase, 7);
    await tf.setBackend('cpu');
    const cpu = await poolGradient(testCase, 7);
    await useWasmBackend();
    assert.deepEqual(fast, cpu);
  });
});
