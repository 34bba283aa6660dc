// The study notes' `model.summary()` for a graph model: its op nodes as the layers, grouped by name
// scope. A graph model's weights are constants, so none is trainable.
import { isSpatialShape } from '../../../shared/shapes';
import type { LayerInfo, ModelSummary } from '../../../shared/types';
import { choosePreprocess } from '../modelSummary';
import type { GraphNetwork, GraphNodeInfo } from './graphNetwork';

/** Ops that scale or shift the input by a constant: a model that starts with one rescales its own input (Keras' Rescaling). */
const RESCALING_OPS = new Set(['Mul', 'RealDiv', 'Sub', 'Add', 'AddV2']);

/** One float32 (batch, height, width, channels) output per image: a constant or a reshaped batch is not one. */
export function hasFeatureMaps(node: GraphNodeInfo): boolean {
  const batch = node.outputShape[0];
  return isSpatialShape(node.outputShape) && node.dtype === 'float32' && (batch === null || batch === 1);
}

function describeGraphNode(node: GraphNodeInfo, index: number): LayerInfo {
  return {
    index,
    name: node.name,
    depth: 0,
    className: node.op,
    outputShape: node.outputShape,
    paramCount: node.paramCount,
    trainableParamCount: 0,
    hasSpatialOutput: hasFeatureMaps(node),
    ...(node.config ? { config: node.config } : {}),
    group: node.group,
  };
}

/** Says so when every reader of the input scales it by a constant (a converted Rescaling layer). */
function graphInputScaling(network: GraphNetwork): string | undefined {
  const { graph } = network;
  const readers = graph.nodes.filter((node) => node.inputs.includes(graph.input.name));
  const rescales = (node: (typeof readers)[number]) =>
    RESCALING_OPS.has(node.op) && node.inputs.some((input) => graph.byName.get(input)?.op === 'Const');
  return readers.length > 0 && readers.every(rescales) ? `the input is scaled by a constant (${readers.map((node) => node.op).join(', ')}) first` : undefined;
}

export function summarizeGraphModel(network: GraphNetwork): ModelSummary {
  const layers = network.nodes.map(describeGraphNode);
  const preprocess = choosePreprocess(network.modelPath, layers, graphInputScaling(network));
  const totalParams = layers.reduce((sum, layer) => sum + layer.paramCount, 0);
  const outputs = network.graph.outputs.map((output) => network.nodes.find((node) => node.name === output.name)?.outputShape ?? []);
  return {
    modelPath: network.modelPath,
    modelName: network.name,
    inputShape: network.inputShape.slice(1),
    outputShape: outputs.length === 1 ? outputs[0] : outputs,
    layers,
    totalParams,
    trainableParams: 0,
    nonTrainableParams: totalParams,
    defaultPreprocess: preprocess.mode,
    preprocessReason: preprocess.reason,
    ...(network.notes.length > 0 ? { loadNotes: network.notes } : {}),
  };
}
