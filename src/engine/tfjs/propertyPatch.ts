// Shadowing one property of a live layer object for the length of one model run: how Grad-CAM and
// the activation recorder see a layer's output wherever the layer sits in the model's graph.

export type Restore = () => void;

/** Shadows `target[key]` with `value`; the returned function puts the original back. */
export function replaceProperty(target: object, key: string, value: unknown): Restore {
  const own = Object.getOwnPropertyDescriptor(target, key);
  Object.defineProperty(target, key, { value, writable: true, configurable: true });
  return () => {
    if (own) Object.defineProperty(target, key, own);
    else delete (target as Record<string, unknown>)[key];
  };
}
