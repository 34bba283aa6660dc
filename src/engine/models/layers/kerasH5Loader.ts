// Opens a Keras HDF5 model (`model.save('x.h5')`, Keras 2.x and Keras 3's legacy format): the
// model config is the JSON string attribute `model_config`, the weights sit under
// `model_weights/<layer>/`, listed in order by each layer group's `weight_names` attribute, which
// is how Keras itself loads them. Optimizer state (`optimizer_weights`) is never read.
import * as tf from '@tensorflow/tfjs';
import { InputError } from '../../../shared/errors';
import { parseConfigJson } from '../configJson';
import { Hdf5Reader, stringList, type Hdf5Dataset } from './hdf5Reader';
import { buildLayersModel, type BuiltModel } from './layersModelBuilder';
import { checkWeightBytes, statModelFile } from './layersModelLoader';
import type { StoredWeight } from './weightMatching';
import type { ModelFileLimits } from '../../../shared/types';

export async function loadKerasH5File(file: string, limits: ModelFileLimits): Promise<BuiltModel> {
  await statModelFile(file, 'Keras HDF5 model');
  const reader = await Hdf5Reader.open(file, file, limits.hdf5TimeoutMs);
  try {
    const modelConfig = readModelConfig(reader, file, limits);
    const { weights, datasets } = layerWeights(reader, file, limits);
    checkWeightBytes(file, datasets, limits);
    return await buildLayersModel(file, modelConfig, {
      weights,
      read: (index) => tf.tensor(datasets[index].readFloat32(), datasets[index].shape, 'float32'),
      // Keras' own rule first; names when a nested model lists its weights in another order than TF.js.
      rules: ['layer-position', 'layer', 'layer-suffix', 'order'],
    });
  } finally {
    reader.close();
  }
}

/** Attributes hold names and the model config: the config's limit bounds them all. */
const attributeLimitText = 'limit for a model config';

function readModelConfig(reader: Hdf5Reader, file: string, limits: ModelFileLimits): unknown {
  const text = reader.attribute('/', 'model_config', limits.maxModelJsonBytes, attributeLimitText);
  if (text === undefined) {
    const weightsOnly = reader.attribute('/', 'layer_names', limits.maxModelJsonBytes, attributeLimitText) !== undefined;
    throw new InputError(
      file,
      weightsOnly
        ? 'holds only weights (saved with save_weights), not a model: save the whole model with model.save()'
        : 'is an HDF5 file without a Keras model config (no "model_config" attribute)',
    );
  }
  if (typeof text !== 'string') throw new InputError(file, 'has a "model_config" attribute that is not text');
  return parseConfigJson(text, file, 'has a "model_config" attribute that is not valid JSON');
}

/** Layer groups one file may list: real models have at most a few thousand layers. */
const MAX_LAYER_GROUPS = 100_000;

/** Every layer group's weights, in `layer_names` order, each tagged with its layer and position. */
function layerWeights(reader: Hdf5Reader, file: string, limits: ModelFileLimits): { weights: StoredWeight[]; datasets: Hdf5Dataset[] } {
  const root = reader.children('/model_weights') ? '/model_weights' : '/';
  const layerNames = stringList(reader.attribute(root, 'layer_names', limits.maxModelJsonBytes, attributeLimitText)) ?? reader.children(root) ?? [];
  if (layerNames.length > MAX_LAYER_GROUPS) throw new InputError(file, `lists ${layerNames.length} layers, over the limit of ${MAX_LAYER_GROUPS}`);
  const weights: StoredWeight[] = [];
  const datasets: Hdf5Dataset[] = [];
  for (const layer of layerNames) {
    const groupPath = `${root === '/' ? '' : root}/${layer}`;
    const weightNames = stringList(reader.attribute(groupPath, 'weight_names', limits.maxModelJsonBytes, attributeLimitText));
    if (weightNames === undefined) throw new InputError(file, `layer group "${groupPath}" has no readable "weight_names" attribute`);
    weightNames.forEach((weightName, position) => {
      const dataset = reader.dataset(`${groupPath}/${weightName}`);
      if (!dataset) throw new InputError(file, `lists weight "${weightName}" for layer "${layer}", but holds no dataset "${groupPath}/${weightName}"`);
      weights.push({ name: `${layer}/${weightName}`, shape: dataset.shape, layer: { path: [layer], position } });
      datasets.push(dataset);
    });
  }
  return { weights, datasets };
}
