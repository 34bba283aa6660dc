// Rewrites a Keras model config (what `model.to_json()`, a `.keras` archive's config.json or an
// HDF5 file's `model_config` hold) into the Keras 2 form TF.js deserialises. Keras 3 writes
// `batch_shape`, dtype-policy objects, `module` / `registered_name` keys and a new
// `inbound_nodes` form, none of which TF.js 4.x reads; Keras 2.0 wrote Sequential configs as a bare
// list of layers. Pure: the input is never modified, the result is a new object.

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type JsonObject = { [key: string]: Json };

export interface NormalisedTopology {
  topology: JsonObject;
  /** What was changed that the user should know about (one sentence each). */
  notes: string[];
}

/** A config TF.js cannot be given, even after normalisation. */
export class TopologyError extends Error {
  override readonly name = 'TopologyError';
}

const CONTAINER_CLASSES = new Set(['Sequential', 'Functional', 'Model']);
/** Keys of Keras 3's serialisation that only Python reads. */
const PYTHON_ONLY_KEYS = ['module', 'registered_name', 'build_config', 'compile_config', 'shared_object_id'];
/** Random augmentation layers: identities at inference, which is all Convscope runs. */
const INFERENCE_IDENTITY_CLASSES = new Set(['RandomFlip', 'RandomRotation', 'RandomZoom', 'RandomContrast', 'RandomTranslation', 'RandomBrightness']);
/** Keras activation names TF.js knows under another name. */
const ACTIVATION_ALIASES: Record<string, string> = { silu: 'swish' };

const isObject = (value: unknown): value is JsonObject => value !== null && typeof value === 'object' && !Array.isArray(value);

/** Accepts a model config, or a TF.js `modelTopology` that wraps one in `model_config`. */
export function normaliseKerasTopology(topology: unknown): NormalisedTopology {
  const root = isObject(topology) && isObject(topology.model_config) ? topology.model_config : topology;
  if (!isObject(root) || typeof root.class_name !== 'string' || root.config === undefined) {
    throw new TopologyError('holds no Keras model config (an object with "class_name" and "config")');
  }
  if (!CONTAINER_CLASSES.has(root.class_name)) {
    throw new TopologyError(`holds a single ${root.class_name} layer, not a model (Sequential or Functional)`);
  }
  const notes = new Notes();
  return { topology: normaliseLayer(root, notes) as JsonObject, notes: notes.list() };
}

/** Collects notes, each said once, with the layers it concerns. */
class Notes {
  private readonly byMessage = new Map<string, string[]>();

  add(message: string, layer: string): void {
    const layers = this.byMessage.get(message) ?? [];
    layers.push(layer);
    this.byMessage.set(message, layers);
  }

  list(): string[] {
    return [...this.byMessage].map(([message, layers]) => `${message}: ${layers.join(', ')}`);
  }
}

function normaliseLayer(layer: JsonObject, notes: Notes): JsonObject {
  const className = String(layer.class_name);
  const result = withoutPythonKeys(layer);
  const rawConfig = layer.config;
  // Keras 2.0's Sequential: `config` is the list of layers itself.
  const config = CONTAINER_CLASSES.has(className) && Array.isArray(rawConfig) ? { name: 'sequential', layers: rawConfig } : rawConfig;
  if (!isObject(config)) throw new TopologyError(`layer ${describe(layer)} has no config object`);
  const name = typeof config.name === 'string' ? config.name : typeof layer.name === 'string' ? layer.name : className;

  if (INFERENCE_IDENTITY_CLASSES.has(className)) {
    notes.add('Random augmentation layers do nothing at inference and run as identities', name);
    checkInputShapes(config, name);
    result.class_name = 'Activation';
    const identity: JsonObject = { name, trainable: false, dtype: 'float32', activation: 'linear' };
    if (config.batch_input_shape !== undefined) identity.batch_input_shape = config.batch_input_shape;
    result.config = identity;
  } else {
    result.config = CONTAINER_CLASSES.has(className) ? normaliseContainerConfig(className, config, notes) : normaliseLayerConfig(className, config, name, notes);
  }
  if (Array.isArray(layer.inbound_nodes)) result.inbound_nodes = layer.inbound_nodes.map((node) => normaliseInboundNode(node, name));
  // TF.js finds a Functional model's layers by this top-level name; Keras 3 may leave it out.
  if (layer.inbound_nodes !== undefined && result.name === undefined) result.name = name;
  return result;
}

/** Layers one model may list: the largest real CNNs have about a thousand; TF.js' graph walks recurse once per layer. */
const MAX_LAYERS = 10_000;

function normaliseContainerConfig(className: string, config: JsonObject, notes: Notes): JsonObject {
  if (!Array.isArray(config.layers)) throw new TopologyError(`model "${String(config.name)}" has no list of layers`);
  if (config.layers.length > MAX_LAYERS) throw new TopologyError(`model "${String(config.name)}" lists ${config.layers.length} layers, over the limit of ${MAX_LAYERS}`);
  const result = withoutPythonKeys(config);
  const layers = config.layers.map((layer, index) => {
    if (!isObject(layer) || typeof layer.class_name !== 'string') throw new TopologyError(`model "${String(config.name)}" has an invalid layer at position ${index}`);
    return normaliseLayer(layer, notes);
  });
  result.layers = className === 'Sequential' ? withInputShapeOnFirstLayer(layers) : layers;
  if (isObject(result.dtype)) result.dtype = dtypeOfPolicy(result.dtype, String(config.name), notes);
  // A Keras 3 Sequential built with `model.build(shape)` keeps the input shape here, not on its first layer.
  const first = layers[0]?.config;
  if (Array.isArray(config.build_input_shape) && isObject(first) && first.batch_input_shape === undefined && layers[0].class_name !== 'InputLayer') {
    first.batch_input_shape = config.build_input_shape;
  }
  delete result.build_input_shape;
  for (const key of ['input_layers', 'output_layers'] as const) {
    const value = config[key];
    // Keras 3 writes a model's only input or output as one [name, node, tensor] triple, not a list of them.
    if (Array.isArray(value) && typeof value[0] === 'string') result[key] = [value];
  }
  if (className !== 'Sequential') result.layers = orderLayerGraph(String(config.name), result);
  return result;
}

/**
 * A Functional model's layers must call each other in a way that can be rebuilt: TF.js' fromConfig
 * re-queues a call whose input (a layer's node) does not exist yet and loops until every call is
 * made, so a call on a layer or node that never comes (a misspelt name, a node index past the
 * layer's calls, a cycle) would loop forever, and a config listing its layers in reverse makes it
 * pass over every layer once per layer. This replays the calls on the config alone, each as soon as
 * its inputs exist (the earliest listed first), refuses the config where a call can never be made,
 * and returns the layers in the order their first call was made: the file's own order when that
 * already puts every layer after its inputs, and one in which TF.js needs a single pass otherwise.
 */
function orderLayerGraph(model: string, config: JsonObject): JsonObject[] {
  const layers = config.layers as JsonObject[];
  const indexOf = new Map<string, number>();
  const calls: { layer: number; references: [string, number][] }[] = [];
  layers.forEach((layer, i) => {
    const name = layer.name;
    if (typeof name !== 'string') throw new TopologyError(`model "${model}" has a layer without a name at position ${i}`);
    if (indexOf.has(name)) throw new TopologyError(`model "${model}" has two layers named "${name}"`);
    indexOf.set(name, i);
    if (!Array.isArray(layer.inbound_nodes)) throw new TopologyError(`layer "${name}" of model "${model}" has no list of inbound nodes`);
    for (const node of layer.inbound_nodes) {
      if (!Array.isArray(node) || !node.every(isNodeReference)) throw new TopologyError(`layer "${name}" has an inbound node that is not a list of [layer, node, tensor] references`);
      // A call on nothing makes no node (as in TF.js).
      if (node.length > 0) calls.push({ layer: i, references: node.map((reference) => [(reference as Json[])[0] as string, (reference as Json[])[1] as number]) });
    }
  });
  // Nodes each layer has before any call: an InputLayer and a nested model make one when built.
  const nodes = layers.map((layer) => (layer.class_name === 'InputLayer' || CONTAINER_CLASSES.has(String(layer.class_name)) ? 1 : 0));
  const exists = ([name, node]: [string, number]) => {
    const i = indexOf.get(name);
    return i !== undefined && node < nodes[i];
  };
  // Calls waiting for a node ("layer index:node index"), and how many of its inputs each still waits for.
  const waitingFor = new Map<string, number[]>();
  const missing = calls.map((call, c) => {
    let count = 0;
    for (const reference of call.references) {
      if (exists(reference)) continue;
      count++;
      const key = `${indexOf.get(reference[0]) ?? reference[0]}:${reference[1]}`;
      waitingFor.set(key, [...(waitingFor.get(key) ?? []), c]);
    }
    return count;
  });
  // Ready calls, the one of the earliest listed layer first (then the earliest call).
  const ready = new MinHeap<number>((a, b) => calls[a].layer - calls[b].layer || a - b);
  missing.forEach((count, c) => count === 0 && ready.push(c));
  const firstMade = new Map<number, number>();
  let made = 0;
  while (ready.size > 0) {
    const c = ready.pop();
    const layer = calls[c].layer;
    if (!firstMade.has(layer)) firstMade.set(layer, made);
    made++;
    const key = `${layer}:${nodes[layer]++}`;
    for (const waiting of waitingFor.get(key) ?? []) if (--missing[waiting] === 0) ready.push(waiting);
    waitingFor.delete(key);
  }
  const stuck = missing.findIndex((count) => count > 0);
  if (stuck >= 0) {
    const [name, node] = calls[stuck].references.find((reference) => !exists(reference))!;
    const target = indexOf.has(name) ? `node ${node} of layer "${name}", which the model never makes` : `layer "${name}", which the model does not have`;
    throw new TopologyError(`layer "${String(layers[calls[stuck].layer].name)}" of model "${model}" is called on ${target}`);
  }
  for (const key of ['input_layers', 'output_layers'] as const) {
    const references = config[key];
    if (!Array.isArray(references) || !references.every(isNodeReference)) throw new TopologyError(`model "${model}" has no valid "${key}" list`);
    const absent = references.find((reference) => !exists([(reference as Json[])[0] as string, (reference as Json[])[1] as number]));
    if (absent) throw new TopologyError(`model "${model}" lists node ${String((absent as Json[])[1])} of layer "${String((absent as Json[])[0])}" in "${key}", which the model does not make`);
  }
  // Layers never called (InputLayers) keep their place: each goes just before the next layer of the file that was.
  const position = layers.map((_, i) => firstMade.get(i));
  let next = made;
  for (let i = layers.length - 1; i >= 0; i--) {
    if (position[i] === undefined) position[i] = next - 0.5;
    else next = position[i]!;
  }
  return layers.map((layer, i) => ({ layer, at: position[i]!, i })).sort((a, b) => a.at - b.at || a.i - b.i).map((entry) => entry.layer);
}

/** A binary heap: `pop` gives the least item by `compare`. */
class MinHeap<T> {
  private readonly items: T[] = [];

  constructor(private readonly compare: (a: T, b: T) => number) {}

  get size(): number {
    return this.items.length;
  }

  push(item: T): void {
    const items = this.items;
    items.push(item);
    for (let i = items.length - 1; i > 0; ) {
      const parent = (i - 1) >> 1;
      if (this.compare(items[i], items[parent]) >= 0) break;
      [items[i], items[parent]] = [items[parent], items[i]];
      i = parent;
    }
  }

  pop(): T {
    const items = this.items;
    const top = items[0];
    const last = items.pop()!;
    if (items.length > 0) {
      items[0] = last;
      for (let i = 0; ; ) {
        const left = 2 * i + 1;
        const right = left + 1;
        let least = i;
        if (left < items.length && this.compare(items[left], items[least]) < 0) least = left;
        if (right < items.length && this.compare(items[right], items[least]) < 0) least = right;
        if (least === i) break;
        [items[i], items[least]] = [items[least], items[i]];
        i = least;
      }
    }
    return top;
  }
}

/** `[layer name, node index, tensor index]`, optionally followed by the call's keyword arguments. */
function isNodeReference(reference: Json): boolean {
  return Array.isArray(reference) && typeof reference[0] === 'string' && isIndex(reference[1]) && isIndex(reference[2]);
}

const isIndex = (value: Json | undefined) => typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;

/**
 * Keras 3 starts a Sequential with an InputLayer; Keras 2 (and TF.js) put its shape on the first
 * layer, which keeps the InputLayer out of the model's layers, as in Keras' own summary. A nested
 * model cannot carry the shape, so an InputLayer before one stays.
 */
function withInputShapeOnFirstLayer(layers: JsonObject[]): JsonObject[] {
  const [input, first] = layers;
  if (input?.class_name !== 'InputLayer' || !first || CONTAINER_CLASSES.has(String(first.class_name)) || !isObject(input.config) || !isObject(first.config)) return layers;
  if (first.config.batch_input_shape !== undefined || input.config.batch_input_shape === undefined) return layers;
  return [{ ...first, config: { ...first.config, batch_input_shape: input.config.batch_input_shape } }, ...layers.slice(2)];
}

/**
 * Sizes of a layer's sliding window, with the smallest value each may take. TF.js checks few of
 * them, and its WASM kernels (XNNPACK) take a zero dilation or a stride past 2³¹ without failing,
 * then write outside their memory.
 */
const WINDOW_KEYS: Record<string, number> = { kernel_size: 1, strides: 1, dilation_rate: 1, pool_size: 1, size: 1, padding: 0, cropping: 0 };
/** Larger than any image Convscope reads (the image limit is 100 MP, 10000 px a side when square). */
const MAX_WINDOW_VALUE = 65536;

/** The numbers of a window size (a number, a tuple, or tuples of them as for ZeroPadding2D) must be whole and in range; other values are TF.js' to judge. */
function checkWindowSizes(config: JsonObject, name: string): void {
  for (const [key, min] of Object.entries(WINDOW_KEYS)) {
    const numbers: number[] = [];
    const collect = (value: Json) => (Array.isArray(value) ? value.forEach(collect) : typeof value === 'number' && numbers.push(value));
    collect(config[key] ?? null);
    if (numbers.some((value) => !Number.isSafeInteger(value) || value < min || value > MAX_WINDOW_VALUE)) {
      throw new TopologyError(`layer "${name}" has ${key} ${JSON.stringify(config[key])}; each value must be a whole number from ${min} to ${MAX_WINDOW_VALUE}`);
    }
  }
}

/** Dtypes TF.js computes in. */
const TFJS_DTYPES = new Set(['float32', 'int32', 'bool']);
/** Other float widths, which run in float32 here. */
const FLOAT_DTYPES = new Set(['float16', 'bfloat16', 'float64']);

/** Keys holding an input shape: TF.js takes any value there and fails far from it (or not at all) on strings or fractions. */
const INPUT_SHAPE_KEYS = ['batch_input_shape', 'batch_shape', 'input_shape'];

function checkInputShapes(config: JsonObject, name: string): void {
  for (const key of INPUT_SHAPE_KEYS) {
    const shape = config[key];
    if (shape === undefined || shape === null) continue;
    if (!Array.isArray(shape) || shape.length > 8 || !shape.every((dim) => dim === null || (typeof dim === 'number' && Number.isSafeInteger(dim) && dim >= 1))) {
      throw new TopologyError(`layer "${name}" has ${key} ${JSON.stringify(shape)}; expected a list of whole numbers of at least 1, or null for a free dimension`);
    }
  }
}

function normaliseLayerConfig(className: string, config: JsonObject, name: string, notes: Notes): JsonObject {
  checkWindowSizes(config, name);
  checkInputShapes(config, name);
  // TF.js checks a layer's data format only when the layer runs, and then throws a plain error.
  if (config.data_format != null && config.data_format !== 'channels_last' && config.data_format !== 'channels_first') {
    throw new TopologyError(`layer "${name}" has data_format ${JSON.stringify(config.data_format)}; expected "channels_last" or "channels_first"`);
  }
  const result: JsonObject = {};
  for (const [key, value] of Object.entries(config)) result[key] = withoutPythonKeysDeep(value);
  if (isObject(config.dtype)) result.dtype = dtypeOfPolicy(config.dtype, name, notes);
  else if (typeof config.dtype === 'string' && FLOAT_DTYPES.has(config.dtype)) {
    notes.add(`Layers saved with dtype ${config.dtype} compute in float32 here`, name);
    result.dtype = 'float32';
  } else if (config.dtype != null && !(typeof config.dtype === 'string' && TFJS_DTYPES.has(config.dtype))) {
    // TF.js takes any dtype here and fails only when the model runs.
    throw new TopologyError(`layer "${name}" has dtype ${JSON.stringify(config.dtype)}, which TF.js cannot run`);
  }
  if (className === 'InputLayer' && config.batch_shape !== undefined) {
    result.batch_input_shape = config.batch_shape;
    delete result.batch_shape;
  }
  if (typeof config.activation === 'string' && config.activation in ACTIVATION_ALIASES) result.activation = ACTIVATION_ALIASES[config.activation];
  return result;
}

/** Keras 3's `{"class_name": "DTypePolicy", "config": {"name": "float32"}}` → "float32". */
function dtypeOfPolicy(policy: JsonObject, layer: string, notes: Notes): string {
  const policyName = isObject(policy.config) && typeof policy.config.name === 'string' ? policy.config.name : 'float32';
  if (policyName === 'float32' || policyName === 'int32') return policyName;
  if (policyName.startsWith('mixed_')) {
    notes.add(`Layers saved with the ${policyName} policy compute in float32 here`, layer);
    return 'float32';
  }
  throw new TopologyError(`layer "${layer}" uses dtype policy "${policyName}", which TF.js cannot run`);
}

/**
 * Keras 3: `{"args": [keras tensors, or lists of them], "kwargs": {…}}` with each tensor's source in
 * `config.keras_history` = [layer, node, tensor]. Keras 2 (TF.js): `[[layer, node, tensor, kwargs], …]`.
 */
function normaliseInboundNode(node: Json, layer: string): Json {
  if (Array.isArray(node)) return node;
  if (!isObject(node) || !Array.isArray(node.args)) throw new TopologyError(`layer "${layer}" has an inbound node in an unknown form`);
  const kwargs: JsonObject = {};
  for (const [key, value] of Object.entries(isObject(node.kwargs) ? node.kwargs : {})) {
    if (kerasTensorsIn(value).length > 0) throw new TopologyError(`layer "${layer}" takes a tensor as its "${key}" argument, which TF.js cannot rebuild`);
    kwargs[key] = value;
  }
  const inputs = kerasTensorsIn(node.args);
  if (inputs.length === 0) throw new TopologyError(`layer "${layer}" is called on no tensor of the model`);
  return inputs.map((history) => [...history, kwargs]);
}

function kerasTensorsIn(value: Json): Json[][] {
  if (Array.isArray(value)) return value.flatMap(kerasTensorsIn);
  if (isObject(value) && value.class_name === '__keras_tensor__' && isObject(value.config) && Array.isArray(value.config.keras_history)) {
    return [value.config.keras_history.slice(0, 3)];
  }
  return [];
}

function withoutPythonKeys(object: JsonObject): JsonObject {
  const result = { ...object };
  for (const key of PYTHON_ONLY_KEYS) delete result[key];
  return result;
}

/** Drops the Python-only keys of every serialised object (initializers, regularizers, …) inside a value. */
function withoutPythonKeysDeep(value: Json): Json {
  if (Array.isArray(value)) return value.map(withoutPythonKeysDeep);
  if (!isObject(value)) return value;
  const result: JsonObject = {};
  for (const [key, inner] of Object.entries(value)) {
    if (typeof value.class_name === 'string' && PYTHON_ONLY_KEYS.includes(key)) continue;
    result[key] = withoutPythonKeysDeep(inner);
  }
  return result;
}

function describe(layer: JsonObject): string {
  const config = layer.config;
  const name = isObject(config) && typeof config.name === 'string' ? config.name : layer.name;
  return typeof name === 'string' ? `"${name}" (${String(layer.class_name)})` : String(layer.class_name);
}
