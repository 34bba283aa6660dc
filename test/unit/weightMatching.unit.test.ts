import assert from 'node:assert/strict';
import { WeightMatchError, describeWeightMatch, matchWeights, type ModelLayout, type StoredWeight, type VariableSlot } from '../../src/engine/models/layers/weightMatching';

/** A model of plain layers, variables layer by layer; `nonTrainable` variables come last in the trainable-first order. */
function layout(layers: [string, [string, number[]][]][], nonTrainable: string[] = []): ModelLayout {
  const variables: VariableSlot[] = [];
  const slots = layers.map(([layer, weights]) => ({
    path: [layer],
    variables: weights.map(([weight, shape]) => variables.push({ name: `${layer}/${weight}`, shape }) - 1),
  }));
  const layerOrder = variables.map((_, v) => v);
  const isTrainable = (v: number) => !nonTrainable.includes(variables[v].name);
  return { variables, layers: slots, orders: [[...layerOrder.filter(isTrainable), ...layerOrder.filter((v) => !isTrainable(v))], layerOrder] };
}

const stored = (entries: [string, number[]][]): StoredWeight[] => entries.map(([name, shape]) => ({ name, shape }));
const JSON_RULES = ['exact', 'layer', 'layer-suffix', 'order'] as const;

/** Which stored name each variable got. */
const matchedNames = (model: ModelLayout, weights: StoredWeight[], storedIndexOf: number[]) => Object.fromEntries(model.variables.map((variable, v) => [variable.name, weights[storedIndexOf[v]].name]));

describe('matchWeights', function () {
  const convnet = layout([
    ['conv2d', [['kernel', [3, 3, 1, 8]], ['bias', [8]]]],
    ['batch_normalization', [['gamma', [8]], ['beta', [8]], ['moving_mean', [8]], ['moving_variance', [8]]]],
    ['dense', [['kernel', [8, 2]], ['bias', [2]]]],
  ], ['batch_normalization/moving_mean', 'batch_normalization/moving_variance']);

  it('matches full names first, in any stored order, ignoring ":0"', function () {
    const weights = stored([...convnet.variables].reverse().map((variable): [string, number[]] => [`${variable.name}:0`, variable.shape]));
    const match = matchWeights(convnet, weights, [...JSON_RULES]);
    assert.equal(match.rule, 'exact');
    assert.deepEqual(match.storedIndexOf, [7, 6, 5, 4, 3, 2, 1, 0]);
    assert.deepEqual(describeWeightMatch(match, convnet.variables, weights, 'exact'), []);
  });

  it('matches names behind a model-name prefix (Keras 3 converters), and says so with an example', function () {
    const weights = stored(convnet.variables.map((variable): [string, number[]] => [`sequential_19/${variable.name}`, variable.shape]).sort());
    const match = matchWeights(convnet, weights, [...JSON_RULES]);
    assert.equal(match.rule, 'layer');
    assert.equal(matchedNames(convnet, weights, match.storedIndexOf)['batch_normalization/beta'], 'sequential_19/batch_normalization/beta');
    assert.deepEqual(describeWeightMatch(match, convnet.variables, weights, 'exact'), [
      "Weights matched by layer and weight name, ignoring the file's prefix (e.g. sequential_19/conv2d/kernel → conv2d/kernel)",
    ]);
  });

  it('matches numbered scopes (batch_normalization_1_1/gamma for layer batch_normalization_1)', function () {
    const model = layout([['batch_normalization_1', [['gamma', [4]], ['beta', [4]]]], ['conv2d_1', [['kernel', [1, 1, 4, 4]]]]]);
    const weights = stored([
      ['conv2d_1_1/kernel', [1, 1, 4, 4]],
      ['batch_normalization_1_1/beta', [4]],
      ['batch_normalization_1_1/gamma', [4]],
    ]);
    const match = matchWeights(model, weights, [...JSON_RULES]);
    assert.equal(match.rule, 'layer-suffix');
    assert.deepEqual(matchedNames(model, weights, match.storedIndexOf), {
      'batch_normalization_1/gamma': 'batch_normalization_1_1/gamma',
      'batch_normalization_1/beta': 'batch_normalization_1_1/beta',
      'conv2d_1/kernel': 'conv2d_1_1/kernel',
    });
  });

  it('does not let a name that happens to match override the file’s layout: ambiguous scopes fall back to order', function () {
    // Layer conv2d was saved as scope conv2d_1, layer conv2d_1 as conv2d_1_1: "conv2d_1/kernel" names the wrong layer.
    const model = layout([['conv2d', [['kernel', [3, 3, 4, 4]]]], ['conv2d_1', [['kernel', [3, 3, 4, 4]]]]]);
    const weights = stored([
      ['conv2d_1/kernel', [3, 3, 4, 4]],
      ['conv2d_1_1/kernel', [3, 3, 4, 4]],
    ]);
    const match = matchWeights(model, weights, [...JSON_RULES]);
    assert.equal(match.rule, 'order');
    assert.deepEqual(matchedNames(model, weights, match.storedIndexOf), { 'conv2d/kernel': 'conv2d_1/kernel', 'conv2d_1/kernel': 'conv2d_1_1/kernel' });
  });

  it('matches by order when no name fits: trainable first (as TF.js and Keras 2 list weights), else layer by layer', function () {
    const trainableFirst = convnet.orders[0].map((v, i): [string, number[]] => [`w${i}`, convnet.variables[v].shape]);
    const byTrainable = matchWeights(convnet, stored(trainableFirst), [...JSON_RULES]);
    assert.equal(byTrainable.rule, 'order');
    assert.equal(matchedNames(convnet, stored(trainableFirst), byTrainable.storedIndexOf)['dense/kernel'], 'w4');

    const layerByLayer = convnet.variables.map((variable, i): [string, number[]] => [`w${i}`, variable.shape]);
    const byLayer = matchWeights(convnet, stored(layerByLayer), [...JSON_RULES]);
    assert.equal(matchedNames(convnet, stored(layerByLayer), byLayer.storedIndexOf)['dense/kernel'], 'w6');
  });

  it('matches by layer group and position (HDF5, .keras), nested paths included, and lists what it leaves unused', function () {
    const model: ModelLayout = {
      variables: [
        { name: 'conv2d/kernel', shape: [3, 3, 3, 2] },
        { name: 'conv2d/bias', shape: [2] },
        { name: 'dense/kernel', shape: [2, 1] },
      ],
      layers: [
        { path: ['base', 'conv2d'], variables: [0, 1] },
        { path: ['base'], variables: [0, 1] },
        { path: ['dense'], variables: [2] },
      ],
      orders: [[0, 1, 2]],
    };
    const weights: StoredWeight[] = [
      { name: 'dense/vars/0', shape: [2, 1], layer: { path: ['dense'], position: 0 } },
      { name: 'base/conv2d/vars/1', shape: [2], layer: { path: ['base', 'conv2d'], position: 1 } },
      { name: 'base/conv2d/vars/0', shape: [3, 3, 3, 2], layer: { path: ['base', 'conv2d'], position: 0 } },
      ...Array.from({ length: 6 }, (_, i): StoredWeight => ({ name: `head/vars/${i}`, shape: [1], layer: { path: ['head'], position: i } })),
    ];
    const match = matchWeights(model, weights, ['layer-position', 'order']);
    assert.equal(match.rule, 'layer-position');
    assert.deepEqual(match.storedIndexOf, [2, 1, 0]);
    assert.deepEqual(describeWeightMatch(match, model.variables, weights, 'layer-position'), [
      '6 stored weights are not used by the model: head/vars/0, head/vars/1, head/vars/2, head/vars/3, head/vars/4, … (6 in all)',
    ]);
  });

  it('explains, with the first rule’s reason, why weights do not fit', function () {
    const fails = (weights: StoredWeight[], message: RegExp) => assert.throws(() => matchWeights(convnet, weights, [...JSON_RULES]), (error: unknown) => error instanceof WeightMatchError && message.test(error.message));
    const all = stored(convnet.variables.map((variable): [string, number[]] => [variable.name, variable.shape]));
    fails(all.slice(1), /has no weight for variable "conv2d\/kernel" \[3, 3, 1, 8\] \(7 weights stored, model has 8\)/);
    fails(all.map((weight) => (weight.name === 'dense/bias' ? { ...weight, shape: [3] } : weight)), /stores "dense\/bias" with shape \[3\], but the model's "dense\/bias" has shape \[2\]/);
    fails([], /holds no weights, but the model has some/);
    const grouped = all.map((weight, i): StoredWeight => ({ ...weight, layer: { path: ['conv2d'], position: i } }));
    assert.throws(() => matchWeights(convnet, grouped, ['layer-position']), /stores 8 weights for layer "conv2d", which has 2/);
  });
});
