// Quick picks for the files and layers a command needs, each with a "Browse…" way out.
import * as vscode from 'vscode';
import path from 'node:path';
import { formatShape } from '../shared/shapes';
import type { ModelSummary } from '../shared/types';
import { filterCountOf } from './tree/modelTreeModel';

export const IMAGE_EXTENSIONS = ['png', 'jpg', 'jpeg', 'webp', 'gif', 'tif', 'tiff', 'avif'];
const IMAGE_GLOB = `**/*.{${IMAGE_EXTENSIONS.join(',')}}`;
const MODEL_GLOB = '**/{model.json,*.h5,*.hdf5,*.keras}';
const MODEL_EXTENSIONS = new Set(['.h5', '.hdf5', '.keras']);

/** The files Convscope opens as models. */
export function isModelFile(filePath: string): boolean {
  return path.basename(filePath) === 'model.json' || MODEL_EXTENSIONS.has(path.extname(filePath).toLowerCase());
}

const EXCLUDE_GLOB = '{**/node_modules/**,**/.git/**}';
const MAX_LISTED_FILES = 500;

interface FileItem extends vscode.QuickPickItem {
  filePath?: string;
  browse?: boolean;
}

function fileItem(uri: vscode.Uri, detail?: string): FileItem {
  const relative = vscode.workspace.asRelativePath(uri, true);
  return { label: path.basename(uri.fsPath), description: path.dirname(relative) === '.' ? '' : path.dirname(relative), detail, filePath: uri.fsPath };
}

async function pickFile(options: {
  title: string;
  placeHolder: string;
  glob: string;
  first?: FileItem[];
  dialogFilters: Record<string, string[]>;
}): Promise<string | undefined> {
  const found = await vscode.workspace.findFiles(options.glob, EXCLUDE_GLOB, MAX_LISTED_FILES);
  const seen = new Set((options.first ?? []).map((item) => item.filePath));
  const items: FileItem[] = [
    ...(options.first ?? []),
    ...found.filter((uri) => !seen.has(uri.fsPath)).sort((a, b) => a.fsPath.localeCompare(b.fsPath)).map((uri) => fileItem(uri)),
    { label: '$(folder-opened) Browse…', alwaysShow: true, browse: true },
  ];
  const choice = await vscode.window.showQuickPick(items, { title: options.title, placeHolder: options.placeHolder, matchOnDescription: true });
  if (!choice) return undefined;
  if (!choice.browse) return choice.filePath;
  const uris = await vscode.window.showOpenDialog({ title: options.title, canSelectMany: false, filters: options.dialogFilters });
  return uris?.[0]?.fsPath;
}

export function pickImage(lastImagePath?: string): Promise<string | undefined> {
  return pickFile({
    title: 'Convscope: Choose an Input Image',
    placeHolder: 'Image to run through the model',
    glob: IMAGE_GLOB,
    first: lastImagePath ? [fileItem(vscode.Uri.file(lastImagePath), 'last used')] : [],
    dialogFilters: { Images: IMAGE_EXTENSIONS },
  });
}

export function pickModel(openModelPaths: string[]): Promise<string | undefined> {
  return pickFile({
    title: 'Convscope: Open Model',
    placeHolder: 'TF.js model.json, Keras .h5 / .hdf5 or .keras',
    glob: MODEL_GLOB,
    first: openModelPaths.map((modelPath) => fileItem(vscode.Uri.file(modelPath), 'open')),
    dialogFilters: { Models: ['json', 'h5', 'hdf5', 'keras'] },
  });
}

interface LayerItem extends vscode.QuickPickItem {
  layerName: string;
}

/** Several layers at once, for one run; undefined when dismissed. */
export async function pickLayers(summary: ModelSummary, selected: number[]): Promise<string[] | undefined> {
  const items: LayerItem[] = summary.layers
    .filter((layer) => layer.hasSpatialOutput && layer.className !== 'InputLayer' && !layer.isModel)
    .map((layer) => ({
      label: layer.name,
      description: `${layer.className} · ${formatShape(layer.outputShape)}`,
      picked: selected.includes(layer.index),
      layerName: layer.name,
    }));
  const choice = await vscode.window.showQuickPick(items, {
    title: `Convscope: Layers to Show (${summary.modelName})`,
    placeHolder: 'Layers whose channels are shown as grids',
    canPickMany: true,
  });
  return choice && choice.length > 0 ? choice.map((item) => item.layerName) : undefined;
}

/** One convolution layer, for the palette's Show Filter Grid. */
export async function pickConvolutionLayer(summary: ModelSummary): Promise<string | undefined> {
  const items: LayerItem[] = summary.layers
    .filter((layer) => filterCountOf(layer) > 0)
    .map((layer) => ({ label: layer.name, description: `${layer.className} · ${filterCountOf(layer)} filters`, layerName: layer.name }));
  const choice = await vscode.window.showQuickPick(items, { title: `Convscope: Show Filter Grid (${summary.modelName})`, placeHolder: 'Convolution layer' });
  return choice?.layerName;
}
