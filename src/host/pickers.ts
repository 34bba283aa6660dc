// Quick picks for the files and layers a command needs, each with a "Browse…" way out.
import * as vscode from 'vscode';
import { existsSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { formatShape } from '../shared/shapes';
import type { ModelSummary } from '../shared/types';
import { IMAGE_CHOICE_GROUP_LABELS, orderImageChoices, type ImageChoiceGroup } from './imageChoices';
import { IMAGE_EXTENSIONS, isImageFile } from './panel/imageFiles';
import { filterCountOf } from './tree/modelTreeModel';

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

function fileItem(filePath: string, detail?: string): FileItem {
  const relative = vscode.workspace.asRelativePath(vscode.Uri.file(filePath), true);
  return { label: path.basename(filePath), description: path.dirname(relative) === '.' ? '' : path.dirname(relative), detail, filePath };
}

async function findWorkspaceFiles(glob: string): Promise<string[]> {
  return (await vscode.workspace.findFiles(glob, EXCLUDE_GLOB, MAX_LISTED_FILES)).map((uri) => uri.fsPath);
}

/** Shows the items and a Browse… entry; resolves to the chosen file, or undefined when dismissed. */
async function pickFile(options: { title: string; placeHolder: string; items: FileItem[]; dialogFilters: Record<string, string[]> }): Promise<string | undefined> {
  const items: FileItem[] = [...options.items, { label: '$(folder-opened) Browse…', alwaysShow: true, browse: true }];
  const choice = await vscode.window.showQuickPick(items, { title: options.title, placeHolder: options.placeHolder, matchOnDescription: true });
  if (!choice) return undefined;
  if (!choice.browse) return choice.filePath;
  const uris = await vscode.window.showOpenDialog({ title: options.title, canSelectMany: false, filters: options.dialogFilters });
  return uris?.[0]?.fsPath;
}

/** The images in a model's folder (which may lie outside the workspace, as the example model does). */
async function imagesBeside(modelPath: string): Promise<string[]> {
  const folder = path.dirname(modelPath);
  const names = await readdir(folder).catch(() => [] as string[]);
  return names.filter(isImageFile).map((name) => path.join(folder, name));
}

export interface ImagePickOptions {
  /** The model the image is for: the images beside it come first. */
  modelPath?: string;
  /** The image used last with the model, or shown in its panel: first in its group. */
  lastUsed?: string;
  /** Images used recently, the latest first. */
  recent: readonly string[];
}

/** The image picker: beside the model, then recent, then the rest of the workspace, in groups. */
export async function pickImage(options: ImagePickOptions): Promise<string | undefined> {
  const [beside, workspace] = await Promise.all([options.modelPath ? imagesBeside(options.modelPath) : [], findWorkspaceFiles(IMAGE_GLOB)]);
  const choices = orderImageChoices({ beside, recent: options.recent.filter((file) => existsSync(file)), workspace, lastUsed: options.lastUsed });
  const items: FileItem[] = [];
  let group: ImageChoiceGroup | undefined;
  for (const choice of choices) {
    if (choice.group !== group) {
      group = choice.group;
      items.push({ label: IMAGE_CHOICE_GROUP_LABELS[group], kind: vscode.QuickPickItemKind.Separator });
    }
    items.push(fileItem(choice.filePath, choice.lastUsed ? 'last used' : undefined));
  }
  return pickFile({
    title: 'Convscope: Choose an Input Image',
    placeHolder: 'Image to run through the model (or drop or paste one onto its panel)',
    items,
    dialogFilters: { Images: IMAGE_EXTENSIONS },
  });
}

export async function pickModel(openModelPaths: string[]): Promise<string | undefined> {
  const open = new Set(openModelPaths);
  const found = (await findWorkspaceFiles(MODEL_GLOB)).filter((file) => !open.has(file)).sort((a, b) => a.localeCompare(b));
  return pickFile({
    title: 'Convscope: Open Model',
    placeHolder: 'TF.js model.json, Keras .h5 / .hdf5 or .keras',
    items: [...openModelPaths.map((modelPath) => fileItem(modelPath, 'open')), ...found.map((file) => fileItem(file))],
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
