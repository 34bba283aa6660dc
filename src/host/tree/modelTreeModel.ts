// The sidebar's data: which models are open and what is known of each. No vscode import, so the
// tree's logic is tested in plain Node; modelTreeProvider.ts turns it into tree items.
import type { LayerInfo, ModelSummary } from '../../shared/types';

export type OpenModel =
  | { state: 'loading'; modelPath: string }
  | { state: 'loaded'; modelPath: string; summary: ModelSummary }
  | { state: 'failed'; modelPath: string; message: string };

export type ModelTreeNode =
  | { kind: 'model'; model: OpenModel }
  | { kind: 'layer'; modelPath: string; layer: LayerInfo }
  /** A graph model's name scope, holding its op nodes. */
  | { kind: 'group'; modelPath: string; group: string }
  | { kind: 'filterPage'; modelPath: string; layer: LayerInfo; first: number; last: number }
  | { kind: 'filter'; modelPath: string; layer: LayerInfo; filter: number }
  | { kind: 'message'; modelPath: string; text: string };

/** Wide layers list their filters in pages of this many (the study notes' 8×8 grid). */
export const FILTER_PAGE_SIZE = 64;

// Keras layer classes, then the ops of TF.js graph models.
const CONVOLUTION_CLASSES = new Set(['Conv2D', 'SeparableConv2D', 'DepthwiseConv2D', 'Conv2DTranspose', '_FusedConv2D', 'DepthwiseConv2dNative', 'FusedDepthwiseConv2dNative']);

/** Whether a layer row expands: a nested model into its layers, a convolution into its filters. */
export function layerHasChildren(layer: LayerInfo): boolean {
  return layer.isModel === true || filterCountOf(layer) > 0;
}

/** How many filters a convolution layer has (its output channels); 0 for other layers. */
export function filterCountOf(layer: LayerInfo): number {
  if (!CONVOLUTION_CLASSES.has(layer.className) || !layer.hasSpatialOutput) return 0;
  const shape = layer.outputShape as (number | null)[];
  return shape[shape.length - 1] ?? 0;
}

export class ModelTreeModel {
  private readonly models = new Map<string, OpenModel>();
  private readonly listeners = new Set<() => void>();
  /** The model of the panel or editor in front: its row is marked. */
  private focused: string | undefined;

  onDidChange(listener: () => void): { dispose(): void } {
    this.listeners.add(listener);
    return { dispose: () => this.listeners.delete(listener) };
  }

  set(model: OpenModel): void {
    this.models.set(model.modelPath, model);
    this.changed();
  }

  remove(modelPath: string): void {
    if (this.models.delete(modelPath)) this.changed();
  }

  get(modelPath: string): OpenModel | undefined {
    return this.models.get(modelPath);
  }

  /** Marks the model in front (undefined: none); listeners hear of a change only. */
  setFocused(modelPath: string | undefined): void {
    if (modelPath === this.focused) return;
    this.focused = modelPath;
    this.changed();
  }

  isFocused(modelPath: string): boolean {
    return this.focused === modelPath;
  }

  /** The root node of the model in front, if it is open in the tree. */
  focusedRoot(): ModelTreeNode | undefined {
    const model = this.focused === undefined ? undefined : this.models.get(this.focused);
    return model && { kind: 'model', model };
  }

  openModelPaths(): string[] {
    return [...this.models.keys()];
  }

  roots(): ModelTreeNode[] {
    return [...this.models.values()].map((model) => ({ kind: 'model', model }));
  }

  children(node: ModelTreeNode): ModelTreeNode[] {
    if (node.kind === 'layer') return node.layer.isModel ? this.nestedLayers(node.modelPath, node.layer) : this.filterChildren(node.modelPath, node.layer);
    if (node.kind === 'filterPage') return filterRange(node.modelPath, node.layer, node.first, node.last);
    if (node.kind === 'group') return this.groupNodes(node.modelPath, node.group);
    if (node.kind !== 'model') return [];
    const { model } = node;
    if (model.state === 'loading') return [{ kind: 'message', modelPath: model.modelPath, text: 'Loading…' }];
    if (model.state === 'failed') return [{ kind: 'message', modelPath: model.modelPath, text: model.message }];
    if (model.summary.layers.some((layer) => layer.group !== undefined)) return graphTopLevel(model.modelPath, model.summary.layers);
    return model.summary.layers.filter((layer) => layer.depth === 0).map((layer) => ({ kind: 'layer', modelPath: model.modelPath, layer }));
  }

  /** A graph model's op nodes in one name scope. */
  private groupNodes(modelPath: string, group: string): ModelTreeNode[] {
    const model = this.models.get(modelPath);
    if (model?.state !== 'loaded') return [];
    return model.summary.layers.filter((layer) => layer.group === group).map((layer) => ({ kind: 'layer', modelPath, layer }));
  }

  /** A nested model's own layers (a group in the tree). */
  private nestedLayers(modelPath: string, nested: LayerInfo): ModelTreeNode[] {
    const model = this.models.get(modelPath);
    if (model?.state !== 'loaded') return [];
    return model.summary.layers.filter((layer) => layer.parent === nested.name).map((layer) => ({ kind: 'layer', modelPath, layer }));
  }

  private filterChildren(modelPath: string, layer: LayerInfo): ModelTreeNode[] {
    const count = filterCountOf(layer);
    if (count <= FILTER_PAGE_SIZE) return filterRange(modelPath, layer, 0, count - 1);
    const pages: ModelTreeNode[] = [];
    for (let first = 0; first < count; first += FILTER_PAGE_SIZE) {
      pages.push({ kind: 'filterPage', modelPath, layer, first, last: Math.min(count, first + FILTER_PAGE_SIZE) - 1 });
    }
    return pages;
  }

  private changed(): void {
    for (const listener of this.listeners) listener();
  }
}

/** A graph model's top level: ungrouped nodes, and one folder per name scope where it first appears. */
function graphTopLevel(modelPath: string, layers: LayerInfo[]): ModelTreeNode[] {
  const seen = new Set<string>();
  const nodes: ModelTreeNode[] = [];
  for (const layer of layers) {
    const group = layer.group ?? '';
    if (group === '') nodes.push({ kind: 'layer', modelPath, layer });
    else if (!seen.has(group)) {
      seen.add(group);
      nodes.push({ kind: 'group', modelPath, group });
    }
  }
  return nodes;
}

function filterRange(modelPath: string, layer: LayerInfo, first: number, last: number): ModelTreeNode[] {
  const nodes: ModelTreeNode[] = [];
  for (let filter = first; filter <= last; filter++) nodes.push({ kind: 'filter', modelPath, layer, filter });
  return nodes;
}
