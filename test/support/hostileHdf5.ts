// HDF5 files built to attack a reader, written by the tests themselves: with h5wasm (groups,
// datasets, attributes, soft, hard and external links) and, for what h5wasm cannot write (a
// dataset whose data lives in another file: "external storage"), by patching the bytes h5wasm
// wrote. Also a seeded generator of random HDF5 structures around a Keras model.
import * as tf from '@tensorflow/tfjs';
import { writeFile } from 'node:fs/promises';
import { Rng } from './fuzzMutations';
import { keras2Config } from './kerasFixtures';

type H5Module = Awaited<ReturnType<typeof h5wasm>>;
type H5File = InstanceType<H5Module['File']>;
type H5Group = ReturnType<H5File['create_group']>;

export async function h5wasm() {
  const { default: loaded } = await import('h5wasm/node');
  // What a planted structure makes HDF5 refuse becomes an exception, not an error stack on stderr.
  (await loaded.ready).activate_throwing_error_handler();
  return loaded;
}

/**
 * Opens a new HDF5 file for writing in the oldest format (version 0 superblock, version 1 object
 * headers, no checksums): what h5py writes for Keras, and what `withExternalStorage` can patch.
 */
export async function createH5(file: string): Promise<H5File> {
  const h5 = await h5wasm();
  return new h5.File(file, 'w', { libver: ['earliest', 'latest'] });
}

const u16 = (bytes: Uint8Array, at: number) => bytes[at] | (bytes[at + 1] << 8);
const u32 = (bytes: Uint8Array, at: number) => (bytes[at] | (bytes[at + 1] << 8) | (bytes[at + 2] << 16)) + bytes[at + 3] * 2 ** 24;
function setU64(bytes: Uint8Array, at: number, value: number | 'undefined') {
  for (let i = 0; i < 8; i++) bytes[at + i] = value === 'undefined' ? 0xff : Math.floor(value / 2 ** (8 * i)) & 0xff;
}

function indexOf(haystack: Uint8Array, needle: Uint8Array, from = 0): number {
  outer: for (let i = from; i <= haystack.length - needle.length; i++) {
    for (let j = 0; j < needle.length; j++) if (haystack[i + j] !== needle[j]) continue outer;
    return i;
  }
  return -1;
}

/**
 * The file with one contiguous dataset (found by its values, which must be unique in the file)
 * turned into external storage: its layout says "no data here", and an External Data Files
 * message, with a local heap appended at the end of the file, names `target` and where in it the
 * bytes are. HDF5 then reads the dataset from `target`, an absolute path, a `../` path or a FIFO.
 */
export function withExternalStorage(original: Uint8Array, values: Float32Array, target: string): Uint8Array {
  const bytes = new Uint8Array(original.length);
  bytes.set(original);
  const data = indexOf(bytes, new Uint8Array(values.buffer, values.byteOffset, values.byteLength));
  if (data < 0) throw new Error('the dataset values are not in the file');
  // Layout message (v1 header: type 2 bytes, size 2, flags 1, reserved 3), version 3, contiguous: address, size.
  const layout = new Uint8Array(8 + 18);
  layout.set([0x08, 0x00, 0x18, 0x00, 0, 0, 0, 0, 0x03, 0x01]);
  setU64(layout, 10, data);
  setU64(layout, 18, values.byteLength);
  const at = indexOf(bytes, layout);
  if (at < 0) throw new Error('no contiguous layout message for the dataset (was the file written with libver earliest?)');
  setU64(bytes, at + 10, 'undefined');
  // The header holding it: its prefix is 16 bytes, its messages follow, 8-byte aligned.
  let header = -1;
  for (let start = at - 16; start >= Math.max(0, at - 4096); start -= 8) {
    const size = u32(bytes, start + 8);
    const messages = u16(bytes, start + 2);
    if (bytes[start] !== 1 || bytes[start + 1] !== 0 || messages < 2 || messages > 64 || size % 8 !== 0 || start + 16 + size <= at || size > 65536) continue;
    let position = start + 16;
    while (position < at) position += 8 + u16(bytes, position + 2);
    if (position === at) {
      header = start;
      break;
    }
  }
  if (header < 0) throw new Error('the object header of the dataset was not found');
  // A padding (NIL) message after it becomes the External Data Files message and a smaller NIL.
  const end = header + 16 + u32(bytes, header + 8);
  let nil = at;
  while (nil < end && !(u16(bytes, nil) === 0 && u16(bytes, nil + 2) >= 48)) nil += 8 + u16(bytes, nil + 2);
  if (nil >= end) throw new Error('no room in the object header');
  const nilSize = u16(bytes, nil + 2);
  // The local heap with the name, appended at the end of the file (8-byte aligned).
  const name = new TextEncoder().encode(target);
  const segmentSize = 8 + Math.ceil((name.length + 1) / 8) * 8;
  const heapAt = Math.ceil(bytes.length / 8) * 8;
  const heap = new Uint8Array(32 + segmentSize);
  heap.set([0x48, 0x45, 0x41, 0x50, 0, 0, 0, 0]);
  setU64(heap, 8, segmentSize);
  setU64(heap, 16, 1); // no free block
  setU64(heap, 24, heapAt + 32);
  heap.set(name, 32 + 8);
  const message = new Uint8Array(48);
  message.set([0x07, 0x00, 40, 0x00, 0x01, 0, 0, 0, 0x01, 0, 0, 0, 0x01, 0x00, 0x01, 0x00]);
  setU64(message, 16, heapAt);
  setU64(message, 24, 8); // the name's offset in the heap
  setU64(message, 32, 0); // offset in the external file
  setU64(message, 40, values.byteLength);
  const patched = new Uint8Array(heapAt + heap.length);
  patched.set(bytes);
  patched.set(message, nil);
  patched.set([0x00, 0x00, (nilSize - 48) & 0xff, (nilSize - 48) >> 8, 0, 0, 0, 0], nil + 48);
  patched.set(heap, heapAt);
  // One message more in the header, and the file's end (superblock version 0) moved past the heap.
  const count = u16(patched, header + 2) + 1;
  patched.set([count & 0xff, count >> 8], header + 2);
  setU64(patched, 40, patched.length);
  return patched;
}

/** Values no other bytes of a small file repeat, to find a dataset by them. */
export function distinctValues(count: number, seed: number): Float32Array {
  const rng = new Rng(seed);
  return Float32Array.from({ length: count }, () => rng.float() - 0.5);
}

export interface KerasH5Hooks {
  /** Writes a layer's entry itself (a link instead of its group, say); true when it did. */
  layerEntry?(parent: H5Group, layer: tf.layers.Layer, h5: H5File): boolean;
  /** Changes the file before it closes: plants links, attributes or groups. */
  change?(h5: H5File, weightsGroup: H5Group): void;
  modelConfig?: unknown;
}

/**
 * A Keras 2 HDF5 model file of `model`, as kerasFixtures.writeKerasH5 writes it but in the oldest
 * format (which withExternalStorage patches), with the hooks given their say.
 */
export async function writeKerasH5With(file: string, model: tf.LayersModel, hooks: KerasH5Hooks = {}): Promise<void> {
  const out = await createH5(file);
  try {
    out.create_attribute('keras_version', '2.1.6');
    out.create_attribute('backend', 'tensorflow');
    out.create_attribute('model_config', JSON.stringify(hooks.modelConfig ?? keras2Config(model)));
    const weightsGroup = out.create_group('model_weights');
    weightsGroup.create_attribute('layer_names', model.layers.map((layer) => layer.name));
    for (const layer of model.layers) {
      if (hooks.layerEntry?.(weightsGroup, layer, out)) continue;
      const group = weightsGroup.create_group(layer.name);
      const names = layer.weights.map((weight) => `${layer.name}_1/${weight.originalName.split('/').at(-1)}:0`);
      group.create_attribute('weight_names', names);
      if (names.length > 0) group.create_group(`${layer.name}_1`);
      layer.weights.forEach((weight, i) => group.create_dataset({ name: names[i], data: weight.read().dataSync() as Float32Array, shape: weight.shape as number[], dtype: '<f' }));
    }
    hooks.change?.(out, weightsGroup);
  } finally {
    out.close();
  }
}

/**
 * A Keras 3 archive's model.weights.h5 for `model` (a Sequential or Functional without nested
 * models): `layers/<layer>/vars/<i>`, in the oldest format, with the hooks given their say.
 */
export async function writeKerasWeightsWith(file: string, model: tf.LayersModel, hooks: Omit<KerasH5Hooks, 'modelConfig'> = {}): Promise<Uint8Array> {
  const out = await createH5(file);
  try {
    const layersGroup = out.create_group('layers');
    for (const layer of model.layers) {
      if (layer.getClassName() === 'InputLayer' || hooks.layerEntry?.(layersGroup, layer, out)) continue;
      const vars = layersGroup.create_group(layer.name).create_group('vars');
      layer.weights.forEach((weight, i) => vars.create_dataset({ name: String(i), data: weight.read().dataSync() as Float32Array, shape: weight.shape as number[], dtype: '<f' }));
    }
    out.create_group('vars');
    hooks.change?.(out, layersGroup);
  } finally {
    out.close();
  }
  const { readFile } = await import('node:fs/promises');
  return new Uint8Array(await readFile(file));
}

/** The bytes of a file h5wasm writes, through a temporary file. */
export async function h5Bytes(file: string, write: (h5: H5File) => void): Promise<Uint8Array> {
  const out = await createH5(file);
  try {
    write(out);
  } finally {
    out.close();
  }
  const { readFile } = await import('node:fs/promises');
  return new Uint8Array(await readFile(file));
}

export { writeFile };

function replaceAttribute(target: H5Group, name: string, value: unknown): void {
  if (name in target.attrs) target.delete_attribute(name);
  target.create_attribute(name, value as never);
}

/** What a random HDF5 structure case plants in a Keras model file. */
export type Hdf5Plant = 'externalLink' | 'softLink' | 'hardLinkCycle' | 'deepGroups' | 'wideGroup' | 'oddNames' | 'attributes' | 'intDataset' | 'emptyDataset' | 'scalarDataset' | 'stringDataset' | 'missingLayer';
export const HDF5_PLANTS: Hdf5Plant[] = ['externalLink', 'softLink', 'hardLinkCycle', 'deepGroups', 'wideGroup', 'oddNames', 'attributes', 'intDataset', 'emptyDataset', 'scalarDataset', 'stringDataset', 'missingLayer'];

const ODD_NAMES = ['..', '.', ' ', '\u202e', '\u001b]0;x\u0007', 'a/b', 'ü', 'con', 'x'.repeat(300), '\\', '%s%n'];

/**
 * Plants a seeded random structure in the file's `model_weights` group (or at its root): links of
 * every kind pointing in and out of the file, cycles, deep or wide group trees, names a reader
 * could trip on, attributes of odd types, datasets that are no float weights.
 */
export function plantRandomStructure(h5: H5File, weightsGroup: H5Group, rng: Rng, outside: string): string[] {
  const record: string[] = [];
  const layerNames = weightsGroup.keys();
  const layer = rng.pick(layerNames);
  const count = 1 + rng.int(3);
  for (let n = 0; n < count; n++) {
    const plant = rng.pick(HDF5_PLANTS);
    record.push(plant);
    const group = weightsGroup.get(layer) as H5Group;
    try {
      plantOne(plant, h5, weightsGroup, group, layer, layerNames, rng, outside, record, n);
    } catch {
      // HDF5 refused to write it (a name taken twice, say): the file stays as it was.
      record.push('(not written)');
    }
  }
  return record;
}

function plantOne(plant: Hdf5Plant, h5: H5File, weightsGroup: H5Group, group: H5Group, layer: string, layerNames: string[], rng: Rng, outside: string, record: string[], n: number): void {
  switch (plant) {
    case 'externalLink': {
      // Beside a layer's weight group, or in place of its inner group: a link into another file.
      const inner = group.keys().find((key) => !key.includes(':')) ?? layer;
      const target = rng.pick([outside, '../outside.h5', `./${layer}.h5`, '/dev/zero', 'outside.h5']);
      record.push(target);
      group.create_external_link(target, '/', `${inner}_ext`);
      break;
    }
    case 'softLink':
      group.create_soft_link(rng.pick(['/model_weights', '/', '/nowhere', `/model_weights/${layer}`]), `soft_${n}`);
      break;
    case 'hardLinkCycle':
      group.create_hard_link(rng.pick(['/', '/model_weights', `/model_weights/${layer}`]), `loop_${n}`);
      break;
    case 'deepGroups': {
      // Deep trees take HDF5 itself long to write (cubic in the depth): enough to pass the reader's bound of 64.
      let current = group;
      const depth = 10 + rng.int(60);
      for (let d = 0; d < depth; d++) current = current.create_group('g');
      record.push(`depth ${depth}`);
      break;
    }
    case 'wideGroup': {
      const wide = group.create_group(`wide_${n}`);
      const width = 50 + rng.int(500);
      for (let w = 0; w < width; w++) wide.create_group(`w${w}`);
      break;
    }
    case 'oddNames':
      group.create_group(rng.pick(ODD_NAMES));
      break;
    case 'attributes': {
      const target = rng.chance(0.5) ? h5 : group;
      const name = rng.pick(['weight_names', 'layer_names', 'model_config', 'keras_version']);
      const value = rng.pick<unknown>([42, [1, 2, 3], Float32Array.of(1, 2), '', '{"class_name": "Sequential"}', ['a', 'b'], 'x'.repeat(1 + rng.int(100_000))]);
      replaceAttribute(target, name, value);
      record.push(`${name}=${typeof value}`);
      break;
    }
    case 'intDataset':
    case 'emptyDataset':
    case 'scalarDataset':
    case 'stringDataset': {
      // A dataset that is no float weight, listed as one of the layer's weights.
      const names = (group.attrs['weight_names']?.value as string[] | undefined) ?? [];
      const name = names.length > 0 ? `${names[rng.int(names.length)]}_x` : `d${n}`;
      const spec =
        plant === 'intDataset'
          ? { data: Int32Array.of(1, 2, 3, 4), shape: [2, 2], dtype: '<i' }
          : plant === 'emptyDataset'
            ? { data: new Float32Array(0), shape: [0], dtype: '<f' }
            : plant === 'scalarDataset'
              ? { data: Float32Array.of(1), shape: [], dtype: '<f' }
              : { data: ['a', 'b'], shape: [2] };
      group.create_dataset({ name, ...spec } as never);
      replaceAttribute(group, 'weight_names', [...names, name]);
      break;
    }
    case 'missingLayer':
      replaceAttribute(weightsGroup, 'layer_names', [...layerNames, 'ghost_layer']);
      break;
  }
}
