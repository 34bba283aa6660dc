// What the engine worker holds: live tensors, the process's resident set, the worker's heap and the
// WASM backend's linear memory, for telling a leak from a steady state over a long session.
import * as tf from '@tensorflow/tfjs';
import type { EngineMemory } from '../shared/engineProtocol';

/** The Emscripten module behind the WASM backend; its HEAPU8 is replaced whenever the memory grows. */
interface WasmBackendLike {
  wasm?: { HEAPU8?: Uint8Array };
}

function wasmHeapBytes(): number | undefined {
  if (tf.getBackend() !== 'wasm') return undefined;
  return (tf.backend() as WasmBackendLike).wasm?.HEAPU8?.buffer.byteLength;
}

export function measureEngineMemory(): EngineMemory {
  const tensors = tf.memory();
  const usage = process.memoryUsage();
  return {
    tensors: tensors.numTensors,
    tensorBytes: tensors.numBytes,
    rssBytes: usage.rss,
    // maxRSS is in kibibytes.
    peakRssBytes: process.resourceUsage().maxRSS * 1024,
    heapUsedBytes: usage.heapUsed,
    wasmHeapBytes: wasmHeapBytes(),
  };
}
