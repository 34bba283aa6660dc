// Chooses the TensorFlow.js backend: native libtensorflow (tfjs-node, optional), else WASM, else
// the pure-JS cpu backend. tfjs-node is an optionalDependency that often fails to install, so its
// absence is normal and never an error.
import * as tf from '@tensorflow/tfjs';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import path from 'node:path';
import type { BackendName, BackendPreference } from './types';

export interface BackendSelection {
  backend: BackendName;
  /** Why the preferred backend was not used, for the output channel / CLI stderr. */
  notes: string[];
}

export interface BackendOptions {
  /** Folder holding tfjs-backend-wasm's .wasm files (dist/wasm in the build). */
  wasmDirectory: string;
  /** False where loading native code is not allowed (e.g. an untrusted workspace). */
  allowNative?: boolean;
}

const FALLBACK_ORDER: readonly BackendName[] = ['tensorflow', 'wasm', 'cpu'];

let nativeLoadAttempted = false;

function loadNativeBackend(): void {
  if (!nativeLoadAttempted) {
    nativeLoadAttempted = true;
    // Registers the 'tensorflow' backend on the shared @tensorflow/tfjs instance.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    require('@tensorflow/tfjs-node');
  }
  if (!tf.findBackendFactory('tensorflow')) throw new Error('@tensorflow/tfjs-node registered no backend');
}

function registerWasmBackend(wasmDirectory: string): void {
  // In Node the threaded build would need Web Workers; the single-threaded SIMD build is used.
  tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', false);
  setWasmPaths(path.resolve(wasmDirectory) + path.sep);
}

async function tryBackend(name: BackendName, options: BackendOptions): Promise<void> {
  if (name === 'tensorflow') {
    if (options.allowNative === false) throw new Error('native backends are disabled in this workspace');
    loadNativeBackend();
  } else if (name === 'wasm') {
    registerWasmBackend(options.wasmDirectory);
  }
  const ok = await tf.setBackend(name);
  if (!ok) throw new Error(`TensorFlow.js could not start the ${name} backend`);
  await tf.ready();
}

export async function initializeBackend(preference: BackendPreference, options: BackendOptions): Promise<BackendSelection> {
  const candidates = preference === 'auto' ? FALLBACK_ORDER : [preference, ...FALLBACK_ORDER.filter((b) => b !== preference)];
  const notes: string[] = [];
  for (const candidate of candidates) {
    try {
      await tryBackend(candidate, options);
      return { backend: candidate, notes };
    } catch (error) {
      const reason = error instanceof Error ? error.message.split('\n')[0] : String(error);
      notes.push(`${candidate} backend unavailable: ${reason}`);
    }
  }
  throw new Error(`No TensorFlow.js backend could start:\n${notes.join('\n')}`);
}

export function currentBackend(): BackendName {
  return tf.getBackend() as BackendName;
}
