// What gradient ascent needs of a graph model: the graph from its input to one node, run on a
// batch of images of any size, and a check that gradients flow back through it.
import * as tf from '@tensorflow/tfjs';
import type { Shape } from '../../../shared/types';
import { ancestorsOf } from './graphDef';
import { withGradientsExplained } from './graphFailures';
import { runGraph, type GraphNetwork } from './graphNetwork';
import { graphOwnFilters } from './graphOwnFilters';
import type { OwnFilterLayer } from '../ownFilterConvolution';

export interface GraphPatternPath {
  apply(input: tf.Tensor): tf.Tensor;
  /**
   * The node's output shape for an input of `inputShape` (batch included), from one differentiated
   * run on a blank image: an op without a gradient on the way is an InputError naming it.
   */
  computeOutputShape(inputShape: number[]): number[];
  /** The measured output shapes of the nodes on the way. */
  shapesOnTheWay(): Shape[];
  /** Where the node is a convolution that can compute each image's own filter alone (see graphOwnFilters). */
  ownFilters?(filters: number[]): OwnFilterLayer;
}

export function graphPatternPath(network: GraphNetwork, nodeName: string): GraphPatternPath {
  const onTheWay = ancestorsOf([network.graph.byName.get(nodeName)!], network.graph.byName);
  const apply = (input: tf.Tensor) => runGraph(network, input, [nodeName])[0];
  const ownFilters = graphOwnFilters(network, nodeName);
  return {
    apply,
    computeOutputShape: (inputShape) =>
      tf.tidy(() => {
        let shape: number[] = [];
        const meanOutput = (input: tf.Tensor) => {
          const output = apply(input);
          shape = output.shape;
          return tf.mean(output);
        };
        withGradientsExplained(() => tf.grad(meanOutput)(tf.zeros(inputShape)), {
          nodes: network.graph.nodes,
          what: 'filter patterns',
          unreachable: `node "${nodeName}" does not depend on the model's input`,
          modelPath: network.modelPath,
        });
        return shape;
      }),
    shapesOnTheWay: () => network.nodes.filter((node) => onTheWay.has(node.name)).map((node) => node.outputShape),
    ...(ownFilters ? { ownFilters } : {}),
  };
}
