// Tree items for the Convscope sidebar's Model view, built from ModelTreeModel.
import * as vscode from 'vscode';
import path from 'node:path';
import { LAYER_KIND_ICONS, layerDescription, layerKindOf, layerLabel, layerTooltipLines } from './layerPresentation';
import { filterCountOf, layerHasChildren, type ModelTreeModel, type ModelTreeNode } from './modelTreeModel';

export class ModelTreeProvider implements vscode.TreeDataProvider<ModelTreeNode>, vscode.Disposable {
  private readonly changeEmitter = new vscode.EventEmitter<ModelTreeNode | undefined>();
  readonly onDidChangeTreeData = this.changeEmitter.event;
  private readonly subscription: { dispose(): void };

  constructor(private readonly model: ModelTreeModel) {
    this.subscription = model.onDidChange(() => this.changeEmitter.fire(undefined));
  }

  getChildren(node?: ModelTreeNode): ModelTreeNode[] {
    return node ? this.model.children(node) : this.model.roots();
  }

  /** Only model rows are revealed (they are the roots); reveal needs this to exist. */
  getParent(node: ModelTreeNode): ModelTreeNode | undefined {
    if (node.kind !== 'model') throw new Error(`only model rows are revealed, not a ${node.kind} row`);
    return undefined;
  }

  getTreeItem(node: ModelTreeNode): vscode.TreeItem {
    switch (node.kind) {
      case 'model': {
        const { model } = node;
        const label = model.state === 'loaded' ? model.summary.modelName : path.basename(path.dirname(model.modelPath));
        const item = new vscode.TreeItem(label, vscode.TreeItemCollapsibleState.Expanded);
        item.id = `model:${model.modelPath}`;
        // The model of the panel (or model file) in front is marked: palette commands act on it.
        const focused = this.model.isFocused(model.modelPath);
        item.description = `${focused ? 'in front · ' : ''}${vscode.workspace.asRelativePath(model.modelPath)}`;
        // How the file was read (a converted Keras 3 config, weights matched by layer or order).
        const notes = model.state === 'loaded' ? (model.summary.loadNotes ?? []) : [];
        item.tooltip = [model.modelPath, ...(focused ? ['The model of the panel in front: Convscope commands act on it.'] : []), ...notes].join('\n');
        item.resourceUri = vscode.Uri.file(model.modelPath);
        item.contextValue = 'convscope.model';
        item.iconPath = new vscode.ThemeIcon(model.state === 'failed' ? 'error' : model.state === 'loading' ? 'loading~spin' : focused ? 'layers-active' : 'layers');
        return item;
      }
      case 'layer': {
        const { layer } = node;
        const filterCount = filterCountOf(layer);
        const item = new vscode.TreeItem(layerLabel(layer), layerHasChildren(layer) ? vscode.TreeItemCollapsibleState.Collapsed : vscode.TreeItemCollapsibleState.None);
        item.id = `layer:${node.modelPath}:${layer.index}`;
        item.description = layerDescription(layer);
        // Plain text, one line each: names and config values come from the model file.
        item.tooltip = layerTooltipLines(layer).join('\n');
        item.iconPath = new vscode.ThemeIcon(LAYER_KIND_ICONS[layerKindOf(layer.className, layer.isModel)]);
        // A nested model's output is its last layer's: the actions live on its layers.
        const showsActivations = layer.hasSpatialOutput && !layer.isModel;
        item.contextValue = filterCount > 0 ? 'convscope.layer.conv' : showsActivations ? 'convscope.layer.spatial' : layer.isModel ? 'convscope.layer.nested' : 'convscope.layer';
        if (showsActivations) {
          item.command = { command: 'convscope.showLayerActivations', title: 'Show Activations', arguments: [node] };
        }
        return item;
      }
      case 'group': {
        const item = new vscode.TreeItem(node.group, vscode.TreeItemCollapsibleState.Collapsed);
        item.id = `group:${node.modelPath}:${node.group}`;
        item.iconPath = new vscode.ThemeIcon('symbol-namespace');
        item.tooltip = `Name scope ${node.group}`;
        item.contextValue = 'convscope.group';
        return item;
      }
      case 'filterPage': {
        const item = new vscode.TreeItem(`filters ${node.first}–${node.last}`, vscode.TreeItemCollapsibleState.Collapsed);
        item.id = `filters:${node.modelPath}:${node.layer.index}:${node.first}`;
        item.iconPath = new vscode.ThemeIcon('list-tree');
        item.contextValue = 'convscope.filterPage';
        return item;
      }
      case 'filter': {
        const item = new vscode.TreeItem(`filter ${node.filter}`, vscode.TreeItemCollapsibleState.None);
        item.id = `filter:${node.modelPath}:${node.layer.index}:${node.filter}`;
        item.iconPath = new vscode.ThemeIcon('symbol-color');
        item.contextValue = 'convscope.filter';
        item.tooltip = `Show the pattern that filter ${node.filter} of ${node.layer.name} responds to most`;
        item.command = { command: 'convscope.showFilterPattern', title: 'Show Pattern', arguments: [node] };
        return item;
      }
      case 'message': {
        const item = new vscode.TreeItem(node.text, vscode.TreeItemCollapsibleState.None);
        item.iconPath = new vscode.ThemeIcon('info');
        return item;
      }
    }
  }

  dispose(): void {
    this.subscription.dispose();
    this.changeEmitter.dispose();
  }
}
