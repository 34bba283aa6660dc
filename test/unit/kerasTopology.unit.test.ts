import assert from 'node:assert/strict';
import { TopologyError, normaliseKerasTopology, type Json } from '../../src/engine/models/layers/kerasTopology';

const policy = (name: string) => ({ module: 'keras', class_name: 'DTypePolicy', config: { name }, registered_name: null, shared_object_id: 1401 });
const tensor = (layer: string) => ({ class_name: '__keras_tensor__', config: { shape: [null, 8, 8, 4], dtype: 'float32', keras_history: [layer, 0, 0] } });
const keras3Layer = (className: string, config: Record<string, Json>, extra: Record<string, Json> = {}) => ({
  module: 'keras.layers',
  class_name: className,
  config: { trainable: true, dtype: policy('float32'), ...config },
  registered_name: null,
  build_config: { input_shape: [null, 8, 8, 4] },
  ...extra,
});

/** Every key anywhere in a JSON value. */
function allKeys(value: unknown): Set<string> {
  const keys = new Set<string>();
  const visit = (inner: unknown) => {
    if (Array.isArray(inner)) inner.forEach(visit);
    else if (inner !== null && typeof inner === 'object') {
      for (const [key, child] of Object.entries(inner)) {
        keys.add(key);
        visit(child);
      }
    }
  };
  visit(value);
  return keys;
}

describe('normaliseKerasTopology', function () {
  it('turns a Keras 3 Sequential into the Keras 2 form: input shape on the first layer, plain dtypes, no Python-only keys', function () {
    const keras3 = {
      module: 'keras',
      class_name: 'Sequential',
      config: {
        name: 'sequential',
        trainable: true,
        dtype: policy('float32'),
        layers: [
          { module: 'keras.layers', class_name: 'InputLayer', config: { batch_shape: [null, 28, 28, 1], dtype: 'float32', sparse: false, ragged: false, name: 'input_layer' }, registered_name: null },
          keras3Layer('Conv2D', {
            name: 'conv2d',
            filters: 8,
            kernel_size: [5, 5],
            activation: 'silu',
            kernel_initializer: { module: 'keras.initializers', class_name: 'VarianceScaling', config: { seed: null, scale: 1.0, mode: 'fan_in', distribution: 'truncated_normal' }, registered_name: null },
          }),
        ],
      },
      registered_name: null,
    };
    const copy = structuredClone(keras3);
    const { topology, notes } = normaliseKerasTopology(keras3);
    assert.deepEqual(keras3, copy, 'the input is not modified');
    assert.deepEqual(notes, []);
    const layers = (topology.config as { layers: { class_name: string; config: Record<string, Json> }[] }).layers;
    assert.deepEqual(
      layers.map((layer) => layer.class_name),
      ['Conv2D'],
    );
    assert.deepEqual(layers[0].config.batch_input_shape, [null, 28, 28, 1]);
    assert.equal(layers[0].config.dtype, 'float32');
    assert.equal(layers[0].config.activation, 'swish', "Keras' silu is TF.js' swish");
    assert.deepEqual(layers[0].config.kernel_initializer, { class_name: 'VarianceScaling', config: { seed: null, scale: 1.0, mode: 'fan_in', distribution: 'truncated_normal' } });
    for (const key of ['module', 'registered_name', 'build_config', 'shared_object_id', 'batch_shape']) assert.ok(!allKeys(topology).has(key), `no "${key}" left`);
  });

  it('turns Keras 3 inbound nodes (args of keras tensors, kwargs) and single input/output triples into the nested-list form', function () {
    const keras3 = {
      class_name: 'Functional',
      config: {
        name: 'functional',
        layers: [
          { class_name: 'InputLayer', name: 'input_layer', config: { batch_shape: [null, 8, 8, 4], dtype: 'float32', name: 'input_layer' }, inbound_nodes: [] },
          keras3Layer('Conv2D', { name: 'conv2d', filters: 4, kernel_size: [1, 1] }, { name: 'conv2d', inbound_nodes: [{ args: [tensor('input_layer')], kwargs: {} }] }),
          // No top-level name: TF.js needs one, taken from the config.
          keras3Layer('BatchNormalization', { name: 'bn' }, { inbound_nodes: [{ args: [tensor('conv2d')], kwargs: { training: false } }] }),
          keras3Layer('Add', { name: 'add' }, { name: 'add', inbound_nodes: [{ args: [[tensor('bn'), tensor('input_layer')]], kwargs: {} }] }),
        ],
        input_layers: ['input_layer', 0, 0],
        output_layers: ['add', 0, 0],
      },
    };
    const { topology } = normaliseKerasTopology(keras3);
    const config = topology.config as { layers: Record<string, Json>[]; input_layers: Json; output_layers: Json };
    assert.deepEqual(
      config.layers.map((layer) => [layer.name, layer.inbound_nodes]),
      [
        ['input_layer', []],
        ['conv2d', [[['input_layer', 0, 0, {}]]]],
        ['bn', [[['conv2d', 0, 0, { training: false }]]]],
        [
          'add',
          [
            [
              ['bn', 0, 0, {}],
              ['input_layer', 0, 0, {}],
            ],
          ],
        ],
      ],
    );
    assert.deepEqual(config.input_layers, [['input_layer', 0, 0]]);
    assert.deepEqual(config.output_layers, [['add', 0, 0]]);
    assert.deepEqual((config.layers[0].config as Record<string, Json>).batch_input_shape, [null, 8, 8, 4], 'a Functional model keeps its InputLayer');
  });

  it('reads Keras 2.0’s Sequential whose config is a bare list of layers, and a model_config wrapper', function () {
    const layers = [{ class_name: 'Dense', config: { name: 'dense_1', units: 2, batch_input_shape: [null, 3] } }];
    const { topology } = normaliseKerasTopology({ keras_version: '2.0.5', model_config: { class_name: 'Sequential', config: layers } });
    assert.deepEqual(topology, { class_name: 'Sequential', config: { name: 'sequential', layers } });
  });

  it('keeps the input shape of a nested Sequential from its build_input_shape, and the InputLayer before it', function () {
    const { topology } = normaliseKerasTopology({
      class_name: 'Sequential',
      config: {
        name: 'outer',
        layers: [
          { class_name: 'InputLayer', config: { batch_shape: [null, 8, 8, 3], name: 'input_layer' } },
          { class_name: 'Sequential', config: { name: 'augmentation', layers: [keras3Layer('RandomFlip', { name: 'random_flip', mode: 'horizontal' })], build_input_shape: [null, 8, 8, 3] } },
          keras3Layer('Conv2D', { name: 'conv2d', filters: 2, kernel_size: [3, 3] }),
        ],
      },
    });
    const [input, nested] = (topology.config as { layers: { class_name: string; config: { layers?: { config: Record<string, Json> }[] } }[] }).layers;
    assert.equal(input.class_name, 'InputLayer');
    assert.deepEqual(nested.config.layers?.[0].config.batch_input_shape, [null, 8, 8, 3]);
  });

  it('runs random augmentation layers as identities and mixed-precision layers in float32, saying so', function () {
    const { topology, notes } = normaliseKerasTopology({
      class_name: 'Sequential',
      config: {
        name: 'sequential',
        layers: [
          keras3Layer('RandomFlip', { name: 'random_flip', mode: 'horizontal', batch_input_shape: [null, 8, 8, 3] }),
          keras3Layer('RandomRotation', { name: 'random_rotation', factor: 0.1 }),
          keras3Layer('Conv2D', { name: 'conv2d', dtype: policy('mixed_float16'), filters: 2, kernel_size: [3, 3] }),
        ],
      },
    });
    const layers = (topology.config as { layers: { class_name: string; config: Record<string, Json> }[] }).layers;
    assert.deepEqual(
      layers.map((layer) => [layer.class_name, layer.config.name, layer.config.activation ?? null, layer.config.dtype]),
      [
        ['Activation', 'random_flip', 'linear', 'float32'],
        ['Activation', 'random_rotation', 'linear', 'float32'],
        ['Conv2D', 'conv2d', null, 'float32'],
      ],
    );
    assert.deepEqual(layers[0].config.batch_input_shape, [null, 8, 8, 3], 'the first layer keeps the input shape');
    assert.deepEqual(notes, [
      'Random augmentation layers do nothing at inference and run as identities: random_flip, random_rotation',
      'Layers saved with the mixed_float16 policy compute in float32 here: conv2d',
    ]);
  });

  it('refuses what TF.js cannot be given, saying what it is', function () {
    const refuses = (value: unknown, message: RegExp) => assert.throws(() => normaliseKerasTopology(value), (error: unknown) => error instanceof TopologyError && message.test(error.message));
    refuses([1, 2], /holds no Keras model config/);
    refuses({ class_name: 'Conv2D', config: { name: 'conv2d' } }, /holds a single Conv2D layer, not a model/);
    refuses({ class_name: 'Sequential', config: { name: 's', layers: [keras3Layer('Dense', { name: 'd', dtype: policy('bfloat16') })] } }, /layer "d" uses dtype policy "bfloat16"/);
    const attention = keras3Layer('Attention', { name: 'attention' }, { name: 'attention', inbound_nodes: [{ args: [tensor('a')], kwargs: { value: tensor('b') } }] });
    refuses({ class_name: 'Functional', config: { name: 'f', layers: [attention] } }, /layer "attention" takes a tensor as its "value" argument/);
  });
});
