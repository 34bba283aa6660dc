// 256-entry RGB lookup tables for the colormaps a channel image can be drawn with.
// The webview bundles this file too (for its colour bar), so it must stay free of Node imports.
import type { ColormapName } from './types';

type ListedColormapName = Exclude<ColormapName, 'gray' | 'jet'>;

/**
 * Every 6th entry, and the last, of matplotlib's 256-entry tables (lib/matplotlib/_cm_listed.py, the CC0
 * data of github.com/BIDS/colormap), rounded to 8 bits. Linear interpolation between them reproduces
 * every entry of the full tables to within 1 unit.
 */
const LISTED_KNOT_SPACING = 6;
const LISTED_KNOTS: Record<ListedColormapName, string> = {
  viridis: `
    440154 460a5d 471365 481b6d 482374 472a7a 46327e 443983 424086 3f4788 3d4e8a
    3a548c 375b8d 34618d 31678e 2e6d8e 2c728e 2a788e 277e8e 25838e 23898e 218f8d
    1f948c 1f9a8a 1fa088 21a585 25ab82 2ab07f 32b67a 3bbb75 46c06f 52c569 5ec962
    6ccd5a 7ad151 89d548 98d83e a8db34 b8de29 c8e020 d8e219 e7e419 f6e620 fde725`,
  magma: `
    000004 02020d 06051a 0c0926 130d34 1a1042 221150 2c115f 36106b 400f74 4a1079
    54137d 5d177f 671b80 701f81 792282 832681 8c2981 962c80 a02f7f aa337d b3367a
    bd3977 c73d73 d0416f d9466b e24d66 e95462 ef5d5e f4675c f7725c fa7d5e fc8961
    fd9467 fe9f6d feaa74 feb67c fec185 fecc8f fed799 fde2a3 fcecae fcf7b9 fcfdbf`,
  inferno: `
    000004 02020e 07051b 0d0829 150b37 1e0c45 280b53 320a5e 3d0965 470b6a 510e6c
    5a116e 64156e 6d186e 771c6d 801f6c 8a226a 932667 9d2964 a62d60 b0315b b93556
    c13a50 ca404a d24644 d94d3d e05536 e65d2f eb6628 f06f20 f47918 f78410 f98e09
    fb9906 fca50a fcb014 fbbc21 f9c72f f7d340 f4df53 f2ea69 f2f482 f8fb9a fcffa4`,
  plasma: `
    0d0887 1d068e 2a0593 350498 3f049c 4903a0 5302a3 5c01a6 6600a7 6f00a8 7801a8
    8104a7 8a09a5 920fa3 9a169f a21d9a aa2395 b12a90 b7318a be3885 c43e7f ca457a
    cf4c74 d5536f da5a6a de6164 e3685f e76f5a eb7655 ef7e50 f3854b f68d45 f89540
    fa9e3b fca636 fdaf31 feb82c fdc229 fdcb26 fbd524 f8df25 f5e926 f1f426 f0f921`,
};

/** matplotlib's `_jet_data` (lib/matplotlib/_cm.py): per channel, (position, value) breakpoints joined linearly. */
const JET_BREAKPOINTS: readonly (readonly [number, number])[][] = [
  [[0, 0], [0.35, 0], [0.66, 1], [0.89, 1], [1, 0.5]],
  [[0, 0], [0.125, 0], [0.375, 1], [0.64, 1], [0.91, 0], [1, 0]],
  [[0, 0.5], [0.11, 1], [0.34, 1], [0.65, 0], [1, 0]],
];

const TABLE_SIZE = 256;
const cachedTables = new Map<ColormapName, Uint8Array>();

/**
 * The colormap as 256 RGB triples (`table[3 * v + k]` is channel k of gray value v).
 * Tables are cached and shared between callers: treat them as read-only.
 */
export function colormapLookupTable(name: ColormapName): Uint8Array {
  let table = cachedTables.get(name);
  if (table === undefined) {
    table = buildLookupTable(name);
    cachedTables.set(name, table);
  }
  return table;
}

/** A CSS `linear-gradient(...)` through `stops` evenly spaced colours of the map, for a colour bar. */
export function colormapCssGradient(name: ColormapName, stops = 16, direction = 'to right'): string {
  if (!Number.isInteger(stops) || stops < 2) throw new RangeError(`A gradient needs at least 2 stops, got ${stops}`);
  const table = colormapLookupTable(name);
  const colours: string[] = [];
  for (let i = 0; i < stops; i++) {
    const fraction = i / (stops - 1);
    const v = Math.round(fraction * (TABLE_SIZE - 1));
    const percent = Number((fraction * 100).toFixed(2));
    colours.push(`rgb(${table[3 * v]}, ${table[3 * v + 1]}, ${table[3 * v + 2]}) ${percent}%`);
  }
  return `linear-gradient(${direction}, ${colours.join(', ')})`;
}

function buildLookupTable(name: ColormapName): Uint8Array {
  switch (name) {
    case 'gray':
      return grayTable();
    case 'jet':
      return jetTable();
    default:
      return tableFromKnots(LISTED_KNOTS[name]);
  }
}

function grayTable(): Uint8Array {
  const table = new Uint8Array(TABLE_SIZE * 3);
  for (let v = 0; v < TABLE_SIZE; v++) table.fill(v, 3 * v, 3 * v + 3);
  return table;
}

/** Samples the breakpoints at v / 255, as matplotlib's LinearSegmentedColormap does for N = 256. */
function jetTable(): Uint8Array {
  const table = new Uint8Array(TABLE_SIZE * 3);
  for (let v = 0; v < TABLE_SIZE; v++) {
    const position = v / (TABLE_SIZE - 1);
    JET_BREAKPOINTS.forEach((breakpoints, k) => {
      table[3 * v + k] = Math.round(255 * interpolateBreakpoints(breakpoints, position));
    });
  }
  return table;
}

function interpolateBreakpoints(breakpoints: readonly (readonly [number, number])[], position: number): number {
  let i = 1;
  while (i < breakpoints.length - 1 && breakpoints[i][0] < position) i++;
  const [x0, y0] = breakpoints[i - 1];
  const [x1, y1] = breakpoints[i];
  return y0 + ((position - x0) / (x1 - x0)) * (y1 - y0);
}

/** Knot j sits at table index min(j * spacing, 255); entries between knots are linear in between. */
function tableFromKnots(hexKnots: string): Uint8Array {
  const knots = hexKnots.trim().split(/\s+/).map((hex) => [0, 2, 4].map((at) => parseInt(hex.slice(at, at + 2), 16)));
  const table = new Uint8Array(TABLE_SIZE * 3);
  for (let v = 0; v < TABLE_SIZE; v++) {
    const j = Math.min(Math.floor(v / LISTED_KNOT_SPACING), knots.length - 2);
    const start = j * LISTED_KNOT_SPACING;
    const end = Math.min(start + LISTED_KNOT_SPACING, TABLE_SIZE - 1);
    const t = (v - start) / (end - start);
    for (let k = 0; k < 3; k++) table[3 * v + k] = Math.round(knots[j][k] + t * (knots[j + 1][k] - knots[j][k]));
  }
  return table;
}
