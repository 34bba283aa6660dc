// What the status bar item says while a model is open: which model (the one in front, else the one
// used last), and the engine's backend. No vscode import, so it is tested in plain Node.
import type { BackendName, ModelSummary } from '../../shared/types';
import type { OpenModel } from '../tree/modelTreeModel';

export interface ModelStatusContent {
  /** With `$(…)` icon syntax: `$(layers) shapes · wasm`. */
  text: string;
  tooltip: string;
  /** The model the item's click opens the summary of. */
  modelPath: string;
}

/** Moves `modelPath` to the front of a most-recently-used list (a new list). */
export function markUsed(recent: readonly string[], modelPath: string): string[] {
  return [modelPath, ...recent.filter((known) => known !== modelPath)];
}

/** The loaded model used most recently; else the last one loaded; undefined when none is loaded. */
export function currentModelOf(models: readonly OpenModel[], recent: readonly string[]): { modelPath: string; summary: ModelSummary } | undefined {
  const loaded = models.filter((model): model is Extract<OpenModel, { state: 'loaded' }> => model.state === 'loaded');
  for (const modelPath of recent) {
    const found = loaded.find((model) => model.modelPath === modelPath);
    if (found) return found;
  }
  return loaded.at(-1);
}

/** Model names come from files: `$(` would be drawn as an icon in the status bar unless escaped. */
export function escapeIcons(text: string): string {
  return text.replace(/\$\(/g, '\\$(');
}

/** Longer model names are cut with an ellipsis in the status bar (the tooltip has the whole name). */
export const MAX_STATUS_NAME_LENGTH = 28;

/** `name`, or its start and an ellipsis when longer than `max` characters. */
export function truncateName(name: string, max = MAX_STATUS_NAME_LENGTH): string {
  const characters = [...name];
  return characters.length <= max ? name : `${characters.slice(0, max - 1).join('')}…`;
}

export function modelStatusContent(model: { modelPath: string; summary: ModelSummary }, backend: BackendName | undefined, openCount: number): ModelStatusContent {
  const name = model.summary.modelName || 'model';
  const others = openCount > 1 ? `\n${openCount} models are open; this is the one in front (its panel or file), else the one used last.` : '';
  return {
    text: `$(layers) ${escapeIcons(truncateName(name))} · ${backend ?? '…'}`,
    tooltip: `Convscope: ${name}\n${model.modelPath}\nBackend: ${backend ?? 'starting…'}${others}\nClick for the model summary.`,
    modelPath: model.modelPath,
  };
}
