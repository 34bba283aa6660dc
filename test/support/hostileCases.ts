// The hostile-file suite's cases: model files, images, labels and requests built to make Convscope
// read outside the model's folder, allocate without bound, hang, or print escape sequences, one
// per way in that a hostile-input campaign found open (nine groups of holes), plus seeded
// random HDF5 and zip structures. Each case writes its files into a folder of its own (and what
// must never be read into a folder beside it) and says what must happen: refused with an input
// error naming a file, or works. The unit tests and the soak run them through the engine worker.
import * as tf from '@tensorflow/tfjs';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { lstat, mkdir, open, readdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { unzipSync } from 'fflate';
import { saveLayersModelToDirectory } from '../../src/engine/models/layers/layersModelWriter';
import { EngineError, type EngineClient } from '../../src/host/engineClient';
import type { EngineLimits } from '../../src/shared/engineProtocol';
import type { ModelFileLimits } from '../../src/shared/types';
import { DEFAULT_FILTER_PATTERN_PARAMETERS, DEFAULT_IMAGE_LIMITS, DEFAULT_MODEL_LIMITS } from '../../src/shared/defaults';
import { buildTinyConvnet, writeTestImage } from './engineFixtures';
import { Rng, caseSeed } from './fuzzMutations';
import { constNode, tinyConvnetGraph, writeGraphModel, type GraphNodeJson, type GraphWeight } from './graphModelFixtures';
import { keras3Config } from './kerasFixtures';
import { plantRandomStructure, withExternalStorage, writeKerasH5With, writeKerasWeightsWith } from './hostileHdf5';
import { deflatedZeros, randomArchive, writeZip, type ZipMember } from './hostileZip';

export type HostileJob = 'summarize' | 'activations' | 'gradCam' | 'filterPatterns';

/** What a case asks the engine to do. */
export interface HostileRun {
  job: HostileJob;
  modelPath: string;
  imagePath?: string;
  labelsPath?: string;
  /** Filter patterns: the layer, and the patterns' side. */
  layerName?: string;
  patternSize?: number;
  inputSide?: number;
  limits?: Partial<ModelFileLimits>;
}

/**
 * What must happen: refused naming `file` (default: a file of the case) with a problem matching
 * `refused`; or works; or either (random structures, some of which are harmless).
 */
export type HostileExpectation = { refused: RegExp; file?: string } | 'works' | 'either';

export interface HostileCaseRun extends HostileRun {
  expect: HostileExpectation;
  /** What a random case planted, for its report. */
  label?: string;
}

export interface HostileFixtures {
  /** 32×32×3 → conv 8 → pool → conv 4 → flatten → dense 3 (softmax). */
  tiny: tf.Sequential;
  /** Any input size: conv 4 → UpSampling2D ×64 → global average pooling → dense 3. */
  freeSize: tf.LayersModel;
  png: Uint8Array;
}

export interface CaseContext {
  /** The case's own folder: the model and everything the case asks to read. */
  folder: string;
  /** A folder beside it, holding what must never be read (data that would make the model load). */
  outside: string;
  fixtures: HostileFixtures;
}

export interface HostileCase {
  group: number;
  name: string;
  /** Whether the case needs FIFOs (not on Windows). */
  needsFifo?: boolean;
  make(context: CaseContext): Promise<HostileCaseRun>;
}

export async function buildHostileFixtures(scratch: string): Promise<HostileFixtures> {
  const tiny = buildTinyConvnet({ name: 'tiny_convnet', seed: 11 });
  const input = tf.input({ shape: [null, null, 3], name: 'free_input' });
  const conv = tf.layers.conv2d({ filters: 4, kernelSize: 3, padding: 'same', name: 'free_conv', activation: 'relu' }).apply(input) as tf.SymbolicTensor;
  const upsampled = tf.layers.upSampling2d({ size: [64, 64], name: 'free_upsampling' }).apply(conv) as tf.SymbolicTensor;
  const pooled = tf.layers.globalAveragePooling2d({ name: 'free_pool' }).apply(upsampled) as tf.SymbolicTensor;
  const output = tf.layers.dense({ units: 3, activation: 'softmax', name: 'free_dense' }).apply(pooled) as tf.SymbolicTensor;
  const freeSize = tf.model({ inputs: input, outputs: output, name: 'free_size' });
  const pngPath = await writeTestImage(path.join(scratch, 'image.png'), 40, 36);
  return { tiny, freeSize, png: new Uint8Array(await readFile(pngPath)) };
}

const text = (value: string) => new TextEncoder().encode(value);

export function mkfifo(file: string): void {
  execFileSync('mkfifo', [file]);
}

async function imageIn(context: CaseContext): Promise<string> {
  const image = path.join(context.folder, 'image.png');
  await writeFile(image, context.fixtures.png);
  return image;
}

/** The tiny model as model.json + shard in the case folder. */
async function tinyModelJson(context: CaseContext): Promise<string> {
  await saveLayersModelToDirectory(context.fixtures.tiny, context.folder);
  return path.join(context.folder, 'model.json');
}

const firstConvolution = (model: tf.LayersModel) => model.layers.find((layer) => layer.getClassName() === 'Conv2D')!;

/** A .keras archive of `model` with its weights file's bytes given. */
async function writeArchive(file: string, model: tf.LayersModel, weights: Uint8Array, extra: ZipMember[] = []): Promise<void> {
  await writeFile(file, writeZip([{ name: 'metadata.json', data: text('{"keras_version": "3.10.0"}') }, { name: 'config.json', data: text(JSON.stringify(keras3Config(model))) }, { name: 'model.weights.h5', data: weights }, ...extra]));
}

/** A graph model of the tiny convnet with `extra` nodes added and listed as outputs too. */
async function graphWith(context: CaseContext, extra: GraphNodeJson[], extraWeights: GraphWeight[], outputs: string[]): Promise<string> {
  const graph = tinyConvnetGraph(context.fixtures.tiny.getWeights());
  graph.nodes.push(...extraWeights.map(constNode), ...extra);
  graph.weights.push(...extraWeights);
  const { modelPath } = await writeGraphModel(context.folder, graph, 'float32', ['Identity', ...outputs]);
  return modelPath;
}

/** A graph model of its own: the image input (of `inputShape`) and the nodes given, the last one the output. */
async function graphOf(context: CaseContext, inputShape: number[], nodes: GraphNodeJson[], weights: GraphWeight[]): Promise<string> {
  const shape = { dim: inputShape.map((size) => ({ size: String(size) })) };
  const graph = { nodes: [...weights.map(constNode), { name: 'input_1', op: 'Placeholder', attr: { dtype: { type: 'DT_FLOAT' }, shape: { shape } } }, ...nodes], weights };
  const { modelPath } = await writeGraphModel(context.folder, graph, 'float32', [nodes[nodes.length - 1].name]);
  // writeGraphModel's signature names a 32×32 input; the Placeholder's own shape is what counts.
  return modelPath;
}

const FLOAT = { type: 'DT_FLOAT' };
const attrText = (value: string) => ({ s: Buffer.from(value).toString('base64') });
const ints = (values: number[]) => ({ list: { i: values.map(String) } });
const int32 = (name: string, values: number[], shape = [values.length]): GraphWeight => ({ name, shape, values: Int32Array.from(values) });
const seededFloats = (count: number, seed: number) => {
  const rng = new Rng(seed);
  return Float32Array.from({ length: count }, () => rng.float() - 0.5);
};

/** The model file must be refused, naming it, with a problem matching `problem`. */
const refusesModel = (problem: RegExp): HostileExpectation => ({ refused: problem });

export const HOSTILE_CASES: HostileCase[] = [
  // 1. HDF5 external links and external storage, in .h5 and in a .keras archive's weights.
  ...(['absolute', 'relative'] as const).map(
    (kind): HostileCase => ({
      group: 1,
      name: `.h5: a layer's weight group is an external link (${kind} path) to a file with the right weights`,
      async make(context) {
        const { tiny } = context.fixtures;
        const outsideFile = path.join(context.outside, 'outside.h5');
        await writeKerasH5With(outsideFile, tiny);
        const conv = firstConvolution(tiny);
        const modelPath = path.join(context.folder, 'model.h5');
        const target = kind === 'absolute' ? outsideFile : path.relative(context.folder, outsideFile);
        await writeKerasH5With(modelPath, tiny, { layerEntry: (parent, layer) => layer === conv && (parent.create_external_link(target, `/model_weights/${conv.name}`, conv.name), true) });
        return { job: 'gradCam', modelPath, imagePath: await imageIn(context), expect: refusesModel(/is an external link to .*outside\.h5.*reads only what the model file itself holds/) };
      },
    }),
  ),
  ...(['absolute', 'relative', 'fifo'] as const).map(
    (kind): HostileCase => ({
      group: 1,
      name: `.h5: a weight dataset's data is external storage (${kind === 'fifo' ? 'a FIFO' : `${kind} path`})`,
      needsFifo: kind === 'fifo',
      async make(context) {
        const { tiny } = context.fixtures;
        const conv = firstConvolution(tiny);
        const values = conv.getWeights()[0].dataSync() as Float32Array;
        const plain = path.join(context.folder, 'plain.h5');
        await writeKerasH5With(plain, tiny);
        const outsideData = path.join(context.outside, kind === 'fifo' ? 'kernel.fifo' : 'kernel.bin');
        if (kind === 'fifo') mkfifo(outsideData);
        else await writeFile(outsideData, new Uint8Array(values.buffer.slice(values.byteOffset, values.byteOffset + values.byteLength)));
        const target = kind === 'relative' ? path.relative(context.folder, outsideData) : outsideData;
        const modelPath = path.join(context.folder, 'model.h5');
        await writeFile(modelPath, withExternalStorage(new Uint8Array(await readFile(plain)), values, target));
        return { job: 'activations', modelPath, imagePath: await imageIn(context), expect: refusesModel(/refers to data in another file \(.*kernel\.(bin|fifo)\)/) };
      },
    }),
  ),
  ...(['external link', 'external storage'] as const).map(
    (kind): HostileCase => ({
      group: 1,
      name: `.keras: model.weights.h5 holds an ${kind} into a file outside with the right weights`,
      async make(context) {
        const { tiny } = context.fixtures;
        const conv = firstConvolution(tiny);
        let weights: Uint8Array;
        if (kind === 'external link') {
          await writeKerasWeightsWith(path.join(context.outside, 'outside.weights.h5'), tiny);
          weights = await writeKerasWeightsWith(path.join(context.folder, 'linked.weights.h5'), tiny, {
            layerEntry: (parent, layer) => layer === conv && (parent.create_external_link(path.join(context.outside, 'outside.weights.h5'), `/layers/${conv.name}`, conv.name), true),
          });
        } else {
          const values = conv.getWeights()[0].dataSync() as Float32Array;
          await writeFile(path.join(context.outside, 'kernel.bin'), new Uint8Array(values.slice().buffer));
          weights = withExternalStorage(await writeKerasWeightsWith(path.join(context.folder, 'stored.weights.h5'), tiny), values, path.join(context.outside, 'kernel.bin'));
        }
        const modelPath = path.join(context.folder, 'model.keras');
        await writeArchive(modelPath, tiny, weights);
        return { job: 'gradCam', modelPath, imagePath: await imageIn(context), expect: refusesModel(kind === 'external link' ? /is an external link to .*outside\.weights\.h5/ : /refers to data in another file \(.*kernel\.bin\)/) };
      },
    }),
  ),
  {
    group: 1,
    name: '.h5: a soft link inside the file to a layer group is read (it stays in the file)',
    async make(context) {
      const { tiny } = context.fixtures;
      const conv = firstConvolution(tiny);
      const modelPath = path.join(context.folder, 'model.h5');
      await writeKerasH5With(modelPath, tiny, {
        layerEntry: (parent, layer) => {
          if (layer !== conv) return false;
          const real = parent.create_group(`${conv.name}_real`);
          const names = conv.weights.map((weight) => `${conv.name}_1/${weight.originalName.split('/').at(-1)}:0`);
          real.create_attribute('weight_names', names);
          real.create_group(`${conv.name}_1`);
          conv.weights.forEach((weight, i) => real.create_dataset({ name: names[i], data: weight.read().dataSync() as Float32Array, shape: weight.shape as number[], dtype: '<f' }));
          parent.create_soft_link(`/model_weights/${conv.name}_real`, conv.name);
          return true;
        },
      });
      return { job: 'gradCam', modelPath, imagePath: await imageIn(context), expect: 'works' };
    },
  },
  {
    group: 1,
    name: '.h5: a weight dataset of integers is refused before it is read',
    async make(context) {
      const { tiny } = context.fixtures;
      const conv = firstConvolution(tiny);
      const modelPath = path.join(context.folder, 'model.h5');
      await writeKerasH5With(modelPath, tiny, {
        layerEntry: (parent, layer) => {
          if (layer !== conv) return false;
          const group = parent.create_group(conv.name);
          const names = conv.weights.map((weight) => `${conv.name}_1/${weight.originalName.split('/').at(-1)}:0`);
          group.create_attribute('weight_names', names);
          group.create_group(`${conv.name}_1`);
          conv.weights.forEach((weight, i) => group.create_dataset({ name: names[i], data: Int32Array.from(weight.read().dataSync()), shape: weight.shape as number[], dtype: '<i' }));
          return true;
        },
      });
      return { job: 'summarize', modelPath, expect: refusesModel(/holds 4-byte values of HDF5 type class 0; Convscope reads 32- and 64-bit floats/) };
    },
  },

  // 2. Output-size bombs: graph nodes, free input sizes, on every path.
  {
    group: 2,
    name: 'graph: a Tile whose 16-byte multiples ask for 8·10⁸ values',
    async make(context) {
      const modelPath = await graphWith(context, [{ name: 'tile', op: 'Tile', input: ['input_1', 'tile/multiples'], attr: { T: FLOAT, Tmultiples: { type: 'DT_INT32' } } }], [int32('tile/multiples', [1, 512, 512, 1])], ['tile']);
      return { job: 'activations', modelPath, imagePath: await imageIn(context), expect: refusesModel(/graph node "tile" \(op Tile\) would output up to 8\.05e\+8 values per image for a 32×32 input, over the limit/) };
    },
  },
  {
    group: 2,
    name: 'graph: a 3×3 convolution with 128 filters (14 KB of weights) on a 2048² input',
    async make(context) {
      const kernel: GraphWeight = { name: 'conv/kernel', shape: [3, 3, 3, 128], values: seededFloats(3 * 3 * 3 * 128, 5) };
      const modelPath = await graphOf(
        context,
        [-1, 2048, 2048, 3],
        [{ name: 'conv', op: 'Conv2D', input: ['input_1', 'conv/kernel'], attr: { T: FLOAT, strides: ints([1, 1, 1, 1]), padding: attrText('SAME'), data_format: attrText('NHWC'), dilations: ints([1, 1, 1, 1]) } }],
        [kernel],
      );
      return { job: 'summarize', modelPath, expect: refusesModel(/graph node "conv" \(op Conv2D\) would output up to 5\.37e\+8 values per image for a 2048×2048 input/) };
    },
  },
  {
    group: 2,
    name: 'graph: a convolution with an explicit padding of 65536',
    async make(context) {
      const kernel: GraphWeight = { name: 'conv/kernel', shape: [1, 1, 3, 4], values: seededFloats(12, 6) };
      const modelPath = await graphOf(
        context,
        [-1, 32, 32, 3],
        [{ name: 'conv', op: 'Conv2D', input: ['input_1', 'conv/kernel'], attr: { T: FLOAT, strides: ints([1, 1, 1, 1]), padding: attrText('EXPLICIT'), explicit_paddings: ints([0, 0, 65536, 65536, 65536, 65536, 0, 0]), data_format: attrText('NHWC'), dilations: ints([1, 1, 1, 1]) } }],
        [kernel],
      );
      return { job: 'summarize', modelPath, expect: refusesModel(/graph node "conv" \(op Conv2D\) would output up to/) };
    },
  },
  {
    group: 2,
    name: 'graph: a resize to 16384×16384 and a Pad of 20000 a side',
    async make(context) {
      const modelPath = await graphWith(
        context,
        [
          { name: 'resize', op: 'ResizeBilinear', input: ['input_1', 'resize/size'], attr: { T: FLOAT, align_corners: { b: false }, half_pixel_centers: { b: true } } },
          { name: 'pad', op: 'Pad', input: ['input_1', 'pad/paddings'], attr: { T: FLOAT, Tpaddings: { type: 'DT_INT32' } } },
        ],
        [int32('resize/size', [16384, 16384]), int32('pad/paddings', [0, 0, 20000, 20000, 20000, 20000, 0, 0], [4, 2])],
        ['resize', 'pad'],
      );
      return { job: 'gradCam', modelPath, imagePath: await imageIn(context), expect: refusesModel(/graph node "(resize|pad)" \(op (ResizeBilinear|Pad)\) would output up to/) };
    },
  },
  {
    group: 2,
    name: 'graph of any input size: a Tile of the input ×64 a side, bounded at the size measured',
    async make(context) {
      const modelPath = await graphOf(context, [-1, -1, -1, 3], [{ name: 'tile', op: 'Tile', input: ['input_1', 'tile/multiples'], attr: { T: FLOAT, Tmultiples: { type: 'DT_INT32' } } }], [int32('tile/multiples', [1, 64, 64, 1])]);
      return { job: 'summarize', modelPath, expect: refusesModel(/graph node "tile" \(op Tile\) would output up to 6\.17e\+8 values per image for a 224×224 input/) };
    },
  },
  ...(['model.json', '.h5', '.keras'] as const).map(
    (format): HostileCase => ({
      group: 2,
      name: `${format} of any input size: UpSampling2D ×64, free dimensions no longer counted as 1`,
      async make(context) {
        const model = context.fixtures.freeSize;
        let modelPath: string;
        if (format === 'model.json') {
          await saveLayersModelToDirectory(model, context.folder);
          modelPath = path.join(context.folder, 'model.json');
        } else if (format === '.h5') {
          modelPath = path.join(context.folder, 'model.h5');
          await writeKerasH5With(modelPath, model);
        } else {
          modelPath = path.join(context.folder, 'model.keras');
          await writeArchive(modelPath, model, await writeKerasWeightsWith(path.join(context.folder, 'weights.h5'), model));
        }
        return { job: 'activations', modelPath, imagePath: await imageIn(context), expect: refusesModel(/layer "free_upsampling" would output 8\.22e\+8 values per image \[1,14336,14336,4\] for a 224×224 input/) };
      },
    }),
  ),
  {
    group: 2,
    name: 'the same model of any size at 24×24 works',
    async make(context) {
      await saveLayersModelToDirectory(context.fixtures.freeSize, context.folder);
      return { job: 'activations', modelPath: path.join(context.folder, 'model.json'), imagePath: await imageIn(context), inputSide: 24, expect: 'works' };
    },
  },
  {
    group: 2,
    name: 'a free input side past the image limit',
    async make(context) {
      await saveLayersModelToDirectory(context.fixtures.freeSize, context.folder);
      const modelPath = path.join(context.folder, 'model.json');
      return { job: 'gradCam', modelPath, imagePath: await imageIn(context), inputSide: 100_000, expect: refusesModel(/takes images of any size, and 100000×100000 pixels is over the 100 MP image limit/) };
    },
  },
  {
    group: 2,
    name: 'filter patterns of 1024 pixels a side through UpSampling2D ×64',
    async make(context) {
      await saveLayersModelToDirectory(context.fixtures.freeSize, context.folder);
      return { job: 'filterPatterns', modelPath: path.join(context.folder, 'model.json'), layerName: 'free_conv', patternSize: 1024, expect: refusesModel(/layer "free_upsampling" would output 1\.72e\+10 values per image \[1,65536,65536,4\] for a 1024×1024 input/) };
    },
  },

  // 3. Deadlines, FIFOs, devices and folders where a file is expected, cycles and long walks.
  ...(['model', 'image', 'labels'] as const).flatMap((what) =>
    (['fifo', 'device', 'folder'] as const).map(
      (kind): HostileCase => ({
        group: 3,
        name: `a ${kind === 'fifo' ? 'FIFO' : kind === 'device' ? 'device (/dev/zero)' : 'folder'} given as the ${what} file`,
        needsFifo: kind === 'fifo',
        async make(context) {
          const special = path.join(context.folder, `${what}.${what === 'model' ? 'json' : what === 'image' ? 'png' : 'txt'}`);
          if (kind === 'fifo') mkfifo(special);
          if (kind === 'folder') await mkdir(special);
          const target = kind === 'device' ? '/dev/zero' : special;
          const modelPath = what === 'model' ? target : await tinyModelJson(context);
          const imagePath = what === 'image' ? target : await imageIn(context);
          const description = kind === 'fifo' ? /is not a file but a named pipe \(FIFO\)/ : kind === 'device' ? /is not a file but a device/ : /is not a file but a folder/;
          return { job: 'gradCam', modelPath, imagePath, labelsPath: what === 'labels' ? target : undefined, expect: { refused: description, file: target } };
        },
      }),
    ),
  ),
  {
    group: 3,
    name: '.keras: model.weights.h5 whose layer groups hard-link back to their parents (a cycle)',
    async make(context) {
      const { tiny } = context.fixtures;
      const conv = firstConvolution(tiny);
      const weights = await writeKerasWeightsWith(path.join(context.folder, 'weights.h5'), tiny, {
        change: (h5) => {
          const group = h5.get(`layers/${conv.name}`) as ReturnType<typeof h5.create_group>;
          group.create_group('layers').create_hard_link('/', 'loop');
        },
      });
      const modelPath = path.join(context.folder, 'model.keras');
      await writeArchive(modelPath, tiny, weights);
      return { job: 'summarize', modelPath, expect: refusesModel(/nests layers more than 16 deep .* \(or its groups form a cycle\)|holds more than 100000 layer groups/) };
    },
  },
  {
    group: 3,
    name: '.keras: model.weights.h5 with layer groups nested 40 deep',
    async make(context) {
      const { tiny } = context.fixtures;
      const conv = firstConvolution(tiny);
      const weights = await writeKerasWeightsWith(path.join(context.folder, 'weights.h5'), tiny, {
        change: (h5) => {
          let group = h5.get(`layers/${conv.name}`) as ReturnType<typeof h5.create_group>;
          for (let depth = 0; depth < 40; depth++) group = group.create_group('layers').create_group('x');
        },
      });
      const modelPath = path.join(context.folder, 'model.keras');
      await writeArchive(modelPath, tiny, weights);
      return { job: 'summarize', modelPath, expect: refusesModel(/nests layers more than 16 deep/) };
    },
  },
  ...([5_000, 20_000] as const).map(
    (count): HostileCase => ({
      group: 3,
      name: count === 5_000 ? 'a Functional config of 5000 layers listed in reverse builds in one pass' : 'a Functional config of 20000 layers is refused',
      async make(context) {
        const layers: object[] = [{ class_name: 'InputLayer', name: 'input', config: { name: 'input', batch_input_shape: [null, 8, 8, 3], dtype: 'float32' }, inbound_nodes: [] }];
        for (let i = 0; i < count; i++) layers.push({ class_name: 'Activation', name: `a${i}`, config: { name: `a${i}`, activation: 'relu' }, inbound_nodes: [[[i === 0 ? 'input' : `a${i - 1}`, 0, 0, {}]]] });
        const config = { class_name: 'Functional', config: { name: 'reversed', layers: [layers[0], ...layers.slice(1).reverse()], input_layers: [['input', 0, 0]], output_layers: [[`a${count - 1}`, 0, 0]] } };
        const modelPath = path.join(context.folder, 'model.json');
        await writeFile(modelPath, JSON.stringify({ format: 'layers-model', modelTopology: config, weightsManifest: [] }));
        return { job: 'summarize', modelPath, expect: count === 5_000 ? 'works' : refusesModel(/model "reversed" lists 20001 layers, over the limit of 10000/) };
      },
    }),
  ),

  // 4. .keras archives: duplicate members, a zip bomb, members that lie.
  {
    group: 4,
    name: '.keras: config.json twice, each under the limit (60 MiB), together over it',
    async make(context) {
      const { tiny } = context.fixtures;
      const weights = await writeKerasWeightsWith(path.join(context.folder, 'weights.h5'), tiny);
      const modelPath = path.join(context.folder, 'model.keras');
      // 60 MiB each once inflated (of blanks: 60 KB in the archive), each under the 64 MiB limit.
      const config: ZipMember = { name: 'config.json', data: new Uint8Array(0), compressed: deflatedZeros(60 * 2 ** 20), declaredSize: 60 * 2 ** 20 };
      await writeFile(modelPath, writeZip([config, config, config, { name: 'model.weights.h5', data: weights }]));
      return { job: 'summarize', modelPath, expect: refusesModel(/holds two members named "config\.json"/) };
    },
  },
  {
    group: 4,
    name: '.keras: config.json is a 1 GiB zip bomb (6.5 MB of deflate)',
    async make(context) {
      const { tiny } = context.fixtures;
      const weights = await writeKerasWeightsWith(path.join(context.folder, 'weights.h5'), tiny);
      const modelPath = path.join(context.folder, 'model.keras');
      await writeFile(modelPath, writeZip([{ name: 'config.json', data: new Uint8Array(0), compressed: deflatedZeros(2 ** 30), declaredSize: 100 }, { name: 'model.weights.h5', data: weights }]));
      return { job: 'summarize', modelPath, expect: refusesModel(/member config\.json decompresses to more than 64 MiB, over the limit for a model config/) };
    },
  },

  // 5. Quantized weights count at their decoded size.
  {
    group: 5,
    name: 'model.json: a 12 KB sparse shard declaring 617 MiB of uint8 weights (2.4 GiB as float32)',
    async make(context) {
      const elements = 617 * 2 ** 20;
      const modelPath = path.join(context.folder, 'model.json');
      const topology = context.fixtures.tiny.toJSON(null, false);
      await writeFile(modelPath, JSON.stringify({ format: 'layers-model', modelTopology: topology, weightsManifest: [{ paths: ['shard.bin'], weights: [{ name: 'big', shape: [elements], dtype: 'float32', quantization: { dtype: 'uint8', scale: 0.01, min: 0 } }] }] }));
      const shard = await open(path.join(context.folder, 'shard.bin'), 'w');
      await shard.write(new Uint8Array(12 * 1024), 0);
      await shard.truncate(elements);
      await shard.close();
      return { job: 'summarize', modelPath, expect: refusesModel(/declares 2\.4 GiB of weights as float32, over the 2\.0 GiB limit/) };
    },
  },

  // 9. Problems that ended as internal errors.
  {
    group: 9,
    name: 'model.json: a layer config nested 100000 deep',
    async make(context) {
      const topology = context.fixtures.tiny.toJSON(null, false) as { config: { layers: { config: Record<string, unknown> }[] } };
      topology.config.layers[0].config.kernel_initializer = '@deep@';
      // JSON.stringify would overflow the stack on it: the nesting goes in as text.
      const deep = `${'['.repeat(100_000)}${']'.repeat(100_000)}`;
      const modelPath = path.join(context.folder, 'model.json');
      await writeFile(modelPath, JSON.stringify({ format: 'layers-model', modelTopology: topology, weightsManifest: [] }).replace('"@deep@"', deep));
      return { job: 'summarize', modelPath, expect: refusesModel(/holds JSON nested more than 256 levels deep/) };
    },
  },
  {
    group: 9,
    name: 'model.json: string dimensions in batch_input_shape',
    async make(context) {
      const modelPath = await tinyModelJson(context);
      const json = JSON.parse(await readFile(modelPath, 'utf8'));
      json.modelTopology.config.layers[0].config.batch_input_shape = [null, '32', 32, 3];
      await writeFile(modelPath, JSON.stringify(json));
      return { job: 'activations', modelPath, imagePath: await imageIn(context), expect: refusesModel(/has batch_input_shape \[null,"32",32,3\]; expected a list of whole numbers/) };
    },
  },
  {
    group: 9,
    name: 'model.json: a manifest dtype of uint8 without quantization',
    async make(context) {
      const modelPath = await tinyModelJson(context);
      const json = JSON.parse(await readFile(modelPath, 'utf8'));
      json.weightsManifest[0].weights[1].dtype = 'uint8';
      await writeFile(modelPath, JSON.stringify(json));
      return { job: 'summarize', modelPath, expect: refusesModel(/has an unsupported dtype "uint8" without a "quantization" entry/) };
    },
  },
  {
    group: 9,
    name: '.h5: a model_config attribute over the limit is refused from its size, before it is read',
    async make(context) {
      const { tiny } = context.fixtures;
      const modelPath = path.join(context.folder, 'model.h5');
      const config = JSON.stringify({ ...(tiny.toJSON(null, false) as object), padding: ' '.repeat(2 * 2 ** 20) });
      await writeKerasH5With(modelPath, tiny, { modelConfig: JSON.parse(config) });
      return { job: 'summarize', modelPath, limits: { maxModelJsonBytes: 2 ** 20 }, expect: refusesModel(/has a "model_config" attribute of \d+ bytes at "\/", over the limit for a model config \(1048576 bytes\)/) };
    },
  },
];

/** Seeded random HDF5 structures planted in the tiny model's .h5: each must load or be refused naming the file. */
export function randomHdf5Cases(seed: number, count: number): HostileCase[] {
  return Array.from({ length: count }, (_, index) => ({
    group: 1,
    name: `random HDF5 structure, seed ${seed} case ${index}`,
    async make(context: CaseContext): Promise<HostileCaseRun> {
      const rng = new Rng(caseSeed(seed, index));
      const outsideFile = path.join(context.outside, 'outside.h5');
      await writeKerasH5With(outsideFile, context.fixtures.tiny);
      const modelPath = path.join(context.folder, 'model.h5');
      let record: string[] = [];
      await writeKerasH5With(modelPath, context.fixtures.tiny, { change: (h5, weightsGroup) => (record = plantRandomStructure(h5, weightsGroup, rng, outsideFile)) });
      return { job: rng.pick(['summarize', 'gradCam'] as const), modelPath, imagePath: await imageIn(context), expect: 'either', label: record.join(' | ') };
    },
  }));
}

/** Seeded random zip structures around the tiny model's .keras members. */
export function randomZipCases(seed: number, count: number): HostileCase[] {
  let bomb: Uint8Array | undefined;
  return Array.from({ length: count }, (_, index) => ({
    group: 4,
    name: `random zip structure, seed ${seed} case ${index}`,
    async make(context: CaseContext): Promise<HostileCaseRun> {
      const rng = new Rng(caseSeed(seed, index));
      bomb ??= deflatedZeros(256 * 2 ** 20);
      const modelPath = path.join(context.folder, 'model.keras');
      await writeArchive(modelPath, context.fixtures.tiny, await writeKerasWeightsWith(path.join(context.folder, 'weights.h5'), context.fixtures.tiny));
      const members = unzipSync(new Uint8Array(await readFile(modelPath)));
      const { bytes, record } = randomArchive(members, rng, bomb);
      await writeFile(modelPath, bytes);
      return { job: 'summarize', modelPath, expect: 'either', label: record.join(' | ') };
    },
  }));
}

/** Limits of a case run: the defaults, changed where the case says. */
export function limitsOf(run: HostileRun): EngineLimits {
  return { model: { ...DEFAULT_MODEL_LIMITS, ...run.limits }, image: DEFAULT_IMAGE_LIMITS };
}

/** Runs the case's job through the engine worker; resolves when it worked, rejects as the job does. */
export async function runHostileJob(engine: EngineClient, run: HostileRun): Promise<void> {
  const limits = limitsOf(run);
  const imagePath = run.imagePath ?? run.modelPath;
  switch (run.job) {
    case 'summarize':
      await engine.summarize(run.modelPath, limits);
      return;
    case 'activations':
      await engine.runActivations({ modelPath: run.modelPath, imagePath, layers: { first: 8 }, colormap: 'viridis', imagesPerRow: 8, limits, thumbnailSize: 32, inputSide: run.inputSide }, {});
      return;
    case 'gradCam':
      await engine.runGradCam({ modelPath: run.modelPath, imagePath, labelsPath: run.labelsPath, score: 'output', intensity: 0.4, colormap: 'jet', limits, inputSide: run.inputSide }, {});
      return;
    case 'filterPatterns':
      await engine.runFilterPatterns(
        { modelPath: run.modelPath, layerName: run.layerName ?? 'conv2d', filters: [0, 1], parameters: { ...DEFAULT_FILTER_PATTERN_PARAMETERS, size: run.patternSize ?? 16, steps: 3 }, limits: { model: limits.model } },
        {},
      );
      return;
  }
}

/** What is wrong with how a case ended (nothing, normally): refused as expected, in one line naming the file, or worked. */
export function judgeOutcome(run: HostileCaseRun, folder: string, error: unknown): string[] {
  const expect = run.expect;
  if (error === undefined) return expect === 'works' || expect === 'either' ? [] : [`worked, where it must be refused (${expect.refused})`];
  if (!(error instanceof EngineError)) return [`failed with ${String(error)}, not an EngineError`];
  if (error.kind !== 'input') return [`failed as ${error.kind}, not as a problem with a file: ${error.message.split('\n')[0]}`];
  const problems: string[] = [];
  if (/[\n\r\u001b\u009b\u202e]/.test(error.message)) problems.push(`its message is not one clean line: ${JSON.stringify(error.message)}`);
  if (expect === 'works') return [...problems, `was refused, where it must work: ${error.message}`];
  const file = expect === 'either' ? undefined : expect.file;
  const named = error.file ?? '';
  const inCase = named === file || (file === undefined && (named === run.modelPath || isInside(folder, named)));
  if (!inCase) problems.push(`names ${JSON.stringify(named)}, not ${file ?? 'a file of the case'}`);
  if (!error.message.startsWith(`${named}: `)) problems.push(`its message does not start with the file: ${error.message}`);
  if (expect !== 'either' && !expect.refused.test(error.message)) problems.push(`its message does not match ${expect.refused}: ${error.message}`);
  return problems;
}

/**
 * Every entry below `folder` (files, folders, FIFOs) with its kind, size and mtime, and a content
 * hash for files up to 16 MiB: to prove nothing was written, without reading a FIFO or a sparse
 * 617 MiB shard.
 */
export async function snapshotCaseFolder(folder: string): Promise<Record<string, string>> {
  const result: Record<string, string> = {};
  for (const entry of await readdir(folder, { withFileTypes: true, recursive: true })) {
    const file = path.join(entry.parentPath, entry.name);
    const info = await lstat(file);
    const kind = entry.isFile() ? 'file' : entry.isDirectory() ? 'folder' : entry.isFIFO() ? 'fifo' : 'other';
    const hash = entry.isFile() && info.size <= 16 * 2 ** 20 ? createHash('sha256').update(await readFile(file)).digest('hex') : '';
    result[path.relative(folder, file)] = `${kind}:${info.size}:${info.mtimeMs}:${hash}`;
  }
  return result;
}

function isInside(folder: string, file: string): boolean {
  const relative = path.relative(folder, file);
  return relative.length > 0 && !relative.startsWith('..') && !path.isAbsolute(relative);
}

/** The hostile cases a soak mixes in: quick ones, one of each kind of attack. */
export const SOAK_HOSTILE_CASES = [
  ".h5: a layer's weight group is an external link (absolute path) to a file with the right weights",
  "graph: a Tile whose 16-byte multiples ask for 8·10⁸ values",
  ".h5: a weight dataset's data is external storage (a FIFO)",
  '.keras of any input size: UpSampling2D ×64, free dimensions no longer counted as 1',
  'a FIFO given as the image file',
  '.keras: config.json is a 1 GiB zip bomb (6.5 MB of deflate)',
  'model.json: a 12 KB sparse shard declaring 617 MiB of uint8 weights (2.4 GiB as float32)',
  '.keras: model.weights.h5 whose layer groups hard-link back to their parents (a cycle)',
  'model.json: a layer config nested 100000 deep',
  'a device (/dev/zero) given as the labels file',
];

/** The n-th hostile job of a soak, in a fresh folder under `root`: the cases above in turn. */
export async function soakHostileJob(root: string, fixtures: HostileFixtures, n: number): Promise<{ name: string; run: HostileCaseRun; folder: string }> {
  const usable = HOSTILE_CASES.filter((hostile) => SOAK_HOSTILE_CASES.includes(hostile.name) && (!hostile.needsFifo || process.platform !== 'win32'));
  const hostile = usable[n % usable.length];
  const folder = path.join(root, `soak-hostile-${n}`, 'model');
  const outside = path.join(root, `soak-hostile-${n}`, 'outside');
  await mkdir(folder, { recursive: true });
  await mkdir(outside, { recursive: true });
  return { name: hostile.name, run: await hostile.make({ folder, outside, fixtures }), folder };
}
