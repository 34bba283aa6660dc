// Picks the fastest TF.js backend available for training without tfjs-node.
import * as tf from '@tensorflow/tfjs';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import path from 'node:path';
import { registerWasmTrainingKernels } from './wasmTrainingKernels';

/** WASM (XNNPACK) when it starts, else the pure-JS 'cpu' backend. Returns the backend in use. */
export async function useTrainingBackend(): Promise<string> {
  // Node has no SharedArrayBuffer-backed worker threads for the threaded WASM build.
  tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', false);
  setWasmPaths(path.resolve('node_modules/@tensorflow/tfjs-backend-wasm/dist') + path.sep);
  try {
    if (await tf.setBackend('wasm')) {
      registerWasmTrainingKernels();
      return tf.getBackend();
    }
  } catch (error) {
    console.warn(`WASM backend unavailable (${(error as Error).message}); training on 'cpu'.`);
  }
  await tf.setBackend('cpu');
  return tf.getBackend();
}
