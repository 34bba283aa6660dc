// A training term that keeps the example model's class evidence on the shape: the share of the
// class heatmap's positive mass that falls in cells whose centre lies outside the shape's
// bounding box. The heatmap is Grad-CAM's with the class probability as the score (the viewer's
// default): for global average pooling and a softmax head, the channel weights are proportional
// to W_c − Σ_j p_j W_j, so the heatmap is differentiable in closed form during training.
import * as tf from '@tensorflow/tfjs';
import type { BoundingBox } from './shapesDataset';

/** [count, cells, cells]: 1 where a cell's centre lies outside the image's bounding box. */
export function outsideBoxMasks(boxes: BoundingBox[], imageSize: number, cells: number): tf.Tensor3D {
  const cellSize = imageSize / cells;
  const values = new Float32Array(boxes.length * cells * cells);
  boxes.forEach((box, image) => {
    for (let row = 0; row < cells; row++) {
      for (let column = 0; column < cells; column++) {
        // The pixel a resized heatmap peaks at: the first of the two around the cell's centre.
        const x = Math.floor((column + 0.5) * cellSize - 0.5);
        const y = Math.floor((row + 0.5) * cellSize - 0.5);
        const inside = x >= box.x && x < box.x + box.width && y >= box.y && y < box.y + box.height;
        values[(image * cells + row) * cells + column] = inside ? 0 : 1;
      }
    }
  });
  return tf.tensor3d(values, [boxes.length, cells, cells]);
}

/**
 * Mean over the batch of the heatmap mass outside the box, as a share of the heatmap's mass.
 * `features`: the last convolution's output [batch, h, w, channels]; `kernel`: the Dense head's
 * [channels, classes]; `labels` one-hot, `probabilities` the softmax output.
 */
export function heatmapMassOutsideBox(features: tf.Tensor4D, kernel: tf.Tensor2D, labels: tf.Tensor2D, probabilities: tf.Tensor2D, outside: tf.Tensor3D): tf.Scalar {
  return tf.tidy(() => {
    const classWeights = tf.matMul(labels, kernel, false, true);
    const averageWeights = tf.matMul(probabilities, kernel, false, true);
    const weights = tf.sub(classWeights, averageWeights).expandDims(1).expandDims(1);
    const heatmap = tf.relu(tf.sum(tf.mul(features, weights), -1));
    const outsideMass = tf.sum(tf.mul(heatmap, outside), [1, 2]);
    const totalMass = tf.add(tf.sum(heatmap, [1, 2]), 1e-6);
    return tf.mean(tf.div(outsideMass, totalMass)) as tf.Scalar;
  });
}
