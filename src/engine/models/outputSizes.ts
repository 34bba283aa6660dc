// The output-size check a job runs before it gives a model an input: every layer's or graph
// node's output, for the input's real height and width, must stay within the per-image limit.
import * as tf from '@tensorflow/tfjs';
import type { GraphNetwork } from './graph/graphNetwork';
import { runGraphGuarded } from './graph/graphOutputSizes';
import { checkLayerOutputSizes } from './layers/layerOutputSizes';

/**
 * Refuses the model (an InputError naming the layer or node) when an image of `imageShape`
 * ([height, width, channels]) would make any layer or node output more than the per-image limit.
 * `target` limits the check to what runs on the way to that layer or node (filter patterns).
 * A graph is checked by a guarded run on a blank image, once per input size.
 */
export function checkOutputSizesForInput(model: tf.LayersModel | GraphNetwork, modelPath: string, imageShape: [number, number, number], target?: string): void {
  const [height, width, channels] = imageShape;
  if (model instanceof tf.LayersModel) {
    checkLayerOutputSizes(model, modelPath, [1, height, width, channels]);
    return;
  }
  // A node the graph lacks is the caller's to name: running the whole graph instead would fail on
  // a size only the layers after the node cannot take.
  if (target !== undefined && !model.graph.byName.has(target)) return;
  const size = `${height}×${width}`;
  if (model.checkedInputSizes.has(size) || (target !== undefined && model.checkedInputSizes.has(`${size}→${target}`))) return;
  runGraphGuarded(model, [1, height, width, channels], target !== undefined ? [target] : undefined);
  model.checkedInputSizes.add(target !== undefined ? `${size}→${target}` : size);
}
