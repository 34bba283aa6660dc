// Every graph node's output size, bounded before the node runs. A graph model states no output
// shapes, and a few bytes can ask for an enormous tensor: a Tile whose multiples are 12 bytes, a
// Pad or a resize to a huge constant size, a convolution with an explicit padding of 65536. TF.js
// allocates whatever a node asks for, and on WASM a tensor of an impossible size exhausts or
// corrupts the heap instead of failing. So the graph is run here one node at a time, on a blank
// image of the size a job uses: before each node runs, its output is bounded from its actual
// inputs (their shapes, and the values of the small integer tensors that size an output), and a
// node over the limit is refused, named, before it allocates anything.
import * as tf from '@tensorflow/tfjs';
import { InputError, describeError } from '../../../shared/errors';
import { MAX_OUTPUT_ELEMENTS_PER_IMAGE } from '../../../shared/defaults';
import { ancestorsOf, nodeNameOf, opNodesInOrder, outputIndexOf, type GraphAttr, type GraphNodeDef } from './graphDef';
import { explainRunFailure } from './graphFailures';
import type { GraphNetwork } from './graphNetwork';

const product = (values: readonly number[]) => values.reduce((a, b) => a * b, 1);
const sizeOf = (tensor: tf.Tensor | undefined) => (tensor ? tensor.size : 0);

/** Values of a small tensor that sizes an output (multiples, paddings, a target size); undefined for a large or missing one. */
function valuesOf(tensor: tf.Tensor | undefined): number[] | undefined {
  if (!tensor || tensor.size > 4096 || tensor.dtype === 'string' || tensor.dtype === 'complex64') return undefined;
  return Array.from(tensor.dataSync() as ArrayLike<number>, (value) => Math.abs(Number(value)));
}

/** Values of an integer list attribute (strides, explicit_paddings). */
function listAttr(attr: GraphAttr | undefined): number[] {
  const values = attr?.list?.i;
  return Array.isArray(values) ? values.map((value) => Math.abs(Number(value))) : [];
}

function textAttr(attr: GraphAttr | undefined): string | undefined {
  return typeof attr?.s === 'string' ? Buffer.from(attr.s, 'base64').toString('utf8') : undefined;
}

/** The largest shape every input fits in, dimensions aligned from the last: bounds element-wise ops with broadcasting, and any op that only rearranges or reduces. */
function broadcastBound(inputs: (tf.Tensor | undefined)[]): number {
  return broadcastShapesBound(inputs.filter((tensor): tensor is tf.Tensor => tensor !== undefined).map((tensor) => tensor.shape));
}

function broadcastShapesBound(shapes: number[][]): number {
  const rank = Math.max(0, ...shapes.map((shape) => shape.length));
  const dims = Array.from({ length: rank }, (_, i) => Math.max(1, ...shapes.map((shape) => shape[shape.length - rank + i] ?? 1)));
  return product(dims);
}

/** Sliding-window ops: output ≤ batch × Π ceil((side + explicit padding) / stride) × output channels. */
function windowBound(node: GraphNodeDef, input: tf.Tensor, outputChannels: number): number {
  const shape = input.shape;
  const channelsFirst = (textAttr(node.attr.data_format) ?? 'NHWC').startsWith('NC');
  const spatial = channelsFirst ? shape.slice(2) : shape.slice(1, -1);
  const offset = channelsFirst ? 2 : 1;
  const strides = listAttr(node.attr.strides);
  const paddings = textAttr(node.attr.padding) === 'EXPLICIT' ? listAttr(node.attr.explicit_paddings) : [];
  const sides = spatial.map((side, i) => {
    const padding = (paddings[2 * (i + offset)] ?? 0) + (paddings[2 * (i + offset) + 1] ?? 0);
    return Math.ceil((side + padding) / Math.max(1, strides[i + offset] ?? 1));
  });
  return shape[0] * product(sides) * outputChannels;
}

function channelsOf(node: GraphNodeDef, input: tf.Tensor): number {
  const channelsFirst = (textAttr(node.attr.data_format) ?? 'NHWC').startsWith('NC');
  return input.shape[channelsFirst ? 1 : input.shape.length - 1] ?? 1;
}

function matMulBound(node: GraphNodeDef, a: tf.Tensor, b: tf.Tensor): number {
  const transposeA = node.attr.transpose_a?.b === true || node.attr.adj_x?.b === true;
  const transposeB = node.attr.transpose_b?.b === true || node.attr.adj_y?.b === true;
  const rows = a.shape[a.rank - (transposeA ? 1 : 2)] ?? 1;
  const columns = b.shape[b.rank - (transposeB ? 2 : 1)] ?? 1;
  return broadcastShapesBound([a.shape.slice(0, -2), b.shape.slice(0, -2)]) * rows * columns;
}

/** Output dimensions of an einsum equation ("ab,bc->ac"), each label sized by the inputs; "..." by the largest leading dimensions. */
function einsumBound(node: GraphNodeDef, inputs: tf.Tensor[]): number {
  const equation = (textAttr(node.attr.equation) ?? '').replace(/\s/g, '');
  const [lhs, rhs] = equation.split('->');
  if (lhs === undefined || rhs === undefined) return product(inputs.map((input) => input.size));
  const sizes = new Map<string, number>();
  let ellipsis = 1;
  lhs.split(',').forEach((labels, i) => {
    const shape = inputs[i]?.shape ?? [];
    const explicit = labels.replace('...', '');
    const leading = shape.length - explicit.length;
    if (labels.includes('...')) ellipsis = Math.max(ellipsis, product(shape.slice(0, Math.max(0, leading))));
    const start = labels.startsWith('...') ? leading : 0;
    [...explicit].forEach((label, j) => sizes.set(label, Math.max(sizes.get(label) ?? 1, shape[start + j] ?? 1)));
  });
  return (rhs.includes('...') ? ellipsis : 1) * product([...rhs.replace('...', '')].map((label) => sizes.get(label) ?? 1));
}

/**
 * An upper bound on the elements of `node`'s outputs, from its inputs as they are (aligned with
 * `node.inputRefs`). Ops that can output more than their inputs have a rule each; every other op
 * (element-wise, reductions, reshapes, slices) outputs no more than its inputs broadcast together.
 */
export function outputElementsBound(node: GraphNodeDef, inputs: (tf.Tensor | undefined)[]): number {
  const [first, second, third, fourth] = inputs;
  const shapeFrom = (values: number[] | undefined) => (values ? product(values) : Infinity);
  switch (node.op) {
    case 'Tile': {
      const multiples = valuesOf(second);
      return first && multiples ? first.size * product(multiples) : Infinity;
    }
    case 'Pad':
    case 'PadV2':
    case 'MirrorPad':
    case 'SpaceToBatchND': {
      const paddings = valuesOf(node.op === 'SpaceToBatchND' ? third : second);
      if (!first || !paddings) return Infinity;
      const offset = node.op === 'SpaceToBatchND' ? 1 : 0;
      return product(first.shape.map((dim, i) => dim + (i >= offset ? (paddings[2 * (i - offset)] ?? 0) + (paddings[2 * (i - offset) + 1] ?? 0) : 0)));
    }
    case 'ResizeBilinear':
    case 'ResizeNearestNeighbor': {
      const size = valuesOf(second);
      return first && size ? (first.shape[0] ?? 1) * product(size) * (first.shape[3] ?? 1) : Infinity;
    }
    case 'CropAndResize': {
      const crop = valuesOf(fourth);
      return first && second && crop ? (second.shape[0] ?? 1) * product(crop) * (first.shape[3] ?? 1) : Infinity;
    }
    case 'ImageProjectiveTransformV3': {
      const size = valuesOf(third);
      return first && size ? (first.shape[0] ?? 1) * product(size) * (first.shape[3] ?? 1) : Infinity;
    }
    case 'Conv1D':
    case 'Conv2D':
    case '_FusedConv2D':
    case 'Conv3D':
      return first && second ? windowBound(node, first, second.shape[second.rank - 1] ?? 1) : Infinity;
    case 'DepthwiseConv2d':
    case 'DepthwiseConv2dNative':
    case 'FusedDepthwiseConv2dNative':
      return first && second ? windowBound(node, first, channelsOf(node, first) * (second.shape[second.rank - 1] ?? 1)) : Infinity;
    case 'AvgPool':
    case 'MaxPool':
    case 'MaxPoolWithArgmax':
    case 'AvgPool3D':
    case 'MaxPool3D':
    case 'Dilation2D':
      return first ? windowBound(node, first, channelsOf(node, first)) * (node.op === 'MaxPoolWithArgmax' ? 2 : 1) : Infinity;
    case 'Conv2DBackpropInput':
      return shapeFrom(valuesOf(first));
    case 'MatMul':
    case '_FusedMatMul':
    case 'BatchMatMul':
    case 'BatchMatMulV2':
      return first && second ? Math.max(matMulBound(node, first, second), broadcastBound(inputs.slice(2))) : Infinity;
    case 'Einsum':
      return inputs.every(Boolean) ? einsumBound(node, inputs as tf.Tensor[]) : Infinity;
    case 'Concat':
    case 'ConcatV2':
    case 'Pack':
      return inputs.reduce((sum, input) => sum + sizeOf(input), 0);
    case 'Gather':
    case 'GatherV2': {
      if (!first || !second) return Infinity;
      // The axis may count from the end; an axis out of range bounds by the whole of `params`.
      const signed = node.op === 'GatherV2' && third && third.size === 1 ? Number((third.dataSync() as ArrayLike<number>)[0]) : 0;
      const axis = signed < 0 ? first.rank + signed : signed;
      return second.size * (first.size / Math.max(1, first.shape[axis] ?? 1));
    }
    case 'GatherNd': {
      if (!first || !second) return Infinity;
      const depth = second.shape[second.rank - 1] ?? 0;
      return (second.size / Math.max(1, depth)) * product(first.shape.slice(depth));
    }
    case 'Fill':
    case 'Ones':
    case 'Zeros':
    case 'RandomUniform':
    case 'RandomUniformInt':
    case 'RandomStandardNormal':
    case 'TruncatedNormal':
      return shapeFrom(valuesOf(first));
    case 'BroadcastTo': {
      const shape = valuesOf(second);
      return first && shape ? Math.max(product(shape), broadcastBound([first])) : Infinity;
    }
    case 'Range': {
      const [start, limit, delta] = [first, second, third].map((tensor) => valuesOf(tensor)?.[0]);
      if (start === undefined || limit === undefined || !delta) return Infinity;
      return Math.ceil((start + limit) / delta) + 1;
    }
    case 'LinSpace':
      return valuesOf(third)?.[0] ?? Infinity;
    case 'OneHot': {
      const depth = valuesOf(second)?.[0];
      return first && depth !== undefined ? first.size * depth : Infinity;
    }
    case 'Multinomial': {
      const samples = valuesOf(second)?.[0];
      return first && samples !== undefined ? (first.shape[0] ?? 1) * samples : Infinity;
    }
    case 'Bincount':
      return valuesOf(second)?.[0] ?? Infinity;
    case 'DenseBincount': {
      const size = valuesOf(second)?.[0];
      return first && size !== undefined ? (first.rank > 1 ? (first.shape[0] ?? 1) : 1) * size : Infinity;
    }
    case 'ScatterNd':
      return shapeFrom(valuesOf(third));
    case 'SparseToDense':
      return shapeFrom(valuesOf(second));
    case 'Where':
      return first ? first.size * Math.max(1, first.rank) : Infinity;
    case 'RFFT':
    case 'IRFFT': {
      // The transform's length is an input: the last dimension becomes it (or its half and one).
      const length = valuesOf(second)?.[0];
      if (!first || length === undefined) return Infinity;
      const rows = first.size / Math.max(1, first.shape[first.rank - 1] ?? 1);
      return 2 * rows * (node.op === 'RFFT' ? Math.floor(length / 2) + 1 : length);
    }
    default:
      return broadcastBound(inputs);
  }
}

/** What one guarded run measured: each listed node's output shape and dtype. */
export interface MeasuredNode {
  shape: number[];
  dtype: tf.DataType;
}

/**
 * Runs the graph on a blank image of `inputShape` (batch first) one node at a time, refusing a
 * node whose output would pass the limit per image before it runs, and returns the measured
 * outputs of the op nodes `names` asks for (the graph's op nodes, in order, when omitted; only the
 * nodes those depend on are run). Every tensor made here is disposed before it returns or throws.
 */
export function runGraphGuarded(network: GraphNetwork, inputShape: number[], names?: string[]): Map<string, MeasuredNode> {
  const { graph, model, modelPath } = network;
  const weights = model.weights as Record<string, tf.Tensor[]>;
  const wanted = names ? ancestorsOf(names.map((name) => graph.byName.get(name)!), graph.byName) : undefined;
  const order = opNodesInOrder(graph, new Set(Object.keys(weights)), modelPath).filter((node) => !wanted || wanted.has(node.name));
  // Which outputs of each node its readers take (the first always, to measure it), and how often
  // each node's outputs are still to be fed: they are disposed once the last run fed them is done.
  const indicesRead = new Map<string, Set<number>>();
  const readsLeft = new Map<string, number>();
  const fed = new Map(order.map((node) => [node.name, fedNodes(node, network)]));
  for (const node of order) {
    for (const reference of node.inputRefs) indicesRead.set(nodeNameOf(reference), (indicesRead.get(nodeNameOf(reference)) ?? new Set([0])).add(outputIndexOf(reference)));
    for (const name of fed.get(node.name)!) readsLeft.set(name, (readsLeft.get(name) ?? 0) + 1);
  }
  const outputs = new Map<string, tf.Tensor[]>();
  const batch = inputShape[0] || 1;
  const input = tf.zeros(inputShape);
  const measured = new Map<string, MeasuredNode>();
  const tensorFor = (reference: string): tf.Tensor | undefined => {
    const name = nodeNameOf(reference);
    if (name === graph.input.name) return input;
    return (outputs.get(name) ?? weights[name])?.[outputIndexOf(reference)];
  };
  try {
    for (const node of order) {
      const inputs = node.inputRefs.map(tensorFor);
      const bound = outputElementsBound(node, inputs) / batch;
      if (!(bound <= MAX_OUTPUT_ELEMENTS_PER_IMAGE)) {
        const size = inputShape.slice(1, -1).join('×');
        const told = Number.isFinite(bound) ? `up to ${bound.toExponential(2)} values per image` : 'an output of a size it cannot state';
        throw new InputError(modelPath, `graph node "${node.name}" (op ${node.op}) would output ${told} for a ${size} input, over the limit of ${MAX_OUTPUT_ELEMENTS_PER_IMAGE}`);
      }
      const result = runNode(network, node, input, tensorFor, [...(indicesRead.get(node.name) ?? [0])].sort((a, b) => a - b));
      outputs.set(node.name, result);
      measured.set(node.name, { shape: [...(result[0]?.shape ?? [])], dtype: result[0]?.dtype ?? 'float32' });
      for (const read of fed.get(node.name)!) {
        const left = (readsLeft.get(read) ?? 1) - 1;
        readsLeft.set(read, left);
        if (left <= 0 && outputs.has(read)) {
          tf.dispose(outputs.get(read));
          outputs.delete(read);
        }
      }
    }
    return measured;
  } finally {
    input.dispose();
    for (const tensors of outputs.values()) tf.dispose(tensors);
  }
}

/** Whether a producer's output comes from elsewhere than a run: the image input, a constant or a weight. */
function isSource(producer: GraphNodeDef, network: GraphNetwork): boolean {
  return producer.name === network.graph.input.name || producer.op === 'Const' || (network.model.weights as Record<string, unknown>)[producer.name] !== undefined;
}

/** The nodes a node's run is fed the outputs of: its inputs, but for one it reads two outputs of, that one's own inputs (see runNode). */
function fedNodes(node: GraphNodeDef, network: GraphNetwork, depth = 0): string[] {
  const names: string[] = [];
  for (const name of new Set(node.inputs)) {
    const producer = network.graph.byName.get(name)!;
    if (isSource(producer, network)) continue;
    const indices = new Set(node.inputRefs.filter((reference) => nodeNameOf(reference) === name).map(outputIndexOf));
    if (indices.size > 1 && depth < 8) names.push(...fedNodes(producer, network, depth + 1));
    else names.push(name);
  }
  return names;
}

/**
 * Runs one node with its inputs fed as they are, returning the outputs its readers take, by index.
 * TF.js keeps one fed output per node, and checks a fed value against its node's dtype attribute
 * (which a comparison's bool output does not match): a producer fed two outputs of, or refused
 * as fed, is run again inside this node's run from its own inputs instead (it was bounded when it ran).
 */
function runNode(network: GraphNetwork, node: GraphNodeDef, input: tf.Tensor, tensorFor: (reference: string) => tf.Tensor | undefined, outputIndices: number[]): tf.Tensor[] {
  const { graph } = network;
  const rerun = new Set<string>();
  for (;;) {
    const feeds: Record<string, tf.Tensor> = { [graph.input.name]: input };
    const feed = (reader: GraphNodeDef, depth: number) => {
      const indicesRead = new Map<string, Set<number>>();
      for (const reference of reader.inputRefs) {
        const name = nodeNameOf(reference);
        indicesRead.set(name, (indicesRead.get(name) ?? new Set()).add(outputIndexOf(reference)));
      }
      for (const reference of reader.inputRefs) {
        const producer = graph.byName.get(nodeNameOf(reference))!;
        if (isSource(producer, network)) continue;
        if ((indicesRead.get(producer.name)!.size > 1 || rerun.has(producer.name)) && depth < 8) feed(producer, depth + 1);
        else {
          const tensor = tensorFor(reference);
          if (tensor) feeds[`${producer.name}:${outputIndexOf(reference)}`] = tensor;
        }
      }
    };
    feed(node, 0);
    try {
      const result = tf.tidy(() => network.model.execute(feeds, outputIndices.map((index) => `${node.name}:${index}`)));
      const list = Array.isArray(result) ? result : [result];
      const byIndex: tf.Tensor[] = [];
      outputIndices.forEach((index, i) => (byIndex[index] = list[i]));
      return byIndex;
    } catch (error) {
      const refusedFeed = /dict\['([^']+)'\] provided in model\.execute\(dict\)/.exec(describeError(error))?.[1];
      if (refusedFeed !== undefined && graph.byName.has(refusedFeed) && !rerun.has(refusedFeed) && rerun.size < 16) {
        rerun.add(refusedFeed);
        continue;
      }
      throw explainRunFailure(error, graph.nodes, network.modelPath);
    }
  }
}
