// The WASM backend of TF.js 4.22 has no Conv2DBackpropFilter kernel (the cpu backend's runs in its
// place, in plain JavaScript). For stride 1 the filter gradient is itself a forward convolution,
// which XNNPACK runs many times faster:
//   dW[i, j, c, o] = Σ_{b, y, x} xPadded[b, y + i, x + j, c] · dy[b, y, x, o]
// is the convolution of x laid out as [c, y, x, b] (channels as the batch) with dy laid out as a
// filter [y, x, b, o], giving [c, i, j, o]. Training a model (the example model's script) spends
// most of its time here; the analyses compute filter gradients only where they are asked for.
import * as tf from '@tensorflow/tfjs';

type KernelArgs = Parameters<tf.KernelFunc>[0];

/** The filter gradient as a forward convolution, or undefined where it is not one (strides, channels-first). */
export function filterGradientAsConvolution(args: KernelArgs): tf.TensorInfo | undefined {
  const { x, dy } = args.inputs as unknown as { x: tf.TensorInfo; dy: tf.TensorInfo };
  const attrs = args.attrs as unknown as tf.Conv2DBackpropFilterAttrs;
  const dataFormat = tf.backend_util.convertConv2DDataFormat(attrs.dataFormat);
  if (dataFormat !== 'channelsLast' || x.dtype !== 'float32' || dy.dtype !== 'float32') return undefined;
  const info = tf.backend_util.computeConv2DInfo(
    x.shape as [number, number, number, number],
    attrs.filterShape,
    attrs.strides,
    1,
    attrs.pad,
    attrs.dimRoundingMode,
    false,
    dataFormat,
  );
  if (info.strideHeight !== 1 || info.strideWidth !== 1) return undefined;
  const wasmKernel = (name: string) => tf.getKernel(name, 'wasm')?.kernelFunc;
  const [transpose, conv2d] = [wasmKernel(tf.Transpose), wasmKernel(tf.Conv2D)];
  if (!transpose || !conv2d) return undefined;
  const backend = args.backend as tf.KernelBackend;
  const permuted = (input: tf.TensorInfo, perm: number[]) => transpose({ inputs: { x: input }, attrs: { perm }, backend }) as tf.TensorInfo;
  const made: tf.TensorInfo[] = [];
  try {
    const channelsAsBatch = permuted(x, [3, 1, 2, 0]);
    made.push(channelsAsBatch);
    const gradientAsFilter = permuted(dy, [1, 2, 0, 3]);
    made.push(gradientAsFilter);
    const { top, bottom, left, right } = info.padInfo;
    const gradient = conv2d({
      inputs: { x: channelsAsBatch, filter: gradientAsFilter },
      attrs: { strides: 1, dilations: 1, pad: [[0, 0], [top, bottom], [left, right], [0, 0]], dataFormat: 'NHWC' } as unknown as tf.NamedAttrMap,
      backend,
    }) as tf.TensorInfo;
    made.push(gradient);
    return permuted(gradient, [1, 2, 0, 3]);
  } finally {
    for (const info of made) backend.disposeData(info.dataId);
  }
}
