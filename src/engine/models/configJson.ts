// Parsing the JSON of a model file (model.json, a .keras archive's config.json, an HDF5 file's
// model_config): JSON.parse takes any nesting, but everything after it (our config checks, TF.js'
// deserialisation) walks the config recursively, and a config nested thousands deep would end in a
// stack overflow instead of a message. Real configs nest a few dozen levels (a model in a model
// adds four), so deeper ones are refused here, once, for every reader.
import { InputError, describeError } from '../../shared/errors';

/** Far above any real model config (Keras' deepest nested models stay under 50). */
export const MAX_CONFIG_NESTING = 256;

/** Parses `text`; invalid JSON is an InputError whose problem starts with `invalid`, nesting over the limit one of its own. */
export function parseConfigJson(text: string, file: string, invalid: string): unknown {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new InputError(file, `${invalid} (${describeError(error)})`);
  }
  const depth = nestingDepth(parsed, MAX_CONFIG_NESTING);
  if (depth > MAX_CONFIG_NESTING) throw new InputError(file, `holds JSON nested more than ${MAX_CONFIG_NESTING} levels deep, far deeper than any model config`);
  return parsed;
}

/** The nesting depth of a parsed JSON value, counted without recursion, up to `stopAbove + 1`. */
export function nestingDepth(value: unknown, stopAbove: number): number {
  let deepest = 0;
  const stack: [unknown, number][] = [[value, 1]];
  while (stack.length > 0) {
    const [item, depth] = stack.pop()!;
    if (item === null || typeof item !== 'object') continue;
    deepest = Math.max(deepest, depth);
    if (deepest > stopAbove) return deepest;
    for (const child of Array.isArray(item) ? item : Object.values(item)) if (child !== null && typeof child === 'object') stack.push([child, depth + 1]);
  }
  return deepest;
}
