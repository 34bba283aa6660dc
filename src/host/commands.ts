// The Convscope commands: Explorer context menus, the Command Palette and the sidebar all land here.
import * as vscode from 'vscode';
import path from 'node:path';
import type { ConvscopeHost } from './convscopeHost';
import { pickImage, pickModel } from './pickers';
import type { ModelTreeNode } from './tree/modelTreeModel';

/** The model.json in the active editor, which palette commands use without asking. */
function activeEditorModel(): string | undefined {
  const document = vscode.window.activeTextEditor?.document;
  return document?.uri.scheme === 'file' && path.basename(document.uri.fsPath) === 'model.json' ? document.uri.fsPath : undefined;
}

async function chooseModel(host: ConvscopeHost, uri?: vscode.Uri): Promise<string | undefined> {
  return uri?.fsPath ?? activeEditorModel() ?? (await pickModel(host.treeModel.openModelPaths()));
}

async function visualizeModel(host: ConvscopeHost, modelPath: string | undefined): Promise<void> {
  if (!modelPath) return;
  const summary = await host.openModel(modelPath);
  if (!summary) return;
  const imagePath = await pickImage(host.lastImageFor(modelPath));
  if (imagePath) await host.visualize({ modelPath, imagePath });
}

export function registerCommands(host: ConvscopeHost): vscode.Disposable[] {
  const register = (id: string, handler: (...args: never[]) => unknown) => vscode.commands.registerCommand(id, handler);
  return [
    register('convscope.visualizeModel', async (uri?: vscode.Uri) => visualizeModel(host, await chooseModel(host, uri))),
    register('convscope.openModel', async () => visualizeModel(host, activeEditorModel() ?? (await pickModel(host.treeModel.openModelPaths())))),
    register('convscope.visualizeWithImage', async (uri?: vscode.Uri) => {
      const imagePath = uri?.fsPath ?? (await pickImage());
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
      const imagePath = host.lastImageFor(node.modelPath) ?? (await pickImage());
      if (imagePath) await host.visualize({ modelPath: node.modelPath, imagePath, layers: { names: [node.layer.name] } });
    }),
    register('convscope.closeModel', (node?: ModelTreeNode) => {
      if (node?.kind === 'model') host.closeModel(node.model.modelPath);
    }),
    register('convscope.showLog', () => host.log.show()),
  ];
}
