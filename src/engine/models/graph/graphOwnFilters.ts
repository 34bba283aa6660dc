// A graph model's convolution node as a convolution whose images each meet only their own filter
// (../ownFilterConvolution.ts): a plain Conv2D node, or a _FusedConv2D whose fused ops are a bias and
// at most a ReLU or ReLU6 (what the converter writes for a Keras Conv2D), channels last.
import * as tf from '@tensorflow/tfjs';
import { skipIdentities } from './graphDef';
import { decoded, spatialPair, text } from './graphNodeConfig';
import { runGraph, type GraphNetwork } from './graphNetwork';
import { ownFilterLayer, type OwnFilterLayer } from '../ownFilterConvolution';

/** The fused activations followed here, as the ops the layers run (redirected ReLU gradients replace theirs). */
const ACTIVATIONS = new Map<string, (x: tf.Tensor) => tf.Tensor>([
  ['none', (x) => x],
  ['Relu', (x) => tf.relu(x)],
  ['Relu6', (x) => tf.relu6(x)],
]);

/** For such a node; undefined for any other. */
export function graphOwnFilters(network: GraphNetwork, nodeName: string): ((filters: number[]) => OwnFilterLayer) | undefined {
  const node = network.graph.byName.get(nodeName);
  if (!node || (node.op !== 'Conv2D' && node.op !== '_FusedConv2D')) return undefined;
  const fusedOps = (node.attr.fused_ops?.list?.s ?? []).map(decoded);
  if (node.op === '_FusedConv2D' && (fusedOps[0] !== 'BiasAdd' || fusedOps.length > 2 || Number(node.attr.num_args?.i ?? 1) !== 1)) return undefined;
  const activation = ACTIVATIONS.get(fusedOps[1] ?? 'none');
  const padding = text(node.attr.padding);
  if (!activation || (text(node.attr.data_format) ?? 'NHWC') !== 'NHWC' || (padding !== 'SAME' && padding !== 'VALID')) return undefined;
  const kernel = weightOf(network, node.inputs[1]);
  const bias = node.op === '_FusedConv2D' ? weightOf(network, node.inputs[2]) : undefined;
  if (kernel?.rank !== 4 || (node.op === '_FusedConv2D' && bias?.rank !== 1)) return undefined;
  const inputRef = node.inputRefs[0];
  const readsImage = skipIdentities(network.graph.byName.get(node.inputs[0])!, network.graph).name === network.graph.input.name;
  return (filters) =>
    ownFilterLayer(
      {
        toInput: (input) => (readsImage ? input : runGraph(network, input, [inputRef])[0]),
        kernel: { full: kernel as tf.Tensor4D },
        bias: bias as tf.Tensor1D | undefined,
        strides: (spatialPair(node.attr.strides) ?? [1, 1]) as [number, number],
        padding: padding === 'SAME' ? 'same' : 'valid',
        dilations: (spatialPair(node.attr.dilations) ?? [1, 1]) as [number, number],
        activation,
      },
      filters,
    );
}

/** The weight behind a node input, through Identity nodes. */
function weightOf(network: GraphNetwork, name: string | undefined): tf.Tensor | undefined {
  const node = name === undefined ? undefined : network.graph.byName.get(name);
  return node && network.model.weights[skipIdentities(node, network.graph).name]?.[0];
}
