import assert from 'node:assert/strict';
import type { ActivationShape } from '../../src/render/activationShape';
import { minMaxScaleChannel, standardizeChannel, summarizeChannel } from '../../src/render/channelNormalize';

/** Interleaves per-channel value lists (each height*width long, row-major) into a channel-last array. */
function channelLast(channels: number[][]): Float32Array {
  const pixels = channels[0].length;
  const data = new Float32Array(pixels * channels.length);
  channels.forEach((values, c) => values.forEach((value, p) => (data[p * channels.length + c] = value)));
  return data;
}

describe('render/channelNormalize', () => {
  // Three 2×2 channels; channel 1 is the one under test, its neighbours are there to catch wrong strides.
  const shape: ActivationShape = { height: 2, width: 2, channels: 3 };
  const activation = channelLast([
    [100, -100, 7, 9],
    [0, 1, 2, 3],
    [-5, 50, 500, 5000],
  ]);

  it('summarises one channel with the population std', () => {
    const summary = summarizeChannel(activation, shape, 1);
    assert.equal(summary.min, 0);
    assert.equal(summary.max, 3);
    assert.equal(summary.mean, 1.5);
    assert.ok(Math.abs(summary.std - Math.sqrt(1.25)) < 1e-12, `std ${summary.std} (ddof = 0 gives sqrt(1.25))`);
  });

  it('applies (x - mean) / std * 64 + 128 and truncates like astype(uint8)', () => {
    // numpy: (x - 1.5) / sqrt(1.25) * 64 + 128 = [42.13, 99.38, 156.62, 213.87]
    const { gray, dead } = standardizeChannel(activation, shape, 1);
    assert.deepEqual(Array.from(gray), [42, 99, 156, 213]);
    assert.equal(dead, false);
  });

  it('clips to 0..255 before truncating', () => {
    // 15 zeros and one 100: mean 6.25, std 24.206; zeros → 111.48, the outlier → 375.87 → 255.
    const values = [...new Array<number>(15).fill(0), 100];
    const { gray } = standardizeChannel(new Float32Array(values), { height: 4, width: 4, channels: 1 }, 0);
    assert.deepEqual(Array.from(gray), [...new Array<number>(15).fill(111), 255]);
    const low = standardizeChannel(new Float32Array(values.map((v) => -v)), { height: 4, width: 4, channels: 1 }, 0);
    assert.equal(low.gray[15], 0);
  });

  it('draws constant channels flat at 0 and reports them dead', () => {
    const constant = channelLast([
      [0, 0, 0, 0, 0, 0],
      [0.1, 0.1, 0.1, 0.1, 0.1, 0.1],
      [-3, 2, 2, 2, 2, 2],
    ]);
    const constantShape = { height: 2, width: 3, channels: 3 };
    for (const channel of [0, 1]) {
      const { gray, dead } = standardizeChannel(constant, constantShape, channel);
      assert.equal(dead, true, `channel ${channel}`);
      assert.deepEqual(Array.from(gray), [0, 0, 0, 0, 0, 0]);
    }
    assert.equal(standardizeChannel(constant, constantShape, 2).dead, false);
  });

  it('writes into a caller-provided buffer of the right size only', () => {
    const buffer = new Uint8Array(4).fill(7);
    assert.equal(standardizeChannel(activation, shape, 1, buffer).gray, buffer);
    assert.deepEqual(Array.from(buffer), [42, 99, 156, 213]);
    assert.throws(() => standardizeChannel(activation, shape, 1, new Uint8Array(5)), RangeError);
  });

  it('rejects channels and shapes that do not fit the data', () => {
    assert.throws(() => standardizeChannel(activation, shape, 3), RangeError);
    assert.throws(() => standardizeChannel(activation, shape, -1), RangeError);
    assert.throws(() => standardizeChannel(activation, { height: 2, width: 3, channels: 3 }, 0), RangeError);
    assert.throws(() => summarizeChannel(activation, { height: 4, width: 1.5, channels: 2 }, 0), RangeError);
  });

  it('scales min to 0 and max to 255 for the enlarged view', () => {
    // (x + 5) / 5005 * 256, floored: [0, 2.81, 25.83, 256 → 255]
    const scaled = minMaxScaleChannel(activation, shape, 2);
    assert.deepEqual(Array.from(scaled.gray), [0, 2, 25, 255]);
    assert.equal(scaled.min, -5);
    assert.equal(scaled.max, 5000);
    assert.equal(scaled.mean, (-5 + 50 + 500 + 5000) / 4);
    assert.equal(scaled.dead, false);
  });

  it('gives a constant channel a flat enlarged view', () => {
    const flat = minMaxScaleChannel(new Float32Array([2.5, 2.5, 2.5, 2.5]), { height: 2, width: 2, channels: 1 }, 0);
    assert.deepEqual(Array.from(flat.gray), [0, 0, 0, 0]);
    assert.equal(flat.dead, true);
    assert.equal(flat.mean, 2.5);
  });
});
