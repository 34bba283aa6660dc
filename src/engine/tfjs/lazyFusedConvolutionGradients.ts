// TF.js's fused convolution ops (tf.fused.conv2d and tf.fused.depthwiseConv2d: what every Keras
// Conv2D layer runs, and the converter's _FusedConv2D / FusedDepthwiseConv2dNative nodes) record
// their gradient as one custom function that computes the filter's and the bias' gradient along
// with the input's, whether or not anything asks for them. Under a gradient they are used where the
// activation is linear: every convolution followed by BatchNormalization (all of MobileNet's).
// Filter patterns and Grad-CAM ask only for the input's gradient, so each of those convolutions
// also computed its filter gradient, for nothing; on WASM that kernel ran on the cpu backend: 14.8 s
// of a 16 s gradient step through MobileNetV2 (α 0.35, four 224-px images to block_3_expand).
//
// Here, on the WASM backend (the cpu backend, the tests' oracle, keeps TF.js's), the engine's tape
// node for those ops gets a gradient that computes each derivative only when the backward pass asks
// for it, with the same kernels and the same formulas as the stock one (the derivatives of x,
// filter and bias do not depend on each other). The strides and padding it needs are not on the
// tape node: they are remembered from the fused kernel's own call, keyed by its output's data
// (which the tape node's output shares). Anything else (dilations, channels-first, an activation)
// keeps the stock gradient.
import * as tf from '@tensorflow/tfjs';

/** The scope names TF.js gives the custom ops, which the engine uses as their tape nodes' kernel names. */
const FUSED_CONV_2D_OP = 'fusedConv2d__op';
const FUSED_DEPTHWISE_CONV_2D_OP = 'fusedDepthwiseConv2d__op';

/** The attributes of FusedConv2D and FusedDepthwiseConv2D that the gradient needs. */
interface FusedConvolutionAttrs {
  strides: [number, number] | number;
  pad: 'valid' | 'same' | number | tf.backend_util.ExplicitPadding;
  dataFormat?: 'NHWC' | 'NCHW';
  dilations?: [number, number] | number;
  dimRoundingMode?: 'floor' | 'round' | 'ceil';
  activation?: string;
}

type GradientMap = Record<string, () => tf.Tensor>;
type GradientsFunc = (dy: tf.Tensor | tf.Tensor[], saved: tf.Tensor[], attrs: tf.NamedAttrMap) => GradientMap;

/** The engine's methods patched here (private in TF.js's types). */
interface EngineInternals {
  state: { gradientDepth: number };
  runKernel(kernelName: string, inputs: tf.NamedTensorMap, attrs?: tf.NamedAttrMap): tf.Tensor | tf.Tensor[];
  addTapeNode(kernelName: string, inputs: tf.NamedTensorMap, outputs: tf.Tensor[], gradientsFunc: GradientsFunc | undefined, saved: tf.Tensor[], attrs: tf.NamedAttrMap): void;
}

/** The fused kernel and attributes that produced each output made while a gradient was being recorded. */
const fusedCallByOutput = new WeakMap<tf.DataId, { kernelName: string; attrs: FusedConvolutionAttrs }>();

const isOne = (value: [number, number] | number | undefined) => value === undefined || (Array.isArray(value) ? value.every((v) => v === 1) : value === 1);

/** True where the stock gradient would compute what the lazy one does: NHWC, no dilation, linear. */
function lazyGradientApplies(attrs: FusedConvolutionAttrs): boolean {
  return (attrs.dataFormat ?? 'NHWC') === 'NHWC' && isOne(attrs.dilations) && (attrs.activation ?? 'linear') === 'linear';
}

/** dy as the 4-D tensor the kernels take (the op returns 3-D for a 3-D input). */
const as4d = (dy: tf.Tensor, outputShape4d: number[]) => (dy.rank === 4 ? dy : tf.reshape(dy, outputShape4d));

/** The stock gradient's derivatives of the fused convolution, each computed when called. */
function lazyGradients(engine: EngineInternals, depthwise: boolean, attrs: FusedConvolutionAttrs, saved: tf.Tensor[]): GradientsFunc {
  const [filter, x4d, , bias] = saved;
  const { strides, pad, dimRoundingMode } = attrs;
  const dilations = attrs.dilations ?? 1;
  return (dyOrDys) => {
    const dy = Array.isArray(dyOrDys) ? dyOrDys[0] : dyOrDys;
    const outputShape4d = tf.backend_util.computeConv2DInfo(x4d.shape as [number, number, number, number], filter.shape as [number, number, number, number], strides, dilations, pad, dimRoundingMode, depthwise).outShape;
    const gradients: GradientMap = depthwise
      ? {
          0: () => engine.runKernel(tf.DepthwiseConv2dNativeBackpropInput, { dy: as4d(dy, outputShape4d), filter }, { strides, pad, dimRoundingMode, dilations, inputShape: x4d.shape } as unknown as tf.NamedAttrMap) as tf.Tensor,
          1: () => engine.runKernel(tf.DepthwiseConv2dNativeBackpropFilter, { x: x4d, dy: as4d(dy, outputShape4d) }, { strides, pad, dimRoundingMode, dilations, filterShape: filter.shape } as unknown as tf.NamedAttrMap) as tf.Tensor,
        }
      : {
          0: () => engine.runKernel(tf.Conv2DBackpropInput, { dy: as4d(dy, outputShape4d), filter }, { strides, pad, dataFormat: 'NHWC', dimRoundingMode, inputShape: x4d.shape } as unknown as tf.NamedAttrMap) as tf.Tensor,
          1: () => engine.runKernel(tf.Conv2DBackpropFilter, { x: x4d, dy: as4d(dy, outputShape4d) }, { strides, pad, dataFormat: 'NHWC', dimRoundingMode, filterShape: filter.shape } as unknown as tf.NamedAttrMap) as tf.Tensor,
        };
    if (bias) gradients[2] = () => tf.backend_util.getFusedBiasGradient(bias, dy);
    return gradients;
  };
}

let original: Pick<EngineInternals, 'runKernel' | 'addTapeNode'> | undefined;

/** Gives the fused convolutions' tape nodes the lazy gradient (once); a no-op where the engine lacks what it patches. */
export function installLazyFusedConvolutionGradients(): void {
  if (original) return;
  const engine = tf.engine() as unknown as EngineInternals;
  if (typeof engine.runKernel !== 'function' || typeof engine.addTapeNode !== 'function' || !engine.state || !('gradientDepth' in engine.state)) return;
  const { runKernel, addTapeNode } = engine;
  original = { runKernel, addTapeNode };
  engine.runKernel = function (this: EngineInternals, kernelName, inputs, attrs) {
    const result = runKernel.call(this, kernelName, inputs, attrs);
    if ((kernelName === tf.FusedConv2D || kernelName === tf.FusedDepthwiseConv2D) && this.state.gradientDepth > 0 && !Array.isArray(result) && tf.getBackend() === 'wasm') {
      fusedCallByOutput.set(result.dataId, { kernelName, attrs: attrs as unknown as FusedConvolutionAttrs });
    }
    return result;
  };
  engine.addTapeNode = function (this: EngineInternals, kernelName, inputs, outputs, gradientsFunc, saved, attrs) {
    const fusedCall = kernelName === FUSED_CONV_2D_OP || kernelName === FUSED_DEPTHWISE_CONV_2D_OP ? fusedCallByOutput.get(outputs[0]?.dataId) : undefined;
    const depthwise = kernelName === FUSED_DEPTHWISE_CONV_2D_OP;
    const matches = fusedCall && tf.getBackend() === 'wasm' && fusedCall.kernelName === (depthwise ? tf.FusedDepthwiseConv2D : tf.FusedConv2D) && saved.length >= 3 && lazyGradientApplies(fusedCall.attrs);
    addTapeNode.call(this, kernelName, inputs, outputs, matches ? lazyGradients(this, depthwise, fusedCall.attrs, saved) : gradientsFunc, saved, attrs);
  };
}

/** Puts the engine's own methods back: the stock, eager gradients (for a test comparing the two). */
export function restoreEagerFusedConvolutionGradients(): void {
  if (!original) return;
  const engine = tf.engine() as unknown as EngineInternals;
  // The patches are own properties of the engine object; deleting them uncovers the prototype's methods.
  delete (engine as Partial<EngineInternals>).runKernel;
  delete (engine as Partial<EngineInternals>).addTapeNode;
  if (engine.runKernel !== original.runKernel) engine.runKernel = original.runKernel;
  if (engine.addTapeNode !== original.addTapeNode) engine.addTapeNode = original.addTapeNode;
  original = undefined;
}
