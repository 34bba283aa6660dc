import assert from 'node:assert/strict';
import { CONSTANT_IMAGE_GRAY, constantImageTile, deprocessImage, renderPatternTile } from '../../src/render/deprocessImage';

/**
 * The study notes' deprocess_image, transcribed line by line on a float64 copy, as NumPy runs it:
 *   x -= x.mean(); x /= (x.std() + 1e-5); x *= 0.1; x += 0.5; x = np.clip(x, 0, 1)
 *   x *= 255; x = np.clip(x, 0, 255).astype('uint8')
 */
function notesDeprocessImage(input: ArrayLike<number>): Uint8Array {
  const x = Float64Array.from(input);
  const mean = x.reduce((sum, value) => sum + value, 0) / x.length;
  for (let i = 0; i < x.length; i++) x[i] -= mean;
  // np.std: population standard deviation, computed after the centring above (mean is now 0).
  const std = Math.sqrt(x.reduce((sum, value) => sum + value * value, 0) / x.length);
  for (let i = 0; i < x.length; i++) x[i] /= std + 1e-5;
  for (let i = 0; i < x.length; i++) x[i] *= 0.1;
  for (let i = 0; i < x.length; i++) x[i] += 0.5;
  for (let i = 0; i < x.length; i++) x[i] = Math.min(1, Math.max(0, x[i]));
  for (let i = 0; i < x.length; i++) x[i] *= 255;
  // astype('uint8') truncates towards zero.
  return Uint8Array.from(x, (value) => Math.floor(Math.min(255, Math.max(0, value))));
}

/** Seeded values: gradient-ascent-like images around 128 with a few far outliers. */
function pseudoPattern(length: number, seed: number): Float32Array {
  let state = seed;
  const next = () => ((state = (state * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
  return Float32Array.from({ length }, () => 128 + (next() - 0.5) * 80 + (next() < 0.01 ? (next() - 0.5) * 2000 : 0));
}

describe('deprocessImage (the study notes’ deprocess_image)', function () {
  it('matches a line-by-line transcription of the notes on pattern-like images', function () {
    for (const seed of [1, 2, 3, 4, 5]) {
      const image = pseudoPattern(64 * 64 * 3, seed);
      const expected = notesDeprocessImage(image);
      const actual = deprocessImage(image);
      const differing = actual.filter((value, i) => value !== expected[i]).length;
      assert.equal(differing, 0, `seed ${seed}: ${differing} pixels differ`);
      // The outliers are clipped; the bulk spreads around 127 with a standard deviation of 0.1 × 255.
      assert.ok(actual.includes(0) && actual.includes(255));
    }
  });

  it('truncates as astype("uint8") does: [0, 1] becomes [102, 152]', function () {
    // mean 0.5, std 0.5: (∓0.5 / 0.50001) × 0.1 + 0.5 = 0.400002…, 0.599998…; × 255 = 102.0005…, 152.9995…
    assert.deepEqual([...deprocessImage([0, 1])], [102, 152]);
  });

  it('renders a constant image flat at the centre gray instead of dividing by zero', function () {
    assert.deepEqual([...deprocessImage(new Float32Array(12).fill(-3.5))], new Array(12).fill(CONSTANT_IMAGE_GRAY));
    assert.deepEqual(constantImageTile(5), deprocessImage(new Float32Array(5).fill(42)));
  });

  it('leaves its input unchanged', function () {
    const image = pseudoPattern(300, 9);
    const copy = image.slice();
    deprocessImage(image);
    assert.deepEqual(image, copy);
  });
});

describe('renderPatternTile', function () {
  it('shows a lucid pattern as the image it is (rounded, clipped), the notes’ presets through deprocess_image, a dead filter flat', function () {
    const lucid = Float32Array.from([0, 0.4, 127.5, 254.6, 255, 300, -2]);
    assert.deepEqual([...renderPatternTile({ pixels: lucid, dead: false }, 'lucid')], [0, 0, 128, 255, 255, 255, 0]);
    const pattern = pseudoPattern(300, 3);
    for (const preset of ['chollet', 'clear'] as const) assert.deepEqual(renderPatternTile({ pixels: pattern, dead: false }, preset), deprocessImage(pattern));
    for (const preset of ['lucid', 'chollet', 'clear'] as const) assert.deepEqual(renderPatternTile({ pixels: pattern, dead: true }, preset), constantImageTile(300));
  });
});
