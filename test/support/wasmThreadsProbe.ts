// Child process of wasmThreads.unit.test.ts: starts the WASM backend with the thread count given,
// runs a small convnet forward and backward, prints the pool's size and the values as JSON, and
// must then exit by itself (the pthread pool may not keep a finished process alive).
import * as tf from '@tensorflow/tfjs';
import { getThreadsCount } from '@tensorflow/tfjs-backend-wasm';
import { initializeBackend } from '../../src/engine/tfjs/backend';
import { mulberry32 } from '../../src/engine/seededRandom';
import { WASM_DIRECTORY } from './engineFixtures';

function seeded(shape: number[], seed: number): tf.Tensor {
  const random = mulberry32(seed);
  return tf.tensor(Float32Array.from({ length: shape.reduce((a, b) => a * b) }, () => random() * 2 - 1), shape);
}

async function main(): Promise<void> {
  const selection = await initializeBackend('wasm', { wasmDirectory: WASM_DIRECTORY, wasmThreads: Number(process.argv[2]) });
  const [forward, gradient] = tf.tidy(() => {
    const x = seeded([2, 32, 32, 8], 1) as tf.Tensor4D;
    const w1 = seeded([3, 3, 8, 16], 2) as tf.Tensor4D;
    const w2 = seeded([3, 3, 16, 16], 3) as tf.Tensor4D;
    const net = (input: tf.Tensor4D) => tf.conv2d(tf.maxPool(tf.relu(tf.conv2d(input, w1, 1, 'same')), 2, 2, 'valid'), w2, 1, 'same');
    return [net(x), tf.grad((input: tf.Tensor) => net(input as tf.Tensor4D).square().sum())(x)];
  });
  const values = { forward: Array.from(await forward.data()), gradient: Array.from(await gradient.data()) };
  tf.dispose([forward, gradient]);
  console.log(JSON.stringify({ backend: selection.backend, notes: selection.notes, threads: getThreadsCount(), tensors: tf.memory().numTensors, ...values }));
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
