// The order of the image picker: the images beside the model first, then those used recently, then
// the rest of the workspace; the one used last with the model leads its group. No vscode import.
import path from 'node:path';

export type ImageChoiceGroup = 'beside' | 'recent' | 'workspace';

export interface ImageChoice {
  filePath: string;
  group: ImageChoiceGroup;
  lastUsed: boolean;
}

export const IMAGE_CHOICE_GROUP_LABELS: Readonly<Record<ImageChoiceGroup, string>> = {
  beside: 'Beside the model',
  recent: 'Recent',
  workspace: 'Workspace',
};

/** Images used recently are remembered up to this many. */
export const MAX_RECENT_IMAGES = 8;

export interface ImageCandidates {
  /** Images in the model's folder. */
  beside: readonly string[];
  /** Images used recently, the latest first. */
  recent: readonly string[];
  /** Images found in the workspace. */
  workspace: readonly string[];
  /** The image used last with the model (or shown in its panel). */
  lastUsed?: string;
}

/** Each image once, in its first group, in the picker's order. */
export function orderImageChoices(candidates: ImageCandidates): ImageChoice[] {
  const { lastUsed } = candidates;
  const byName = (a: string, b: string) => path.basename(a).localeCompare(path.basename(b)) || a.localeCompare(b);
  const lastFirst = (files: string[]) => (lastUsed !== undefined && files.includes(lastUsed) ? [lastUsed, ...files.filter((file) => file !== lastUsed)] : files);
  const seen = new Set<string>();
  const take = (files: readonly string[]) => {
    const fresh = [...new Set(files)].filter((file) => !seen.has(file));
    for (const file of fresh) seen.add(file);
    return fresh;
  };
  const beside = lastFirst(take([...candidates.beside].sort(byName)));
  // The last image is listed even when it is neither beside the model nor recent (a pasted image).
  const recent = lastFirst(take([...(lastUsed !== undefined && !beside.includes(lastUsed) ? [lastUsed] : []), ...candidates.recent]));
  const workspace = take([...candidates.workspace].sort((a, b) => a.localeCompare(b)));
  const choices = (group: ImageChoiceGroup, files: string[]) => files.map((filePath) => ({ filePath, group, lastUsed: filePath === lastUsed }));
  return [...choices('beside', beside), ...choices('recent', recent), ...choices('workspace', workspace)];
}

/** A most-recently-used list with `file` first, at most MAX_RECENT_IMAGES long. */
export function withRecentImage(recent: readonly string[], file: string): string[] {
  return [file, ...recent.filter((known) => known !== file)].slice(0, MAX_RECENT_IMAGES);
}
