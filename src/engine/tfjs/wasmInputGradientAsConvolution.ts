// The input gradient of a convolution as a stride-1 forward convolution, which the WASM backend
// runs fast (XNNPACK, threaded); used for ordinary and depthwise convolutions alike. With strides
// s, padding (top, left) and a kernel of kh × kw taps:
//
//   dx[u, v] = Σ_{p,q} dy[(u + top − p) / s, (v + left − q) / s] · w[p, q]
//
// over the terms where the division is exact and falls inside dy. That is a stride-1 convolution,
// with the kernel flipped spatially, of dy spread out with s − 1 zeros between its rows and columns
// and padded by kh − 1 − top above and kw − 1 − left on the left (and below and on the right by
// what makes the result as large as x; rows past the last window's reach get zeros, as they
// should). For stride 1 there is nothing to spread and the convolution pads by itself.
import type * as tf from '@tensorflow/tfjs';
import type { WasmHeapBackend } from './wasmHeap';

export type ExplicitPadding = [[number, number], [number, number], [number, number], [number, number]];

export interface InputGradientConvolution {
  strideHeight: number;
  strideWidth: number;
  /** Whether dy must be spread out with zeros first (a stride above 1). */
  spread: boolean;
  /** Padding of the stride-1 convolution: applied by the kernel, or written into the spread copy of dy. */
  padding: ExplicitPadding;
}

/** The stride-1 convolution for the input gradient of the forward convolution `info`, or undefined where it has none (dilation, or padding wider than the kernel). */
export function inputGradientConvolution(info: tf.backend_util.Conv2DInfo): InputGradientConvolution | undefined {
  if (info.dilationHeight !== 1 || info.dilationWidth !== 1 || info.outHeight < 1 || info.outWidth < 1) return undefined;
  const padTop = info.filterHeight - 1 - info.padInfo.top;
  const padLeft = info.filterWidth - 1 - info.padInfo.left;
  const padBottom = info.inHeight + info.filterHeight - 1 - padTop - ((info.outHeight - 1) * info.strideHeight + 1);
  const padRight = info.inWidth + info.filterWidth - 1 - padLeft - ((info.outWidth - 1) * info.strideWidth + 1);
  if ([padTop, padLeft, padBottom, padRight].some((pad) => pad < 0)) return undefined;
  return {
    strideHeight: info.strideHeight,
    strideWidth: info.strideWidth,
    spread: info.strideHeight !== 1 || info.strideWidth !== 1,
    padding: [[0, 0], [padTop, padBottom], [padLeft, padRight], [0, 0]],
  };
}

/** dy [b, h, w, c] with stride − 1 zeros between its rows and columns and the padding around it, in one pass over the WASM heap. */
export function spreadWithZeros(backend: WasmHeapBackend, dy: tf.TensorInfo, { strideHeight, strideWidth, padding }: InputGradientConvolution): tf.TensorInfo {
  const [batch, outHeight, outWidth, channels] = dy.shape;
  const [, [padTop, padBottom], [padLeft, padRight]] = padding;
  const height = padTop + (outHeight - 1) * strideHeight + 1 + padBottom;
  const width = padLeft + (outWidth - 1) * strideWidth + 1 + padRight;
  const spread = backend.makeOutput([batch, height, width, channels], 'float32');
  // Views only after the allocation, which may have grown (and so replaced) the heap.
  const source = backend.typedArrayFromHeap(dy) as Float32Array;
  const target = backend.typedArrayFromHeap(spread) as Float32Array;
  target.fill(0);
  let from = 0;
  for (let b = 0; b < batch; b++) {
    for (let row = 0; row < outHeight; row++) {
      let to = ((b * height + padTop + row * strideHeight) * width + padLeft) * channels;
      for (let col = 0; col < outWidth; col++) {
        for (let c = 0; c < channels; c++) target[to + c] = source[from + c];
        from += channels;
        to += strideWidth * channels;
      }
    }
  }
  return spread;
}
