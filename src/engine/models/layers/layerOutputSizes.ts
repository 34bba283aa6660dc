// Every layer's output size for the input a job really gives the model, before the model runs.
// TF.js computes output shapes from the config with free (`None`) dimensions left free, so a model
// that takes any image size says nothing about how large its layers get for a 224×224 image, and a
// tensor of an impossible size corrupts the WASM backend's memory instead of failing. Here the
// model's graph is walked as TF.js' own Container.computeOutputShape walks it, with the real shape,
// and every layer's output (nested models' layers included) is checked against the limit.
import * as tf from '@tensorflow/tfjs';
import { InputError } from '../../../shared/errors';
import { MAX_OUTPUT_ELEMENTS_PER_IMAGE } from '../../../shared/defaults';

type Shape = (number | null)[];

/** Elements per image of a shape whose first dimension is the batch. */
function elementsPerImage(shape: Shape): number {
  return shape.slice(1).reduce<number>((product, dim) => product * (dim ?? 1), 1);
}

const asShapeList = (shapes: Shape | Shape[]): Shape[] => (Array.isArray(shapes[0]) || shapes.length === 0 ? (shapes as Shape[]) : [shapes as Shape]);

/**
 * Refuses the model when a layer's output for an input of `inputShape` (batch first) would hold
 * more than MAX_OUTPUT_ELEMENTS_PER_IMAGE values per image, naming the layer and the input size.
 * A layer whose shape TF.js cannot compute for this input is left to fail when it runs (with
 * TF.js' message), and the layers after it are not checked.
 */
export function checkLayerOutputSizes(model: tf.LayersModel, file: string, inputShape: number[]): void {
  const refuse = (layer: tf.layers.Layer, shape: Shape) => {
    const elements = elementsPerImage(shape);
    if (elements > MAX_OUTPUT_ELEMENTS_PER_IMAGE) {
      throw new InputError(
        file,
        `layer "${layer.name}" would output ${elements.toExponential(2)} values per image ${JSON.stringify(shape)} for a ${inputShape.slice(1, -1).join('×')} input, over the limit of ${MAX_OUTPUT_ELEMENTS_PER_IMAGE}`,
      );
    }
  };
  walkContainer(model, [inputShape], refuse);
}

/** The container's output shapes for the given input shapes; undefined where one cannot be computed. */
function walkContainer(container: tf.LayersModel, inputShapes: Shape[], check: (layer: tf.layers.Layer, shape: Shape) => void): (Shape | undefined)[] {
  const shapes = new Map<string, Shape | undefined>();
  const key = (layer: tf.layers.Layer, nodeIndex: number, tensorIndex: number) => `${layer.name}_${nodeIndex}_${tensorIndex}`;
  container.inputLayers.forEach((layer, i) => shapes.set(key(layer, 0, 0), inputShapes[i]));
  const inputLayerIds = new Set(container.inputLayers.map((layer) => layer.id));
  const depths = Object.keys(container.nodesByDepth)
    .map(Number)
    .sort((a, b) => b - a);
  for (const depth of depths) {
    for (const node of container.nodesByDepth[depth]) {
      const layer = node.outboundLayer;
      if (inputLayerIds.has(layer.id)) continue;
      const inputs = node.inboundLayers.map((inbound, j) => shapes.get(key(inbound, node.nodeIndices[j], node.tensorIndices[j])));
      const nodeIndex = layer.inboundNodes.indexOf(node);
      let outputs: (Shape | undefined)[];
      if (inputs.some((shape) => shape === undefined)) outputs = [undefined];
      else if (layer instanceof tf.LayersModel) outputs = walkContainer(layer, inputs as Shape[], check);
      else {
        try {
          outputs = asShapeList(layer.computeOutputShape(inputs.length === 1 ? inputs[0]! : (inputs as Shape[])) as Shape | Shape[]);
        } catch {
          outputs = [undefined];
        }
      }
      outputs.forEach((shape, j) => {
        if (shape !== undefined) check(layer, shape);
        shapes.set(key(layer, nodeIndex, j), shape);
      });
    }
  }
  return container.outputLayers.map((layer, i) => shapes.get(key(layer, container.outputLayersNodeIndices[i], container.outputLayersTensorIndices[i])));
}
