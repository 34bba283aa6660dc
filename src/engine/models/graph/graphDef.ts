// A TF.js graph model's `modelTopology` (a TensorFlow GraphDef as JSON), checked before TF.js sees
// it: its op nodes, how they connect, the image input and the outputs. Pure data, no tensors.
import { InputError } from '../../../shared/errors';
import { checkNodeAttributes } from './graphAttrChecks';
import type { Shape } from '../../../shared/types';

export interface GraphNodeDef {
  name: string;
  op: string;
  /** Names of the nodes whose first or other outputs this node reads (control inputs left out). */
  inputs: string[];
  /** The same inputs as the file writes them (`node`, `node:1`), naming which output of each is read. */
  inputRefs: string[];
  attr: Record<string, GraphAttr>;
}

/** One attribute value as the converter writes it (only the fields read here). */
export interface GraphAttr {
  s?: string;
  i?: string | number;
  f?: number;
  b?: boolean;
  type?: string;
  shape?: GraphShape;
  list?: { s?: string[]; i?: (string | number)[] };
  tensor?: { dtype?: string; tensorShape?: GraphShape };
}

interface GraphShape {
  dim?: { size?: string | number }[];
  unknownRank?: boolean;
}

export interface GraphDefinition {
  /** Every node, in the file's order. */
  nodes: GraphNodeDef[];
  byName: Map<string, GraphNodeDef>;
  /** The one Placeholder the outputs depend on: the image input. */
  input: GraphNodeDef;
  /** The nodes whose values the model returns, in signature order. */
  outputs: GraphNodeDef[];
}

/** Larger input sides are taken as a damaged file, not an image model (blank images of that size are run on load). */
const MAX_INPUT_SIDE = 8192;

interface Signature {
  inputs?: Record<string, { name?: unknown }>;
  outputs?: Record<string, { name?: unknown }>;
}

/** Which output of its node a reference reads: `node` and `node:0` the first, `node:1` the second, `node:output:2` the third. */
export function outputIndexOf(reference: string): number {
  const match = /:(\d+)$/.exec(reference);
  return match ? Number(match[1]) : 0;
}

/** A node's name from an input or signature reference: `^control`, `node:1` and `node:output:0` all name `node`. */
export function nodeNameOf(reference: string): string {
  const name = reference.startsWith('^') ? reference.slice(1) : reference;
  const colon = name.indexOf(':');
  return colon < 0 ? name : name.slice(0, colon);
}

/** The node's name scope: its name up to the last `/` ('' at the top level). */
export function nameScopeOf(name: string): string {
  const slash = name.lastIndexOf('/');
  return slash < 0 ? '' : name.slice(0, slash);
}

/** A shape attribute as a Keras-style shape: -1 (free) becomes null; undefined for an unknown rank. */
export function shapeOf(shape: GraphShape | undefined): Shape | undefined {
  if (typeof shape !== 'object' || shape === null || shape.unknownRank) return undefined;
  const dims = shape.dim ?? [];
  if (!Array.isArray(dims)) return undefined;
  const sizes = dims.map((dim) => Number((dim as { size?: unknown } | null)?.size ?? -1));
  if (!sizes.every(Number.isSafeInteger)) return undefined;
  return sizes.map((size) => (size < 0 ? null : size));
}

export function parseGraphDef(topology: unknown, signature: unknown, modelPath: string): GraphDefinition {
  const rawNodes = (topology as { node?: unknown } | null)?.node;
  if (!Array.isArray(rawNodes)) throw new InputError(modelPath, 'is a TF.js graph model without a "modelTopology.node" list');
  const nodes = rawNodes.map((raw, index) => parseNode(raw, index, modelPath));
  const byName = new Map<string, GraphNodeDef>();
  for (const node of nodes) {
    if (byName.has(node.name)) throw new InputError(modelPath, `has two graph nodes named "${node.name}"`);
    byName.set(node.name, node);
  }
  for (const node of nodes) {
    const missing = node.inputs.find((input) => !byName.has(input));
    if (missing !== undefined) throw new InputError(modelPath, `graph node "${node.name}" reads "${missing}", which the graph does not have`);
    checkNodeAttributes(node, modelPath);
  }
  const outputs = outputNodes(nodes, byName, signature as Signature | undefined, modelPath);
  const input = imageInput(nodes, ancestorsOf(outputs, byName), modelPath);
  return { nodes, byName, input, outputs };
}

function parseNode(raw: unknown, index: number, modelPath: string): GraphNodeDef {
  const node = raw as { name?: unknown; op?: unknown; input?: unknown; attr?: unknown } | null;
  if (node === null || typeof node !== 'object' || typeof node.name !== 'string' || typeof node.op !== 'string') {
    throw new InputError(modelPath, `modelTopology.node[${index}] is not a graph node (an object with "name" and "op")`);
  }
  const input = node.input ?? [];
  if (!Array.isArray(input) || input.some((reference) => typeof reference !== 'string')) {
    throw new InputError(modelPath, `graph node "${node.name}" has an "input" that is not a list of node names`);
  }
  const attr = node.attr ?? {};
  if (typeof attr !== 'object' || attr === null) throw new InputError(modelPath, `graph node "${node.name}" has an "attr" that is not an object`);
  const inputRefs = (input as string[]).filter((reference) => !reference.startsWith('^'));
  return { name: node.name, op: node.op, inputs: inputRefs.map(nodeNameOf), inputRefs, attr: attr as Record<string, GraphAttr> };
}

/** The signature's outputs where it names them, else the nodes nothing reads (constants left out). */
function outputNodes(nodes: GraphNodeDef[], byName: Map<string, GraphNodeDef>, signature: Signature | undefined, modelPath: string): GraphNodeDef[] {
  const named = Object.values(signature?.outputs ?? {}).map((entry) => entry?.name);
  if (named.length > 0) {
    return named.map((reference) => {
      const node = typeof reference === 'string' ? byName.get(nodeNameOf(reference)) : undefined;
      if (!node) throw new InputError(modelPath, `its signature names the output ${JSON.stringify(reference)}, which the graph does not have`);
      return node;
    });
  }
  const read = new Set(nodes.flatMap((node) => node.inputs));
  const outputs = nodes.filter((node) => !read.has(node.name) && node.op !== 'Const' && node.op !== 'Placeholder' && node.op !== 'NoOp');
  if (outputs.length === 0) throw new InputError(modelPath, 'is a TF.js graph model with no output node');
  return outputs;
}

/** The node an Identity chain passes on (the node itself when it is no Identity); the graph has no loops (see opNodesInOrder). */
export function skipIdentities(node: GraphNodeDef, graph: GraphDefinition): GraphNodeDef {
  let current = node;
  while (current.op === 'Identity' && current.inputs.length === 1) current = graph.byName.get(current.inputs[0])!;
  return current;
}

/** Every node the given nodes depend on, themselves included. */
export function ancestorsOf(nodes: GraphNodeDef[], byName: Map<string, GraphNodeDef>): Set<string> {
  const seen = new Set<string>();
  const stack = nodes.map((node) => node.name);
  while (stack.length > 0) {
    const name = stack.pop()!;
    if (seen.has(name)) continue;
    seen.add(name);
    stack.push(...byName.get(name)!.inputs);
  }
  return seen;
}

function imageInput(nodes: GraphNodeDef[], needed: Set<string>, modelPath: string): GraphNodeDef {
  const placeholders = nodes.filter((node) => node.op === 'Placeholder' && needed.has(node.name));
  if (placeholders.length === 0) throw new InputError(modelPath, 'is a TF.js graph model whose outputs depend on no input (Placeholder) node');
  if (placeholders.length > 1) {
    throw new InputError(modelPath, `is a TF.js graph model with ${placeholders.length} inputs (${placeholders.map((node) => node.name).join(', ')}); Convscope feeds one image input`);
  }
  const [input] = placeholders;
  const shape = shapeOf(input.attr.shape?.shape);
  const plausible = (dim: number | null) => dim === null || (dim >= 1 && dim <= MAX_INPUT_SIDE);
  if (!shape || shape.length !== 4 || shape[3] === null || !shape.every(plausible)) {
    throw new InputError(modelPath, `its input "${input.name}" has shape ${shape ? JSON.stringify(shape) : 'of unknown rank'}; Convscope needs an image input (batch, height, width, channels)`);
  }
  const dtype = input.attr.dtype?.type;
  if (dtype !== undefined && dtype !== 'DT_FLOAT') throw new InputError(modelPath, `its input "${input.name}" takes ${dtype} values; Convscope feeds float32 images`);
  return input;
}

/**
 * The listed nodes: every op node the outputs depend on (constants, the weights TF.js feeds by
 * name whatever their op, and the input left out), in an order where each node follows the nodes
 * it reads (the file's order where that allows).
 */
export function opNodesInOrder(graph: GraphDefinition, weightNames: ReadonlySet<string>, modelPath: string): GraphNodeDef[] {
  const needed = ancestorsOf(graph.outputs, graph.byName);
  const ordered: GraphNodeDef[] = [];
  const placed = new Set<string>();
  const onPath = new Set<string>();
  const place = (start: GraphNodeDef) => {
    // Depth first without recursion: deep graphs would overflow the call stack.
    const stack: { node: GraphNodeDef; next: number }[] = [{ node: start, next: 0 }];
    placed.add(start.name);
    onPath.add(start.name);
    while (stack.length > 0) {
      const top = stack[stack.length - 1];
      const input = top.node.inputs[top.next++];
      if (input === undefined) {
        stack.pop();
        onPath.delete(top.node.name);
        ordered.push(top.node);
      } else if (onPath.has(input)) {
        // Loops (TensorFlow's while loops) need control flow, which one synchronous pass cannot run.
        const op = graph.byName.get(input)!.op;
        throw new InputError(modelPath, `its graph loops back to node "${input}" (op ${op}); Convscope runs graph models in one pass, without loops`);
      } else if (!placed.has(input)) {
        placed.add(input);
        onPath.add(input);
        stack.push({ node: graph.byName.get(input)!, next: 0 });
      }
    }
  };
  for (const node of graph.nodes) if (needed.has(node.name) && !placed.has(node.name)) place(node);
  return ordered.filter((node) => node.op !== 'Const' && node.op !== 'Placeholder' && !weightNames.has(node.name));
}
