// Makes the TF.js 4.22 WASM backend usable for training small CNNs in Node without tfjs-node.
// WASM has no Conv2DBackpropFilter kernel at all, and its Conv2DBackpropInput and MaxPoolGrad are
// plain loops that take ~10× longer than the forward pass. For the common cases (stride-1
// convolutions, 2×2 max pooling) each gradient is rebuilt here from fast XNNPACK-backed kernels;
// other cases fall through to the original kernels.
import * as tf from '@tensorflow/tfjs';

type KernelArgs = Parameters<tf.KernelFunc>[0];
type Shape4D = [number, number, number, number];

export function registerWasmTrainingKernels(): void {
  const conv2d = wasmKernel(tf.Conv2D);
  const transpose = wasmKernel(tf.Transpose);
  const reverse = wasmKernel(tf.Reverse);
  const equal = wasmKernel(tf.Equal);
  const cast = wasmKernel(tf.Cast);
  const multiply = wasmKernel(tf.Multiply);
  const resizeNearest = wasmKernel(tf.ResizeNearestNeighbor);

  replaceWasmKernel(tf.Conv2DBackpropFilter, (args, original) => {
    const x = args.inputs.x as tf.TensorInfo;
    const dy = args.inputs.dy as tf.TensorInfo;
    const attrs = args.attrs as unknown as tf.Conv2DBackpropFilterAttrs;
    const convInfo = tf.backend_util.computeConv2DInfo(
      x.shape as Shape4D, attrs.filterShape, attrs.strides, 1, attrs.pad, attrs.dimRoundingMode);
    if (attrs.dataFormat !== 'NHWC' || convInfo.strideHeight !== 1 || convInfo.strideWidth !== 1) {
      return original(args);
    }
    const { top, bottom, left, right } = convInfo.padInfo;
    return withIntermediates(args.backend, (keep) => {
      // dW[i, j, c, o] = Σ_{b,y,x} xPadded[b, y+i, x+j, c] · dy[b, y, x, o]: a convolution of x laid
      // out as [c, y, x, b] with dy as the filter [y, x, b, o], which gives [c, i, j, o].
      const channelsAsBatch = keep(transpose({ ...args, inputs: { x }, attrs: { perm: [3, 1, 2, 0] } }));
      const gradientAsFilter = keep(transpose({ ...args, inputs: { x: dy }, attrs: { perm: [1, 2, 0, 3] } }));
      const gradient = keep(conv2d({
        ...args,
        inputs: { x: channelsAsBatch, filter: gradientAsFilter },
        attrs: { strides: 1, dilations: 1, pad: explicitPadding(top, bottom, left, right), dataFormat: 'NHWC' },
      }));
      return transpose({ ...args, inputs: { x: gradient }, attrs: { perm: [1, 2, 0, 3] } });
    });
  });

  replaceWasmKernel(tf.Conv2DBackpropInput, (args, original) => {
    const dy = args.inputs.dy as tf.TensorInfo;
    const filter = args.inputs.filter as tf.TensorInfo;
    const attrs = args.attrs as unknown as tf.Conv2DBackpropInputAttrs;
    const convInfo = tf.backend_util.computeConv2DInfo(
      attrs.inputShape, filter.shape as Shape4D, attrs.strides, 1, attrs.pad, attrs.dimRoundingMode);
    if (attrs.dataFormat !== 'NHWC' || convInfo.strideHeight !== 1 || convInfo.strideWidth !== 1) {
      return original(args);
    }
    const { filterHeight, filterWidth } = convInfo;
    const { top, bottom, left, right } = convInfo.padInfo;
    return withIntermediates(args.backend, (keep) => {
      // dx is dy convolved with the filter rotated by 180° and its in/out channels swapped,
      // padded so that every output position sees the input positions that fed it.
      const flipped = keep(reverse({ ...args, inputs: { x: filter }, attrs: { dims: [0, 1] } }));
      const swapped = keep(transpose({ ...args, inputs: { x: flipped }, attrs: { perm: [0, 1, 3, 2] } }));
      return conv2d({
        ...args,
        inputs: { x: dy, filter: swapped },
        attrs: {
          strides: 1,
          dilations: 1,
          pad: explicitPadding(filterHeight - 1 - top, filterHeight - 1 - bottom, filterWidth - 1 - left, filterWidth - 1 - right),
          dataFormat: 'NHWC',
        },
      });
    });
  });

  replaceWasmKernel(tf.MaxPoolGrad, (args, original) => {
    const dy = args.inputs.dy as tf.TensorInfo;
    const input = args.inputs.input as tf.TensorInfo;
    const output = args.inputs.output as tf.TensorInfo;
    const attrs = args.attrs as unknown as tf.MaxPoolGradAttrs;
    const [, height, width] = input.shape;
    const isPlain2x2 = [attrs.filterSize, attrs.strides].every((v) => v === 2 || (Array.isArray(v) && v[0] === 2 && v[1] === 2));
    if (!isPlain2x2 || attrs.pad !== 'valid' || height % 2 !== 0 || width % 2 !== 0) {
      return original(args);
    }
    return withIntermediates(args.backend, (keep) => {
      // Copy the pooled max and dy back over their 2×2 windows; the gradient goes where the input
      // equals its window's max. Ties only happen in practice between ReLU zeros, whose own
      // gradient is zero, so routing it to all of them changes nothing.
      const upsample = (x: tf.TensorInfo) =>
        keep(resizeNearest({ ...args, inputs: { images: x }, attrs: { size: [height, width], alignCorners: false, halfPixelCenters: false } }));
      const isMax = keep(equal({ ...args, inputs: { a: input, b: upsample(output) } }));
      const mask = keep(cast({ ...args, inputs: { x: isMax }, attrs: { dtype: 'float32' } }));
      return multiply({ ...args, inputs: { a: mask, b: upsample(dy) } });
    });
  });
}

function wasmKernel(kernelName: string): tf.KernelFunc {
  const kernel = tf.getKernel(kernelName, 'wasm');
  if (kernel == null) {
    throw new Error(`The wasm backend has no ${kernelName} kernel; load @tensorflow/tfjs-backend-wasm first.`);
  }
  return kernel.kernelFunc;
}

/** Registers `kernelFunc` for wasm; `original` is the kernel it replaces (or one that throws). */
function replaceWasmKernel(
  kernelName: string,
  kernelFunc: (args: KernelArgs, original: (args: KernelArgs) => tf.TensorInfo | tf.TensorInfo[]) => tf.TensorInfo | tf.TensorInfo[],
): void {
  const existing = tf.getKernel(kernelName, 'wasm');
  const original = existing?.kernelFunc ?? (() => {
    throw new Error(`The wasm backend has no general ${kernelName} kernel.`);
  });
  if (existing != null) {
    tf.unregisterKernel(kernelName, 'wasm');
  }
  tf.registerKernel({ kernelName, backendName: 'wasm', kernelFunc: (args) => kernelFunc(args, original) });
}

/** Runs `compute`, then frees every intermediate it passed to `keep`. */
function withIntermediates(
  backend: unknown,
  compute: (keep: (result: tf.TensorInfo | tf.TensorInfo[]) => tf.TensorInfo) => tf.TensorInfo | tf.TensorInfo[],
): tf.TensorInfo | tf.TensorInfo[] {
  const intermediates: tf.TensorInfo[] = [];
  try {
    return compute((result) => {
      const info = result as tf.TensorInfo;
      intermediates.push(info);
      return info;
    });
  } finally {
    for (const info of intermediates) {
      (backend as tf.KernelBackend).disposeData(info.dataId);
    }
  }
}

function explicitPadding(top: number, bottom: number, left: number, right: number): tf.backend_util.ExplicitPadding {
  return [[0, 0], [top, bottom], [left, right], [0, 0]];
}
