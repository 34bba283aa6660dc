// TF.js keeps the tensors a backward pass will need (kept copies, which no tidy frees) on its
// gradient tape, and frees them only once the backward pass completes. A model that throws during a
// differentiated forward pass (a layer given two inputs, say) strands them there: the next gradient
// starts a new tape without freeing the old one. Freed here after such a failure.
import * as tf from '@tensorflow/tfjs';

/** Frees the tensors a failed gradient left on the tape; nothing to do while a gradient is running. */
export function freeStrandedGradientTensors(): void {
  const { state } = tf.engine();
  if (state.gradientDepth !== 0 || !state.activeTape) return;
  for (const node of state.activeTape) tf.dispose(node.saved ?? []);
  state.activeTape = [];
}

/**
 * Runs a synchronous computation that takes gradients and returns plain data (no tensors): every
 * tensor it makes is freed when it ends, also when it throws.
 */
export function withoutStrandedTensors<T>(compute: () => T): T {
  const engine = tf.engine();
  engine.startScope();
  try {
    return compute();
  } catch (error) {
    freeStrandedGradientTensors();
    throw error;
  } finally {
    engine.endScope();
  }
}
