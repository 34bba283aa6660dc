// The order in which perturbation metrics take pixels: most relevant first, ties (and NaN, taken as
// least relevant) by position, so the order is the same wherever it is computed.

/** Pixel indices sorted by relevance, largest first; equal values by index, ascending. */
export function mostRelevantFirst(map: Float32Array): Uint32Array {
  const relevance = Float64Array.from(map, (value) => (Number.isNaN(value) ? -Infinity : value));
  return Uint32Array.from(relevance.keys()).sort((a, b) => relevance[b] - relevance[a] || a - b);
}

/** How many of `total` pixels a fraction takes: rounded, halves up. */
export function pixelCount(fraction: number, total: number): number {
  return Math.min(total, Math.max(0, Math.floor(fraction * total + 0.5)));
}

/** A relevance map must have one value per pixel of the image. */
export function checkMapSize(map: Float32Array, height: number, width: number): void {
  if (map.length !== height * width) throw new Error(`a relevance map of ${map.length} values for a ${height}×${width} image`);
}
