// The `clear` preset's total-variation smoothing, taken as an implicit step. Its penalty is the
// squared total variation ½ Σ (neighbour differences)², whose gradient is the image's Laplacian L;
// the old explicit step `x −= step · weight · L x` diverges once step · weight exceeds 1/4 (L's
// largest eigenvalue is 8), which made `--step` above about 5 give ±2e11 images. The implicit step
// solves `(I + step · weight · L) x_next = x` instead: stable for any step and weight, the same to
// first order where the explicit one was stable. L (with the penalty's free boundaries) is diagonal
// in the cosine basis (DCT-II), so the solve is four small matrix products per step.
import * as tf from '@tensorflow/tfjs';

/** Row k of the N×N orthonormal DCT-II matrix: the Laplacian's k-th eigenvector along one axis. */
export function cosineBasis(size: number): Float32Array {
  const basis = new Float32Array(size * size);
  for (let k = 0; k < size; k++) {
    const norm = Math.sqrt((k === 0 ? 1 : 2) / size);
    for (let n = 0; n < size; n++) basis[k * size + n] = norm * Math.cos((Math.PI * k * (n + 0.5)) / size);
  }
  return basis;
}

/** (I + h · L)⁻¹ for square images of one size, channels last. */
export class ImplicitSmoothing {
  /** [N, N]: rows are the cosine basis vectors. */
  private readonly basis: tf.Tensor2D;
  private readonly basisTransposed: tf.Tensor2D;
  /** [N, N]: L's eigenvalue for each pair of frequencies (rows: y, columns: x). */
  private readonly eigenvalues: tf.Tensor2D;

  constructor(readonly size: number) {
    this.basis = tf.tensor2d(cosineBasis(size), [size, size]);
    this.basisTransposed = this.basis.transpose();
    const axis = Array.from({ length: size }, (_, k) => 2 - 2 * Math.cos((Math.PI * k) / size));
    this.eigenvalues = tf.tensor2d(axis.flatMap((y) => axis.map((x) => y + x)), [size, size]);
  }

  /** `images` [batch, N, N, channels] after one implicit smoothing step of strength h = step × weight. */
  smooth(images: tf.Tensor4D, h: number): tf.Tensor4D {
    return tf.tidy(() => {
      const [batch, size, , channels] = images.shape;
      // [batch, y, x, c] → [batch·c, y, x]; coefficients = B · image · Bᵀ.
      const planes = images.transpose([0, 3, 1, 2]).reshape([batch * channels, size, size]);
      const alongX = planes.reshape([-1, size]).matMul(this.basisTransposed).reshape([batch * channels, size, size]);
      const coefficients = alongX.transpose([0, 2, 1]).reshape([-1, size]).matMul(this.basisTransposed).reshape([batch * channels, size, size]);
      // coefficients are [·, x-frequency, y-frequency] here, so the eigenvalues go transposed.
      const damped = coefficients.div(this.eigenvalues.transpose().mul(h).add(1));
      const backX = damped.reshape([-1, size]).matMul(this.basis).reshape([batch * channels, size, size]);
      const back = backX.transpose([0, 2, 1]).reshape([-1, size]).matMul(this.basis).reshape([batch, channels, size, size]);
      return back.transpose([0, 2, 3, 1]) as tf.Tensor4D;
    });
  }

  dispose(): void {
    tf.dispose([this.basis, this.basisTransposed, this.eigenvalues]);
  }
}
