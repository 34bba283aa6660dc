// The example CNN: four 3×3 convolutions, the first three followed by max pooling, then global
// pooling and a softmax.
// Explicit Keras-style layer names keep the layer list readable in the viewer; every initialiser
// has its own seed so the untrained weights, and hence training, are reproducible.
import * as tf from '@tensorflow/tfjs';
import { BASE_IMAGE_SIZE, SHAPE_CLASSES } from './shapesDataset';

const CONV_FILTERS = [16, 32, 64, 64];

/**
 * `average` is the model that ships: global average pooling makes the last convolution's maps
 * class evidence over the whole image, which is what Grad-CAM heatmaps show. `max` has the same
 * weights and learns much faster from scratch, so training starts with it (see the training script).
 */
export type GlobalPooling = 'average' | 'max';

export function buildShapesModel(seed: number, pooling: GlobalPooling): tf.Sequential {
  const model = tf.sequential({ name: 'shapes_cnn' });
  CONV_FILTERS.forEach((filters, i) => {
    model.add(
      tf.layers.conv2d({
        name: `conv2d_${i + 1}`,
        ...(i === 0 ? { inputShape: [BASE_IMAGE_SIZE, BASE_IMAGE_SIZE, 3] } : {}),
        filters,
        kernelSize: 3,
        padding: 'same',
        activation: 'relu',
        kernelInitializer: tf.initializers.heNormal({ seed: seed + i }),
      }),
    );
    // No pooling after the last convolution: its 8×8 maps feed Grad-CAM and the global pooling.
    if (i < CONV_FILTERS.length - 1) {
      model.add(tf.layers.maxPooling2d({ name: `max_pooling2d_${i + 1}`, poolSize: 2 }));
    }
  });
  model.add(
    pooling === 'average'
      ? tf.layers.globalAveragePooling2d({ name: 'global_average_pooling2d' })
      : tf.layers.globalMaxPooling2d({ name: 'global_max_pooling2d' }),
  );
  model.add(
    tf.layers.dense({
      name: 'predictions',
      units: SHAPE_CLASSES.length,
      activation: 'softmax',
      kernelInitializer: tf.initializers.glorotUniform({ seed: seed + CONV_FILTERS.length }),
    }),
  );
  centerFirstLayerFilters(model);
  return model;
}

/**
 * Inputs are 0..1, not zero-centred, so freshly initialised first-layer filters mostly respond to
 * the (random) background colour. Zero-mean filters respond to edges instead from the start,
 * which shortens the plateau at the beginning of training.
 */
function centerFirstLayerFilters(model: tf.Sequential): void {
  const firstConv = model.getLayer('conv2d_1');
  tf.tidy(() => {
    const [kernel, bias] = firstConv.getWeights();
    firstConv.setWeights([kernel.sub(kernel.mean([0, 1, 2], true)), bias]);
  });
}
