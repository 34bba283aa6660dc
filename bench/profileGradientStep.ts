// `npm run bench:profile [-- --model M] [-- --layer L] [-- --size N] [-- --batch B] [-- --forward]
// [-- --runs R] [-- --threads T] [-- --backend wasm|cpu]`: where one gradient-ascent step spends its time, kernel by
// kernel. The step is the engine's (`chollet` preset): the gradient of each image's filter's mean
// activation at `layer` with respect to the input, on a batch of `batch` images of `size` pixels,
// through a benchmark model built in this process; --forward profiles the activations job's
// forward pass instead (every 4-D layer output of one image, read back). Kernels are timed by
// tf.profile (each kernel's own wall time; the WASM backend runs them synchronously), totalled by
// kernel name in each of `runs` profiled runs, and the median run of each total is reported (the
// machine is shared: single runs jump); kernels that run others inside them (the fast paths, the
// cpu ones borrowed by runOnCpu) count as one. Custom ops (TF.js's
// `…__op` scopes, such as the fused convolutions) are listed apart: their time includes that of
// the kernels they run, which are in the table already.
import * as tf from '@tensorflow/tfjs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { initializeBackend } from '../src/engine/tfjs/backend';
import { buildBenchModel, type BenchModelName } from './benchModels';

const WASM_DIRECTORY = path.join(__dirname, '..', 'dist', 'wasm');

interface KernelTotal {
  calls: number;
  ms: number;
  /** The output shape of the slowest call. */
  slowestShape: number[];
  slowestMs: number;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted.length === 0 ? 0 : sorted[Math.floor(sorted.length / 2)];
}

function gradientStep(subModel: tf.LayersModel, pixels: tf.Tensor4D, mask: tf.Tensor4D): tf.Tensor4D {
  return tf.tidy(() => {
    const scores = (x: tf.Tensor) => {
      const output = subModel.apply(tf.div(x, 255)) as tf.Tensor4D;
      return tf.div(tf.sum(tf.mul(output, mask), [1, 2, 3]), output.shape[1] * output.shape[2]).sum();
    };
    const gradient = tf.grad(scores)(pixels) as tf.Tensor4D;
    const rms = gradient.square().mean([1, 2, 3], true).sqrt();
    return gradient.div(rms.add(1e-5));
  });
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      model: { type: 'string', default: 'mobilenetV2Alpha100' },
      layer: { type: 'string', default: 'block_3_expand' },
      size: { type: 'string', default: '224' },
      batch: { type: 'string', default: '16' },
      backend: { type: 'string', default: 'wasm' },
      runs: { type: 'string', default: '5' },
      top: { type: 'string', default: '20' },
      forward: { type: 'boolean', default: false },
      threads: { type: 'string' },
    },
  });
  const size = Number(values.size);
  const batch = values.forward ? 1 : Number(values.batch);
  const runs = Number(values.runs);
  const selection = await initializeBackend(values.backend as 'wasm' | 'cpu', { wasmDirectory: WASM_DIRECTORY, wasmThreads: values.threads ? Number(values.threads) : undefined });
  const model = buildBenchModel(values.model as BenchModelName);
  const layer = model.getLayer(values.layer);
  const subModel = tf.model({ inputs: model.inputs, outputs: layer.output as tf.SymbolicTensor });
  const filterCount = (layer.outputShape as number[])[3];
  const mask = tf.tidy(() => tf.oneHot(tf.tensor1d(Array.from({ length: batch }, (_, i) => i % filterCount), 'int32'), filterCount).reshape([batch, 1, 1, filterCount]) as tf.Tensor4D);
  const pixels = tf.tidy(() => tf.randomUniform([batch, size, size, 3], 128, 148, 'float32', 1) as tf.Tensor4D);
  const everyActivation = tf.model({ inputs: model.inputs, outputs: model.layers.slice(1).filter((each) => (each.outputShape as number[]).length === 4).map((each) => each.output as tf.SymbolicTensor) });
  const forward = () => {
    const outputs = tf.tidy(() => everyActivation.predict(tf.div(pixels, 127.5).sub(1)) as tf.Tensor[]);
    for (const output of outputs) output.dataSync();
    tf.dispose(outputs);
  };
  const step = values.forward ? forward : () => tf.dispose(gradientStep(subModel, pixels, mask));
  const tensorsBefore = tf.memory().numTensors;

  // Warm-up: XNNPACK operators are created and the heap grows on the first run.
  step();
  const wallMs: number[] = [];
  const kernelTotals = new Map<string, KernelTotal>();
  const customOps = new Map<string, KernelTotal>();
  const runTotals = new Map<string, number[]>();
  for (let run = 0; run < runs; run++) {
    const started = performance.now();
    const profile = await tf.profile(step);
    wallMs.push(performance.now() - started);
    const thisRun = new Map<string, number>();
    for (const kernel of profile.kernels) {
      const totals = kernel.name.endsWith('__op') ? customOps : kernelTotals;
      const ms = typeof kernel.kernelTimeMs === 'number' ? kernel.kernelTimeMs : NaN;
      const total = totals.get(kernel.name) ?? { calls: 0, ms: 0, slowestShape: [], slowestMs: -1 };
      if (run === 0) total.calls++;
      if (ms > total.slowestMs) [total.slowestMs, total.slowestShape] = [ms, kernel.outputShapes[0] ?? []];
      totals.set(kernel.name, total);
      thisRun.set(kernel.name, (thisRun.get(kernel.name) ?? 0) + ms);
    }
    for (const [name, ms] of thisRun) runTotals.set(name, [...(runTotals.get(name) ?? []), ms]);
  }
  for (const [name, total] of [...kernelTotals, ...customOps]) total.ms = median(runTotals.get(name) ?? []);
  const leaked = tf.memory().numTensors - tensorsBefore;
  const profiledMs = [...kernelTotals.values()].reduce((sum, total) => sum + total.ms, 0);
  const rows = [...kernelTotals.entries()].sort((a, b) => b[1].ms - a[1].ms).slice(0, Number(values.top));
  const what = values.forward ? 'forward pass, every 4-D activation read back, 1 image' : `gradient step → ${values.layer}, ${batch} images`;
  const threads = selection.backend === 'wasm' ? `, ${values.threads ?? 'default'} threads` : '';
  console.log(`${values.model}: ${what} of ${size}×${size}, ${selection.backend}${threads}${selection.notes.length ? ` (${selection.notes.join('; ')})` : ''}`);
  console.log(`${runs} profiled runs: ${wallMs.map((ms) => ms.toFixed(0)).join(' / ')} ms wall (median ${median(wallMs).toFixed(0)}); kernels ${profiledMs.toFixed(0)} ms (medians) in ${[...kernelTotals.values()].reduce((sum, total) => sum + total.calls, 0)} calls`);
  console.log('| kernel | calls | ms (median run) | share | slowest call (output shape) |');
  console.log('| --- | --- | --- | --- | --- |');
  for (const [name, total] of rows) {
    console.log(`| ${name} | ${total.calls} | ${total.ms.toFixed(1)} | ${((100 * total.ms) / profiledMs).toFixed(1)}% | ${total.slowestMs.toFixed(1)} ms [${total.slowestShape.join(', ')}] |`);
  }
  for (const [name, total] of customOps) console.log(`custom op ${name}: ${total.calls} calls, ${total.ms.toFixed(1)} ms with the kernels it ran`);
  tf.dispose([pixels, mask]);
  model.dispose();
  console.log(`load average ${os.loadavg().map((load) => load.toFixed(2)).join(' ')}; tensors left by the steps: ${leaked === 0 ? 'none' : leaked}`);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
