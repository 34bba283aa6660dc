// Reading and writing a float32 tensor's values from JavaScript without copies where the backend
// allows it. A `dataSync` on the WASM backend copies the values off its heap into a fresh array,
// and `tf.tensor(values)` copies them back; at 16 images of 64 × 64 × 3 that is 0.8 MB each way,
// and the fresh pages cost more than the copy (about 1 ms per array against 0.6 ms for the
// JavaScript work that reads or writes it). On WASM these work on the heap in place; elsewhere they
// fall back to `dataSync` and a new array.
import * as tf from '@tensorflow/tfjs';
import type { WasmHeapBackend } from './wasmHeap';

function wasmHeapBackend(): (tf.KernelBackend & WasmHeapBackend) | undefined {
  const backend = tf.backend() as tf.KernelBackend & Partial<WasmHeapBackend>;
  return tf.getBackend() === 'wasm' && typeof backend.typedArrayFromHeap === 'function' && typeof backend.makeOutput === 'function' ? (backend as tf.KernelBackend & WasmHeapBackend) : undefined;
}

/**
 * The tensor's values, for reading only: on WASM a view of its heap, valid until the next tensor is
 * allocated (the heap may grow, which replaces its buffer); elsewhere `dataSync`'s array, which
 * may be the backend's own.
 */
export function float32ValuesOf(tensor: tf.Tensor): Float32Array {
  if (tensor.dtype !== 'float32') throw new Error(`float32ValuesOf: a ${tensor.dtype} tensor`);
  const backend = wasmHeapBackend();
  return (backend ? backend.typedArrayFromHeap(tensor) : tensor.dataSync()) as Float32Array;
}

/**
 * A float32 tensor of `shape` whose values `fill` writes (every one of them: on WASM they start as
 * whatever the heap held). `fill` may read other tensors with float32ValuesOf, since nothing is
 * allocated after the output.
 */
export function float32TensorFilledBy<R extends tf.Rank>(shape: tf.ShapeMap[R], fill: (values: Float32Array) => void): tf.Tensor<R> {
  const backend = wasmHeapBackend();
  if (!backend) {
    const values = new Float32Array(shape.reduce((size: number, length: number) => size * length, 1));
    fill(values);
    return tf.tensor(values, shape, 'float32') as tf.Tensor<R>;
  }
  const info = backend.makeOutput(shape, 'float32');
  try {
    fill(backend.typedArrayFromHeap(info) as Float32Array);
  } catch (error) {
    backend.disposeData(info.dataId);
    throw error;
  }
  return tf.engine().makeTensorFromTensorInfo(info) as tf.Tensor<R>;
}
