// Which graph nodes hold a convolution's feature map: the convolution op itself and the ops that
// only add a bias, normalise or activate its output after it (an unfused graph writes a Keras
// Conv2D layer as Conv2D → BiasAdd → Relu). Filter patterns accept these nodes; Grad-CAM's default
// target is the last of them.
import type { GraphDefinition, GraphNodeDef } from './graphDef';
import type { GraphNetwork } from './graphNetwork';

export const CONVOLUTION_OPS: ReadonlySet<string> = new Set(['Conv2D', '_FusedConv2D', 'DepthwiseConv2dNative', 'FusedDepthwiseConv2dNative']);
const ACTIVATION_OPS = new Set(['BiasAdd', 'Relu', 'Relu6', 'Elu', 'Selu', 'LeakyRelu', 'Prelu', 'FusedBatchNorm', 'FusedBatchNormV2', 'FusedBatchNormV3', 'Identity']);
/** Arithmetic that, with a constant, is a folded batch normalisation (x · scale + offset). */
const CONSTANT_ARITHMETIC_OPS = new Set(['Mul', 'Add', 'AddV2', 'Sub']);

/** True when `node` only adds to, scales or activates its first input's values, element by element. */
function followsElementwise(node: GraphNodeDef, graph: GraphDefinition): boolean {
  if (ACTIVATION_OPS.has(node.op)) return true;
  if (!CONSTANT_ARITHMETIC_OPS.has(node.op) || node.inputs.length !== 2) return false;
  const [first, second] = node.inputs.map((name) => graph.byName.get(name)!);
  // Swish: x · sigmoid(x).
  const isSwish = node.op === 'Mul' && second.op === 'Sigmoid' && second.inputs[0] === first.name;
  return second.op === 'Const' || isSwish;
}

/** The nodes that read `name`, among the listed ones. */
function readersOf(name: string, network: GraphNetwork): GraphNodeDef[] {
  const listed = new Set(network.nodes.map((node) => node.name));
  return network.graph.nodes.filter((node) => listed.has(node.name) && node.inputs.includes(name));
}

/** A convolution node and the nodes that follow it element by element, each the only reader of the one before. */
function convolutionChain(start: GraphNodeDef, network: GraphNetwork): GraphNodeDef[] {
  const chain = [start];
  for (;;) {
    const readers = readersOf(chain[chain.length - 1].name, network);
    // A swish reads its input twice (directly and through the Sigmoid): the Mul is the one that follows.
    const next = readers.filter((reader) => reader.op !== 'Sigmoid');
    if (next.length !== 1 || next[0].inputs[0] !== chain[chain.length - 1].name || !followsElementwise(next[0], network.graph)) return chain;
    chain.push(next[0]);
  }
}

/** Every node holding a convolution's feature map, in model order. */
export function convolutionOutputNodes(network: GraphNetwork): Set<string> {
  const names = new Set<string>();
  for (const node of network.graph.nodes) {
    if (!CONVOLUTION_OPS.has(node.op)) continue;
    for (const member of convolutionChain(node, network)) names.add(member.name);
  }
  return names;
}

/** The last convolution extended through what follows it (the study notes' `block5_conv3` after its activation), if there is a convolution. */
export function lastConvolutionOutput(network: GraphNetwork): string | undefined {
  const last = [...network.nodes].reverse().find((node) => CONVOLUTION_OPS.has(node.op));
  if (!last) return undefined;
  const chain = convolutionChain(network.graph.byName.get(last.name)!, network);
  return chain[chain.length - 1].name;
}
