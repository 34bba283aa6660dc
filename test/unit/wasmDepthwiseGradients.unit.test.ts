// The WASM backend's depthwise input gradient (DepthwiseConv2dNativeBackpropInput as a forward
// depthwise convolution, wasmFastDepthwiseGradients.ts) against the oracle, TF.js's cpu backend:
// the gradients of sum(f(x, w) · weights) for depthwise, fused depthwise (with bias and the lazy
// fused gradient) and separable convolutions, on seeded random geometries (strides 1, 2 and 3 and
// mixed, same / valid / explicit padding, channel multipliers 1–3, odd sizes, kernels 1×1 to 5×5,
// batches of 1–3) and on MobileNetV2's own (ZeroPadding2D then a `valid` 3×3 / 2), each computed
// with no tensor or backend buffer left behind. Criterion: max|wasm − cpu| ≤ 2e-5 · max(1, max|cpu|).
import * as tf from '@tensorflow/tfjs';
import assert from 'node:assert/strict';
import { mulberry32 } from '../../src/engine/seededRandom';
import { planDepthwiseInputGradient } from '../../src/engine/tfjs/wasmFastDepthwiseGradients';
import { useWasmBackend } from '../support/engineFixtures';

const TOLERANCE = 2e-5;

type Padding = 'same' | 'valid' | [[0, 0], [number, number], [number, number], [number, number]];

interface Geometry {
  input: [number, number, number, number];
  kernel: [number, number];
  multiplier: number;
  strides: [number, number];
  pad: Padding;
}

interface GradientCase {
  name: string;
  geometry: Geometry;
  /** Which inputs the gradient is taken for: x alone (as filter patterns and Grad-CAM do) or all. */
  withRespectTo: 'x' | 'all';
  /** The convolution of x with its parameters (depthwise filter first). */
  f: (x: tf.Tensor4D, params: tf.Tensor[]) => tf.Tensor4D;
  /** Shapes of the parameters after the depthwise filter. */
  extraParams?: number[][];
}

const seededValues = (count: number, seed: number) => {
  const random = mulberry32(seed);
  return Float32Array.from({ length: count }, () => random() * 2 - 1);
};

const size = (shape: number[]) => shape.reduce((a, b) => a * b, 1);

/** Random geometries whose convolution has at least one output, drawn from one seed. */
function randomGeometries(count: number, seed: number): Geometry[] {
  const random = mulberry32(seed);
  const pick = <T>(values: readonly T[]): T => values[Math.floor(random() * values.length)];
  const geometries: Geometry[] = [];
  while (geometries.length < count) {
    const kernel: [number, number] = [pick([1, 2, 3, 3, 5]), pick([1, 2, 3, 3, 5])];
    const stride = pick([1, 1, 2, 2, 3]);
    const strides: [number, number] = random() < 0.2 ? [stride, pick([1, 2])] : [stride, stride];
    const input: [number, number, number, number] = [pick([1, 2, 3]), 4 + Math.floor(random() * 14), 4 + Math.floor(random() * 14), pick([1, 2, 3, 5])];
    const padKind = pick(['same', 'valid', 'explicit'] as const);
    const pad: Padding = padKind === 'explicit' ? [[0, 0], [Math.floor(random() * kernel[0]), Math.floor(random() * 2)], [Math.floor(random() * kernel[1]), Math.floor(random() * 2)], [0, 0]] : padKind;
    const multiplier = pick([1, 1, 2, 3]);
    if (padKind === 'valid' && (kernel[0] > input[1] || kernel[1] > input[2])) continue;
    geometries.push({ input, kernel, multiplier, strides, pad });
  }
  return geometries;
}

const describeGeometry = ({ input, kernel, multiplier, strides, pad }: Geometry) =>
  `${input.join('×')} ${kernel.join('×')} ×${multiplier} / ${strides.join(',')} ${typeof pad === 'string' ? pad : `pad ${JSON.stringify(pad.slice(1, 3))}`}`;

function cases(): GradientCase[] {
  const depthwise = (x: tf.Tensor4D, [w]: tf.Tensor[], g: Geometry) => tf.depthwiseConv2d(x, w as tf.Tensor4D, g.strides, g.pad);
  const all: GradientCase[] = [];
  for (const [i, geometry] of randomGeometries(48, 7).entries()) {
    all.push({ name: `depthwiseConv2d ${describeGeometry(geometry)}`, geometry, withRespectTo: i % 3 === 0 ? 'all' : 'x', f: (x, params) => depthwise(x, params, geometry) });
  }
  // Fused with bias (the lazy fused gradient) and separable, on geometries TF.js's fused and separable ops take ('same' / 'valid').
  for (const [i, geometry] of randomGeometries(16, 11).entries()) {
    const g: Geometry = { ...geometry, pad: typeof geometry.pad === 'string' ? geometry.pad : 'same' };
    const channels = g.input[3] * g.multiplier;
    all.push({
      name: `fused depthwiseConv2d + bias ${describeGeometry(g)}`,
      geometry: g,
      withRespectTo: i % 2 === 0 ? 'all' : 'x',
      extraParams: [[channels]],
      f: (x, [w, bias]) => tf.fused.depthwiseConv2d({ x, filter: w as tf.Tensor4D, strides: g.strides, pad: g.pad as 'same' | 'valid', bias }),
    });
    if (g.strides[0] === g.strides[1]) {
      all.push({
        name: `separableConv2d ${describeGeometry(g)}`,
        geometry: g,
        withRespectTo: i % 2 === 0 ? 'all' : 'x',
        extraParams: [[1, 1, channels, 4]],
        f: (x, [w, pointwise]) => tf.separableConv2d(x, w as tf.Tensor4D, pointwise as tf.Tensor4D, g.strides as [number, number], g.pad as 'same' | 'valid'),
      });
    }
  }
  // MobileNetV2's downsampling: ZeroPadding2D ((0, 1), (0, 1)), then a 3×3 / 2 'valid' depthwise convolution; and its stride-1 ones.
  for (const [input, multiplier] of [[[2, 16, 16, 8], 1], [[3, 15, 17, 4], 1], [[2, 12, 12, 3], 2]] as Array<[[number, number, number, number], number]>) {
    const strided: Geometry = { input, kernel: [3, 3], multiplier, strides: [2, 2], pad: 'valid' };
    all.push({
      name: `MobileNetV2 downsampling: zero padding, depthwiseConv2d 3×3 / 2 valid, ${input.join('×')} ×${multiplier}`,
      geometry: strided,
      withRespectTo: 'x',
      f: (x, [w]) => tf.depthwiseConv2d(tf.pad(x, [[0, 0], [0, 1], [0, 1], [0, 0]]), w as tf.Tensor4D, 2, 'valid'),
    });
    all.push({
      name: `MobileNetV2 stride 1: depthwiseConv2d 3×3 same, ${input.join('×')} ×${multiplier}`,
      geometry: { ...strided, strides: [1, 1], pad: 'same' },
      withRespectTo: 'x',
      f: (x, [w]) => tf.depthwiseConv2d(x, w as tf.Tensor4D, 1, 'same'),
    });
  }
  return all;
}

/** The gradients of sum(f · weights) on the current backend, as copies; checks that nothing is left behind. */
function gradients(testCase: GradientCase, seed: number): Float32Array[] {
  const { geometry } = testCase;
  const filterShape = [...geometry.kernel, geometry.input[3], geometry.multiplier];
  const tensorsBefore = tf.memory().numTensors;
  const dataBefore = tf.engine().backend.numDataIds();
  const cpuDataBefore = tf.findBackend('cpu').numDataIds();
  const x = tf.tensor4d(seededValues(size(geometry.input), seed), geometry.input);
  const params = [filterShape, ...(testCase.extraParams ?? [])].map((shape, i) => tf.tensor(seededValues(size(shape), seed + 1 + i), shape));
  const result = tf.tidy(() => {
    const outShape = testCase.f(x, params).shape;
    const weights = tf.tensor(seededValues(size(outShape), seed + 100), outShape);
    const loss = (...inputs: tf.Tensor[]) => tf.sum(tf.mul(testCase.f(inputs[0] as tf.Tensor4D, inputs.slice(1)), weights)) as tf.Scalar;
    const grads = testCase.withRespectTo === 'x' ? [tf.grad((input: tf.Tensor) => loss(input, ...params))(x)] : tf.grads(loss)([x, ...params]);
    return grads.map((g) => Float32Array.from(g.dataSync()));
  });
  tf.dispose([x, ...params]);
  assert.equal(tf.memory().numTensors, tensorsBefore, `${tf.getBackend()}: no tensor left behind`);
  assert.equal(tf.engine().backend.numDataIds(), dataBefore, `${tf.getBackend()}: no backend buffer left behind`);
  assert.equal(tf.findBackend('cpu').numDataIds(), cpuDataBefore, `${tf.getBackend()}: no cpu buffer left behind`);
  return result;
}

function assertClose(actual: Float32Array, expected: Float32Array, what: string): void {
  assert.equal(actual.length, expected.length, what);
  let worst = 0;
  let scale = 1;
  for (let i = 0; i < actual.length; i++) {
    const gap = Number.isNaN(actual[i]) || Number.isNaN(expected[i]) ? Infinity : Math.abs(actual[i] - expected[i]);
    worst = Math.max(worst, gap);
    scale = Math.max(scale, Math.abs(expected[i]));
  }
  assert.ok(worst <= TOLERANCE * scale, `${what}: differs from cpu by ${worst} (allowed ${TOLERANCE * scale})`);
}

describe('WASM depthwise convolution gradients against the cpu backend', function () {
  before(async function () {
    await useWasmBackend();
  });

  it('runs the input gradient as a forward depthwise convolution, spreading dy for strides above 1, except for dilations', function () {
    const attrs = (strides: number, pad: 'same' | 'valid', dilations = 1) => ({ inputShape: [2, 9, 9, 3] as [number, number, number, number], strides, pad, dilations });
    assert.deepEqual(planDepthwiseInputGradient([2, 9, 9, 3], [3, 3, 3, 2], attrs(1, 'same')), { strideHeight: 1, strideWidth: 1, spread: false, padding: [[0, 0], [1, 1], [1, 1], [0, 0]] });
    assert.deepEqual(planDepthwiseInputGradient([2, 9, 9, 3], [3, 3, 3, 2], attrs(2, 'valid')), { strideHeight: 2, strideWidth: 2, spread: true, padding: [[0, 0], [2, 2], [2, 2], [0, 0]] });
    assert.equal(planDepthwiseInputGradient([2, 9, 9, 3], [3, 3, 3, 2], attrs(1, 'same', 2)), undefined);
  });

  for (const [index, testCase] of cases().entries()) {
    it(testCase.name + (testCase.withRespectTo === 'all' ? ', all gradients' : ''), async function () {
      const seed = 1 + index * 31;
      const wasm = gradients(testCase, seed);
      await tf.setBackend('cpu');
      let cpu: Float32Array[];
      try {
        cpu = gradients(testCase, seed);
      } finally {
        await tf.setBackend('wasm');
      }
      assert.equal(wasm.length, cpu.length);
      wasm.forEach((gradient, i) => assertClose(gradient, cpu[i], `gradient ${i}`));
      assert.ok(wasm[0].some((value) => value !== 0), 'an input gradient that is not all zero');
    });
  }

  it('leaves dilated convolutions to the cpu kernel, which gives the same values', async function () {
    const run = () =>
      tf.tidy(() => {
        const dy = tf.tensor4d(seededValues(2 * 9 * 9 * 6, 5), [2, 9, 9, 6]);
        const filter = tf.tensor4d(seededValues(3 * 3 * 3 * 2, 6), [3, 3, 3, 2]);
        const attrs = { strides: 1, pad: 'same', dilations: 2, inputShape: [2, 9, 9, 3] } as unknown as tf.NamedAttrMap;
        return Float32Array.from((tf.engine().runKernel(tf.DepthwiseConv2dNativeBackpropInput, { dy, filter }, attrs) as tf.Tensor).dataSync());
      });
    const wasm = run();
    await tf.setBackend('cpu');
    try {
      assertClose(wasm, run(), 'dilated');
    } finally {
      await tf.setBackend('wasm');
    }
  });
});
