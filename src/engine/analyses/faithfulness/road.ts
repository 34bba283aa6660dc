// ROAD, Rong et al.'s RemOve And Debias (ICML 2022): pixels are removed most-relevant-first (MoRF)
// or least-relevant-first (LeRF) and filled by noisy linear imputation, which leaves no trace of
// the removal's shape for the model to react to (what biases deletion with a constant). Each
// removed pixel becomes the weighted mean of its 8 neighbours (1/6 side, 1/12 diagonal; neighbours
// outside the image left out), all removed pixels solved together as one linear system per
// channel, then Gaussian noise is added to them. A faithful map makes the MoRF scores fall and
// the LeRF scores stay: `gap` = mean LeRF − mean MoRF is large.
import { scoresOfImages, type BatchHooks, type ImageShape } from '../attributions/batches';
import type { ClassScorer } from '../attributions/classScorer';
import { noiseStream, normalDeviates, valueRange } from '../attributions/seededNoise';
import { checkMapSize, mostRelevantFirst, pixelCount } from './pixelOrder';

export interface RoadOptions {
  /** Fractions of the pixels removed (ROAD's 20/40/60/80 % by default). */
  fractions?: number[];
  /** The noise's σ as a fraction of the image's value range, max − min (0.002: about ROAD's 0.01 on ImageNet-normalised inputs). */
  noiseLevel?: number;
  /** Image k's noise (MoRF at each fraction, then LeRF) is stream k of this seed (seededNoise.ts). */
  seed?: number;
  batchSize?: number;
}

export interface RoadScores {
  fractions: number[];
  /** The class score with that fraction of the most relevant pixels removed: should fall. */
  mostRelevantFirst: number[];
  /** … of the least relevant pixels removed: should stay. */
  leastRelevantFirst: number[];
  /** Mean LeRF − mean MoRF. */
  gap: number;
}

export const DEFAULT_ROAD_FRACTIONS = [0.2, 0.4, 0.6, 0.8];
export const DEFAULT_ROAD_NOISE_LEVEL = 0.002;

/** ROAD's neighbour weights: [dy, dx, weight]. */
const NEIGHBOURS: [number, number, number][] = [
  [-1, -1, 1 / 12], [-1, 0, 1 / 6], [-1, 1, 1 / 12],
  [0, -1, 1 / 6], [0, 1, 1 / 6],
  [1, -1, 1 / 12], [1, 0, 1 / 6], [1, 1, 1 / 12],
];

/** The removed pixels' equations, Σ w (x_i − x_n) = 0 over the valid neighbours n, as a sparse symmetric positive-definite system. */
interface ImputationSystem {
  unknowns: Uint32Array;
  diagonal: Float64Array;
  /** Per unknown, its removed neighbours' unknown indices and weights (CSR). */
  rowStart: Uint32Array;
  columns: Uint32Array;
  weights: Float64Array;
  /** Per unknown, its known neighbours' pixel indices and weights (CSR), the right-hand side's terms. */
  knownStart: Uint32Array;
  knownPixels: Uint32Array;
  knownWeights: Float64Array;
}

function imputationSystem(removed: Uint8Array, height: number, width: number): ImputationSystem {
  const unknowns = Uint32Array.from(removed.keys()).filter((pixel) => removed[pixel] === 1);
  const unknownOf = new Int32Array(height * width).fill(-1);
  unknowns.forEach((pixel, i) => (unknownOf[pixel] = i));
  const diagonal = new Float64Array(unknowns.length);
  const rowStart = new Uint32Array(unknowns.length + 1);
  const knownStart = new Uint32Array(unknowns.length + 1);
  const columns: number[] = [];
  const weights: number[] = [];
  const knownPixels: number[] = [];
  const knownWeights: number[] = [];
  unknowns.forEach((pixel, i) => {
    const y = Math.floor(pixel / width);
    const x = pixel % width;
    for (const [dy, dx, weight] of NEIGHBOURS) {
      if (y + dy < 0 || y + dy >= height || x + dx < 0 || x + dx >= width) continue;
      const neighbour = (y + dy) * width + x + dx;
      diagonal[i] += weight;
      if (unknownOf[neighbour] >= 0) {
        columns.push(unknownOf[neighbour]);
        weights.push(weight);
      } else {
        knownPixels.push(neighbour);
        knownWeights.push(weight);
      }
    }
    rowStart[i + 1] = columns.length;
    knownStart[i + 1] = knownPixels.length;
  });
  return { unknowns, diagonal, rowStart, columns: Uint32Array.from(columns), weights: Float64Array.from(weights), knownStart, knownPixels: Uint32Array.from(knownPixels), knownWeights: Float64Array.from(knownWeights) };
}

/** Solves the system for one channel by Jacobi-preconditioned conjugate gradients, to a relative residual of 1e-10. */
function solveChannel(system: ImputationSystem, b: Float64Array): Float64Array {
  const n = b.length;
  const { diagonal, rowStart, columns, weights } = system;
  const multiply = (v: Float64Array, out: Float64Array) => {
    for (let i = 0; i < n; i++) {
      let sum = diagonal[i] * v[i];
      for (let j = rowStart[i]; j < rowStart[i + 1]; j++) sum -= weights[j] * v[columns[j]];
      out[i] = sum;
    }
  };
  const x = new Float64Array(n);
  const r = Float64Array.from(b);
  const z = new Float64Array(n);
  const q = new Float64Array(n);
  let rz = 0;
  let rr = 0;
  for (let i = 0; i < n; i++) {
    z[i] = r[i] / diagonal[i];
    rz += r[i] * z[i];
    rr += r[i] * r[i];
  }
  const p = Float64Array.from(z);
  const tolerance = 1e-20 * rr;
  for (let iteration = 0; iteration < 10 * n + 10 && rr > tolerance; iteration++) {
    multiply(p, q);
    let pq = 0;
    for (let i = 0; i < n; i++) pq += p[i] * q[i];
    const alpha = rz / pq;
    let next = 0;
    rr = 0;
    for (let i = 0; i < n; i++) {
      x[i] += alpha * p[i];
      r[i] -= alpha * q[i];
      z[i] = r[i] / diagonal[i];
      next += r[i] * z[i];
      rr += r[i] * r[i];
    }
    const beta = next / rz;
    rz = next;
    for (let i = 0; i < n; i++) p[i] = z[i] + beta * p[i];
  }
  return x;
}

/**
 * The image with the pixels marked in `removed` (1: removed, row-major [height × width]) filled by
 * linear imputation, plus `noise` (one value per entry of the image, used at removed pixels only).
 */
export function noisyLinearImputation(input: Float32Array, [height, width, channels]: ImageShape, removed: Uint8Array, noise?: Float32Array): Float32Array {
  const image = input.slice();
  const system = imputationSystem(removed, height, width);
  if (system.unknowns.length === 0) return image;
  if (system.unknowns.length === height * width) throw new Error('ROAD cannot impute an image with every pixel removed');
  const { unknowns, knownStart, knownPixels, knownWeights } = system;
  for (let c = 0; c < channels; c++) {
    const b = Float64Array.from(unknowns, (_, i) => {
      let sum = 0;
      for (let j = knownStart[i]; j < knownStart[i + 1]; j++) sum += knownWeights[j] * input[knownPixels[j] * channels + c];
      return sum;
    });
    const solution = solveChannel(system, b);
    unknowns.forEach((pixel, i) => (image[pixel * channels + c] = solution[i] + (noise ? noise[pixel * channels + c] : 0)));
  }
  return image;
}

/** ROAD's MoRF and LeRF scores of one relevance map (row-major [height × width]). */
export async function road(scorer: ClassScorer, input: Float32Array, inputShape: ImageShape, map: Float32Array, options: RoadOptions = {}, hooks: BatchHooks = {}): Promise<RoadScores> {
  const [height, width] = inputShape;
  const fractions = options.fractions ?? DEFAULT_ROAD_FRACTIONS;
  const sigma = (options.noiseLevel ?? DEFAULT_ROAD_NOISE_LEVEL) * valueRange(input);
  const seed = options.seed ?? 0;
  checkMapSize(map, height, width);
  const order = mostRelevantFirst(map);
  const total = height * width;
  // Images 0…F−1 remove the most relevant pixels, F…2F−1 the least relevant.
  const image = (k: number) => {
    const leastFirst = k >= fractions.length;
    const count = pixelCount(fractions[k % fractions.length], total);
    const removed = new Uint8Array(total);
    for (let n = 0; n < count; n++) removed[leastFirst ? order[total - 1 - n] : order[n]] = 1;
    const noise = normalDeviates(noiseStream(seed, k), input.length).map((value) => sigma * value);
    return noisyLinearImputation(input, inputShape, removed, noise);
  };
  const scores = Array.from(await scoresOfImages(scorer, inputShape, 2 * fractions.length, image, { batchSize: options.batchSize, ...hooks }));
  const mostRelevantFirstScores = scores.slice(0, fractions.length);
  const leastRelevantFirstScores = scores.slice(fractions.length);
  const mean = (values: number[]) => values.reduce((a, b) => a + b, 0) / values.length;
  return { fractions, mostRelevantFirst: mostRelevantFirstScores, leastRelevantFirst: leastRelevantFirstScores, gap: mean(leastRelevantFirstScores) - mean(mostRelevantFirstScores) };
}
