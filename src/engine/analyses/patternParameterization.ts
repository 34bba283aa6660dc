// The `lucid` preset's image parameterisation, as Lucid and Lucent's `param.image(fft=True,
// decorrelate=True)`: the numbers optimised are a spectrum, not pixels. Each image channel is an
// orthonormal real Fourier basis times the spectrum, each frequency scaled by 1 / frequency (so an
// equal step in every coefficient changes coarse structure more than fine: plain pixel ascent
// spends its steps on high-frequency noise); colour images mix their three channels by the square
// root of ImageNet's colour correlation (so a step changes brightness more than hue); the sum is
// then clipped into 0–255, so the image is always a valid input for the model (see clipInward).
//
// The basis is real (cos and sin columns) where Lucid uses a complex half-spectrum and irfft2d: the
// two span the same images with the same frequency weights, and matrix products are all TF.js
// needs to differentiate it (its FFT kernels are missing on WASM). Only frequencies up to a quarter
// cycle per pixel are kept (the first N/2 basis columns per axis): the 1/frequency weights leave
// the finer ones nearly still in a 40-step run anyway, Lucent's standard render (a 128-pixel image
// upsampled to the model's 224) reaches 0.29, and it makes the products and Adam 3–4× cheaper.
import * as tf from '@tensorflow/tfjs';
import type { Random } from '../seededRandom';
import { ConstantProduct } from '../tfjs/constantProduct';

/** Lucid's `color_correlation_svd_sqrt`: the square root of ImageNet's RGB correlation. */
const COLOR_CORRELATION_SVD_SQRT = [
  [0.26, 0.09, 0.02],
  [0.27, 0.0, -0.05],
  [0.27, -0.09, 0.03],
];
/** Lucid divides the image by 4 before its sigmoid ("reduces saturation"). */
const SPECTRUM_OUTPUT_DIVISOR = 4;
/** Pixel units per unit of the divided sum: 255 × the sigmoid's slope at gray, so a step moves a near-gray image as Lucid's does. */
const PIXELS_PER_UNIT = 255 / 4;
/** The image a zero spectrum draws (Lucid's sigmoid of 0, in pixels). */
const MID_GRAY = 255 / 2;
/** Lucid's starting spectrum: normal noise of standard deviation 0.01, a near-gray image. */
const INITIAL_SPECTRUM_SD = 0.01;
/** Lucid's decay_power: coefficient scale 1 / frequency¹. */
const DECAY_POWER = 1;

/** Column j of the N×N orthonormal real Fourier basis: 1/√N, then √(2/N)·cos and √(2/N)·sin of each frequency, then (N even) the alternating Nyquist column. */
export function realFourierBasis(size: number): Float32Array {
  const basis = new Float32Array(size * size);
  for (let n = 0; n < size; n++) {
    for (let column = 0; column < size; column++) {
      const k = Math.ceil(column / 2);
      let value: number;
      if (column === 0) value = 1 / Math.sqrt(size);
      else if (2 * k === size) value = (n % 2 === 0 ? 1 : -1) / Math.sqrt(size);
      else value = Math.sqrt(2 / size) * (column % 2 === 1 ? Math.cos((2 * Math.PI * k * n) / size) : Math.sin((2 * Math.PI * k * n) / size));
      basis[n * size + column] = value;
    }
  }
  return basis;
}

/** Cycles per pixel of basis column j. */
function columnFrequency(column: number, size: number): number {
  return Math.ceil(column / 2) / size;
}

/** Basis columns kept per axis: frequencies up to a quarter cycle per pixel. */
export function keptFrequencies(size: number): number {
  return Math.max(1, Math.ceil(size / 2));
}

/** The first `kept` columns of realFourierBasis(size): [size, kept], row-major. */
function truncatedBasis(size: number, kept: number): Float32Array {
  const full = realFourierBasis(size);
  const truncated = new Float32Array(size * kept);
  for (let n = 0; n < size; n++) truncated.set(full.subarray(n * size, n * size + kept), n * kept);
  return truncated;
}

/** Lucid's spectrum scale: 1 / max(|frequency|, 1/N)^decay, per kept (y column, x column). */
export function spectrumScale(size: number, kept = keptFrequencies(size)): Float32Array {
  const scale = new Float32Array(kept * kept);
  for (let row = 0; row < kept; row++) {
    for (let column = 0; column < kept; column++) {
      const frequency = Math.hypot(columnFrequency(row, size), columnFrequency(column, size));
      scale[row * kept + column] = 1 / Math.max(frequency, 1 / size) ** DECAY_POWER;
    }
  }
  return scale;
}

/** Lucid's `color_correlation_normalized`: the correlation root divided by its largest column norm. */
function normalizedColorCorrelation(): number[][] {
  const columnNorms = [0, 1, 2].map((column) => Math.hypot(...COLOR_CORRELATION_SVD_SQRT.map((row) => row[column])));
  const largest = Math.max(...columnNorms);
  return COLOR_CORRELATION_SVD_SQRT.map((row) => row.map((value) => value / largest));
}

/**
 * Images of `size`² pixels and 1 or 3 channels, drawn from a spectrum of shape [channels, batch,
 * K, K] (K = keptFrequencies(size)): channel-major, each image channel's coefficients indexed
 * [x frequency, y frequency]. That layout lets both basis products be plain matrix products with a
 * single transpose between the axes (and one to channels-last for colour images): transposes were
 * as costly as the products themselves. The frequency weights and the colour mix act before, in
 * JavaScript (weightSpectrum).
 */
export class FourierImageParameterization {
  /** Coefficients per axis. */
  readonly kept: number;
  /** `coefficients [·, K] · basisᵀ [K, N]`: the basis applied along the last axis. */
  private readonly alongLastAxis: ConstantProduct;
  /** [K, K]: the frequency weight of each coefficient (symmetric in the two axes), in pixel units. */
  private readonly scaleValues: Float32Array;
  /** Pixel colour = normalised correlation · decorrelated colour (Lucent's `t @ color_correlation_normalized.T`), on all coefficients at once. */
  private readonly colorMixValues: number[][] | undefined;

  constructor(
    readonly size: number,
    readonly channels: number,
    kept = keptFrequencies(size),
  ) {
    this.kept = Math.min(size, kept);
    this.alongLastAxis = new ConstantProduct(tf.tidy(() => tf.tensor2d(truncatedBasis(size, this.kept), [size, this.kept]).transpose<tf.Tensor2D>()));
    // Lucid's division by 4 and the slope into pixel units are folded into the weights.
    this.scaleValues = spectrumScale(size, this.kept).map((weight) => (weight / SPECTRUM_OUTPUT_DIVISOR) * PIXELS_PER_UNIT);
    this.colorMixValues = channels === 3 ? normalizedColorCorrelation() : undefined;
  }

  /** Lucid's start: normal noise of sd 0.01 per coefficient, from each filter's own stream (a near-gray image). */
  initialSpectrumValues(randoms: Random[]): Float32Array {
    const perChannel = this.kept * this.kept;
    const batch = randoms.length;
    const values = new Float32Array(this.channels * batch * perChannel);
    randoms.forEach((random, image) => {
      for (let channel = 0; channel < this.channels; channel++) {
        const offset = (channel * batch + image) * perChannel;
        for (let j = 0; j < perChannel; j++) values[offset + j] = standardNormal(random) * INITIAL_SPECTRUM_SD;
      }
    });
    return values;
  }

  /** [channels, batch, K, K]. */
  spectrumShape(batch: number): [number, number, number, number] {
    return [this.channels, batch, this.kept, this.kept];
  }

  /**
   * The spectrum's coefficients weighted by frequency and mixed into pixel colours, in JavaScript
   * (same layout), for pixelsOfWeighted; written into `out` (every value). The ascent keeps its
   * spectrum in JavaScript anyway (Adam), and the weighting and mixing as kernels, each with its
   * gradient, cost more in calls than in work.
   */
  weightSpectrum(spectrum: Float32Array, out: Float32Array = new Float32Array(spectrum.length)): Float32Array {
    this.mixAndScale(spectrum, false, out);
    // Mid-gray, on each image channel's constant coefficient (its basis column is 1/√N along
    // each axis): one addition per image channel, not a kernel over every pixel each step.
    const perImageChannel = this.kept * this.kept;
    for (let start = 0; start < out.length; start += perImageChannel) out[start] += MID_GRAY * this.size;
    return out;
  }

  /** The gradient with respect to the spectrum, from that with respect to its weighted coefficients (the transpose of weightSpectrum's linear part), written into `out`. */
  spectrumGradient(weightedGradient: Float32Array, out: Float32Array = new Float32Array(weightedGradient.length)): Float32Array {
    return this.mixAndScale(weightedGradient, true, out);
  }

  /** `colour mix · (values ⊙ scale)`, or with the mix transposed; channel-major layout, any batch size. */
  private mixAndScale(values: Float32Array, transposed: boolean, out: Float32Array): Float32Array {
    const { scaleValues, colorMixValues } = this;
    const perImageChannel = scaleValues.length;
    // The weight index k runs through one image channel's coefficients and starts again (no modulo:
    // these loops run twice a step over every coefficient).
    if (!colorMixValues) {
      for (let j = 0, k = 0; j < values.length; j++, k = k + 1 === perImageChannel ? 0 : k + 1) out[j] = values[j] * scaleValues[k];
      return out;
    }
    const mix = (row: number, column: number) => (transposed ? colorMixValues[column][row] : colorMixValues[row][column]);
    const [m00, m01, m02, m10, m11, m12, m20, m21, m22] = [0, 1, 2].flatMap((row) => [0, 1, 2].map((column) => mix(row, column)));
    const perChannel = values.length / 3;
    for (let j = 0, k = 0; j < perChannel; j++, k = k + 1 === perImageChannel ? 0 : k + 1) {
      const red = values[j];
      const green = values[perChannel + j];
      const blue = values[2 * perChannel + j];
      const weight = scaleValues[k];
      out[j] = (m00 * red + m01 * green + m02 * blue) * weight;
      out[perChannel + j] = (m10 * red + m11 * green + m12 * blue) * weight;
      out[2 * perChannel + j] = (m20 * red + m21 * green + m22 * blue) * weight;
    }
    return out;
  }

  /** [batch, N, N, channels], 0–255: what the model is shown (before its preprocessing), from weighted coefficients (see weightSpectrum). Differentiable. */
  pixelsOfWeighted(weighted: tf.Tensor4D): tf.Tensor4D {
    return tf.tidy(() => {
      const [channels, batch, kept] = weighted.shape;
      const size = this.size;
      // Along y ([x-frequency, y-frequency] → [x-frequency, y]), then along x ([y, x-frequency] → [y, x]).
      const alongY = this.alongLastAxis.apply(weighted.reshape([-1, kept])).reshape([channels * batch, kept, size]);
      const alongX = this.alongLastAxis.apply(alongY.transpose([0, 2, 1]).reshape([-1, kept])).reshape([channels, batch, size, size]);
      // [channels, batch, y, x] → [batch, y, x, channels].
      const image = channels === 1 ? alongX.reshape([batch, size, size, 1]) : alongX.transpose([1, 2, 3, 0]);
      return clipInward(image) as tf.Tensor4D;
    });
  }

  dispose(): void {
    this.alongLastAxis.dispose();
  }
}

/**
 * Values clipped to 0–255, with a projected gradient: it passes where a value is inside the range,
 * and outside only where it points back in. Lucid's sigmoid has a slope that vanishes towards black
 * and white, so the full contrast a filter wants took most of a 40-step run; plain clipping's
 * gradient is zero outside, so a pixel once clipped could never come back; passing every gradient
 * (straight through) lets the sum drift out of range and lag behind. With this one and the same
 * slope at gray, the median gain over the best real image went from 2.96× to 3.04× on FER and from
 * 2.84× to 2.93× on MNIST (bench/README.md, "Filter patterns on real models").
 */
const clipInward = tf.customGrad((...inputs: (tf.Tensor | tf.GradSaveFunc)[]) => {
  const values = inputs[0] as tf.Tensor;
  const save = inputs[1] as tf.GradSaveFunc;
  const clipped = values.clipByValue(0, 255);
  // Above the range > 0, below it < 0, inside 0.
  const outside = values.sub(clipped);
  save([outside]);
  return {
    value: clipped,
    // dy − dy·[dy·outside > 0]: float steps, as WASM's boolean kernels are several times slower.
    gradFunc: (dy: tf.Tensor, [savedOutside]: tf.Tensor[]) => dy.sub(dy.mul(tf.step(dy.mul(savedOutside)))),
  };
});

/** A standard normal draw (Box–Muller) from a uniform stream. */
function standardNormal(random: Random): number {
  const u = 1 - random();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * random());
}
