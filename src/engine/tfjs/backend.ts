// Chooses the TensorFlow.js backend: native libtensorflow (tfjs-node, optional), else WASM, else
// the pure-JS cpu backend. tfjs-node is an optionalDependency that often fails to install, so its
// absence is normal and never an error.
import * as tf from '@tensorflow/tfjs';
import { setThreadsCount, setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import { existsSync } from 'node:fs';
import path from 'node:path';
import type { BackendName, BackendPreference } from '../../shared/types';
import { installTfjsPatches } from './installTfjsPatches';
import { defaultWasmThreadCount, startWithPthreads } from './wasmThreads';

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
  /** Threads of the WASM backend's convolutions; default: the cores available, at most 8. 1: the single-threaded build. */
  wasmThreads?: number;
}

const SINGLE_THREADED_BUILD = 'tfjs-backend-wasm-simd.wasm';
const THREADED_BUILD = 'tfjs-backend-wasm-threaded-simd.wasm';
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

async function setBackend(name: BackendName): Promise<void> {
  const ok = await tf.setBackend(name);
  if (!ok) throw new Error(`TensorFlow.js could not start the ${name} backend`);
  await tf.ready();
}

/** The threaded SIMD build where more than one thread is asked for, else (or when it fails to start) the single-threaded one. */
async function startWasmBackend(wasmDirectory: string, threads: number, notes: string[]): Promise<void> {
  setWasmPaths(path.resolve(wasmDirectory) + path.sep);
  // Checked here because Emscripten reports a missing build by aborting, with traces on stderr.
  const missing = (build: string) => !existsSync(path.join(wasmDirectory, build));
  if (missing(SINGLE_THREADED_BUILD)) throw new Error(`${path.join(wasmDirectory, SINGLE_THREADED_BUILD)} is missing`);
  if (threads > 1 && missing(THREADED_BUILD)) {
    notes.push(`threaded WASM unavailable, using one thread: ${path.join(wasmDirectory, THREADED_BUILD)} is missing`);
  } else if (threads > 1) {
    setThreadsCount(threads);
    tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', true);
    try {
      await startWithPthreads(threads, () => setBackend('wasm'));
      return;
    } catch (error) {
      notes.push(`threaded WASM unavailable, using one thread: ${error instanceof Error ? error.message.split('\n')[0] : String(error)}`);
    }
  }
  tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', false);
  await setBackend('wasm');
}

async function tryBackend(name: BackendName, options: BackendOptions, notes: string[]): Promise<void> {
  if (name === 'wasm') return startWasmBackend(options.wasmDirectory, options.wasmThreads ?? defaultWasmThreadCount(), notes);
  if (name === 'tensorflow') {
    if (options.allowNative === false) throw new Error('native backends are disabled in this workspace');
    loadNativeBackend();
  }
  await setBackend(name);
}

export async function initializeBackend(preference: BackendPreference, options: BackendOptions): Promise<BackendSelection> {
  installTfjsPatches();
  const candidates = preference === 'auto' ? FALLBACK_ORDER : [preference, ...FALLBACK_ORDER.filter((b) => b !== preference)];
  const notes: string[] = [];
  for (const candidate of candidates) {
    try {
      await tryBackend(candidate, options, notes);
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
