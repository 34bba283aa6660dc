// The sidebar's data: which models are open and what is known of each. No vscode import, so the
// tree's logic is tested in plain Node; modelTreeProvider.ts turns it into tree items.
import type { LayerInfo, ModelSummary } from '../../engine/types';

export type OpenModel =
  | { state: 'loading'; modelPath: string }
  | { state: 'loaded'; modelPath: string; summary: ModelSummary }
  | { state: 'failed'; modelPath: string; message: string };

export type ModelTreeNode =
  | { kind: 'model'; model: OpenModel }
  | { kind: 'layer'; modelPath: string; layer: LayerInfo }
  | { kind: 'message'; modelPath: string; text: string };

export class ModelTreeModel {
  private readonly models = new Map<string, OpenModel>();
  private readonly listeners = new Set<() => void>();

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

  openModelPaths(): string[] {
    return [...this.models.keys()];
  }

  roots(): ModelTreeNode[] {
    return [...this.models.values()].map((model) => ({ kind: 'model', model }));
  }

  children(node: ModelTreeNode): ModelTreeNode[] {
    if (node.kind !== 'model') return [];
    const { model } = node;
    if (model.state === 'loading') return [{ kind: 'message', modelPath: model.modelPath, text: 'Loading…' }];
    if (model.state === 'failed') return [{ kind: 'message', modelPath: model.modelPath, text: model.message }];
    return model.summary.layers.map((layer) => ({ kind: 'layer', modelPath: model.modelPath, layer }));
  }

  private changed(): void {
    for (const listener of this.listeners) listener();
  }
}
