// A product with a constant matrix whose gradient avoids TF.js's slow transposed-operand kernel.
import * as tf from '@tensorflow/tfjs';

/**
 * A product with a constant matrix, `x · constant`, differentiable in x only. TF.js differentiates a
 * matMul by a matMul with a transposed operand: WASM's stock kernel runs that as a plain loop, and
 * wasmFastTransposedMatMul.ts as two transposes around a plain product. Here the gradient is a
 * plain product with the constant's transpose, kept ready. Both are kept out of any tidy the
 * product is made in; dispose() frees them.
 */
export class ConstantProduct {
  private readonly constant: tf.Tensor2D;
  private readonly constantTransposed: tf.Tensor2D;
  private readonly product: (x: tf.Tensor) => tf.Tensor;

  constructor(constant: tf.Tensor2D) {
    this.constant = tf.keep(constant);
    this.constantTransposed = tf.keep(constant.transpose());
    this.product = tf.customGrad((...inputs: (tf.Tensor | tf.GradSaveFunc)[]) => ({
      value: (inputs[0] as tf.Tensor2D).matMul(this.constant),
      gradFunc: (dy: tf.Tensor) => (dy as tf.Tensor2D).matMul(this.constantTransposed),
    }));
  }

  apply(x: tf.Tensor2D): tf.Tensor2D {
    return this.product(x) as tf.Tensor2D;
  }

  dispose(): void {
    tf.dispose([this.constant, this.constantTransposed]);
  }
}
