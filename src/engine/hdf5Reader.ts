// Read-only access to the parts of an HDF5 file a Keras model uses: attributes, groups and float
// datasets, through h5wasm (HDF5 compiled to WebAssembly; no native build). Its Node build reads
// the file in place from disk, so only the datasets asked for are read into memory.
import path from 'node:path';
import type h5wasmModule from 'h5wasm/node' with { 'resolution-mode': 'import' };
import { InputError, describeError } from './errors';
import { HDF5_SIGNATURE, fileStartsWith } from './fileSignature';

type H5wasm = typeof h5wasmModule;
type H5Group = InstanceType<H5wasm['Group']>;
type H5Dataset = InstanceType<H5wasm['Dataset']>;

let loading: Promise<H5wasm> | undefined;

/** h5wasm is an ES module: loaded on first use, and only once (its WebAssembly takes a moment to start). */
function loadH5wasm(): Promise<H5wasm> {
  loading ??= import('h5wasm/node').then(async ({ default: h5wasm }) => {
    await h5wasm.ready;
    return h5wasm;
  });
  return loading;
}

export interface Hdf5Dataset {
  path: string;
  shape: number[];
  /** The values as float32, whatever float width the file stores. */
  readFloat32(): Float32Array;
}

export class Hdf5Reader {
  private constructor(
    private readonly h5wasm: H5wasm,
    private readonly file: InstanceType<H5wasm['File']>,
    /** The file the user named, for messages (it may differ from the file read, e.g. inside an archive). */
    private readonly reportedFile: string,
  ) {}

  /** Opens `file` read-only; a file that is not HDF5 is refused before h5wasm sees it. */
  static async open(file: string, reportedFile = file): Promise<Hdf5Reader> {
    if (!(await fileStartsWith(file, HDF5_SIGNATURE))) throw new InputError(reportedFile, 'is not an HDF5 file (no HDF5 signature at its start)');
    const h5wasm = await loadH5wasm();
    let opened;
    try {
      opened = new h5wasm.File(path.resolve(file), 'r');
    } catch (error) {
      throw new InputError(reportedFile, `cannot be opened as HDF5 (${describeError(error)})`, { cause: error });
    }
    // h5wasm reports a file HDF5 could not open (truncated, damaged) by a negative id, not an error.
    if (opened.file_id < 0n) throw new InputError(reportedFile, 'cannot be opened as HDF5: the file is truncated or damaged');
    return new Hdf5Reader(h5wasm, opened, reportedFile);
  }

  close(): void {
    this.file.close();
  }

  /** An attribute's value (strings as strings, lists of strings as arrays); undefined when absent. */
  attribute(objectPath: string, name: string): unknown {
    return this.guarded(objectPath, () => {
      const object = objectPath === '/' ? this.file : this.file.get(objectPath);
      const attribute = object && 'attrs' in object ? object.attrs[name] : undefined;
      return attribute?.value ?? undefined;
    });
  }

  /** The names a group holds, or undefined when `groupPath` is not a group. */
  children(groupPath: string): string[] | undefined {
    return this.guarded(groupPath, () => {
      const group = groupPath === '/' ? this.file : this.file.get(groupPath);
      return group instanceof this.h5wasm.Group ? (group as H5Group).keys() : undefined;
    });
  }

  dataset(datasetPath: string): Hdf5Dataset | undefined {
    const dataset = this.guarded(datasetPath, () => this.file.get(datasetPath));
    if (!(dataset instanceof this.h5wasm.Dataset)) return undefined;
    const { metadata, shape } = this.guarded(datasetPath, () => ({ metadata: (dataset as H5Dataset).metadata, shape: (dataset as H5Dataset).shape }));
    return {
      path: datasetPath,
      shape: shape ?? [],
      readFloat32: () => {
        // type 1 is HDF5's float class; h5wasm returns Float32Array or Float64Array for 4- and 8-byte floats.
        if (metadata.type !== 1 || (metadata.size !== 4 && metadata.size !== 8)) {
          throw new InputError(this.reportedFile, `dataset "${datasetPath}" holds ${metadata.size}-byte values of HDF5 type class ${metadata.type}; Convscope reads 32- and 64-bit floats`);
        }
        const values = this.guarded(datasetPath, () => (dataset as H5Dataset).value);
        if (!(values instanceof Float32Array || values instanceof Float64Array)) throw new InputError(this.reportedFile, `dataset "${datasetPath}" could not be read as floats`);
        return values instanceof Float32Array ? values : Float32Array.from(values);
      },
    };
  }

  /** h5wasm throws plain errors where HDF5 fails to read; they are problems with the file. */
  private guarded<T>(objectPath: string, read: () => T): T {
    try {
      return read();
    } catch (error) {
      if (error instanceof InputError) throw error;
      throw new InputError(this.reportedFile, `cannot be read at "${objectPath}" (${describeError(error)}): the file is truncated or damaged`, { cause: error });
    }
  }
}

/** An attribute holding one string or a list of them (Keras writes both, as text or bytes). */
export function stringList(value: unknown): string[] | undefined {
  if (typeof value === 'string') return [value];
  if (Array.isArray(value) && value.every((item) => typeof item === 'string')) return value;
  // An empty list comes back as an empty typed array.
  if (ArrayBuffer.isView(value) && (value as Uint8Array).length === 0) return [];
  return undefined;
}
