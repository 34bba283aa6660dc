// Decides which stored weight goes into which variable of a model built from its config. TF.js
// only matches full names exactly, but real files name weights in other ways: converters for
// Keras 3 prefix them with the model's name (`sequential_19/conv2d_48/kernel`), models rebuilt in a
// busy Keras session carry numbered scopes (`batch_normalization_1_1/gamma` for layer
// `batch_normalization_1`), and HDF5 and `.keras` files group weights by layer and position.
//
// Each rule is tried on the whole model and is used only when it gives every variable exactly one
// stored weight of the same shape, no stored weight twice: mixing rules per weight could let a
// name that happens to match override the file's real layout. Pure: no tensors.

/** A variable of the built model, in model order. */
export interface VariableSlot {
  /** The name TF.js gave it when building the layer: `conv2d/kernel`. */
  name: string;
  shape: number[];
}

/** A layer (or nested model) and its variables (indices into the slots), in the layer's own order. */
export interface LayerSlots {
  /** Layer names from the outermost model down: ['conv2d'], or ['mobilenetv2', 'Conv1']. */
  path: string[];
  variables: number[];
}

/** What the model holds, as the rules see it. */
export interface ModelLayout {
  /** Every variable once, layer by layer. */
  variables: VariableSlot[];
  layers: LayerSlots[];
  /**
   * The orders in which tools list the model's variables (indices into `variables`): layer by
   * layer, and trainable first (TF.js' and Keras 2's `model.weights`, which moves every
   * BatchNormalization's moving statistics to the end).
   */
  orders: number[][];
}

/** A weight as the file stores it. */
export interface StoredWeight {
  name: string;
  shape: number[];
  /** For files that group weights by layer (HDF5, `.keras`): the layer's path and the weight's position in it. */
  layer?: { path: string[]; position: number };
}

export type MatchRule = 'exact' | 'layer' | 'layer-suffix' | 'layer-position' | 'order';

export interface WeightMatch {
  rule: MatchRule;
  /** For each variable slot, the index of its stored weight. */
  storedIndexOf: number[];
  /** Stored weights no variable takes. */
  unused: number[];
}

/** Why no rule matched: the problem found by the first rule tried (the file's own layout). */
export class WeightMatchError extends Error {
  override readonly name = 'WeightMatchError';
}

/** The stored weights that could fill a variable. */
type Candidates = (variable: number) => number[];

/**
 * Tries `rules` in order and returns the first that matches the whole model. Throws a
 * WeightMatchError with the first rule's reason when none does.
 */
export function matchWeights(model: ModelLayout, stored: StoredWeight[], rules: MatchRule[]): WeightMatch {
  let firstProblem: string | undefined;
  for (const rule of rules) {
    for (const result of attempts(rule, model, stored)) {
      if (typeof result !== 'string') return { rule, storedIndexOf: result, unused: unusedOf(result, stored.length) };
      firstProblem ??= result;
    }
  }
  throw new WeightMatchError(firstProblem ?? 'no weight-matching rule was given');
}

/** Each way a rule can be applied (the order rule once per order), lazily: the first that fits wins. */
function* attempts(rule: MatchRule, model: ModelLayout, stored: StoredWeight[]): Generator<number[] | string> {
  const { variables } = model;
  if (rule === 'layer-position') yield matchByLayerPosition(variables, model.layers, stored);
  else if (rule !== 'order') yield matchOneToOne(variables, stored, candidatesFor(rule, variables, stored));
  else if (stored.length !== variables.length) yield `stores ${stored.length} weights for the model's ${variables.length} variables`;
  else {
    for (const order of model.orders) {
      // Stored weight i is the order's i-th variable.
      const storedIndexOf = new Array<number>(variables.length);
      order.forEach((v, i) => (storedIndexOf[v] = i));
      yield matchOneToOne(variables, stored, (v) => [storedIndexOf[v]]);
    }
  }
}

const withoutOutputIndex = (name: string) => name.replace(/:\d+$/, '');
const lastParts = (name: string, count: number) => withoutOutputIndex(name).split('/').slice(-count);

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

function candidatesFor(rule: 'exact' | 'layer' | 'layer-suffix', variables: VariableSlot[], stored: StoredWeight[]): Candidates {
  const all = stored.map((_, index) => index);
  switch (rule) {
    case 'exact':
      return (v) => all.filter((s) => withoutOutputIndex(stored[s].name) === variables[v].name);
    case 'layer':
      // The variable's full name, after any prefix: `sequential_19/conv2d_48/kernel` for `conv2d_48/kernel`.
      return (v) => all.filter((s) => {
        const name = withoutOutputIndex(stored[s].name);
        return name === variables[v].name || name.endsWith(`/${variables[v].name}`);
      });
    case 'layer-suffix':
      return (v) => {
        const [layer, weight] = lastParts(variables[v].name, 2);
        const scope = new RegExp(`^${escapeRegExp(layer)}(_\\d+)?$`);
        return all.filter((s) => {
          const [storedScope, storedWeight] = lastParts(stored[s].name, 2);
          return storedWeight === weight && scope.test(storedScope);
        });
      };
  }
}

/** Every variable gets its one candidate; no candidate is shared; shapes agree. A string says why not. */
function matchOneToOne(variables: VariableSlot[], stored: StoredWeight[], candidates: Candidates): number[] | string {
  if (variables.length > 0 && stored.length === 0) return 'holds no weights, but the model has some';
  const taken = new Map<number, number>();
  const result: number[] = [];
  for (let v = 0; v < variables.length; v++) {
    const found = candidates(v);
    if (found.length === 0) return `has no weight for variable "${variables[v].name}" ${formatShape(variables[v].shape)} (${stored.length} weights stored, model has ${variables.length})`;
    if (found.length > 1) return `has several weights that could be "${variables[v].name}": ${found.map((s) => stored[s].name).join(', ')}`;
    const [s] = found;
    const other = taken.get(s);
    if (other !== undefined) return `has one weight "${stored[s].name}" for two variables, "${variables[other].name}" and "${variables[v].name}"`;
    const problem = shapeProblem(variables[v], stored[s]);
    if (problem) return problem;
    taken.set(s, v);
    result.push(s);
  }
  return result;
}

/** HDF5 and `.keras`: the weights of the file's layer with the variable's layer path, by position. */
function matchByLayerPosition(variables: VariableSlot[], layers: LayerSlots[], stored: StoredWeight[]): number[] | string {
  const groups = new Map<string, number[]>();
  for (let s = 0; s < stored.length; s++) {
    const layer = stored[s].layer;
    if (!layer) return `stores weight "${stored[s].name}" outside any layer`;
    const key = layer.path.join('/');
    const group = groups.get(key) ?? [];
    if (group[layer.position] !== undefined) return `stores two weights at position ${layer.position} of layer "${key}"`;
    group[layer.position] = s;
    groups.set(key, group);
  }
  const result: number[] = new Array(variables.length);
  for (const layer of layers) {
    const group = groups.get(layer.path.join('/'));
    if (!group) continue;
    if (group.length !== layer.variables.length || group.includes(undefined as unknown as number)) {
      return `stores ${group.filter((s) => s !== undefined).length} weights for layer "${layer.path.join('/')}", which has ${layer.variables.length}`;
    }
    for (const [position, v] of layer.variables.entries()) {
      const s = group[position];
      if (result[v] !== undefined && result[v] !== s) return `stores variable "${variables[v].name}" twice (in layer "${layer.path.join('/')}" and in another)`;
      const problem = shapeProblem(variables[v], stored[s]);
      if (problem) return problem;
      result[v] = s;
    }
  }
  const missing = variables.findIndex((_, v) => result[v] === undefined);
  if (missing >= 0) return `has no weights for variable "${variables[missing].name}" ${formatShape(variables[missing].shape)}: no layer group in the file matches its layer`;
  return result;
}

function shapeProblem(variable: VariableSlot, stored: StoredWeight): string | undefined {
  const same = variable.shape.length === stored.shape.length && variable.shape.every((dim, i) => dim === stored.shape[i]);
  return same ? undefined : `stores "${stored.name}" with shape ${formatShape(stored.shape)}, but the model's "${variable.name}" has shape ${formatShape(variable.shape)}`;
}

function unusedOf(storedIndexOf: number[], storedCount: number): number[] {
  const used = new Set(storedIndexOf);
  return Array.from({ length: storedCount }, (_, s) => s).filter((s) => !used.has(s));
}

const formatShape = (shape: number[]) => `[${shape.join(', ')}]`;

const RULE_DESCRIPTIONS: Record<MatchRule, string> = {
  exact: 'by their full names',
  layer: "by layer and weight name, ignoring the file's prefix",
  'layer-suffix': "by layer and weight name, allowing Keras' numbered scope suffix",
  'layer-position': 'by layer and position within the layer',
  order: 'in file order (their names match no layer), each checked for shape',
};

/**
 * Notes for the user: how weights were matched when it was not the file format's own rule
 * (`nativeRule`), with an example, and which stored weights the model does not use.
 */
export function describeWeightMatch(match: WeightMatch, variables: VariableSlot[], stored: StoredWeight[], nativeRule: MatchRule): string[] {
  const notes: string[] = [];
  if (match.rule !== nativeRule) {
    const example = variables.findIndex((variable, v) => withoutOutputIndex(stored[match.storedIndexOf[v]].name) !== variable.name);
    const exampleText = example >= 0 ? ` (e.g. ${stored[match.storedIndexOf[example]].name} → ${variables[example].name})` : '';
    notes.push(`Weights matched ${RULE_DESCRIPTIONS[match.rule]}${exampleText}`);
  }
  if (match.unused.length > 0) {
    const shown = match.unused.slice(0, 5).map((s) => stored[s].name);
    const more = match.unused.length > shown.length ? `, … (${match.unused.length} in all)` : '';
    notes.push(`${match.unused.length} stored weight${match.unused.length === 1 ? ' is' : 's are'} not used by the model: ${shown.join(', ')}${more}`);
  }
  return notes;
}
