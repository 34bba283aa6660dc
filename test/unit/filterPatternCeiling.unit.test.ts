// The quality benchmark's ceiling (scripts/filterPatternCeiling.ts): projected pixel-space Adam from
// a pattern, on filters whose best input in 0–255 is known.
import * as tf from '@tensorflow/tfjs';
import assert from 'node:assert/strict';
import { polishedActivations } from '../../scripts/filterPatternCeiling';
import type { FilterPattern } from '../../src/engine/analyses/filterPatterns';
import { useWasmBackend } from '../support/engineFixtures';

/** 1×1 convolution: filter 0 is the pixel value (best on white, 255), filter 1 is 255 minus it (best on black, 255). */
function brightnessModel(): tf.Sequential {
  const model = tf.sequential({ layers: [tf.layers.conv2d({ inputShape: [8, 8, 1], filters: 2, kernelSize: 1 })] });
  model.layers[0].setWeights([tf.tensor4d([1, -1], [1, 1, 1, 2]), tf.tensor1d([0, 255])]);
  return model;
}

function grayPattern(filter: number, activation: number): FilterPattern {
  return { filter, pixels: new Float32Array(64).fill(128), size: 8, channels: 1, lossStart: activation, lossEnd: activation, steps: 40, dead: false, verdict: 'raised', verdictText: '' };
}

describe('filter pattern ceiling', function () {
  before(useWasmBackend);

  it('takes each pattern to its filter’s best input within 0–255, and never reports less than the pattern had', async function () {
    const model = brightnessModel();
    try {
      const layer = { model, modelPath: 'brightness.json', layer: { index: 0, name: model.layers[0].name }, filterCount: 2, preprocess: 'none' as const };
      const [white, black] = await polishedActivations(layer, [grayPattern(0, 128), grayPattern(1, 127)], 80);
      for (const activation of [white, black]) assert.ok(activation > 254 && activation <= 255 + 1e-3, `reached ${activation}, the best input gives 255`);
      // Too few steps to get anywhere: the pattern's own activation stands.
      const [unchanged] = await polishedActivations(layer, [grayPattern(0, 200)], 1);
      assert.equal(unchanged, 200);
    } finally {
      model.dispose();
    }
  });
});
