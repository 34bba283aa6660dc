// What the WASM fast paths use of TF.js's WASM backend: tensors allocated on its heap and read or
// written there in place, with no copy.
import type * as tf from '@tensorflow/tfjs';

export interface WasmHeapBackend {
  makeOutput(shape: number[], dtype: tf.DataType): tf.TensorInfo;
  /** A view of the tensor's values on the heap; taken again after any allocation, which may grow the heap. */
  typedArrayFromHeap(info: tf.TensorInfo): tf.backend_util.TypedArray;
  disposeData(dataId: tf.DataId): boolean;
  /** One more owner of the tensor's values (freed when the last one disposes of them). */
  incRef(dataId: tf.DataId): void;
}
