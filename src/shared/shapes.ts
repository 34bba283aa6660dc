// Tensor shapes as Keras writes them, for every place that shows one (CLI, tree, panels).
import type { Shape } from './types';

export function isSingleShape(shape: Shape | Shape[]): shape is Shape {
  return shape.length === 0 || !Array.isArray(shape[0]);
}

/** Keras' notation: `(None, 148, 148, 32)`. */
export function formatShape(shape: Shape | Shape[]): string {
  if (!isSingleShape(shape)) return shape.map(formatShape).join(', ');
  return `(${shape.map((dim) => (dim === null ? 'None' : String(dim))).join(', ')})`;
}

export function isSpatialShape(shape: Shape | Shape[]): boolean {
  return isSingleShape(shape) && shape.length === 4;
}
