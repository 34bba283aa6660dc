// The attributes of a graph node that size its sliding window. TF.js checks few of them, and its
// WASM kernels (XNNPACK) take a zero or huge stride or dilation, or a padding name they do not
// know, without failing, then compute garbage or write outside their memory; so they are checked
// before TF.js sees the graph.
import { InputError } from '../../../shared/errors';
import type { GraphAttr, GraphNodeDef } from './graphDef';

/** Window attributes (lists of one entry per dimension, or one number) and the smallest value each entry may take. */
const WINDOW_ATTRS: Record<string, number> = { strides: 1, ksize: 1, dilations: 1, explicit_paddings: 0, block_size: 1 };
/** Larger than any image Convscope reads (the image limit is 100 MP, 10000 px a side when square). */
const MAX_WINDOW_VALUE = 65536;
const TEXT_ATTRS: Record<string, ReadonlySet<string>> = {
  padding: new Set(['SAME', 'VALID', 'EXPLICIT']),
  data_format: new Set(['NHWC', 'NCHW', 'NDHWC', 'NCDHW']),
};

/** The entries of a list attribute, or the one number of a scalar one; undefined when it is neither. */
function integersOf(attr: GraphAttr): unknown[] | undefined {
  if (typeof attr !== 'object' || attr === null) return undefined;
  if (typeof attr.list === 'object' && attr.list !== null) return Array.isArray(attr.list.i) ? attr.list.i : attr.list.i === undefined ? [] : undefined;
  return attr.i === undefined ? undefined : [attr.i];
}

export function checkNodeAttributes(node: GraphNodeDef, modelPath: string): void {
  for (const [key, min] of Object.entries(WINDOW_ATTRS)) {
    const attr = node.attr[key];
    if (attr === undefined) continue;
    const values = integersOf(attr)?.map(Number);
    if (!values || values.some((value) => !Number.isSafeInteger(value) || value < min || value > MAX_WINDOW_VALUE)) {
      throw new InputError(modelPath, `graph node "${node.name}" has ${key} ${JSON.stringify(attr)}; each value must be a whole number from ${min} to ${MAX_WINDOW_VALUE}`);
    }
  }
  for (const [key, allowed] of Object.entries(TEXT_ATTRS)) {
    const attr = node.attr[key];
    if (attr === undefined) continue;
    const text = typeof attr?.s === 'string' ? Buffer.from(attr.s, 'base64').toString('utf8') : undefined;
    if (text === undefined || !allowed.has(text)) {
      throw new InputError(modelPath, `graph node "${node.name}" has ${key} ${JSON.stringify(text ?? attr)}; expected one of ${[...allowed].join(', ')}`);
    }
  }
}
