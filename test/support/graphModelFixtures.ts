// TF.js graph models the tests write themselves, in the converter's format: a GraphDef as JSON
// (`format: "graph-model"`) and a weights manifest, with weights stored as float32, float16 or
// uint8 (quantized). The graph is the tiny convnet of engineFixtures written as ops, so a layers
// model with the same weights computes the same values.
import type * as tf from '@tensorflow/tfjs';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';

export interface GraphNodeJson {
  name: string;
  op: string;
  input?: string[];
  attr?: Record<string, unknown>;
}

export type WeightStorage = 'float32' | 'float16' | 'uint8';

export interface GraphWeight {
  name: string;
  shape: number[];
  values: Float32Array | Int32Array;
}

/** The converter's prefix of every node of a Keras model saved as a SavedModel. */
export const SCOPE = 'StatefulPartitionedCall/tiny_convnet';

const text = (value: string) => ({ s: Buffer.from(value).toString('base64') });
const ints = (values: number[]) => ({ list: { i: values.map(String) } });
const FLOAT = { type: 'DT_FLOAT' };

function tensorShape(shape: number[]) {
  return shape.length === 0 ? {} : { dim: shape.map((size) => ({ size: String(size) })) };
}

export function constNode(weight: GraphWeight): GraphNodeJson {
  const dtype = weight.values instanceof Int32Array ? 'DT_INT32' : 'DT_FLOAT';
  return { name: weight.name, op: 'Const', attr: { dtype: { type: dtype }, value: { tensor: { dtype, tensorShape: tensorShape(weight.shape) } } } };
}

const conv2dAttrs = { T: FLOAT, strides: ints([1, 1, 1, 1]), padding: text('VALID'), data_format: text('NHWC'), dilations: ints([1, 1, 1, 1]) };

/**
 * The tiny convnet (buildTinyConvnet: conv 8 relu, max pool, conv 4 relu, flatten, dense 3 softmax)
 * as graph nodes: the first convolution unfused (Conv2D → BiasAdd → Relu), the second fused
 * (_FusedConv2D), as converters write them. `weights` are the layers model's getWeights() values.
 */
export function tinyConvnetGraph(weights: tf.Tensor[]): { nodes: GraphNodeJson[]; weights: GraphWeight[] } {
  const [kernel1, bias1, kernel2, bias2, dense, denseBias] = weights;
  const weight = (name: string, tensor: tf.Tensor): GraphWeight => ({ name: `${SCOPE}/${name}`, shape: tensor.shape, values: tensor.dataSync() as Float32Array });
  const flattenShape: GraphWeight = { name: `${SCOPE}/flatten/Reshape/shape`, shape: [2], values: Int32Array.from([-1, dense.shape[0]]) };
  const graphWeights = [
    weight('conv2d/Conv2D/ReadVariableOp', kernel1),
    weight('conv2d/BiasAdd/ReadVariableOp', bias1),
    weight('conv2d_1/Conv2D/ReadVariableOp', kernel2),
    weight('conv2d_1/BiasAdd/ReadVariableOp', bias2),
    flattenShape,
    weight('dense/MatMul/ReadVariableOp', dense),
    weight('dense/BiasAdd/ReadVariableOp', denseBias),
  ];
  const [k1, b1, k2, b2, shape, w, b] = graphWeights.map((graphWeight) => graphWeight.name);
  const at = (name: string) => `${SCOPE}/${name}`;
  const nodes: GraphNodeJson[] = [
    ...graphWeights.map(constNode),
    { name: 'input_1', op: 'Placeholder', attr: { dtype: FLOAT, shape: { shape: tensorShape([-1, 32, 32, 3]) } } },
    { name: at('conv2d/Conv2D'), op: 'Conv2D', input: ['input_1', k1], attr: conv2dAttrs },
    { name: at('conv2d/BiasAdd'), op: 'BiasAdd', input: [at('conv2d/Conv2D'), b1], attr: { T: FLOAT, data_format: text('NHWC') } },
    { name: at('conv2d/Relu'), op: 'Relu', input: [at('conv2d/BiasAdd')], attr: { T: FLOAT } },
    {
      name: at('max_pooling2d/MaxPool'),
      op: 'MaxPool',
      input: [at('conv2d/Relu')],
      attr: { T: FLOAT, ksize: ints([1, 2, 2, 1]), strides: ints([1, 2, 2, 1]), padding: text('VALID'), data_format: text('NHWC') },
    },
    {
      name: at('conv2d_1/Relu'),
      op: '_FusedConv2D',
      input: [at('max_pooling2d/MaxPool'), k2, b2],
      attr: { ...conv2dAttrs, num_args: { i: '1' }, fused_ops: { list: { s: ['BiasAdd', 'Relu'].map((op) => text(op).s) } }, epsilon: { f: 0 } },
    },
    { name: at('flatten/Reshape'), op: 'Reshape', input: [at('conv2d_1/Relu'), shape], attr: { T: FLOAT, Tshape: { type: 'DT_INT32' } } },
    { name: at('dense/MatMul'), op: 'MatMul', input: [at('flatten/Reshape'), w], attr: { T: FLOAT, transpose_a: { b: false }, transpose_b: { b: false } } },
    { name: at('dense/BiasAdd'), op: 'BiasAdd', input: [at('dense/MatMul'), b], attr: { T: FLOAT, data_format: text('NHWC') } },
    { name: at('dense/Softmax'), op: 'Softmax', input: [at('dense/BiasAdd')], attr: { T: FLOAT } },
    { name: 'Identity', op: 'Identity', input: [at('dense/Softmax')], attr: { T: FLOAT } },
  ];
  return { nodes, weights: graphWeights };
}

/** IEEE half precision, rounded to nearest, as the converter's float16 quantization stores weights. */
export function float16Bits(value: number): number {
  const bits = new Uint32Array(Float32Array.of(value).buffer)[0];
  const sign = (bits >>> 16) & 0x8000;
  const exponent = ((bits >>> 23) & 0xff) - 127 + 15;
  const mantissa = bits & 0x7fffff;
  if (exponent >= 31) return sign | 0x7c00;
  if (exponent <= 0) return exponent < -10 ? sign : sign | (((mantissa | 0x800000) >> (1 - exponent)) + 0x1000) >> 13;
  // A carry out of the mantissa correctly rounds up into the exponent.
  return (sign | (exponent << 10)) + ((mantissa + 0x1000) >> 13);
}

export function float16Value(bits: number): number {
  const sign = bits & 0x8000 ? -1 : 1;
  const exponent = (bits >> 10) & 0x1f;
  const mantissa = bits & 0x3ff;
  if (exponent === 0) return sign * mantissa * 2 ** -24;
  return sign * (1 + mantissa / 1024) * 2 ** (exponent - 15);
}

interface StoredWeight {
  spec: Record<string, unknown>;
  bytes: Uint8Array;
  /** The float values TF.js must compute with after dequantizing. */
  dequantized: Float32Array | Int32Array;
}

/** uint8 quantization as the converter does it: value ≈ q · scale + min, q in 0..255. */
function storeUint8(values: Float32Array): { quantization: object; bytes: Uint8Array; dequantized: Float32Array } {
  const min = Math.min(...values);
  const max = Math.max(...values);
  const scale = max > min ? (max - min) / 255 : 1;
  const codes = Uint8Array.from(values, (value) => Math.round((value - min) / scale));
  return { quantization: { dtype: 'uint8', scale, min }, bytes: codes, dequantized: Float32Array.from(codes, (code) => Math.fround(code * scale + min)) };
}

function storeWeight(weight: GraphWeight, storage: WeightStorage): StoredWeight {
  const base = { name: weight.name, shape: weight.shape };
  if (weight.values instanceof Int32Array) {
    return { spec: { ...base, dtype: 'int32' }, bytes: new Uint8Array(weight.values.buffer.slice(0)), dequantized: weight.values };
  }
  if (storage === 'float16') {
    const halves = Uint16Array.from(weight.values, float16Bits);
    return { spec: { ...base, dtype: 'float32', quantization: { dtype: 'float16' } }, bytes: new Uint8Array(halves.buffer), dequantized: Float32Array.from(halves, float16Value) };
  }
  if (storage === 'uint8') {
    const { quantization, bytes, dequantized } = storeUint8(weight.values);
    return { spec: { ...base, dtype: 'float32', quantization }, bytes, dequantized };
  }
  return { spec: { ...base, dtype: 'float32' }, bytes: new Uint8Array(weight.values.buffer.slice(0)), dequantized: weight.values };
}

/**
 * Writes model.json + weights.bin into `folder`, its signature naming `outputs`; returns the
 * model.json path and each weight's values after dequantization (what the model must compute
 * with), by name.
 */
export async function writeGraphModel(
  folder: string,
  graph: { nodes: GraphNodeJson[]; weights: GraphWeight[] },
  storage: WeightStorage = 'float32',
  outputs: string[] = ['Identity'],
): Promise<{ modelPath: string; dequantized: Map<string, Float32Array | Int32Array> }> {
  await mkdir(folder, { recursive: true });
  const stored = graph.weights.map((weight) => storeWeight(weight, storage));
  const data = Buffer.concat(stored.map((weight) => weight.bytes));
  const modelJson = {
    format: 'graph-model',
    generatedBy: '2.15.0',
    convertedBy: 'TensorFlow.js Converter v4.22.0',
    signature: {
      inputs: { input_1: { name: 'input_1:0', dtype: 'DT_FLOAT', tensorShape: tensorShape([-1, 32, 32, 3]) } },
      outputs: Object.fromEntries(outputs.map((name, i) => [`output_${i}`, { name: `${name}:0`, dtype: 'DT_FLOAT' }])),
    },
    modelTopology: { node: graph.nodes, library: {}, versions: { producer: 1645 } },
    weightsManifest: [{ paths: ['weights.bin'], weights: stored.map((weight) => weight.spec) }],
  };
  const modelPath = path.join(folder, 'model.json');
  await writeFile(modelPath, JSON.stringify(modelJson));
  await writeFile(path.join(folder, 'weights.bin'), data);
  return { modelPath, dequantized: new Map(graph.weights.map((weight, i) => [weight.name, stored[i].dequantized])) };
}
