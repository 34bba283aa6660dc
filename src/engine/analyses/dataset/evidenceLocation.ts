// Where a heatmap puts its evidence, as two shares of its total mass (0–1):
// - offCentre: the share outside the centre region, the box spanning the middle half of the image's
//   height and width (a quarter of its area), where a photo's subject usually sits;
// - onBorder: the share in the outer eighth of the image on each side.
// A map cell that straddles a region's edge counts in proportion to its overlap, so the shares do not
// depend on the map's resolution. The study notes ask "where does it look when it is wrong?": errors
// with a high offCentre looked at the background or the frame rather than at the object.

export interface EvidenceLocation {
  offCentre: number;
  onBorder: number;
}

const CENTRE = [0.25, 0.75] as const;
const INNER = [0.125, 0.875] as const;

/** The fraction of cell `i` of `cells` (spanning [i/cells, (i+1)/cells]) inside [low, high]. */
function overlapFraction(i: number, cells: number, [low, high]: readonly [number, number]): number {
  const start = i / cells;
  const end = (i + 1) / cells;
  return Math.max(0, Math.min(end, high) - Math.max(start, low)) * cells;
}

/** `heatmap` is height × width, row-major, non-negative; an all-zero map has no location (both 0). */
export function evidenceLocation(heatmap: Float32Array, width: number, height: number): EvidenceLocation {
  let total = 0;
  let centre = 0;
  let inner = 0;
  for (let y = 0; y < height; y++) {
    const centreY = overlapFraction(y, height, CENTRE);
    const innerY = overlapFraction(y, height, INNER);
    for (let x = 0; x < width; x++) {
      const value = Math.max(0, heatmap[y * width + x]);
      total += value;
      centre += value * centreY * overlapFraction(x, width, CENTRE);
      inner += value * innerY * overlapFraction(x, width, INNER);
    }
  }
  if (total <= 0) return { offCentre: 0, onBorder: 0 };
  return { offCentre: 1 - centre / total, onBorder: 1 - inner / total };
}

/** The running mean of same-size heatmaps. */
export class MeanHeatmap {
  private readonly sum: Float64Array;
  count = 0;

  constructor(
    readonly width: number,
    readonly height: number,
  ) {
    this.sum = new Float64Array(width * height);
  }

  add(heatmap: Float32Array): void {
    if (heatmap.length !== this.sum.length) return;
    for (let i = 0; i < heatmap.length; i++) this.sum[i] += heatmap[i];
    this.count++;
  }

  mean(): Float32Array {
    return Float32Array.from(this.sum, (value) => (this.count ? value / this.count : 0));
  }
}
