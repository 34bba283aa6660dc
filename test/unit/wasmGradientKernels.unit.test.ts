// Differential test of every kernel on a gradient path of the WASM backend, as the engine registers
// it (stock kernels, our replacements, the kernels borrowed from cpu: registerMissingWasmGradientKernels,
// which Grad-CAM and filter patterns call; useWasmBackend alone does not), against TF.js's cpu
// backend: the forward values and the gradients users get from tf.valueAndGrads of small functions
// of tf ops, on seeded inputs chosen to hit the edge cases (negatives, zeros, exact ties,
// all-negative and all-zero pooling windows, odd sizes, strides 1/2/3, same/valid padding, dilated
// pooling, channel multipliers, batches), each computed with no tensor or backend buffer left
// behind. The cpu backend is the oracle, a stock WASM kernel never is; the one exception is the
// resize gradients, whose cpu kernels are wrong too (see spatialAdjointOnCpu).
//
// Criterion: max|wasm − cpu| ≤ tolerance · max(1, max|cpu|), per output and per gradient, with
// tolerance 1e-5 (2e-5 for long float32 sums: convolutions, matMul, batchNorm, reductions).
//
// Left out, because TF.js 4.22 itself refuses them or gets them wrong on every backend: gradients
// of dilated convolutions (refused), softmax along an axis but the last (refused), stridedSlice and
// Greater (no gradient), minimum/maximum/squaredDifference and batched matMul with broadcasting
// (the gradient keeps the broadcast shape), batchNorm without offset and scale (fails on cpu).
import * as tf from '@tensorflow/tfjs';
import assert from 'node:assert/strict';
import { mulberry32 } from '../../src/engine/seededRandom';
import { registerMissingWasmGradientKernels } from '../../src/engine/tfjs/wasmGradientKernels';
import { useWasmBackend } from '../support/engineFixtures';

/**
 * How an input's values are drawn. mixed: uniform in [-1, 1); ties: five levels with zero, so
 * windows and reductions hold exact ties; relu: mostly zeros, as after a ReLU; negative: all
 * below zero; zeros: all zero; positive: in [0.5, 1.5) (logs, roots, variances); blocks: 3×3
 * spatial blocks, each all negative, all zero, ties or mixed, so that whole pooling windows are
 * all negative or all zero among ordinary ones; relu6: levels 0 and 6 exactly, and values either
 * side; special: ±Infinity, ±0 and the ReLU6 bounds among ordinary values; nan: those and NaN.
 */
type ValueKind = 'mixed' | 'ties' | 'relu' | 'negative' | 'zeros' | 'positive' | 'blocks' | 'relu6' | 'special' | 'nan';

interface InputSpec {
  shape: number[];
  kind: ValueKind;
}

interface DifferentialCase {
  name: string;
  /** The inputs the gradients are taken with respect to. */
  inputs: InputSpec[];
  /** Built from tf ops only; constants it needs are made inside, on the current backend. */
  f: (inputs: tf.Tensor[]) => tf.Tensor;
  tolerance?: number;
  /**
   * Compare the gradients only: where the stock WASM forward kernel differs from cpu on values
   * outside this suite's concern (Relu, Relu6 and ClipByValue turn NaN into 0 or the bound on
   * WASM, where cpu keeps NaN).
   */
  gradientsOnly?: boolean;
  /**
   * For an image resize (f = spatialMap of its one input): the oracle of the gradient is the
   * adjoint of the cpu backend's forward resize rather than its gradient kernel, which is wrong in
   * TF.js 4.22 (see spatialAdjointOnCpu).
   */
  spatialMap?: (images: tf.Tensor4D) => tf.Tensor4D;
}

const TOLERANCE = 1e-5;
const LONG_SUM_TOLERANCE = 2e-5;

function drawValues(spec: InputSpec, seed: number): Float32Array {
  const random = mulberry32(seed);
  const count = spec.shape.reduce((a, b) => a * b, 1);
  const level = () => Math.floor(random() * 5) / 2 - 1;
  const draw = (kind: Exclude<ValueKind, 'blocks'>): number => {
    const u = random() * 2 - 1;
    switch (kind) {
      case 'mixed':
        return u;
      case 'ties':
        return level();
      case 'relu':
        return Math.max(0, u - 0.4);
      case 'negative':
        return -Math.abs(u) - 0.01;
      case 'zeros':
        return 0;
      case 'positive':
        return u / 2 + 1;
      case 'relu6':
        return random() < 0.5 ? [0, 6, -1, 7, 3][Math.floor(random() * 5)] : u * 5 + 3;
      case 'special':
        return random() < 0.5 ? [Infinity, -Infinity, 0, -0, 6, -6][Math.floor(random() * 6)] : u * 8;
      case 'nan':
        return random() < 0.5 ? [NaN, Infinity, -Infinity, 0, -0, 6, -6][Math.floor(random() * 7)] : u * 8;
    }
  };
  if (spec.kind !== 'blocks') return Float32Array.from({ length: count }, () => draw(spec.kind as Exclude<ValueKind, 'blocks'>));
  // NHWC: the block of a value is its (batch, row / 3, column / 3); lower ranks block the flat index.
  const [height, width, channels] = spec.shape.length === 4 ? spec.shape.slice(1) : [1, count, 1];
  const blockKinds: Array<Exclude<ValueKind, 'blocks'>> = ['negative', 'zeros', 'ties', 'mixed'];
  return Float32Array.from({ length: count }, (_, i) => {
    const pixel = Math.floor(i / channels);
    const [batch, row, column] = [Math.floor(pixel / (height * width)), Math.floor(pixel / width) % height, pixel % width];
    const block = batch * 7 + Math.floor(row / 3) * 3 + Math.floor(column / 3);
    return draw(blockKinds[block % blockKinds.length]);
  });
}

interface Gradients {
  value: Float32Array;
  valueShape: number[];
  gradients: Float32Array[];
}

/** The weights of sum(f(inputs) · weights): they make dy differ from element to element, so that a gradient routed to the wrong place shows. */
const lossWeights = (shape: number[], seed: number) => drawValues({ shape, kind: 'mixed' }, seed + 1000);

/** The forward values and (unless forwardOnly) the gradients of sum(f(inputs) · weights) on the current backend, as copies. */
function gradientsOnCurrentBackend(testCase: DifferentialCase, values: Float32Array[], seed: number, forwardOnly = false): Gradients {
  const tensorsBefore = tf.memory().numTensors;
  const dataBefore = tf.engine().backend.numDataIds();
  // Kernels borrowed from cpu make tensors there too.
  const cpuDataBefore = tf.findBackend('cpu').numDataIds();
  const inputs = testCase.inputs.map((spec, i) => tf.tensor(values[i], spec.shape));
  const result = tf.tidy(() => {
    const forward = testCase.f(inputs);
    if (forwardOnly) return { value: Float32Array.from(forward.dataSync()), valueShape: forward.shape, gradients: [] };
    const weights = tf.tensor(lossWeights(forward.shape, seed), forward.shape);
    const { grads } = tf.valueAndGrads((...xs: tf.Tensor[]) => tf.sum(tf.mul(testCase.f(xs), weights)) as tf.Scalar)(inputs);
    return { value: Float32Array.from(forward.dataSync()), valueShape: forward.shape, gradients: grads.map((g) => Float32Array.from(g.dataSync())) };
  });
  tf.dispose(inputs);
  assert.equal(tf.memory().numTensors, tensorsBefore, `${tf.getBackend()}: no tensor left behind`);
  assert.equal(tf.engine().backend.numDataIds(), dataBefore, `${tf.getBackend()}: no backend buffer left behind`);
  assert.equal(tf.findBackend('cpu').numDataIds(), cpuDataBefore, `${tf.getBackend()}: no cpu buffer left behind`);
  return result;
}

/**
 * The gradient of sum(spatialMap(images) · dy) on cpu as the adjoint of the cpu forward: the map
 * acts on each image and channel alike, so its matrix is read off one forward pass over a batch of
 * one-hot images, and dx[b, p, c] = Σ_q map[q ← p] · dy[b, q, c], summed in float64. (TF.js 4.22's
 * cpu resize gradients are no oracle: ResizeBilinearGrad labels its result [batch, width, height,
 * channels], an error for any image that is not square; ResizeNearestNeighborGrad reads dy at the
 * image's batch offset, wrong from the second image of a batch on; neither honours halfPixelCenters.)
 */
function spatialAdjointOnCpu(spatialMap: (images: tf.Tensor4D) => tf.Tensor4D, imageShape: number[], dyShape: number[], dy: Float32Array): Float32Array {
  const [batch, height, width, channels] = imageShape;
  const [, outHeight, outWidth] = dyShape;
  const pixels = height * width;
  const outPixels = outHeight * outWidth;
  const columns = tf.tidy(() => spatialMap(tf.reshape(tf.oneHot(tf.range(0, pixels, 1, 'int32'), pixels, 1, 0, 'float32'), [pixels, height, width, 1])).dataSync());
  const dx = new Float32Array(batch * pixels * channels);
  for (let b = 0; b < batch; b++) {
    for (let p = 0; p < pixels; p++) {
      for (let c = 0; c < channels; c++) {
        let sum = 0;
        for (let q = 0; q < outPixels; q++) sum += columns[p * outPixels + q] * dy[(b * outPixels + q) * channels + c];
        dx[(b * pixels + p) * channels + c] = sum;
      }
    }
  }
  return dx;
}

/** max|actual − expected| and the scale it is judged against. */
function difference(actual: Float32Array, expected: Float32Array): { worst: number; at: number; scale: number } {
  assert.equal(actual.length, expected.length);
  let worst = 0;
  let at = -1;
  let scale = 1;
  for (let i = 0; i < actual.length; i++) {
    const gap = Number.isNaN(actual[i]) !== Number.isNaN(expected[i]) ? Infinity : Number.isNaN(expected[i]) ? 0 : Math.abs(actual[i] - expected[i]);
    if (gap > worst) [worst, at] = [gap, i];
    // NaN where both have it is a match; it sets no scale.
    if (!Number.isNaN(expected[i])) scale = Math.max(scale, Math.abs(expected[i]));
  }
  return { worst, at, scale };
}

async function assertMatchesCpu(testCase: DifferentialCase, seed: number): Promise<void> {
  const values = testCase.inputs.map((spec, i) => drawValues(spec, seed + i));
  await tf.setBackend('cpu');
  let cpu: Gradients;
  try {
    cpu = gradientsOnCurrentBackend(testCase, values, seed, testCase.spatialMap !== undefined);
    if (testCase.spatialMap) cpu.gradients = [spatialAdjointOnCpu(testCase.spatialMap, testCase.inputs[0].shape, cpu.valueShape, lossWeights(cpu.valueShape, seed))];
  } finally {
    await tf.setBackend('wasm');
  }
  const wasm = gradientsOnCurrentBackend(testCase, values, seed);
  const tolerance = testCase.tolerance ?? TOLERANCE;
  const checks: Array<[string, Float32Array, Float32Array]> = [
    ...(testCase.gradientsOnly ? [] : [['value', wasm.value, cpu.value] as [string, Float32Array, Float32Array]]),
    ...wasm.gradients.map((g, i): [string, Float32Array, Float32Array] => [`gradient ${i}`, g, cpu.gradients[i]]),
  ];
  for (const [what, actual, expected] of checks) {
    const { worst, at, scale } = difference(actual, expected);
    assert.ok(worst <= tolerance * scale, `${testCase.name}: ${what} differs from cpu by ${worst} at ${at} (wasm ${actual[at]}, cpu ${expected[at]}; allowed ${tolerance * scale})`);
  }
}

type Padding = 'same' | 'valid';
type Pair = [number, number];
const nhwc = (batch: number, height: number, width: number, channels: number, kind: ValueKind): InputSpec => ({ shape: [batch, height, width, channels], kind });
const as4d = (t: tf.Tensor) => t as tf.Tensor4D;

function poolingCases(): DifferentialCase[] {
  const cases: DifferentialCase[] = [];
  const windows: Pair[] = [[2, 2], [3, 3], [2, 3], [1, 1]];
  const strides: Pair[] = [[1, 1], [2, 2], [3, 3], [2, 1]];
  const kinds: ValueKind[] = ['blocks', 'ties', 'negative', 'zeros', 'relu'];
  let index = 0;
  for (const window of windows) {
    for (const stride of strides) {
      for (const pad of ['valid', 'same'] as Padding[]) {
        const kind = kinds[index++ % kinds.length];
        const input = nhwc(2, 7 + (index % 3), 9 - (index % 2), 3, kind);
        cases.push({
          name: `maxPool ${window} / ${stride} ${pad}, ${kind} ${input.shape}`,
          inputs: [input],
          f: ([x]) => tf.maxPool(as4d(x), window, stride, pad),
        });
        cases.push({
          name: `avgPool ${window} / ${stride} ${pad}, ${kind} ${input.shape}`,
          inputs: [input],
          f: ([x]) => tf.avgPool(as4d(x), window, stride, pad),
        });
      }
    }
  }
  for (const kind of ['blocks', 'ties', 'negative', 'zeros'] as ValueKind[]) {
    cases.push({ name: `maxPool 2×2 / 2 on even sides, ${kind}`, inputs: [nhwc(3, 6, 8, 4, kind)], f: ([x]) => tf.maxPool(as4d(x), 2, 2, 'valid') });
  }
  // Dilated pooling: tf.pool runs it as space-to-batch, pooling, batch-to-space.
  for (const pad of ['valid', 'same'] as Padding[]) {
    for (const type of ['max', 'avg'] as const) {
      cases.push({ name: `pool ${type} 2×2 dilated 2 ${pad}, blocks`, inputs: [nhwc(2, 9, 8, 2, 'blocks')], f: ([x]) => tf.pool(as4d(x), [2, 2], type, pad, [2, 2], 1) });
    }
  }
  for (const [window, stride, pad] of [[2, 2, 'valid'], [3, 2, 'same'], [2, 1, 'same'], [3, 3, 'valid']] as Array<[number, number, Padding]>) {
    for (const kind of ['blocks', 'negative', 'zeros', 'ties'] as ValueKind[]) {
      const input: InputSpec = { shape: [2, 5, 6, 7, 2], kind };
      const at = `${window}³ / ${stride} ${pad}, ${kind}`;
      cases.push({ name: `maxPool3d ${at}`, inputs: [input], f: ([x]) => tf.maxPool3d(x as tf.Tensor5D, window, stride, pad) });
      if (kind === 'blocks') cases.push({ name: `avgPool3d ${at}`, inputs: [input], f: ([x]) => tf.avgPool3d(x as tf.Tensor5D, window, stride, pad) });
    }
  }
  cases.push({ name: 'pool max 3×3 dilated [2, 1] same, ties', inputs: [nhwc(1, 8, 7, 3, 'ties')], f: ([x]) => tf.pool(as4d(x), [3, 3], 'max', 'same', [2, 1], 1) });
  return cases;
}

function convolutionCases(): DifferentialCase[] {
  const cases: DifferentialCase[] = [];
  const kernels: Pair[] = [[3, 3], [1, 1], [2, 3], [5, 5]];
  let index = 0;
  for (const kernel of kernels) {
    for (const stride of [1, 2, 3]) {
      for (const pad of ['same', 'valid'] as Padding[]) {
        index++;
        const x = nhwc(2, 8 + (index % 3), 9 - (index % 2), 3, index % 2 ? 'mixed' : 'ties');
        const w: InputSpec = { shape: [...kernel, 3, 4], kind: 'mixed' };
        cases.push({ name: `conv2d ${kernel} / ${stride} ${pad} ${x.shape}`, inputs: [x, w], f: ([a, b]) => tf.conv2d(as4d(a), as4d(b), stride, pad), tolerance: LONG_SUM_TOLERANCE });
        for (const multiplier of [1, 2, 3]) {
          if ((index + multiplier) % 2) continue;
          cases.push({
            name: `depthwiseConv2d ${kernel} / ${stride} ${pad} ×${multiplier} ${x.shape}`,
            inputs: [x, { shape: [...kernel, 3, multiplier], kind: 'mixed' }],
            f: ([a, b]) => tf.depthwiseConv2d(as4d(a), as4d(b), stride, pad),
            tolerance: LONG_SUM_TOLERANCE,
          });
        }
      }
    }
  }
  const x = nhwc(2, 9, 7, 3, 'mixed');
  const w: InputSpec = { shape: [3, 3, 3, 5], kind: 'mixed' };
  const bias: InputSpec = { shape: [5], kind: 'mixed' };
  for (const stride of [1, 2]) {
    for (const pad of ['same', 'valid'] as Padding[]) {
      const at = `/ ${stride} ${pad}`;
      cases.push({ name: `fused conv2d + bias ${at}`, inputs: [x, w, bias], f: ([a, b, c]) => tf.fused.conv2d({ x: as4d(a), filter: as4d(b), strides: stride, pad, bias: c }), tolerance: LONG_SUM_TOLERANCE });
      cases.push({
        name: `fused conv2d + bias + relu ${at}`,
        inputs: [x, w, bias],
        f: ([a, b, c]) => tf.fused.conv2d({ x: as4d(a), filter: as4d(b), strides: stride, pad, bias: c, activation: 'relu' }),
        tolerance: LONG_SUM_TOLERANCE,
      });
      cases.push({ name: `fused conv2d, no bias, relu ${at}`, inputs: [x, w], f: ([a, b]) => tf.fused.conv2d({ x: as4d(a), filter: as4d(b), strides: stride, pad, activation: 'relu' }), tolerance: LONG_SUM_TOLERANCE });
      cases.push({
        name: `fused depthwiseConv2d ×2 + bias ${at}`,
        inputs: [x, { shape: [3, 3, 3, 2], kind: 'mixed' }, { shape: [6], kind: 'mixed' }],
        f: ([a, b, c]) => tf.fused.depthwiseConv2d({ x: as4d(a), filter: as4d(b), strides: stride, pad, bias: c }),
        tolerance: LONG_SUM_TOLERANCE,
      });
      cases.push({
        name: `fused depthwiseConv2d ×1 + bias + relu ${at}`,
        inputs: [x, { shape: [3, 3, 3, 1], kind: 'mixed' }, { shape: [3], kind: 'mixed' }],
        f: ([a, b, c]) => tf.fused.depthwiseConv2d({ x: as4d(a), filter: as4d(b), strides: stride, pad, bias: c, activation: 'relu' }),
        tolerance: LONG_SUM_TOLERANCE,
      });
      cases.push({
        name: `separableConv2d ×2 ${at}`,
        inputs: [x, { shape: [3, 3, 3, 2], kind: 'mixed' }, { shape: [1, 1, 6, 4], kind: 'mixed' }],
        f: ([a, b, c]) => tf.separableConv2d(as4d(a), as4d(b), as4d(c), stride, pad),
        tolerance: LONG_SUM_TOLERANCE,
      });
    }
  }
  cases.push({
    name: 'conv2dTranspose 3×3 / 2 same',
    inputs: [nhwc(2, 4, 5, 4, 'mixed'), { shape: [3, 3, 3, 4], kind: 'mixed' }],
    f: ([a, b]) => tf.conv2dTranspose(as4d(a), as4d(b), [2, 8, 10, 3], 2, 'same'),
    tolerance: LONG_SUM_TOLERANCE,
  });
  for (const [stride, pad] of [[1, 'same'], [2, 'valid']] as Array<[number, Padding]>) {
    cases.push({
      name: `conv3d 3³ / ${stride} ${pad}`,
      inputs: [{ shape: [2, 5, 6, 5, 2], kind: 'mixed' }, { shape: [3, 3, 3, 2, 3], kind: 'mixed' }],
      f: ([a, b]) => tf.conv3d(a as tf.Tensor5D, b as tf.Tensor5D, stride, pad),
      tolerance: LONG_SUM_TOLERANCE,
    });
    cases.push({
      name: `dilation2d 3×2 / ${stride} ${pad}, ties`,
      inputs: [nhwc(2, 7, 6, 3, 'ties'), { shape: [3, 2, 3], kind: 'ties' }],
      f: ([a, b]) => tf.dilation2d(a as tf.Tensor4D, b as tf.Tensor3D, stride, pad),
    });
  }
  cases.push({ name: 'conv1d k3 / 2 same', inputs: [{ shape: [2, 11, 3], kind: 'mixed' }, { shape: [3, 3, 4], kind: 'mixed' }], f: ([a, b]) => tf.conv1d(a as tf.Tensor3D, b as tf.Tensor3D, 2, 'same'), tolerance: LONG_SUM_TOLERANCE });
  // What Grad-CAM differentiates: conv → relu → max pooling → conv → relu → global average.
  cases.push({
    name: 'convnet block: conv relu maxPool conv relu mean',
    inputs: [nhwc(2, 12, 11, 3, 'mixed'), { shape: [3, 3, 3, 6], kind: 'mixed' }, { shape: [6], kind: 'mixed' }, { shape: [3, 3, 6, 4], kind: 'mixed' }],
    f: ([x, w1, b1, w2]) => {
      const features = tf.relu(tf.add(tf.conv2d(as4d(x), as4d(w1), 1, 'valid'), b1));
      const pooled = tf.maxPool(as4d(features), 2, 2, 'valid');
      return tf.mean(tf.relu(tf.conv2d(pooled, as4d(w2), 1, 'same')), [1, 2]);
    },
    tolerance: LONG_SUM_TOLERANCE,
  });
  return cases;
}

function activationCases(): DifferentialCase[] {
  const x: InputSpec = { shape: [2, 5, 7], kind: 'ties' };
  const m: InputSpec = { shape: [2, 5, 7], kind: 'mixed' };
  const unary: Array<[string, (t: tf.Tensor) => tf.Tensor, InputSpec[]]> = [
    ['relu', tf.relu, [x, m]],
    ['relu6', tf.relu6, [{ shape: [3, 17], kind: 'relu6' }]],
    ['elu', tf.elu, [x, m]],
    ['selu', tf.selu, [x, m]],
    ['sigmoid', tf.sigmoid, [x, m]],
    ['tanh', tf.tanh, [x, m]],
    ['softplus', tf.softplus, [m]],
    ['softmax', (t) => tf.softmax(t), [x, m]],
    ['logSoftmax', (t) => tf.logSoftmax(t), [x, m]],
    ['leakyRelu 0.2', (t) => tf.leakyRelu(t, 0.2), [x, m]],
    ['clipByValue [-0.5, 0.5]', (t) => tf.clipByValue(t, -0.5, 0.5), [x, m]],
    ['abs', tf.abs, [x, m]],
    ['square', tf.square, [m]],
    ['sqrt', tf.sqrt, [{ shape: [4, 6], kind: 'positive' }]],
    ['rsqrt', tf.rsqrt, [{ shape: [4, 6], kind: 'positive' }]],
    ['exp', tf.exp, [m]],
    ['log', tf.log, [{ shape: [4, 6], kind: 'positive' }]],
    ['log1p', tf.log1p, [{ shape: [4, 6], kind: 'positive' }]],
    ['reciprocal', tf.reciprocal, [{ shape: [4, 6], kind: 'positive' }]],
    ['neg', tf.neg, [m]],
    ['sin', tf.sin, [m]],
    ['cos', tf.cos, [m]],
    ['erf', tf.erf, [m]],
    ['step', (t) => tf.step(t), [x]],
  ];
  const cases: DifferentialCase[] = [];
  for (const [name, op, specs] of unary) {
    for (const spec of specs) cases.push({ name: `${name}, ${spec.kind} ${spec.shape}`, inputs: [spec], f: ([t]) => op(t) });
  }
  cases.push({ name: 'prelu, alpha per channel', inputs: [nhwc(2, 4, 5, 3, 'ties'), { shape: [3], kind: 'mixed' }], f: ([t, alpha]) => tf.prelu(t, alpha) });
  cases.push({ name: 'prelu, alpha per position', inputs: [nhwc(1, 4, 5, 3, 'mixed'), { shape: [4, 5, 3], kind: 'mixed' }], f: ([t, alpha]) => tf.prelu(t, alpha) });
  cases.push({ name: 'maximum with ties', inputs: [x, { shape: [2, 5, 7], kind: 'ties' }], f: ([a, b]) => tf.maximum(a, b) });
  cases.push({ name: 'minimum with ties', inputs: [x, { shape: [2, 5, 7], kind: 'ties' }], f: ([a, b]) => tf.minimum(a, b) });
  // The condition is a constant: Greater has no gradient.
  cases.push({ name: 'where', inputs: [m, x], f: ([a, b]) => tf.where(tf.tensor(drawValues(m, 99).map((v) => +(v > 0)), m.shape, 'bool'), a, tf.mul(b, 2)) });
  return cases;
}

function arithmeticCases(): DifferentialCase[] {
  const shapes: Array<[number[], number[]]> = [
    [[2, 3, 4], [2, 3, 4]],
    [[2, 3, 4], [4]],
    [[2, 3, 4], [3, 1]],
    [[2, 1, 4], [1, 3, 1]],
    [[2, 3, 4], []],
  ];
  const cases: DifferentialCase[] = [];
  for (const [a, b] of shapes) {
    const inputs: InputSpec[] = [{ shape: a, kind: 'mixed' }, { shape: b, kind: 'positive' }];
    const at = `[${a}] with [${b}]`;
    cases.push({ name: `add ${at}`, inputs, f: ([p, q]) => tf.add(p, q) });
    cases.push({ name: `sub ${at}`, inputs, f: ([p, q]) => tf.sub(p, q) });
    cases.push({ name: `mul ${at}`, inputs, f: ([p, q]) => tf.mul(p, q) });
    cases.push({ name: `div ${at}`, inputs, f: ([p, q]) => tf.div(p, q) });
    cases.push({ name: `pow ${at}`, inputs: [{ shape: a, kind: 'positive' }, { shape: b, kind: 'mixed' }], f: ([p, q]) => tf.pow(p, q) });
  }
  cases.push({ name: 'squaredDifference', inputs: [{ shape: [2, 3, 4], kind: 'mixed' }, { shape: [2, 3, 4], kind: 'ties' }], f: ([p, q]) => tf.squaredDifference(p, q) });
  cases.push({ name: 'addN', inputs: [{ shape: [3, 4], kind: 'mixed' }, { shape: [3, 4], kind: 'ties' }, { shape: [3, 4], kind: 'mixed' }], f: (xs) => tf.addN(xs) });
  return cases;
}

function reductionCases(): DifferentialCase[] {
  const x: InputSpec = { shape: [3, 4, 5, 6], kind: 'ties' };
  const m: InputSpec = { shape: [3, 4, 5, 6], kind: 'mixed' };
  const cases: DifferentialCase[] = [];
  const axesList: Array<number[] | undefined> = [undefined, [0], [1, 2], [3], [0, 1, 2]];
  for (const axes of axesList) {
    for (const keepDims of [false, true]) {
      const at = `axes ${axes ?? 'all'}${keepDims ? ' keepDims' : ''}`;
      cases.push({ name: `sum ${at}`, inputs: [m], f: ([t]) => tf.sum(t, axes, keepDims), tolerance: LONG_SUM_TOLERANCE });
      cases.push({ name: `mean ${at}`, inputs: [m], f: ([t]) => tf.mean(t, axes, keepDims), tolerance: LONG_SUM_TOLERANCE });
      cases.push({ name: `max ${at}, ties`, inputs: [x], f: ([t]) => tf.max(t, axes, keepDims) });
      cases.push({ name: `min ${at}, ties`, inputs: [x], f: ([t]) => tf.min(t, axes, keepDims) });
    }
  }
  cases.push({ name: 'max of all-negative rows', inputs: [{ shape: [4, 9], kind: 'negative' }], f: ([t]) => tf.max(t, 1) });
  cases.push({ name: 'max of all-zero rows', inputs: [{ shape: [4, 9], kind: 'zeros' }], f: ([t]) => tf.max(t, 1) });
  cases.push({ name: 'logSumExp axis 1', inputs: [m], f: ([t]) => tf.logSumExp(t, 1), tolerance: LONG_SUM_TOLERANCE });
  cases.push({ name: 'prod axis 2', inputs: [{ shape: [3, 4, 5], kind: 'positive' }], f: ([t]) => tf.prod(t, 2) });
  cases.push({ name: 'cumsum axis 1', inputs: [{ shape: [3, 7], kind: 'mixed' }], f: ([t]) => tf.cumsum(t, 1) });
  cases.push({ name: 'euclidean norm', inputs: [{ shape: [5, 6], kind: 'mixed' }], f: ([t]) => tf.norm(t) });
  cases.push({ name: 'moments over the batch and space', inputs: [nhwc(2, 5, 4, 3, 'mixed')], f: ([t]) => tf.moments(t, [0, 1, 2]).variance, tolerance: LONG_SUM_TOLERANCE });
  return cases;
}

function layoutCases(): DifferentialCase[] {
  const x: InputSpec = { shape: [2, 5, 7, 3], kind: 'mixed' };
  const cases: DifferentialCase[] = [
    { name: 'transpose [0, 3, 1, 2]', inputs: [x], f: ([t]) => tf.transpose(t, [0, 3, 1, 2]) },
    { name: 'transpose 2D', inputs: [{ shape: [5, 8], kind: 'mixed' }], f: ([t]) => tf.transpose(t) },
    { name: 'reshape', inputs: [x], f: ([t]) => tf.reshape(t, [10, -1]) },
    { name: 'slice', inputs: [x], f: ([t]) => tf.slice(t, [1, 1, 2, 0], [1, 3, 4, 2]) },
    { name: 'pad', inputs: [x], f: ([t]) => tf.pad(t, [[0, 1], [2, 1], [0, 3], [1, 0]], 0.5) },
    { name: 'mirrorPad reflect', inputs: [x], f: ([t]) => tf.mirrorPad(t, [[0, 0], [2, 1], [1, 2], [0, 0]], 'reflect') },
    { name: 'mirrorPad symmetric', inputs: [x], f: ([t]) => tf.mirrorPad(t, [[0, 0], [3, 2], [2, 3], [0, 0]], 'symmetric') },
    { name: 'concat axis 3', inputs: [x, { shape: [2, 5, 7, 2], kind: 'ties' }], f: (ts) => tf.concat(ts, 3) },
    { name: 'concat axis 1', inputs: [x, { shape: [2, 2, 7, 3], kind: 'ties' }, x], f: (ts) => tf.concat(ts, 1) },
    { name: 'stack', inputs: [x, x], f: (ts) => tf.stack(ts, 2) },
    { name: 'split', inputs: [x], f: ([t]) => tf.mul(tf.split(t, [2, 5], 2)[1], 3) },
    { name: 'unstack', inputs: [x], f: ([t]) => tf.unstack(t, 3)[1] },
    { name: 'tile', inputs: [{ shape: [2, 3], kind: 'mixed' }], f: ([t]) => tf.tile(t, [3, 2]) },
    { name: 'reverse', inputs: [x], f: ([t]) => tf.reverse(t, [1, 2]) },
    { name: 'expandDims, squeeze', inputs: [x], f: ([t]) => tf.squeeze(tf.expandDims(t, 1), [1]) },
    { name: 'gather axis 1', inputs: [x], f: ([t]) => tf.gather(t, tf.tensor1d([4, 0, 2, 2], 'int32'), 1) },
    { name: 'broadcastTo', inputs: [{ shape: [1, 3, 1], kind: 'mixed' }], f: ([t]) => tf.broadcastTo(t, [2, 3, 4]) },
    { name: 'cast round trip', inputs: [x], f: ([t]) => tf.cast(tf.cast(t, 'float32'), 'float32') },
  ];
  for (const size of [[4, 6], [11, 13], [7, 7], [10, 14], [1, 1]] as Pair[]) {
    for (const alignCorners of [false, true]) {
      for (const halfPixelCenters of alignCorners ? [false] : [false, true]) {
        const at = `${size}${alignCorners ? ' alignCorners' : ''}${halfPixelCenters ? ' halfPixelCenters' : ''}`;
        const bilinear = (images: tf.Tensor4D) => tf.image.resizeBilinear(images, size, alignCorners, halfPixelCenters);
        const nearest = (images: tf.Tensor4D) => tf.image.resizeNearestNeighbor(images, size, alignCorners, halfPixelCenters);
        cases.push({ name: `resizeBilinear to ${at}`, inputs: [x], f: ([t]) => bilinear(as4d(t)), spatialMap: bilinear });
        cases.push({ name: `resizeNearestNeighbor to ${at}`, inputs: [x], f: ([t]) => nearest(as4d(t)), spatialMap: nearest });
      }
    }
  }
  return cases;
}

function matMulCases(): DifferentialCase[] {
  const cases: DifferentialCase[] = [];
  for (const [transposeA, transposeB] of [[false, false], [true, false], [false, true], [true, true]]) {
    const a = transposeA ? [7, 5] : [5, 7];
    const b = transposeB ? [3, 7] : [7, 3];
    const at = `${transposeA ? 'Aᵀ' : 'A'}·${transposeB ? 'Bᵀ' : 'B'}`;
    cases.push({ name: `matMul ${at}`, inputs: [{ shape: a, kind: 'mixed' }, { shape: b, kind: 'mixed' }], f: ([p, q]) => tf.matMul(p, q, transposeA, transposeB), tolerance: LONG_SUM_TOLERANCE });
    cases.push({
      name: `fused matMul ${at} + bias + relu`,
      inputs: [{ shape: a, kind: 'mixed' }, { shape: b, kind: 'mixed' }, { shape: [3], kind: 'mixed' }],
      f: ([p, q, bias]) => tf.fused.matMul({ a: p, b: q, transposeA, transposeB, bias, activation: 'relu' }),
      tolerance: LONG_SUM_TOLERANCE,
    });
  }
  for (const [transposeA, transposeB] of [[false, false], [true, false], [false, true]]) {
    const at = `${transposeA ? 'Aᵀ' : 'A'}·${transposeB ? 'Bᵀ' : 'B'}`;
    const a = transposeA ? [2, 6, 4] : [2, 4, 6];
    const b = transposeB ? [2, 3, 6] : [2, 6, 3];
    const operands: InputSpec[] = [{ shape: a, kind: 'mixed' }, { shape: b, kind: 'mixed' }];
    cases.push({ name: `batched fused matMul ${at} + bias`, inputs: [...operands, { shape: [3], kind: 'mixed' }], f: ([p, q, bias]) => tf.fused.matMul({ a: p, b: q, transposeA, transposeB, bias }), tolerance: LONG_SUM_TOLERANCE });
    cases.push({
      name: `batched fused matMul ${at} + prelu`,
      inputs: operands,
      f: ([p, q]) => tf.fused.matMul({ a: p, b: q, transposeA, transposeB, activation: 'prelu', preluActivationWeights: tf.tensor1d([0.1, -0.2, 0.3]) }),
      tolerance: LONG_SUM_TOLERANCE,
    });
    cases.push({
      name: `batched fused matMul ${at} + bias + leakyrelu`,
      inputs: [...operands, { shape: [3], kind: 'mixed' }],
      f: ([p, q, bias]) => tf.fused.matMul({ a: p, b: q, transposeA, transposeB, bias, activation: 'leakyrelu', leakyreluAlpha: 0.3 }),
      tolerance: LONG_SUM_TOLERANCE,
    });
  }
  cases.push({ name: 'fused matMul + one bias for all', inputs: [{ shape: [4, 9], kind: 'mixed' }, { shape: [9, 5], kind: 'mixed' }, { shape: [1], kind: 'mixed' }], f: ([p, q, bias]) => tf.fused.matMul({ a: p, b: q, bias }), tolerance: LONG_SUM_TOLERANCE });
  cases.push({ name: 'fused matMul + bias', inputs: [{ shape: [4, 9], kind: 'mixed' }, { shape: [9, 5], kind: 'mixed' }, { shape: [5], kind: 'mixed' }], f: ([p, q, bias]) => tf.fused.matMul({ a: p, b: q, bias }), tolerance: LONG_SUM_TOLERANCE });
  cases.push({ name: 'batched matMul', inputs: [{ shape: [3, 4, 6], kind: 'mixed' }, { shape: [3, 6, 2], kind: 'mixed' }], f: ([p, q]) => tf.matMul(p, q), tolerance: LONG_SUM_TOLERANCE });
  // A classifier head: flatten, dense, softmax, one class's log-probability.
  cases.push({
    name: 'dense head: flatten matMul softmax log',
    inputs: [nhwc(2, 3, 3, 4, 'relu'), { shape: [36, 5], kind: 'mixed' }, { shape: [5], kind: 'mixed' }],
    f: ([features, kernel, bias]) => tf.log(tf.softmax(tf.add(tf.matMul(tf.reshape(features, [2, 36]), kernel), bias))),
    tolerance: LONG_SUM_TOLERANCE,
  });
  return cases;
}

function normalizationCases(): DifferentialCase[] {
  const channel = (kind: ValueKind): InputSpec => ({ shape: [4], kind });
  const x = nhwc(2, 5, 3, 4, 'mixed');
  return [
    {
      name: 'batchNorm, all five inputs',
      inputs: [x, channel('mixed'), channel('positive'), channel('mixed'), channel('positive')],
      f: ([t, mean, variance, offset, scale]) => tf.batchNorm(t, mean, variance, offset, scale, 1e-3),
      tolerance: LONG_SUM_TOLERANCE,
    },
    { name: 'localResponseNormalization', inputs: [nhwc(1, 3, 4, 7, 'mixed')], f: ([t]) => tf.localResponseNormalization(as4d(t), 2, 1, 1, 0.5), tolerance: LONG_SUM_TOLERANCE },
  ];
}

/**
 * What a MobileNet gradient runs through on WASM, where the engine replaces TF.js's gradients or
 * kernels: ReLU6 (Keras' ReLU(6) layer is relu then clipByValue; Activation('relu6') is relu6),
 * batch normalisation with constant statistics (as in inference) and trainable ones, the slices
 * that are the gradient of zero padding, and fused convolutions whose filter gradient is asked for
 * or not (lazyFusedConvolutionGradients.ts).
 */
function mobileNetCases(): DifferentialCase[] {
  const x = nhwc(2, 7, 6, 5, 'mixed');
  const perChannel = (seed: number, low: number, high: number) => tf.tensor1d(Array.from({ length: 5 }, (_, i) => low + ((seed * 7 + i * 3) % 10) * ((high - low) / 10)));
  const w = (shape: number[], seed: number) => tf.tensor(drawValues({ shape, kind: 'mixed' }, seed), shape);
  const cases: DifferentialCase[] = [];
  for (const kind of ['relu6', 'special', 'nan', 'ties'] as ValueKind[]) {
    const input = nhwc(2, 5, 4, 3, kind);
    const gradientsOnly = kind === 'nan';
    // With NaN, relu's output on WASM (0) is not cpu's (NaN), so the chain is compared without it.
    if (!gradientsOnly) cases.push({ name: `Keras ReLU(6): relu, clipByValue [0, 6], ${kind}`, inputs: [input], f: ([t]) => tf.clipByValue(tf.relu(t), 0, 6) });
    cases.push({ name: `clipByValue [-0.5, 6], ${kind}`, inputs: [input], f: ([t]) => tf.clipByValue(t, -0.5, 6), gradientsOnly });
    cases.push({ name: `relu6, ${kind}`, inputs: [input], f: ([t]) => tf.relu6(t), gradientsOnly });
  }
  cases.push({
    name: 'batchNorm with constant statistics (inference), x only',
    inputs: [x],
    f: ([t]) => tf.batchNorm(t, perChannel(1, -0.5, 0.5), perChannel(2, 0.5, 1.5), perChannel(3, -0.2, 0.2), perChannel(4, 0.5, 1.5), 1e-3),
    tolerance: LONG_SUM_TOLERANCE,
  });
  cases.push({
    name: 'batchNorm of a 2-D input, all five inputs',
    inputs: [{ shape: [6, 5], kind: 'mixed' }, { shape: [5], kind: 'mixed' }, { shape: [5], kind: 'positive' }, { shape: [5], kind: 'mixed' }, { shape: [5], kind: 'positive' }],
    f: ([t, mean, variance, offset, scale]) => tf.batchNorm(t, mean, variance, offset, scale, 1e-3),
    tolerance: LONG_SUM_TOLERANCE,
  });
  cases.push({
    name: 'batchNorm with constant statistics per position, x only',
    inputs: [nhwc(2, 3, 4, 5, 'mixed')],
    f: ([t]) => tf.batchNorm(t, w([3, 4, 5], 5), w([3, 4, 5], 6).abs().add(0.5), w([3, 4, 5], 7), w([3, 4, 5], 8).abs().add(0.5), 1e-3),
    tolerance: LONG_SUM_TOLERANCE,
  });
  const slices: Array<[number[], number[], number[]]> = [
    [[2, 7, 6, 5], [0, 0, 0, 0], [2, 6, 5, 5]],
    [[2, 7, 6, 5], [1, 2, 1, 0], [1, 3, 5, 5]],
    [[2, 7, 6, 5], [0, 1, 0, 1], [2, 6, 6, 3]],
    [[2, 7, 6, 5], [0, 0, 2, 0], [2, 7, 3, 5]],
    [[4, 9], [1, 2], [3, 5]],
    [[3, 4, 5], [0, 1, 0], [3, 2, 5]],
    [[2, 3, 4, 3, 2], [1, 0, 1, 0, 1], [1, 3, 2, 3, 1]],
  ];
  for (const [shape, begin, size] of slices) {
    cases.push({ name: `slice [${shape}] from [${begin}] size [${size}]`, inputs: [{ shape, kind: 'mixed' }], f: ([t]) => tf.slice(t, begin, size) });
  }
  cases.push({ name: 'ZeroPadding2D ((0, 1), (0, 1)), its gradient a slice', inputs: [nhwc(2, 6, 7, 3, 'mixed')], f: ([t]) => tf.pad(t, [[0, 0], [0, 1], [0, 1], [0, 0]]) });
  for (const [stride, pad] of [[1, 'same'], [2, 'same'], [2, 'valid'], [1, 'valid']] as Array<[number, Padding]>) {
    const at = `/ ${stride} ${pad}`;
    cases.push({
      name: `fused conv2d 3×3 ${at}, constant filter and bias (x only)`,
      inputs: [x],
      f: ([t]) => tf.fused.conv2d({ x: as4d(t), filter: w([3, 3, 5, 4], 11) as tf.Tensor4D, strides: stride, pad, bias: w([4], 12) }),
      tolerance: LONG_SUM_TOLERANCE,
    });
    cases.push({
      name: `fused conv2d 1×1 ${at}, no bias, filter and x`,
      inputs: [x, { shape: [1, 1, 5, 6], kind: 'mixed' }],
      f: ([t, filter]) => tf.fused.conv2d({ x: as4d(t), filter: as4d(filter), strides: stride, pad }),
      tolerance: LONG_SUM_TOLERANCE,
    });
    cases.push({
      name: `fused conv2d 2×2 ${at}, filter and bias`,
      inputs: [nhwc(1, 7, 6, 5, 'mixed'), { shape: [2, 2, 5, 3], kind: 'mixed' }, { shape: [3], kind: 'mixed' }],
      f: ([t, filter, bias]) => tf.fused.conv2d({ x: as4d(t), filter: as4d(filter), strides: stride, pad, bias }),
      tolerance: LONG_SUM_TOLERANCE,
    });
    cases.push({
      name: `fused depthwiseConv2d ×2 ${at}, constant filter (x only)`,
      inputs: [x],
      f: ([t]) => tf.fused.depthwiseConv2d({ x: as4d(t), filter: w([3, 3, 5, 2], 13) as tf.Tensor4D, strides: stride, pad }),
      tolerance: LONG_SUM_TOLERANCE,
    });
  }
  // One inverted residual block as Keras writes it, with constant weights: expand, BN, ReLU(6), pad, depthwise / 2, BN, ReLU(6), project, BN.
  cases.push({
    name: 'MobileNetV2 block: expand, batchNorm, ReLU(6), zero padding, depthwise / 2, batchNorm, ReLU(6), project, batchNorm',
    inputs: [nhwc(2, 8, 8, 5, 'mixed')],
    f: ([t]) => {
      const batchNorm = (v: tf.Tensor, channels: number, seed: number) =>
        tf.batchNorm(v, w([channels], seed).mul(0.1), w([channels], seed + 1).abs().add(0.5), w([channels], seed + 2).mul(0.1), w([channels], seed + 3).abs().add(0.5), 1e-3);
      const relu6 = (v: tf.Tensor) => tf.clipByValue(tf.relu(v), 0, 6);
      let v = relu6(batchNorm(tf.fused.conv2d({ x: as4d(t), filter: w([1, 1, 5, 30], 20) as tf.Tensor4D, strides: 1, pad: 'same' }), 30, 21));
      v = tf.pad(v, [[0, 0], [0, 1], [0, 1], [0, 0]]);
      v = relu6(batchNorm(tf.depthwiseConv2d(as4d(v), w([3, 3, 30, 1], 25) as tf.Tensor4D, 2, 'valid'), 30, 26));
      return batchNorm(tf.fused.conv2d({ x: as4d(v), filter: w([1, 1, 30, 8], 30) as tf.Tensor4D, strides: 1, pad: 'same' }), 8, 31);
    },
    tolerance: LONG_SUM_TOLERANCE,
  });
  return cases;
}

const SUITES: Array<[string, () => DifferentialCase[]]> = [
  ['pooling', poolingCases],
  ['convolutions', convolutionCases],
  ['activations', activationCases],
  ['arithmetic', arithmeticCases],
  ['reductions', reductionCases],
  ['layout and resizing', layoutCases],
  ['matMul', matMulCases],
  ['normalization', normalizationCases],
  ['MobileNet', mobileNetCases],
];

describe('WASM gradients against the cpu backend', function () {
  before(async function () {
    await useWasmBackend();
    registerMissingWasmGradientKernels();
  });

  it('max pooling sends a window’s gradient to its first maximum, all-negative and all-zero windows included', async function () {
    // The repro: windows all negative, all zero, with ties, ordinary.
    const x = [-3, -1, 0, 0, -2, -1, 0, 0, 5, 5, 1, 2, 5, 4, 3, 0];
    const dx = async (backend: string) => {
      await tf.setBackend(backend);
      const values = tf.tidy(() => tf.grad((t: tf.Tensor) => tf.sum(tf.maxPool(as4d(t), 2, 2, 'valid')))(tf.tensor4d(x, [1, 4, 4, 1])).dataSync());
      return Array.from(values);
    };
    const cpu = await dx('cpu');
    const wasm = await dx('wasm');
    assert.deepEqual(cpu, [0, 1, 1, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 1, 0], 'the oracle as TF and PyTorch give it');
    assert.deepEqual(wasm, cpu);
  });

  it('computes a fused convolution’s filter gradient only where it is asked for', async function () {
    const kernelsRun = async (f: () => tf.Tensor[]) => new Set((await tf.profile(() => tf.dispose(f()))).kernels.map((kernel) => kernel.name));
    const x = tf.randomUniform([2, 9, 9, 4], -1, 1, 'float32', 1) as tf.Tensor4D;
    const filter = tf.randomUniform([3, 3, 4, 5], -1, 1, 'float32', 2) as tf.Tensor4D;
    const depthwiseFilter = tf.randomUniform([3, 3, 4, 1], -1, 1, 'float32', 3) as tf.Tensor4D;
    const bias = tf.randomUniform([5], -1, 1, 'float32', 4);
    try {
      const conv = (input: tf.Tensor, w: tf.Tensor) => tf.fused.conv2d({ x: input as tf.Tensor4D, filter: w as tf.Tensor4D, strides: 2, pad: 'same', bias }).sum();
      const depthwise = (input: tf.Tensor, w: tf.Tensor) => tf.fused.depthwiseConv2d({ x: input as tf.Tensor4D, filter: w as tf.Tensor4D, strides: 1, pad: 'same' }).sum();
      const inputOnly = await kernelsRun(() => [tf.grad((input: tf.Tensor) => conv(input, filter))(x), tf.grad((input: tf.Tensor) => depthwise(input, depthwiseFilter))(x)]);
      assert.ok(inputOnly.has(tf.Conv2DBackpropInput) && inputOnly.has(tf.DepthwiseConv2dNativeBackpropInput), [...inputOnly].join());
      assert.ok(!inputOnly.has(tf.Conv2DBackpropFilter) && !inputOnly.has(tf.DepthwiseConv2dNativeBackpropFilter), [...inputOnly].join());
      const both = await kernelsRun(() => [...tf.grads((input: tf.Tensor, w: tf.Tensor) => conv(input, w))([x, filter]), ...tf.grads((input: tf.Tensor, w: tf.Tensor) => depthwise(input, w))([x, depthwiseFilter])]);
      assert.ok(both.has(tf.Conv2DBackpropFilter) && both.has(tf.DepthwiseConv2dNativeBackpropFilter), [...both].join());
    } finally {
      tf.dispose([x, filter, depthwiseFilter, bias]);
    }
  });

  for (const [suite, makeCases] of SUITES) {
    describe(suite, function () {
      for (const [index, testCase] of makeCases().entries()) {
        it(testCase.name, async function () {
          await assertMatchesCpu(testCase, 1 + index * 17);
        });
      }
    });
  }
});
