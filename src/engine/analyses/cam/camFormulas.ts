// The CAM methods' formulas over a feature map A ([1, h, w, k]) and the class score's gradient G
// there, each as its paper states it. They return the map before the ReLU and the normalisation
// every method shares (normalizeHeatmap), row-major h × w. The gradient's scale does not matter: a
// map is divided by its maximum.
import * as tf from '@tensorflow/tfjs';

export type GradientCamMethod = 'gradcampp' | 'xgradcam' | 'layercam' | 'hirescam';

/** Σ_k w_k · A_k for per-channel weights w ([k]). */
function weightedSum(featureMap: tf.Tensor, weights: tf.Tensor): tf.Tensor {
  return tf.sum(tf.mul(featureMap, weights), -1);
}

/**
 * Grad-CAM++: with the score's exponential (the paper's choice), the higher derivatives are powers
 * of G, and α = G² / (2G² + Σ_ab A_ab · G³) (0 where that is 0/0); w_k = Σ_ij α · ReLU(G).
 */
function gradCamPlusPlus(featureMap: tf.Tensor, gradient: tf.Tensor): tf.Tensor {
  const squared = tf.square(gradient);
  const cubed = tf.mul(squared, gradient);
  const activationSums = tf.sum(featureMap, [1, 2], true);
  const denominator = tf.add(tf.mul(2, squared), tf.mul(activationSums, cubed));
  const defined = tf.notEqual(denominator, 0);
  const alpha = tf.where(defined, tf.div(squared, tf.where(defined, denominator, tf.onesLike(denominator))), tf.zerosLike(denominator));
  const weights = tf.sum(tf.mul(alpha, tf.relu(gradient)), [0, 1, 2]);
  return weightedSum(featureMap, weights);
}

/** XGrad-CAM: w_k = Σ_ij (A_kij / Σ_ab A_kab) · G_kij (0 for a channel that sums to 0). */
function xGradCam(featureMap: tf.Tensor, gradient: tf.Tensor): tf.Tensor {
  const activationSums = tf.sum(featureMap, [0, 1, 2]);
  const defined = tf.notEqual(activationSums, 0);
  const weighted = tf.sum(tf.mul(featureMap, gradient), [0, 1, 2]);
  const weights = tf.where(defined, tf.div(weighted, tf.where(defined, activationSums, tf.onesLike(activationSums))), tf.zerosLike(weighted));
  return weightedSum(featureMap, weights);
}

/** LayerCAM: Σ_k ReLU(G_k) ⊙ A_k, location by location. */
const layerCam = (featureMap: tf.Tensor, gradient: tf.Tensor) => tf.sum(tf.mul(tf.relu(gradient), featureMap), -1);

/** HiResCAM: Σ_k G_k ⊙ A_k, location by location. */
const hiResCam = (featureMap: tf.Tensor, gradient: tf.Tensor) => tf.sum(tf.mul(gradient, featureMap), -1);

const GRADIENT_FORMULAS: Record<GradientCamMethod, (featureMap: tf.Tensor, gradient: tf.Tensor) => tf.Tensor> = {
  gradcampp: gradCamPlusPlus,
  xgradcam: xGradCam,
  layercam: layerCam,
  hirescam: hiResCam,
};

export function isGradientCamMethod(method: string): method is GradientCamMethod {
  return method in GRADIENT_FORMULAS;
}

/** A gradient method's map before the ReLU. */
export function gradientCamMap(method: GradientCamMethod, featureMap: tf.Tensor4D, gradient: tf.Tensor4D): Float32Array {
  const map = tf.tidy(() => GRADIENT_FORMULAS[method](featureMap, gradient));
  try {
    return map.dataSync() as Float32Array;
  } finally {
    map.dispose();
  }
}

/** Σ_k w_k · A_k for weights computed elsewhere (Score-CAM, Ablation-CAM). */
export function weightedFeatureMapSum(featureMap: tf.Tensor4D, weights: Float32Array): Float32Array {
  const map = tf.tidy(() => weightedSum(featureMap, tf.tensor1d(weights)));
  try {
    return map.dataSync() as Float32Array;
  } finally {
    map.dispose();
  }
}

const POWER_ITERATIONS = 2000;
const CONVERGED = 1e-12;

/**
 * Eigen-CAM: the feature maps as a (h·w) × k matrix A, projected on its first right singular vector
 * v₁ (A·v₁ = σ₁·u₁, u₁ the first eigenvector of A·Aᵀ). The singular vector's sign is arbitrary; it is
 * chosen so that the projection sums to a positive value, the side of the activations themselves.
 */
export function eigenCamMap(featureMap: tf.Tensor4D): Float32Array {
  const [, height, width, channels] = featureMap.shape;
  const locations = height * width;
  const values = featureMap.dataSync();
  // The Gram matrix on the smaller side, in float64: (h·w)² from A·Aᵀ, or k² from Aᵀ·A.
  const viaLocations = locations <= channels;
  const size = viaLocations ? locations : channels;
  const gram = new Float64Array(size * size);
  if (viaLocations) {
    for (let i = 0; i < locations; i++) {
      for (let j = i; j < locations; j++) {
        let sum = 0;
        for (let c = 0; c < channels; c++) sum += values[i * channels + c] * values[j * channels + c];
        gram[i * size + j] = gram[j * size + i] = sum;
      }
    }
  } else {
    for (let l = 0; l < locations; l++) {
      const row = l * channels;
      for (let a = 0; a < channels; a++) {
        const value = values[row + a];
        if (value === 0) continue;
        for (let b = a; b < channels; b++) gram[a * size + b] += value * values[row + b];
      }
    }
    for (let a = 0; a < channels; a++) for (let b = 0; b < a; b++) gram[a * size + b] = gram[b * size + a];
  }
  const vector = dominantEigenvector(gram, size);
  const projection = new Float64Array(locations);
  if (viaLocations) {
    projection.set(vector);
  } else {
    for (let l = 0; l < locations; l++) {
      let sum = 0;
      for (let c = 0; c < channels; c++) sum += values[l * channels + c] * vector[c];
      projection[l] = sum;
    }
  }
  const sign = projection.reduce((a, b) => a + b, 0) < 0 ? -1 : 1;
  return Float32Array.from(projection, (value) => sign * value);
}

/** The unit eigenvector of the largest eigenvalue of a symmetric positive semi-definite matrix, by power iteration. */
function dominantEigenvector(matrix: Float64Array, size: number): Float64Array {
  let vector = new Float64Array(size).fill(1 / Math.sqrt(size));
  for (let iteration = 0; iteration < POWER_ITERATIONS; iteration++) {
    const next = new Float64Array(size);
    for (let i = 0; i < size; i++) {
      let sum = 0;
      for (let j = 0; j < size; j++) sum += matrix[i * size + j] * vector[j];
      next[i] = sum;
    }
    const norm = Math.hypot(...next);
    if (norm === 0) return next;
    let change = 0;
    for (let i = 0; i < size; i++) {
      next[i] /= norm;
      change += (next[i] - vector[i]) ** 2;
    }
    vector = next;
    if (change < CONVERGED) break;
  }
  return vector;
}
