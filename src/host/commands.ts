// The Convscope commands: Explorer context menus, the Command Palette and the sidebar all land here.
import * as vscode from 'vscode';
import { existsSync } from 'node:fs';
import path from 'node:path';
import type { ConvscopeHost } from './convscopeHost';
import { findExampleModel } from './exampleModel';
import { pickDatasetFolder } from './panel/datasetPanel';
import { activeEditorModelPath } from './focusedModel';
import { pickConvolutionLayer, pickModel } from './pickers';
import type { ModelTreeNode } from './tree/modelTreeModel';

/** The model a palette command acts on: the one given, else the one in front (panel or editor), else one the user picks. */
async function chooseModel(host: ConvscopeHost, uri?: vscode.Uri): Promise<string | undefined> {
  return uri?.fsPath ?? host.focusedModelPath() ?? (await pickModel(host.treeModel.openModelPaths()));
}

async function visualizeModel(host: ConvscopeHost, modelPath: string | undefined): Promise<void> {
  if (!modelPath) return;
  const summary = await host.openModel(modelPath);
  if (!summary) return;
  const imagePath = await host.pickImageFor(modelPath);
  if (imagePath) await host.visualize({ modelPath, imagePath });
}

/** The model a tree node belongs to, else the one in front, else one the user picks. */
async function modelOf(host: ConvscopeHost, node?: ModelTreeNode): Promise<string | undefined> {
  if (node) return node.kind === 'model' ? node.model.modelPath : node.modelPath;
  return chooseModel(host);
}

/**
 * Grad-CAM of a model: the image is always asked for (the one shown or used last comes first), so
 * that no run silently reuses an old image; only re-targeting the layer keeps an open panel's image.
 */
async function explainPrediction(host: ConvscopeHost, target?: ModelTreeNode | vscode.Uri, layer?: string): Promise<void> {
  // The Explorer passes the model file's URI, the tree its node.
  const modelPath = target instanceof vscode.Uri ? target.fsPath : await modelOf(host, target);
  if (!modelPath || !(await host.openModel(modelPath))) return;
  const shown = host.gradCamImageOf(modelPath);
  const imagePath = layer !== undefined && shown !== undefined ? shown : await host.pickImageFor(modelPath, shown);
  // A layer left out keeps the one chosen in an open Grad-CAM panel.
  if (imagePath) await host.explain({ modelPath, imagePath, ...(layer ? { layer } : {}) });
}

/**
 * Explain Folder: the Explorer passes the folder; from the palette one is picked. The model is the
 * one in front, else one the user picks.
 */
async function explainFolder(host: ConvscopeHost, uri?: vscode.Uri): Promise<void> {
  const folder = uri?.fsPath ?? (await pickDatasetFolder());
  if (!folder) return;
  const modelPath = await chooseModel(host);
  if (!modelPath || !(await host.openModel(modelPath))) return;
  await host.explainFolder(modelPath, folder);
}

/** The model a summary is asked for: a tree node's, a path (the status bar), a file, else the palette's pick. */
async function summaryTarget(host: ConvscopeHost, target?: ModelTreeNode | vscode.Uri | string): Promise<string | undefined> {
  if (typeof target === 'string') return target;
  if (target instanceof vscode.Uri) return target.fsPath;
  return modelOf(host, target);
}

/** Opens the example model shipped in the extension folder with its first sample image. */
async function openExampleModel(host: ConvscopeHost, extensionPath: string): Promise<void> {
  const example = findExampleModel(extensionPath);
  if (!example) {
    void vscode.window.showErrorMessage(`Convscope: the example model is missing from ${path.join(extensionPath, 'examples', 'shapes')}.`);
    return;
  }
  if (!(await host.openModel(example.modelPath))) return;
  const lastImage = host.lastImageFor(example.modelPath);
  const imagePath = (lastImage && existsSync(lastImage) ? lastImage : example.imagePath) ?? (await host.pickImageFor(example.modelPath));
  if (imagePath) await host.visualize({ modelPath: example.modelPath, imagePath });
}

export function registerCommands(host: ConvscopeHost, extensionPath: string): vscode.Disposable[] {
  const register = (id: string, handler: (...args: never[]) => unknown) => vscode.commands.registerCommand(id, handler);
  return [
    register('convscope.visualizeModel', async (uri?: vscode.Uri) => visualizeModel(host, await chooseModel(host, uri))),
    // Open Model… opens another model: only a model file in the editor is taken without asking.
    register('convscope.openModel', async () => visualizeModel(host, activeEditorModelPath() ?? (await pickModel(host.treeModel.openModelPaths())))),
    register('convscope.visualizeWithImage', async (uri?: vscode.Uri) => {
      const imagePath = uri?.fsPath ?? (await host.pickImageFor(undefined));
      if (!imagePath) return;
      const modelPath = await chooseModel(host);
      if (modelPath && (await host.openModel(modelPath))) await host.visualize({ modelPath, imagePath });
    }),
    register('convscope.chooseImage', async (node?: ModelTreeNode) => {
      const modelPath = node?.kind === 'model' ? node.model.modelPath : await chooseModel(host);
      await visualizeModel(host, modelPath);
    }),
    register('convscope.showLayerActivations', async (node?: ModelTreeNode) => {
      if (node?.kind !== 'layer') return;
      // A click on a layer row shows it on the model's image (the panel's header shows which, with Change Image…).
      const lastImage = host.lastImageFor(node.modelPath);
      const imagePath = lastImage && existsSync(lastImage) ? lastImage : await host.pickImageFor(node.modelPath);
      if (imagePath) await host.visualize({ modelPath: node.modelPath, imagePath, layers: { names: [node.layer.name] } });
    }),
    register('convscope.showFilterGrid', async (node?: ModelTreeNode) => {
      if (node?.kind === 'layer' || node?.kind === 'filterPage') {
        const filters = node.kind === 'filterPage' ? Array.from({ length: node.last - node.first + 1 }, (_, i) => node.first + i) : undefined;
        await host.showFilterPatterns({ modelPath: node.modelPath, layerName: node.layer.name, filters });
        return;
      }
      const modelPath = await modelOf(host, node);
      const summary = modelPath && (await host.openModel(modelPath));
      const layerName = summary && (await pickConvolutionLayer(summary));
      if (modelPath && layerName) await host.showFilterPatterns({ modelPath, layerName });
    }),
    register('convscope.showFilterPattern', async (node?: ModelTreeNode) => {
      if (node?.kind === 'filter') await host.showFilterPatterns({ modelPath: node.modelPath, layerName: node.layer.name, filters: [node.filter] });
    }),
    register('convscope.explainPrediction', (target?: ModelTreeNode | vscode.Uri) => explainPrediction(host, target)),
    register('convscope.explainFolder', (uri?: vscode.Uri) => explainFolder(host, uri instanceof vscode.Uri ? uri : undefined)),
    register('convscope.useAsGradCamLayer', async (node?: ModelTreeNode) => {
      if (node?.kind === 'layer') await explainPrediction(host, node, node.layer.name);
    }),
    register('convscope.showModelSummary', async (target?: ModelTreeNode | vscode.Uri | string) => {
      const modelPath = await summaryTarget(host, target);
      if (modelPath) await host.showSummary(modelPath);
    }),
    register('convscope.setInputSize', async (target?: ModelTreeNode | vscode.Uri) => {
      const modelPath = target instanceof vscode.Uri ? target.fsPath : await modelOf(host, target);
      if (modelPath) await host.changeInputSide(modelPath);
    }),
    register('convscope.openExampleModel', () => openExampleModel(host, extensionPath)),
    register('convscope.clearFilterPatternCache', async () => {
      await host.filterCache.clear();
      void vscode.window.showInformationMessage('Convscope: cleared the filter-pattern cache.');
    }),
    register('convscope.closeModel', (node?: ModelTreeNode) => {
      if (node?.kind === 'model') host.closeModel(node.model.modelPath);
    }),
    register('convscope.showLog', () => host.log.show()),
  ];
}
