// Everything Convscope changes inside TF.js, installed by one call (from initializeBackend, which
// the worker and the CLI run first; model building makes sure too). These rely on TF.js 4.22's
// internals (kernel registry, gradient tape, Layer.prototype, the WASM bundle's generated names in
// wasmThreads.ts), so another version is refused here, with what to do, instead of computing
// wrong numbers quietly.
import * as tf from '@tensorflow/tfjs';
import { version_wasm } from '@tensorflow/tfjs-backend-wasm';
import { installLazyFusedConvolutionGradients } from './lazyFusedConvolutionGradients';
import { hasAddWeight, installVariableCheck } from './variableCheck';
import { registerMissingWasmGradientKernels } from './wasmGradientKernels';

/** The TF.js release the patches in src/engine/tfjs were written and checked against. */
export const SUPPORTED_TFJS_VERSION = '4.22.0';

/** What TF.js must have for the patches to hold; each names what it is needed for. */
function missingInternals(): string[] {
  const missing: string[] = [];
  if (!hasAddWeight()) missing.push('Layer.prototype.addWeight (the variable size check)');
  if (!('gradientDepth' in tf.engine().state)) missing.push("the engine's gradient tape state (freeing tensors a failed gradient strands)");
  if (!tf.getKernel(tf.MaxPoolGrad, 'wasm')) missing.push("the WASM backend's MaxPoolGrad kernel (replaced by a correct one)");
  return missing;
}

/** The versions of the TF.js packages the patches depend on, as loaded. */
export function loadedTfjsVersions(): Record<string, string> {
  return { '@tensorflow/tfjs-core': tf.version_core, '@tensorflow/tfjs-layers': tf.version_layers, '@tensorflow/tfjs-backend-wasm': version_wasm };
}

/** What is wrong with the TF.js found, and what to do, in words; undefined when the patches fit it. */
export function describeTfjsMismatch(versions: Record<string, string>, missing: string[]): string | undefined {
  const wrong = Object.entries(versions).filter(([, version]) => version !== SUPPORTED_TFJS_VERSION);
  if (wrong.length === 0 && missing.length === 0) return undefined;
  const problems = [...wrong.map(([name, version]) => `${name} is ${version}`), ...missing.map((what) => `TF.js lacks ${what}`)];
  return (
    `Convscope's TF.js patches (src/engine/tfjs) were checked against TF.js ${SUPPORTED_TFJS_VERSION}, but ${problems.join('; ')}. ` +
    `Install the pinned versions (npm ci), or check every file in src/engine/tfjs against the new TF.js and its tests before changing SUPPORTED_TFJS_VERSION.`
  );
}

/** Throws, saying what to do, when the TF.js found is not the one the patches were checked against. */
export function checkTfjsVersion(): void {
  const mismatch = describeTfjsMismatch(loadedTfjsVersions(), missingInternals());
  if (mismatch) throw new Error(mismatch);
}

let installed = false;

/** Checks the TF.js version, then installs every patch once; later calls do nothing. */
export function installTfjsPatches(): void {
  if (installed) return;
  checkTfjsVersion();
  installVariableCheck();
  registerMissingWasmGradientKernels();
  installLazyFusedConvolutionGradients();
  installed = true;
}
