// Rows of zeros with a 1 at each index. tf.oneHot refuses a depth of 1 ("depth must be >=2"), which
// a convolution with a single filter or channel is; these rows are built from a buffer instead.
import * as tf from '@tensorflow/tfjs';

/** [indices.length, depth], float32: row i is 1 at column indices[i], 0 elsewhere. */
export function oneHotRows(indices: readonly number[], depth: number): tf.Tensor2D {
  const values = new Float32Array(indices.length * depth);
  indices.forEach((index, row) => {
    if (!(Number.isInteger(index) && index >= 0 && index < depth)) throw new RangeError(`index ${index} is outside 0–${depth - 1}`);
    values[row * depth + index] = 1;
  });
  return tf.tensor2d(values, [indices.length, depth]);
}
