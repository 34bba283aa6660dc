// Opens a TF.js graph model.json: the GraphDef is checked, the weight shards are read through the
// same confined, size-checked reader as a layers model's, and TF.js builds the model from memory
// (decoding float16 and uint8/uint16-quantized weights to float32 as the manifest says). The model
// is then run on blank images to measure every node's output and to find ops TF.js cannot run.
import * as tf from '@tensorflow/tfjs';
import path from 'node:path';
import { InputError, describeError } from '../../../shared/errors';
import { readWeightData, type ModelJson } from '../layers/layersModelLoader';
import type { Shape } from '../../../shared/types';
import { parseWeightsManifest, type WeightSpec } from '../weightsManifest';
import { nameScopeOf, opNodesInOrder, parseGraphDef, shapeOf, skipIdentities, type GraphDefinition, type GraphNodeDef } from './graphDef';
import { constShape, graphNodeConfig, isFloatConst } from './graphNodeConfig';
import type { GraphNetwork, GraphNodeInfo, LoadedGraphModel } from './graphNetwork';
import { runGraphGuarded } from './graphOutputSizes';
import type { ModelFileLimits } from '../../../shared/types';

/** Side of the blank image for measuring outputs when the input's height or width is free, and a second side to see which dimensions follow it. */
const FREE_SIZE_PROBES = [224, 192] as const;

export async function loadGraphModelFromJson(modelPath: string, json: ModelJson, limits: ModelFileLimits): Promise<GraphNetwork> {
  const graph = parseGraphDef(json.modelTopology, json.signature, modelPath);
  const groups = parseWeightsManifest(json.weightsManifest, modelPath);
  const specs = groups.flatMap((group) => group.weights);
  checkWeightNames(graph, specs, modelPath);
  const weightData = await readWeightData(modelPath, groups, limits);
  const declaredInput = shapeOf(graph.input.attr.shape?.shape)!;
  const model = buildGraphModel(
    {
      modelTopology: withFreeInputSize(json.modelTopology as { node: unknown[] }, graph.input),
      weightSpecs: specs as tf.io.WeightsManifestEntry[],
      weightData,
      format: 'graph-model',
      signature: json.signature as object | undefined,
      modelInitializer: json.modelInitializer as object | undefined,
    },
    modelPath,
  );
  const network: GraphNetwork = { model, modelPath, name: '', graph, inputShape: declaredInput, nodes: [], notes: quantizationNotes(specs), checkedInputSizes: new Set() };
  try {
    const opNodes = opNodesInOrder(graph, new Set(specs.map((spec) => spec.name)), modelPath);
    const measured = measureOutputs(network, opNodes.map((node) => node.name));
    const scope = sharedScope(opNodes);
    const paramCounts = countParams(opNodes, graph);
    network.name = scope.split('/').pop() || path.basename(path.dirname(modelPath));
    network.nodes = opNodes.map((node, i) => ({
      name: node.name,
      op: node.op,
      group: relativeScope(nameScopeOf(node.name), scope),
      outputShape: measured[i].shape,
      dtype: measured[i].dtype,
      paramCount: paramCounts[i],
      ...configEntry(node, graph),
    }));
    return network;
  } catch (error) {
    model.dispose();
    throw error;
  }
}

/**
 * TF.js builds the model from memory, decoding the weights first: when it then fails on the graph,
 * the weights it decoded have no owner, so they are made in a scope that frees them then.
 */
function buildGraphModel(artifacts: tf.io.ModelArtifacts, modelPath: string): LoadedGraphModel {
  const engine = tf.engine();
  let model: LoadedGraphModel | undefined;
  engine.startScope();
  try {
    model = tf.loadGraphModelSync(artifacts);
    return model;
  } catch (error) {
    throw new InputError(modelPath, `TF.js could not build the graph model from it: ${describeError(error).split('\n')[0]}`, { cause: error });
  } finally {
    engine.endScope(model ? Object.values(model.weights).flat() : undefined);
  }
}

/**
 * Every constant must be in the manifest, once: TF.js would otherwise fail deep inside a run, or
 * keep only the last of two weights of one name and never free the first.
 */
function checkWeightNames(graph: GraphDefinition, specs: WeightSpec[], modelPath: string): void {
  const weightNames = new Set<string>();
  for (const spec of specs) {
    if (weightNames.has(spec.name)) throw new InputError(modelPath, `"weightsManifest" names the weight "${spec.name}" twice`);
    weightNames.add(spec.name);
  }
  const missing = graph.nodes.find((node) => node.op === 'Const' && !weightNames.has(node.name) && node.attr.value?.tensor?.tensorShape !== undefined);
  if (missing) throw new InputError(modelPath, `graph node "${missing.name}" is a constant with no entry in "weightsManifest"`);
}

/**
 * The topology with the image input's height and width free (the file is not changed): gradient
 * ascent optimises images of any size, and TF.js refuses inputs that differ from a fixed shape.
 */
function withFreeInputSize(topology: { node: unknown[] }, input: GraphNodeDef): object {
  const dims = input.attr.shape!.shape!.dim!;
  const freed = { ...input.attr.shape, shape: { ...input.attr.shape!.shape, dim: dims.map((dim, i) => (i === 1 || i === 2 ? { size: '-1' } : dim)) } };
  const node = topology.node.map((raw) => ((raw as { name: string }).name === input.name ? { ...(raw as object), attr: { ...input.attr, shape: freed } } : raw));
  return { ...topology, node };
}

function quantizationNotes(specs: WeightSpec[]): string[] {
  const byDtype = new Map<string, number>();
  for (const spec of specs) {
    const dtype = spec.quantization?.dtype;
    if (dtype) byDtype.set(dtype, (byDtype.get(dtype) ?? 0) + 1);
  }
  return [...byDtype].map(([dtype, count]) => `${count} weight${count === 1 ? ' is' : 's are'} stored as ${dtype} (quantized) and computed with as float32`);
}

interface MeasuredOutput {
  shape: Shape;
  dtype: tf.DataType;
}

/**
 * Every node's output on blank images: two runs, at batch 1 and (where the input allows) batch 2 and
 * another size, so that dimensions which follow the batch or a free input size are shown as null.
 * Each run goes node by node, each node's output bounded before it runs (graphOutputSizes.ts).
 */
function measureOutputs(network: GraphNetwork, names: string[]): MeasuredOutput[] {
  const [batch, height, width, channels] = network.inputShape;
  const first = [1, height ?? FREE_SIZE_PROBES[0], width ?? FREE_SIZE_PROBES[0], channels!];
  const second = [batch ?? 2, height ?? FREE_SIZE_PROBES[1], width ?? FREE_SIZE_PROBES[1], channels!];
  const a = runOnBlank(network, first, names);
  const b = first.every((dim, i) => dim === second[i]) ? a : runOnBlank(network, second, names);
  return a.map((output, i) => {
    const other = b[i].shape;
    const shape = output.shape.map((dim, d) => (other.length === output.shape.length && other[d] !== dim ? null : dim));
    return { shape, dtype: output.dtype };
  });
}

function runOnBlank(network: GraphNetwork, shape: number[], names: string[]): MeasuredOutput[] {
  const measured = runGraphGuarded(network, shape);
  network.checkedInputSizes.add(`${shape[1]}×${shape[2]}`);
  return names.map((name) => measured.get(name) ?? { shape: [], dtype: 'float32' });
}

/** The longest name scope shared by every node that has one (nodes at the top level, such as the output's Identity, aside). */
function sharedScope(nodes: GraphNodeDef[]): string {
  const scopes = nodes.map((node) => nameScopeOf(node.name)).filter((scope) => scope !== '');
  if (scopes.length === 0) return '';
  let shared = scopes[0].split('/');
  for (const scope of scopes.slice(1)) {
    const parts = scope.split('/');
    let n = 0;
    while (n < shared.length && n < parts.length && shared[n] === parts[n]) n++;
    shared = shared.slice(0, n);
  }
  return shared.join('/');
}

function relativeScope(scope: string, shared: string): string {
  if (shared === '' || scope === '') return scope;
  return scope === shared ? '' : scope.startsWith(`${shared}/`) ? scope.slice(shared.length + 1) : scope;
}

/** The constant behind an input, through Identity nodes (older frozen graphs read weights that way). */
function constantBehind(name: string | undefined, graph: GraphDefinition): GraphNodeDef | undefined {
  const node = name === undefined ? undefined : skipIdentities(graph.byName.get(name)!, graph);
  return node?.op === 'Const' ? node : undefined;
}

/** Each node's weights: the floating-point constants it reads, each counted once, at its first reader. */
function countParams(nodes: GraphNodeDef[], graph: GraphDefinition): number[] {
  const counted = new Set<string>();
  return nodes.map((node) => {
    let count = 0;
    for (const input of node.inputs) {
      const constant = constantBehind(input, graph);
      if (!constant || !isFloatConst(constant) || counted.has(constant.name)) continue;
      counted.add(constant.name);
      count += (constShape(constant) ?? []).reduce((product, dim) => product * dim, 1);
    }
    return count;
  });
}

function configEntry(node: GraphNodeDef, graph: GraphDefinition): Pick<GraphNodeInfo, 'config'> {
  const config = graphNodeConfig(node, (inputIndex) => {
    const constant = constantBehind(node.inputs[inputIndex], graph);
    return constant ? constShape(constant) : undefined;
  });
  return config ? { config } : {};
}
