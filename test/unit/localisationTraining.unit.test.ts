// The example model's localisation term: which heatmap cells count as outside a shape's box, and
// the share of heatmap mass there, against a direct computation of Grad-CAM's map in the test.
import * as tf from '@tensorflow/tfjs';
import assert from 'node:assert/strict';
import { heatmapMassOutsideBox, outsideBoxMasks } from '../../scripts/example-data/localisationTraining';

describe('example model localisation term', function () {
  it('marks the cells whose centre pixel lies outside the box', function () {
    // 16 px in 4 cells of 4 px: centre pixels 1, 5, 9, 13. The box covers x 4–11, y 0–5.
    const masks = outsideBoxMasks([{ x: 4, y: 0, width: 8, height: 6 }], 16, 4);
    assert.deepEqual(masks.arraySync(), [
      [
        [1, 0, 0, 1],
        [1, 0, 0, 1],
        [1, 1, 1, 1],
        [1, 1, 1, 1],
      ],
    ]);
    masks.dispose();
  });

  it('is the share of the class heatmap outside the box, with Grad-CAM’s weights W_c − Σ p_j W_j', function () {
    const features = tf.tensor4d([1, 0, 2, 0, 0, 3, 0, 1], [1, 2, 2, 2]);
    const kernel = tf.tensor2d([2, -1, 1, 1], [2, 2]);
    const labels = tf.tensor2d([[1, 0]]);
    const probabilities = tf.tensor2d([[0.75, 0.25]]);
    const outside = tf.tensor3d([[[0, 1], [1, 0]]]);
    const share = heatmapMassOutsideBox(features, kernel, labels, probabilities, outside).dataSync()[0];
    // Channel weights: W_0 − (0.75 W_0 + 0.25 W_1) = 0.25 (W_0 − W_1) = 0.25 × [3, 0].
    // Cells (channel 0 × 0.75): [0.75, 1.5, 0, 0] after ReLU; outside cells 1 and 2 hold 1.5 of 2.25.
    assert.ok(Math.abs(share - 1.5 / 2.25) < 1e-6, `share ${share}`);
    tf.dispose([features, kernel, labels, probabilities, outside]);
  });
});
