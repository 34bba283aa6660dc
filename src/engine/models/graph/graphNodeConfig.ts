// What a graph node shows beside its name, under the Keras names the layer tooltips use: read from
// the op's attributes (strides, padding, pool size, fused activation) and its weights' shapes
// (kernel size, filters, units).
import type { LayerConfig } from '../../../shared/types';
import { CONVOLUTION_OPS } from './graphConvolutions';
import { shapeOf, type GraphAttr, type GraphNodeDef } from './graphDef';

const MATMUL_OPS = new Set(['MatMul', '_FusedMatMul']);
const POOLING_OPS = new Set(['MaxPool', 'AvgPool']);

/** A string attribute: base64 in the file. */
export function decoded(value: unknown): string | undefined {
  return typeof value === 'string' ? Buffer.from(value, 'base64').toString('utf8') : undefined;
}

export function text(attr: GraphAttr | undefined): string | undefined {
  return decoded(attr?.s);
}

/** The height and width entries of an NHWC list attribute ([1, h, w, 1]). */
export function spatialPair(attr: GraphAttr | undefined): number[] | undefined {
  const values = attr?.list?.i;
  if (!Array.isArray(values) || values.length !== 4) return undefined;
  const pair = [Number(values[1]), Number(values[2])];
  return pair.every(Number.isFinite) ? pair : undefined;
}

/** A fused op's activation in Keras' words: `['BiasAdd', 'Relu']` is `relu`; none is `linear`. */
function fusedActivation(attr: GraphAttr | undefined): string | undefined {
  const listed = attr?.list?.s;
  if (!Array.isArray(listed)) return undefined;
  const ops = listed.map(decoded).filter((op): op is string => op !== undefined);
  const activation = ops.filter((op) => op !== 'BiasAdd').pop();
  return activation?.toLowerCase() ?? 'linear';
}

/** `weightShape(i)` is the shape of the node's i-th input when that is a constant. */
export function graphNodeConfig(node: GraphNodeDef, weightShape: (inputIndex: number) => number[] | undefined): LayerConfig | undefined {
  const config: LayerConfig = {};
  const strides = spatialPair(node.attr.strides);
  const padding = text(node.attr.padding)?.toLowerCase();
  if (CONVOLUTION_OPS.has(node.op)) {
    const kernel = weightShape(1);
    if (kernel?.length === 4) {
      config.kernel_size = kernel.slice(0, 2);
      if (!node.op.includes('Depthwise')) config.filters = kernel[3];
    }
  }
  if (MATMUL_OPS.has(node.op)) {
    const weights = weightShape(1);
    if (weights?.length === 2) config.units = node.attr.transpose_b?.b ? weights[0] : weights[1];
  }
  if (POOLING_OPS.has(node.op)) {
    const poolSize = spatialPair(node.attr.ksize);
    if (poolSize) config.pool_size = poolSize;
  }
  if (strides) config.strides = strides;
  if (padding) config.padding = padding;
  const activation = fusedActivation(node.attr.fused_ops);
  if (activation) config.activation = activation;
  return Object.keys(config).length > 0 ? config : undefined;
}

/** A Const node's shape, from its `value` attribute. */
export function constShape(node: GraphNodeDef): number[] | undefined {
  if (node.op !== 'Const') return undefined;
  const shape = shapeOf(node.attr.value?.tensor?.tensorShape);
  return shape?.every((dim): dim is number => dim !== null) ? shape : undefined;
}

/** True for constants holding floating-point values: the weights (integer constants are shapes and indices). */
export function isFloatConst(node: GraphNodeDef): boolean {
  const dtype = node.attr.dtype?.type ?? node.attr.value?.tensor?.dtype;
  return node.op === 'Const' && (dtype === 'DT_FLOAT' || dtype === 'DT_HALF');
}
