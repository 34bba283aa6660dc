// Class names for a model's outputs, from a labels file beside the model (or one the user names),
// else the built-in ImageNet list for 1000-way outputs (the study notes' `decode_predictions`),
// else none: classes are then shown by index.
import { stat } from 'node:fs/promises';
import path from 'node:path';
import { resolveInsideFolder } from '../../files/confinedPath';
import { readRegularFile } from '../../files/regularFile';
import { InputError, describeError } from '../../shared/errors';
import { IMAGENET_CLASS_COUNT, IMAGENET_CLASS_NAMES } from './imagenetClasses';
import type { ClassNamesInfo } from '../../shared/types';

/** Looked for beside the model, in this order. metadata.json is Teachable Machine's. */
const LABEL_FILES = ['labels.txt', 'metadata.json', 'class_names.json', 'labels.json'];
const MAX_LABELS_BYTES = 4 * 1024 * 1024;

export interface ClassNames extends ClassNamesInfo {
  /** One name per class; absent when classes are shown by index. */
  names?: readonly string[];
}

/** The name to show for a class: its label, or its index. */
export function classNameOf(classNames: ClassNames, index: number): string {
  return classNames.names?.[index] ?? String(index);
}

/**
 * Finds the class names for a model with `classCount` classes. An explicit `labelsPath` must fit
 * (anything wrong with it is an InputError); a file found beside the model that does not fit is
 * skipped, with a note saying why.
 */
export async function loadClassNames(modelPath: string, classCount: number, labelsPath?: string): Promise<ClassNames> {
  if (labelsPath !== undefined) {
    const names = parseLabels(labelsPath, await readLabelsFile(labelsPath));
    if (names.length !== classCount) throw new InputError(labelsPath, `has ${names.length} labels but the model has ${classCount} classes`);
    return { source: 'file', file: labelsPath, names, notes: [] };
  }
  const notes: string[] = [];
  const folder = path.dirname(modelPath);
  for (const fileName of LABEL_FILES) {
    const file = path.join(folder, fileName);
    if (!(await isFile(file))) continue;
    try {
      // Like weight files, labels are only read from inside the model's folder.
      const names = parseLabels(file, await readLabelsFile(await resolveInsideFolder(folder, fileName, modelPath)));
      if (names.length === classCount) return { source: 'file', file, names, notes };
      notes.push(`${file} has ${names.length} labels but the model has ${classCount} classes; not used`);
    } catch (error) {
      notes.push(`${describeError(error)}; not used`);
    }
  }
  if (classCount === IMAGENET_CLASS_COUNT) return { source: 'imagenet', names: IMAGENET_CLASS_NAMES, notes };
  return { source: 'index', notes };
}

async function isFile(file: string): Promise<boolean> {
  return stat(file).then(
    (info) => info.isFile(),
    () => false,
  );
}

/** A labels file must be a regular file (a FIFO, a device such as /dev/zero or a folder is refused before reading) of at most MAX_LABELS_BYTES. */
async function readLabelsFile(file: string): Promise<string> {
  const bytes = await readRegularFile(file, 'labels file', { maxBytes: MAX_LABELS_BYTES, tooLarge: (size) => `is ${size} bytes, too large for a labels file` });
  return bytes.toString('utf8').replace(/^\uFEFF/, '');
}

/** `.txt`: one name per line. `.json`: an array of names, an object with `labels` (Teachable Machine), or index → name. */
function parseLabels(file: string, text: string): string[] {
  return file.toLowerCase().endsWith('.json') ? parseJsonLabels(file, text) : parseTextLabels(text);
}

/** One name per line; a leading "0 ", "1 ", … on every line (Teachable Machine's labels.txt) is dropped. */
function parseTextLabels(text: string): string[] {
  const lines = text.split(/\r?\n/).map((line) => line.trim());
  while (lines.length > 0 && lines.at(-1) === '') lines.pop();
  const numbered = lines.length > 0 && lines.every((line, index) => line.startsWith(`${index} `));
  return numbered ? lines.map((line) => line.slice(line.indexOf(' ') + 1).trim()) : lines;
}

function parseJsonLabels(file: string, text: string): string[] {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new InputError(file, `is not valid JSON (${describeError(error)})`);
  }
  const list = Array.isArray(json) ? json : isRecord(json) && Array.isArray(json.labels) ? json.labels : isRecord(json) ? indexedLabels(json) : undefined;
  if (list === undefined || list.length === 0 || !list.every((name) => typeof name === 'string')) {
    throw new InputError(file, 'holds no list of class names (expected an array of strings, {"labels": [...]}, or {"0": name, ...})');
  }
  return list as string[];
}

const isRecord = (value: unknown): value is Record<string, unknown> => value !== null && typeof value === 'object' && !Array.isArray(value);

/** {"0": "cat", "1": "dog"}, or Keras' imagenet_class_index.json: {"0": ["n01440764", "tench"], …}. */
function indexedLabels(json: Record<string, unknown>): unknown[] | undefined {
  const keys = Object.keys(json);
  if (keys.length === 0 || !keys.every((key, index) => key === String(index))) return undefined;
  return keys.map((key) => {
    const value = json[key];
    return Array.isArray(value) && value.length === 2 ? value[1] : value;
  });
}

/**
 * A class given on the command line or typed in the panel: an index, or a name (case and `_` vs
 * space ignored). Unknown or ambiguous names are an InputError naming where the names came from.
 */
export function resolveClass(spec: string, classNames: ClassNames, classCount: number, modelPath: string): number {
  const trimmed = spec.trim();
  if (/^\d+$/.test(trimmed)) {
    const index = Number(trimmed);
    if (index >= classCount) throw new InputError(modelPath, `has ${classCount} classes (0–${classCount - 1}); there is no class ${index}`);
    return index;
  }
  const namesFile = classNames.file ?? modelPath;
  if (!classNames.names) throw new InputError(modelPath, `has no class names (no labels file beside it), so class "${trimmed}" must be given as an index 0–${classCount - 1}`);
  const key = (name: string) => name.toLowerCase().replace(/[\s_]+/g, ' ').trim();
  const exact = indexesWhere(classNames.names, (name) => name === trimmed);
  const matches = exact.length > 0 ? exact : indexesWhere(classNames.names, (name) => key(name) === key(trimmed));
  if (matches.length === 0) throw new InputError(namesFile, `has no class named "${trimmed}"`);
  if (matches.length > 1) throw new InputError(namesFile, `has several classes named "${trimmed}" (${matches.join(', ')}); give the index`);
  return matches[0];
}

function indexesWhere(names: readonly string[], test: (name: string) => boolean): number[] {
  return names.flatMap((name, index) => (test(name) ? [index] : []));
}
