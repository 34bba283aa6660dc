// The backend the example model trains on: the engine's own WASM set-up (its kernel fixes and fast
// gradients, each checked against the cpu backend by test/unit/wasmGradientKernels.unit.test.ts),
// or the pure-JS 'cpu' backend where WASM cannot start.
import path from 'node:path';
import { initializeBackend } from '../../src/engine/tfjs/backend';

/** Returns the backend in use, after printing why a preferred one was not used. */
export async function useTrainingBackend(): Promise<string> {
  const selection = await initializeBackend('wasm', {
    wasmDirectory: path.resolve('node_modules/@tensorflow/tfjs-backend-wasm/dist'),
    allowNative: false,
  });
  for (const note of selection.notes) console.warn(note);
  return selection.backend;
}
