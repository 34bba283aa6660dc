// The example model that ships with the extension (examples/shapes): where it is and which of its
// sample images to open it with. Node only (no vscode), so it is tested in plain Node.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

export const EXAMPLE_MODEL_FOLDER = path.join('examples', 'shapes');

export interface ExampleModel {
  modelPath: string;
  /** The sample image to show first; absent when the folder has none. */
  imagePath?: string;
}

const IMAGE_FILE = /\.(png|jpe?g|webp|gif|bmp|tiff?|avif)$/i;

/** The samples listed in samples.json (`[{ "file": "circle-1.png", … }]`), in order, that exist. */
function listedSamples(folder: string): string[] {
  try {
    const listed: unknown = JSON.parse(readFileSync(path.join(folder, 'samples.json'), 'utf8'));
    if (!Array.isArray(listed)) return [];
    return listed
      .map((entry: unknown) => (typeof entry === 'object' && entry !== null ? (entry as { file?: unknown }).file : undefined))
      .filter((file): file is string => typeof file === 'string' && path.basename(file) === file && IMAGE_FILE.test(file))
      .filter((file) => existsSync(path.join(folder, file)));
  } catch {
    return [];
  }
}

/** The example model inside the extension folder, or undefined when it is not there (a trimmed install). */
export function findExampleModel(extensionPath: string): ExampleModel | undefined {
  const folder = path.join(extensionPath, EXAMPLE_MODEL_FOLDER);
  const modelPath = path.join(folder, 'model.json');
  if (!existsSync(modelPath)) return undefined;
  const sample = listedSamples(folder)[0] ?? readdirSync(folder).filter((file) => IMAGE_FILE.test(file)).sort()[0];
  return sample ? { modelPath, imagePath: path.join(folder, sample) } : { modelPath };
}
