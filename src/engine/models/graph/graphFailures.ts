// TF.js' errors from running or differentiating a graph model, told as one line naming the node and
// op at fault (the whole message stays on the error's `cause` for the log).
import * as tf from '@tensorflow/tfjs';
import { InputError, describeError } from '../../../shared/errors';
import { freeStrandedGradientTensors } from '../../tfjs/strandedGradientTensors';
import type { GraphNodeDef } from './graphDef';

/** Graph op names whose TF.js kernel has another name. */
const KERNEL_OF_OP: Record<string, string> = {
  AddV2: 'Add',
  Mul: 'Multiply',
  ConcatV2: 'Concat',
  FusedBatchNormV3: 'FusedBatchNorm',
  FusedBatchNormV2: 'FusedBatchNorm',
};

function kernelOf(op: string): string {
  return KERNEL_OF_OP[op] ?? op.replace(/^_/, '');
}

function nodesRunning(kernelOrOp: string, nodes: GraphNodeDef[]): GraphNodeDef[] {
  return nodes.filter((node) => node.op === kernelOrOp || kernelOf(node.op) === kernelOrOp);
}

function describeNodes(op: string, nodes: GraphNodeDef[]): string {
  const names = nodes.slice(0, 3).map((node) => `"${node.name}"`).join(', ');
  if (nodes.length === 0) return `the op ${op}`;
  return `the op ${op} (node${nodes.length > 1 ? 's' : ''} ${names}${nodes.length > 3 ? ` and ${nodes.length - 3} more` : ''})`;
}

/** An InputError for a failure of TF.js to run the graph; `nodes` are the graph's nodes. */
export function explainRunFailure(error: unknown, nodes: GraphNodeDef[], modelPath: string): InputError {
  if (error instanceof InputError) return error;
  const message = describeError(error);
  const unknownOp = /Unknown op '([^']+)'|Custom op (\S+) is not registered/.exec(message);
  if (unknownOp) {
    const op = unknownOp[1] ?? unknownOp[2];
    return new InputError(modelPath, `uses ${describeNodes(op, nodesRunning(op, nodes))}, which TF.js ${tf.version_core} cannot run`, { cause: error });
  }
  const missingKernel = /Kernel '([^']+)' not registered for backend '([^']+)'/.exec(message);
  if (missingKernel) {
    const [, kernel, backend] = missingKernel;
    return new InputError(modelPath, `uses ${describeNodes(kernel, nodesRunning(kernel, nodes))}, which has no kernel on TF.js' ${backend} backend`, { cause: error });
  }
  const dynamicOp = /contains the node '([^']+)', which has the dynamic op '([^']+)'/.exec(message);
  if (dynamicOp) {
    return new InputError(modelPath, `uses the control-flow or dynamic-shape op ${dynamicOp[2]} (node "${dynamicOp[1]}"); Convscope runs graph models in one synchronous pass, which TF.js cannot do with it`, { cause: error });
  }
  return new InputError(modelPath, `TF.js could not run the graph model: ${message.split('\n')[0]}`, { cause: error });
}

const MISSING_GRADIENT = /gradient function not found for (\S+?)\.?$/m;
const NO_PATH = /Cannot compute gradient of y=f\(x\) with respect to x/;

export interface GradientContext {
  /** The graph's nodes, to name the one whose op has no gradient. */
  nodes: GraphNodeDef[];
  /** What is differentiated, for the message: "Grad-CAM", "filter patterns". */
  what: string;
  /** The problem when the differentiated value does not depend on the variable at all. */
  unreachable: string;
  modelPath: string;
}

/**
 * Runs `differentiate` (which calls tf.grad); when TF.js has no gradient for an op on the way, or
 * no way back at all, the result is an InputError saying so. tf.grad stops part-way then, leaving
 * the tensors it saved for back-propagation on its tape; they are freed here.
 */
export function withGradientsExplained<T>(differentiate: () => T, context: GradientContext): T {
  try {
    return differentiate();
  } catch (error) {
    const message = describeError(error);
    const missing = MISSING_GRADIENT.exec(message);
    if (!missing && !NO_PATH.test(message)) throw error;
    freeStrandedGradientTensors();
    if (!missing) throw new InputError(context.modelPath, context.unreachable, { cause: error });
    const kernel = missing[1];
    const where = describeNodes(kernel, nodesRunning(kernel, context.nodes));
    throw new InputError(context.modelPath, `uses ${where}, which has no gradient in TF.js, so ${context.what} cannot pass back through it`, { cause: error });
  }
}
