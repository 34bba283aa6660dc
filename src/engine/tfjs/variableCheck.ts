// TF.js allocates each variable as it builds a layer, before any weight is matched: a config that
// asks for a kernel of 10⁹ filters, or a shape TF.js cannot size, would allocate (or corrupt the
// WASM heap) before anything could refuse it. Layer.prototype.addWeight, where every layer
// allocates its variables, is wrapped (by installTfjsPatches) to ask the check in force first.
import * as tf from '@tensorflow/tfjs';

/** Throws to refuse a variable before it is allocated. */
export type VariableCheck = (layerName: string, weightName: string, shape: unknown) => void;

type AddWeight = (this: tf.layers.Layer, name: string, shape: (number | null)[], ...rest: unknown[]) => tf.LayerVariable;

/** The check of the model TF.js is building now (deserialisation is synchronous), if any. */
let activeCheck: VariableCheck | undefined;

/**
 * Starts `build` with every variable it creates checked first. It must create them synchronously,
 * as modelFromJSON does before its first await: the check holds only until `build` returns.
 */
export function checkingVariables<T>(check: VariableCheck, build: () => T): T {
  activeCheck = check;
  try {
    return build();
  } finally {
    activeCheck = undefined;
  }
}

function checkedAddWeight(original: AddWeight): AddWeight {
  return function (this: tf.layers.Layer, name, shape, ...rest) {
    if (!activeCheck) return original.call(this, name, shape, ...rest);
    activeCheck(this.name, name, shape);
    // A weight that fails half-way (an invalid name) leaves its initial value behind: the scope disposes
    // the tensors made in it when it ends, never variables.
    tf.engine().startScope();
    try {
      return original.call(this, name, shape, ...rest);
    } finally {
      tf.engine().endScope();
    }
  };
}

// addWeight is protected in TF.js' types.
const layerPrototype = tf.layers.Layer.prototype as unknown as { addWeight: AddWeight };

export function hasAddWeight(): boolean {
  return typeof layerPrototype.addWeight === 'function';
}

let installed = false;

/** Wraps Layer.prototype.addWeight once. */
export function installVariableCheck(): void {
  if (installed) return;
  layerPrototype.addWeight = checkedAddWeight(layerPrototype.addWeight);
  installed = true;
}
