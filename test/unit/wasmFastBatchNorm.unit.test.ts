// The WASM FusedBatchNorm as a 1×1 depthwise convolution (wasmFastBatchNorm.ts), against the cpu
// backend's batchNorm: every rank, with and without offset and scale, statistics whose mean · f
// dwarfs the output (where its rounding differs from TF.js's), non-finite values (NaN comes out as
// -Infinity, as from the stock WASM depthwise convolutions: XNNPACK's clamp); that the fast
// path is what ran; and that it leaves no buffer behind.
import * as tf from '@tensorflow/tfjs';
import assert from 'node:assert/strict';
import { mulberry32 } from '../../src/engine/seededRandom';
import { registerFastWasmBatchNorm, restoreStockWasmBatchNorm } from '../../src/engine/tfjs/wasmFastBatchNorm';
import { useWasmBackend } from '../support/engineFixtures';

interface Statistics {
  mean: number[];
  variance: number[];
  offset?: number[];
  scale?: number[];
}

function seeded(count: number, seed: number, low: number, high: number): number[] {
  const random = mulberry32(seed);
  return Array.from({ length: count }, () => low + (high - low) * random());
}

function statistics(channels: number, seed: number, { withOffset = true, withScale = true, meanSpread = 1 } = {}): Statistics {
  return {
    mean: seeded(channels, seed, -meanSpread, meanSpread),
    variance: seeded(channels, seed + 1, 0.01, 2),
    ...(withOffset ? { offset: seeded(channels, seed + 2, -1, 1) } : {}),
    ...(withScale ? { scale: seeded(channels, seed + 3, -2, 2) } : {}),
  };
}

/** tf.batchNorm of `values` (shape `shape`) on `backend`, read back. */
async function batchNormOn(backend: string, shape: number[], values: number[], stats: Statistics, epsilon = 1e-3): Promise<Float32Array> {
  const previous = tf.getBackend();
  await tf.setBackend(backend);
  try {
    const result = tf.tidy(() =>
      tf.batchNorm(tf.tensor(values, shape), tf.tensor1d(stats.mean), tf.tensor1d(stats.variance), stats.offset && tf.tensor1d(stats.offset), stats.scale && tf.tensor1d(stats.scale), epsilon),
    );
    try {
      assert.deepEqual(result.shape, shape);
      return (await result.data()) as Float32Array;
    } finally {
      result.dispose();
    }
  } finally {
    await tf.setBackend(previous);
  }
}

function maxRelativeError(actual: Float32Array, expected: Float32Array): number {
  const scale = Math.max(1, ...Array.from(expected, Math.abs));
  let worst = 0;
  for (let i = 0; i < expected.length; i++) worst = Math.max(worst, Math.abs(actual[i] - expected[i]) / scale);
  return worst;
}

describe('WASM FusedBatchNorm as a 1×1 depthwise convolution', function () {
  before(async function () {
    await useWasmBackend();
    registerFastWasmBatchNorm();
  });

  const cases: { name: string; shape: number[]; stats: (channels: number) => Statistics }[] = [
    { name: 'a 4-D activation, all five inputs', shape: [2, 7, 5, 6], stats: (c) => statistics(c, 10) },
    { name: 'a 4-D activation without offset', shape: [1, 4, 4, 3], stats: (c) => statistics(c, 20, { withOffset: false }) },
    { name: 'a 4-D activation without scale', shape: [3, 2, 3, 5], stats: (c) => statistics(c, 30, { withScale: false }) },
    { name: 'a 2-D input (a Dense layer’s)', shape: [9, 7], stats: (c) => statistics(c, 40) },
    { name: 'a 3-D input', shape: [2, 5, 4], stats: (c) => statistics(c, 50) },
    { name: 'a 5-D input', shape: [2, 2, 3, 2, 4], stats: (c) => statistics(c, 60) },
    { name: 'a 1-D input', shape: [8], stats: (c) => statistics(c, 70) },
    { name: 'means far from the values (mean · f dwarfs the output)', shape: [2, 6, 6, 4], stats: (c) => statistics(c, 80, { meanSpread: 300 }) },
  ];
  for (const { name, shape, stats } of cases) {
    it(`matches the cpu backend on ${name}`, async function () {
      const channels = shape[shape.length - 1];
      const values = seeded(tf.util.sizeFromShape(shape), 5, -3, 3);
      const perChannel = stats(channels);
      const expected = await batchNormOn('cpu', shape, values, perChannel);
      const actual = await batchNormOn('wasm', shape, values, perChannel);
      assert.ok(maxRelativeError(actual, expected) <= 2e-6, `max relative error ${maxRelativeError(actual, expected)}`);
    });
  }

  it('keeps ±Infinity where the cpu backend does, and NaN non-finite (XNNPACK reads it as -Infinity)', async function () {
    const shape = [1, 2, 2, 3];
    const values = [NaN, Infinity, -Infinity, 0, 1, -1, 2, NaN, 3, -Infinity, 0.5, Infinity];
    const stats = statistics(3, 90);
    const expected = await batchNormOn('cpu', shape, values, stats);
    const actual = await batchNormOn('wasm', shape, values, stats);
    for (let i = 0; i < values.length; i++) {
      if (Number.isFinite(expected[i])) assert.ok(Math.abs(actual[i] - expected[i]) <= 2e-6 * Math.max(1, Math.abs(expected[i])), `value ${i}: ${actual[i]} vs ${expected[i]}`);
      else if (Number.isNaN(expected[i])) assert.ok(Number.isNaN(actual[i]) || actual[i] === -Infinity, `value ${i}: ${actual[i]}`);
      else assert.equal(actual[i], expected[i], `value ${i}`);
    }
  });

  it('runs the depthwise convolution, not the stock kernel, and frees what it makes', async function () {
    const depthwise = tf.getKernel(tf.FusedDepthwiseConv2D, 'wasm')!;
    const original = depthwise.kernelFunc;
    let calls = 0;
    (depthwise as { kernelFunc: tf.KernelFunc }).kernelFunc = (args) => {
      calls++;
      return original(args);
    };
    try {
      const backend = tf.backend() as unknown as { numDataIds(): number };
      const stats = statistics(4, 100);
      const inputs = [tf.tensor4d(seeded(2 * 3 * 3 * 4, 6, -1, 1), [2, 3, 3, 4]), ...[stats.mean, stats.variance, stats.offset!, stats.scale!].map((v) => tf.tensor1d(v))];
      const before = backend.numDataIds();
      const [x, mean, variance, offset, scale] = inputs;
      const result = tf.batchNorm(x, mean, variance, offset, scale, 1e-3);
      assert.equal(calls, 1);
      assert.equal(backend.numDataIds(), before + 1, 'only the result is left');
      tf.dispose([result, ...inputs]);
    } finally {
      (depthwise as { kernelFunc: tf.KernelFunc }).kernelFunc = original;
    }
  });

  it('leaves statistics per position to the stock kernel', async function () {
    const shape = [2, 3, 4];
    const values = seeded(24, 7, -2, 2);
    const perPosition = (seed: number, low: number, high: number) => tf.tensor(seeded(12, seed, low, high), [3, 4]);
    const compute = () => tf.tidy(() => tf.batchNorm(tf.tensor(values, shape), perPosition(1, -1, 1), perPosition(2, 0.5, 1.5), perPosition(3, -1, 1), perPosition(4, 0.5, 1.5), 1e-3).dataSync());
    const onWasm = Float32Array.from(compute());
    await tf.setBackend('cpu');
    const onCpu = Float32Array.from(compute());
    await tf.setBackend('wasm');
    assert.ok(maxRelativeError(onWasm, onCpu) <= 1e-6);
  });

  it('differs from the stock kernel only by rounding (so the stock kernel is what it replaced)', async function () {
    const shape = [2, 8, 8, 6];
    const values = seeded(tf.util.sizeFromShape(shape), 8, -3, 3);
    const stats = statistics(6, 110);
    const fast = await batchNormOn('wasm', shape, values, stats);
    restoreStockWasmBatchNorm();
    try {
      const stock = await batchNormOn('wasm', shape, values, stats);
      assert.ok(maxRelativeError(fast, stock) <= 2e-6);
    } finally {
      registerFastWasmBatchNorm();
    }
  });
});
