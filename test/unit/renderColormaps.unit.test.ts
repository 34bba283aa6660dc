import assert from 'node:assert/strict';
import { COLORMAP_NAMES, type ColormapName } from '../../src/shared/types';
import { colormapCssGradient, colormapLookupTable } from '../../src/shared/colormaps';

function entry(name: ColormapName, value: number): number[] {
  return Array.from(colormapLookupTable(name).subarray(3 * value, 3 * value + 3));
}

function hexColour(hex: string): number[] {
  return [0, 2, 4].map((at) => parseInt(hex.slice(at, at + 2), 16));
}

function assertClose(actual: number[], expected: number[], tolerance: number, what: string): void {
  const worst = Math.max(...actual.map((value, k) => Math.abs(value - expected[k])));
  assert.ok(worst <= tolerance, `${what}: got [${actual}], expected [${expected}] ± ${tolerance}`);
}

describe('render/colormaps', () => {
  it('gives a 256-entry RGB table for every colormap, cached', () => {
    for (const name of COLORMAP_NAMES) {
      const table = colormapLookupTable(name);
      assert.equal(table.length, 256 * 3, name);
      assert.equal(colormapLookupTable(name), table, `${name} is built once`);
    }
  });

  it('matches the published endpoints of the perceptual maps', () => {
    const endpoints: Record<string, [string, string]> = {
      viridis: ['440154', 'fde725'],
      magma: ['000004', 'fcfdbf'],
      inferno: ['000004', 'fcffa4'],
      plasma: ['0d0887', 'f0f921'],
    };
    for (const [name, [first, last]] of Object.entries(endpoints)) {
      assertClose(entry(name as ColormapName, 0), hexColour(first), 1, `${name}(0)`);
      assertClose(entry(name as ColormapName, 255), hexColour(last), 1, `${name}(1)`);
    }
  });

  it('puts viridis(0.5) at matplotlib\'s #21918c (index 128 = floor(0.5 * 256))', () => {
    assertClose(entry('viridis', 128), hexColour('21918c'), 2, 'viridis(0.5)');
  });

  it('stays within 1 unit of matplotlib\'s tables between the control points', () => {
    // Entries 64, 100 and 191 of lib/matplotlib/_cm_listed.py, times 255 and rounded.
    const reference: Record<string, number[][]> = {
      viridis: [[59, 82, 139], [42, 118, 142], [92, 200, 99]],
      magma: [[81, 18, 124], [137, 40, 129], [251, 135, 97]],
      inferno: [[87, 16, 110], [144, 37, 104], [249, 140, 10]],
      plasma: [[126, 3, 168], [174, 40, 146], [248, 148, 65]],
    };
    for (const [name, colours] of Object.entries(reference)) {
      [64, 100, 191].forEach((value, i) => assertClose(entry(name as ColormapName, value), colours[i], 1, `${name}[${value}]`));
    }
  });

  it('maps gray value v to (v, v, v)', () => {
    for (let v = 0; v < 256; v++) assert.deepEqual(entry('gray', v), [v, v, v]);
  });

  it('follows matplotlib\'s piecewise-linear jet', () => {
    assertClose(entry('jet', 0), [0, 0, 128], 1, 'jet(0): dark blue');
    assertClose(entry('jet', 255), [128, 0, 0], 1, 'jet(1): dark red');
    // matplotlib: jet(0.5) == (0.490196, 1.0, 0.477546)
    assertClose(entry('jet', 128), [125, 255, 122], 1, 'jet(0.5)');
    // Green is 0 up to 0.125 and 1 from 0.375 to 0.64; blue is 1 from 0.11 to 0.34.
    assert.equal(entry('jet', 30)[1], 0);
    assert.equal(entry('jet', 120)[1], 255);
    assert.equal(entry('jet', 60)[2], 255);
  });

  it('builds a CSS gradient from the first to the last colour', () => {
    const gradient = colormapCssGradient('viridis', 5);
    assert.match(gradient, /^linear-gradient\(to right, rgb\(68, 1, 84\) 0%, .*, rgb\(253, 231, 37\) 100%\)$/);
    assert.equal(gradient.match(/rgb\(/g)?.length, 5);
    assert.match(gradient, /rgb\(\d+, \d+, \d+\) 25%/);
    assert.match(colormapCssGradient('gray', 3, 'to top'), /^linear-gradient\(to top, rgb\(0, 0, 0\) 0%, rgb\(128, 128, 128\) 50%, rgb\(255, 255, 255\) 100%\)$/);
    assert.throws(() => colormapCssGradient('gray', 1), RangeError);
  });
});
