// Where the activations panel's Export writes, and under which names. No vscode: tested in plain Node.
import path from 'node:path';

/** A name safe on every file system: anything but letters, digits, `.`, `_` and `-` becomes `_`. */
export function safeFileNamePart(text: string): string {
  return text.replace(/[^A-Za-z0-9._-]+/g, '_').replace(/^\.+/, '_') || '_';
}

/** `cat.1700-03-conv2d_2.png`: the image's name, the layer's index (for order) and its name. */
export function activationExportFileName(imagePath: string, layer: { layerIndex: number; layerName: string }): string {
  const image = safeFileNamePart(path.parse(imagePath).name);
  return `${image}-${String(layer.layerIndex).padStart(2, '0')}-${safeFileNamePart(layer.layerName)}.png`;
}

function isInside(folder: string, file: string): boolean {
  const relative = path.relative(folder, file);
  return relative !== '' && !relative.startsWith('..') && !path.isAbsolute(relative);
}

/**
 * The folder the export dialog opens at: the image's own, unless the image ships with the extension
 * (the example model's samples), whose folder is not the user's: then the first workspace folder.
 */
export function defaultExportFolder(imagePath: string, extensionPath: string, workspaceFolder: string | undefined): string {
  const imageFolder = path.dirname(imagePath);
  if (isInside(extensionPath, imagePath) && workspaceFolder) return workspaceFolder;
  return imageFolder;
}
