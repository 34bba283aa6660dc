// Maps a dataset's class-subfolder names to the model's classes. The rules, in order:
// 1. a mapping the user gave (folder name → class index) wins for the folders it names;
// 2. a folder named like one of the model's classes (labels file, metadata; case and `_`/`-`/space
//    ignored) is that class;
// 3. a single-sigmoid model with two folders gets them in sorted order, 0 then 1, as
//    flow_from_directory assigns them (class_mode='binary');
// 4. a model with no class names whose class count equals the folder count gets the folders in
//    sorted order too (flow_from_directory's class_indices), flagged for the user to confirm.
// Anything else is left unmapped: its images get a prediction but no verdict.
import type { DatasetLabelMapping } from '../../../shared/types';

export interface ModelClasses {
  classCount: number;
  /** From a labels file or metadata; absent when classes are known by index only. */
  names?: readonly string[];
  /** One sigmoid unit: two classes. */
  binary: boolean;
}

const normalized = (name: string) => name.toLowerCase().replace(/[\s_-]+/g, '');

export function mapFolderLabels(classFolders: readonly string[], model: ModelClasses, given: Readonly<Record<string, number>> = {}): DatasetLabelMapping {
  const folderToClass: Record<string, number> = {};
  const how: Record<string, DatasetLabelMapping['how'][string]> = {};
  for (const folder of classFolders) {
    const index = given[folder];
    if (Number.isInteger(index) && index >= 0 && index < model.classCount) {
      folderToClass[folder] = index;
      how[folder] = 'given';
    }
  }
  const byName = new Map((model.names ?? []).map((name, index) => [normalized(name), index]));
  for (const folder of classFolders) {
    if (folder in folderToClass) continue;
    const index = byName.get(normalized(folder));
    if (index !== undefined) {
      folderToClass[folder] = index;
      how[folder] = 'name';
    }
  }
  const sortedOrderFits = classFolders.length === model.classCount && Object.keys(folderToClass).length === 0;
  if (sortedOrderFits && (model.binary || model.names === undefined)) {
    classFolders.forEach((folder, index) => {
      folderToClass[folder] = index;
      how[folder] = 'sortedOrder';
    });
  }
  const unmapped = classFolders.filter((folder) => !(folder in folderToClass));
  // Sorted order is a guess unless the model is binary (where it is Keras' own rule): ask once.
  const needsConfirmation = unmapped.length > 0 || (!model.binary && Object.values(how).includes('sortedOrder'));
  return { folderToClass, how, unmapped, needsConfirmation };
}
