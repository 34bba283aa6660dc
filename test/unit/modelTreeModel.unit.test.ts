import assert from 'node:assert/strict';
import { layerLabel } from '../../src/host/tree/layerPresentation';
import type { ModelSummary } from '../../src/shared/types';
import { ModelTreeModel, filterCountOf, layerHasChildren } from '../../src/host/tree/modelTreeModel';

const summary: ModelSummary = {
  modelPath: '/w/model.json',
  modelName: 'shapes',
  inputShape: [64, 64, 3],
  outputShape: [null, 3],
  layers: [
    { index: 0, depth: 0, name: 'conv_a', className: 'Conv2D', outputShape: [null, 62, 62, 16], paramCount: 448, trainableParamCount: 448, hasSpatialOutput: true },
    { index: 1, depth: 0, name: 'dense', className: 'Dense', outputShape: [null, 3], paramCount: 51, trainableParamCount: 51, hasSpatialOutput: false },
  ],
  totalParams: 499,
  trainableParams: 499,
  nonTrainableParams: 0,
  defaultPreprocess: 'rescale',
};

describe('ModelTreeModel', function () {
  it('lists open models as roots and their layers as children, in order', function () {
    const tree = new ModelTreeModel();
    tree.set({ state: 'loaded', modelPath: '/w/model.json', summary });
    const [root] = tree.roots();
    assert.equal(root.kind, 'model');
    const children = tree.children(root);
    assert.deepEqual(children.map((node) => (node.kind === 'layer' ? node.layer.name : node.kind)), ['conv_a', 'dense']);
    assert.equal(tree.children(children[0]).length, 16, 'a Conv2D lists its 16 filters');
    assert.deepEqual(tree.children(children[1]), [], 'a Dense layer has none');
  });

  it('shows a nested model as a group of its own layers, nested groups inside it', function () {
    const layer = (index: number, name: string, className: string, depth: number, parent?: string, isModel?: boolean) => ({
      index,
      depth,
      name,
      className,
      outputShape: [null, 8, 8, 4],
      paramCount: 1,
      trainableParamCount: 1,
      hasSpatialOutput: true,
      ...(parent ? { parent } : {}),
      ...(isModel ? { isModel } : {}),
    });
    const nested: ModelSummary = {
      ...summary,
      layers: [
        layer(0, 'augment', 'Sequential', 0, undefined, true),
        layer(1, 'augment/flip', 'RandomFlip', 1, 'augment'),
        layer(2, 'base', 'Functional', 0, undefined, true),
        layer(3, 'base/conv', 'Conv2D', 1, 'base'),
        layer(4, 'base/block', 'Sequential', 1, 'base', true),
        layer(5, 'base/block/conv', 'Conv2D', 2, 'base/block'),
        layer(6, 'head', 'Conv2D', 0),
      ],
    };
    const tree = new ModelTreeModel();
    tree.set({ state: 'loaded', modelPath: '/w/model.json', summary: nested });
    const names = (nodes: ReturnType<ModelTreeModel['children']>) => nodes.map((node) => (node.kind === 'layer' ? node.layer.name : node.kind));
    const top = tree.children(tree.roots()[0]);
    assert.deepEqual(names(top), ['augment', 'base', 'head']);
    const base = tree.children(top[1]);
    assert.deepEqual(names(base), ['base/conv', 'base/block']);
    assert.deepEqual(names(tree.children(base[1])), ['base/block/conv']);
    assert.equal(tree.children(base[0]).length, 4, 'a convolution inside a nested model lists its filters');
    assert.ok(layerHasChildren(top[1].kind === 'layer' ? top[1].layer : summary.layers[0]));
  });

  it('shows a graph model’s op nodes in folders by name scope, in order, with filters on convolution ops', function () {
    const node = (index: number, name: string, className: string, group: string, outputShape: (number | null)[] = [null, 8, 8, 4]) => ({
      index,
      depth: 0,
      name,
      className,
      group,
      outputShape,
      paramCount: 0,
      trainableParamCount: 0,
      hasSpatialOutput: outputShape.length === 4,
    });
    const graph: ModelSummary = {
      ...summary,
      layers: [
        node(0, 'scope/conv2d/Conv2D', '_FusedConv2D', 'conv2d'),
        node(1, 'scope/conv2d/Relu', 'Relu', 'conv2d'),
        node(2, 'scope/max_pooling2d/MaxPool', 'MaxPool', 'max_pooling2d'),
        node(3, 'scope/Identity', 'Identity', '', [null, 3]),
      ],
    };
    const tree = new ModelTreeModel();
    tree.set({ state: 'loaded', modelPath: '/w/model.json', summary: graph });
    const top = tree.children(tree.roots()[0]);
    assert.deepEqual(top.map((item) => (item.kind === 'group' ? `[${item.group}]` : item.kind === 'layer' ? item.layer.name : item.kind)), ['[conv2d]', '[max_pooling2d]', 'scope/Identity']);
    const convolution = tree.children(top[0]);
    assert.deepEqual(convolution.map((item) => (item.kind === 'layer' ? layerLabel(item.layer) : item.kind)), ['Conv2D', 'Relu']);
    assert.equal(convolution[0].kind === 'layer' && filterCountOf(convolution[0].layer), 4, 'a fused convolution op lists its filters');
    assert.equal(convolution[1].kind === 'layer' && filterCountOf(convolution[1].layer), 0);
  });

  it('shows loading and failure as a message under the model', function () {
    const tree = new ModelTreeModel();
    tree.set({ state: 'loading', modelPath: '/w/a/model.json' });
    tree.set({ state: 'failed', modelPath: '/w/b/model.json', message: '/w/b/model.json: is not valid JSON' });
    const texts = tree.roots().map((root) => tree.children(root).map((node) => (node.kind === 'message' ? node.text : '')));
    assert.deepEqual(texts, [['Loading…'], ['/w/b/model.json: is not valid JSON']]);
  });

  it('marks the model in front, telling listeners only when it changes', function () {
    const model = new ModelTreeModel();
    let changes = 0;
    model.onDidChange(() => changes++);
    model.setFocused('/a/model.json');
    assert.ok(model.isFocused('/a/model.json'));
    assert.ok(!model.isFocused('/b/model.json'));
    model.setFocused('/a/model.json');
    assert.equal(changes, 1, 'the same model again is no change');
    model.setFocused(undefined);
    assert.ok(!model.isFocused('/a/model.json'));
    assert.equal(changes, 2);
  });

  it('gives the root row of the model in front, for the sidebar to reveal', function () {
    const tree = new ModelTreeModel();
    tree.set({ state: 'loading', modelPath: '/a/model.json' });
    tree.set({ state: 'failed', modelPath: '/b/model.json', message: 'broken' });
    assert.equal(tree.focusedRoot(), undefined);
    tree.setFocused('/b/model.json');
    assert.deepEqual(tree.focusedRoot(), { kind: 'model', model: { state: 'failed', modelPath: '/b/model.json', message: 'broken' } });
    tree.setFocused('/c/model.json');
    assert.equal(tree.focusedRoot(), undefined, 'a model in front that the tree does not hold has no row');
  });

  it('notifies listeners on change and replaces a model’s entry in place', function () {
    const tree = new ModelTreeModel();
    let changes = 0;
    const subscription = tree.onDidChange(() => changes++);
    tree.set({ state: 'loading', modelPath: '/w/model.json' });
    tree.set({ state: 'loaded', modelPath: '/w/model.json', summary });
    assert.equal(tree.roots().length, 1);
    tree.remove('/w/model.json');
    tree.remove('/w/model.json');
    assert.equal(changes, 3);
    subscription.dispose();
    tree.set({ state: 'loading', modelPath: '/w/x.json' });
    assert.equal(changes, 3);
    assert.deepEqual(tree.openModelPaths(), ['/w/x.json']);
  });
});

describe('ModelTreeModel filters', function () {
  const conv = (channels: number) => ({
    index: 0,
    depth: 0,
    name: 'conv',
    className: 'Conv2D',
    outputShape: [null, 8, 8, channels],
    paramCount: 1,
    trainableParamCount: 1,
    hasSpatialOutput: true,
  });

  it('lists a narrow convolution layer’s filters directly', function () {
    const tree = new ModelTreeModel();
    const children = tree.children({ kind: 'layer', modelPath: '/m.json', layer: conv(5) });
    assert.deepEqual(children.map((node) => (node.kind === 'filter' ? node.filter : -1)), [0, 1, 2, 3, 4]);
  });

  it('pages a wide layer’s filters by 64, the last page short', function () {
    const tree = new ModelTreeModel();
    const pages = tree.children({ kind: 'layer', modelPath: '/m.json', layer: conv(150) });
    assert.deepEqual(pages.map((node) => (node.kind === 'filterPage' ? [node.first, node.last] : [])), [[0, 63], [64, 127], [128, 149]]);
    const lastPage = tree.children(pages[2]);
    assert.equal(lastPage.length, 22);
    assert.equal(lastPage[21].kind === 'filter' && lastPage[21].filter, 149);
  });

  it('gives other layers no filters', function () {
    assert.equal(filterCountOf({ ...conv(8), className: 'MaxPooling2D' }), 0);
    assert.equal(filterCountOf({ ...conv(8), hasSpatialOutput: false, outputShape: [null, 8] }), 0);
    assert.equal(filterCountOf(conv(8)), 8);
  });
});
