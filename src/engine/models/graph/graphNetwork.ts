// A loaded TF.js graph model with what the jobs need to know of its op nodes, and the one way they
// run it: fed at the image input (and, for Grad-CAM, at one node), asked for named nodes' outputs.
import type * as tf from '@tensorflow/tfjs';
import type { LayerConfig, Shape } from '../../../shared/types';
import type { GraphDefinition } from './graphDef';
import { explainRunFailure } from './graphFailures';

export interface GraphNodeInfo {
  name: string;
  /** The TensorFlow op, e.g. `_FusedConv2D`: what a layers model calls the layer's class. */
  op: string;
  /** The node's name scope below the scope every node shares ('' for nodes at that level). */
  group: string;
  /** Measured on the image input; `null` where it changes with the batch or a free input size. */
  outputShape: Shape;
  dtype: tf.DataType;
  /** Weights (floating-point constants) read by this node and not counted at a node before it. */
  paramCount: number;
  config?: LayerConfig;
}

/** TF.js' model, built from memory. */
export type LoadedGraphModel = tf.GraphModel<tf.io.IOHandlerSync>;

export interface GraphNetwork {
  model: LoadedGraphModel;
  modelPath: string;
  /** The scope every node shares (Keras' model name, e.g. `sequential_1`), else the model's folder name. */
  name: string;
  graph: GraphDefinition;
  /** The image input's shape as the file declares it, batch included. */
  inputShape: Shape;
  /** The op nodes the outputs depend on, each after the nodes it reads. */
  nodes: GraphNodeInfo[];
  /** What the user should know about how the file was read (quantized weights). */
  notes: string[];
  /** Input sizes ("height×width") every node's output has been bounded for (see graphOutputSizes.ts). */
  checkedInputSizes: Set<string>;
}

/**
 * Runs the graph on `input` (a batch of preprocessed images) and returns the named nodes' outputs;
 * `feeds` replace nodes' outputs by given tensors (the rest of the graph runs as defined). Failures
 * are InputErrors naming the node and op.
 */
export function runGraph(network: GraphNetwork, input: tf.Tensor, outputs: string[], feeds: tf.NamedTensorMap = {}): tf.Tensor[] {
  try {
    const result = network.model.execute({ [network.graph.input.name]: input, ...feeds }, outputs);
    return Array.isArray(result) ? result : [result];
  } catch (error) {
    throw explainRunFailure(error, network.graph.nodes, network.modelPath);
  }
}

export function findGraphNode(network: GraphNetwork, name: string): GraphNodeInfo | undefined {
  return network.nodes.find((node) => node.name === name);
}
