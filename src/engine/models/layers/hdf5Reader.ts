// Read-only access to the parts of an HDF5 file a Keras model uses: attributes, groups and float
// datasets, through h5wasm (HDF5 compiled to WebAssembly; no native build). Its Node build reads
// the file in place from disk, so only the datasets asked for are read into memory.
//
// h5wasm runs in a worker thread of its own: the HDF5 library can loop forever on a damaged file
// (a cycle in its metadata), and code stuck in a loop can only be stopped from outside its thread.
// Every read is a synchronous call to that thread with a deadline; a call past it ends the thread
// (a new one starts for the next file) and is reported as a damaged file.
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { MessageChannel, Worker, receiveMessageOnPort, type MessagePort } from 'node:worker_threads';
import { InputError } from '../../../shared/errors';
import { HDF5_SIGNATURE, fileStartsWith } from '../fileSignature';
import { DEFAULT_HDF5_TIMEOUT_MS } from '../../../shared/defaults';


export interface Hdf5Dataset {
  path: string;
  shape: number[];
  /** The values as float32, whatever float width the file stores. */
  readFloat32(): Float32Array;
}

/** The reader thread's side, as plain JavaScript: it answers one request at a time on `port`. */
const WORKER_SOURCE = String.raw`
const { parentPort, workerData } = require('node:worker_threads');
const fs = require('node:fs');
const nodePath = require('node:path');
const { port, moduleUrl, limits } = workerData;
const flag = new Int32Array(workerData.flag);
// Emscripten prints "Aborted(…)" before it throws; the error reaches the caller as a message instead.
console.error = console.warn = () => {};

// HDF5 opens files by itself: the targets of external links, a dataset's external storage, the
// sources of a virtual dataset. h5wasm's Node build reaches the disk through this thread's fs
// module, so every open is checked here: only the files asked for are opened, non-blocking and
// only when they are regular files (a FIFO would block this thread for good, a device never end).
// Any other file is refused before it is opened, and remembered for the message.
const allowedFiles = new Set();
let refusedFiles = [];
const openSync = fs.openSync;
const { O_CREAT, O_EXCL, O_DIRECTORY, O_NONBLOCK, O_RDONLY } = fs.constants;
fs.openSync = function (file, flags, mode) {
  const resolved = nodePath.resolve(String(file));
  const flagBits = typeof flags === 'number' ? flags : O_RDONLY;
  // HDF5 formats its error messages through tmpfile(): a new file in /tmp, unlinked at once.
  if ((flagBits & O_CREAT) && (flagBits & O_EXCL) && /^\/tmp\/tmpfile_\w+$/.test(resolved)) return openSync(resolved, flagBits, mode);
  if (!allowedFiles.has(resolved)) {
    // HDF5 also looks into its plugin folders (for filters and file drivers it lacks): refused too,
    // but they hold no data of the model, so they are not named as such.
    if (!(flagBits & O_DIRECTORY) && !/[\\/]lib[\\/]plugin$/.test(resolved)) refusedFiles.push(String(file));
    const error = new Error('EACCES: Convscope reads no file but the model file, ' + file);
    error.code = 'EACCES';
    throw error;
  }
  const fd = openSync(resolved, flagBits | (O_NONBLOCK || 0), mode);
  if (!fs.fstatSync(fd).isFile()) {
    fs.closeSync(fd);
    const error = new Error('EINVAL: not a regular file, ' + file);
    error.code = 'EINVAL';
    throw error;
  }
  return fd;
};

function reply(message) {
  try {
    port.postMessage(message);
  } catch (error) {
    port.postMessage({ ok: false, name: 'DataCloneError', message: String((error && error.message) || error) });
  }
  Atomics.store(flag, 0, 1);
  Atomics.notify(flag, 0);
}
// HDF5's error stack, as the throwing handler puts it in an error's message: its innermost frame says what failed.
function describe(error) {
  const message = String((error && error.message) || error);
  if (!message.startsWith('HDF5-DIAG')) return message;
  const frames = message.split('\n').map((line) => /#\d+: .* in ([\w]+)\(\): (.*)$/.exec(line)).filter(Boolean);
  return frames.length > 0 ? frames[frames.length - 1][2] + ' (' + frames[frames.length - 1][1] + ')' : message.split('\n')[0];
}
/** A refusal the caller reports as such (its name is kept), not as a damaged file. */
function refused(message) {
  const error = new Error(message);
  error.name = 'Hdf5Refusal';
  return error;
}
import(moduleUrl).then(async ({ default: h5wasm }) => {
  const module = await h5wasm.ready;
  // HDF5 errors become exceptions, instead of an error stack printed on the process's stderr.
  if (module && typeof module.activate_throwing_error_handler === 'function') module.activate_throwing_error_handler();
  const files = new Map();
  let nextId = 1;
  const typeAt = (file, objectPath) => {
    try {
      return module.get_type(file.file_id, objectPath);
    } catch {
      return -1;
    }
  };
  // The object at a path, reached only through groups and datasets of the file itself: each step
  // is looked at before it is followed, so an external link is refused before HDF5 opens its file.
  const objectAt = (id, objectPath) => {
    const file = files.get(id)?.file;
    if (!file) throw new Error('the file is closed');
    if (objectPath === '/') return file;
    const parts = objectPath.split('/').filter((part) => part.length > 0);
    if (parts.length > limits.maxPathDepth) throw refused('the path "' + objectPath + '" is nested more than ' + limits.maxPathDepth + ' groups deep');
    let prefix = '';
    for (let i = 0; i < parts.length; i++) {
      prefix += '/' + parts[i];
      const type = typeAt(file, prefix);
      if (type === module.H5G_UDLINK) {
        let target = '';
        try {
          const link = file.get_external_link(prefix);
          target = ' to ' + link.filename + ':' + link.obj_path;
        } catch {}
        throw refused('"' + prefix + '" is an external link' + target + '; Convscope reads only what the model file itself holds');
      }
      if (type < 0) return null;
      if (i < parts.length - 1 && type !== module.H5G_GROUP) return null;
      if (type !== module.H5G_GROUP && type !== module.H5G_DATASET) throw refused('"' + prefix + '" is neither a group nor a dataset (HDF5 object type ' + type + ')');
    }
    return file.get(objectPath);
  };
  const sizeOf = (value) => (typeof value === 'string' ? value.length : Array.isArray(value) ? value.reduce((sum, item) => sum + sizeOf(item), 0) : value && value.byteLength !== undefined ? value.byteLength : 8);
  const handlers = {
    open({ file }) {
      const resolved = nodePath.resolve(file);
      allowedFiles.add(resolved);
      let opened;
      try {
        opened = new h5wasm.File(resolved, 'r');
      } catch (error) {
        allowedFiles.delete(resolved);
        throw error;
      }
      // h5wasm reports a file HDF5 could not open by a negative id, not an error.
      if (opened.file_id < 0n) {
        allowedFiles.delete(resolved);
        return 0;
      }
      files.set(nextId, { file: opened, path: resolved });
      return nextId++;
    },
    close({ id }) {
      const entry = files.get(id);
      files.delete(id);
      if (!entry) return;
      entry.file.close();
      if (![...files.values()].some((other) => other.path === entry.path)) allowedFiles.delete(entry.path);
    },
    attribute({ id, objectPath, name, maxBytes }) {
      const object = objectAt(id, objectPath);
      const attribute = object && object.attrs ? object.attrs[name] : undefined;
      if (!attribute) return undefined;
      // Fixed-size values are sized before they are read; variable-length ones (their length is in
      // the file's heap) once read, before they are handed over.
      const { metadata } = attribute;
      const count = (attribute.shape || []).reduce((product, dim) => product * dim, 1);
      if (!metadata.vlen && metadata.size * count > maxBytes) return { tooLarge: metadata.size * count };
      const value = attribute.value ?? undefined;
      const bytes = sizeOf(value);
      return bytes > maxBytes ? { tooLarge: bytes } : { value };
    },
    children({ id, objectPath }) {
      const group = objectAt(id, objectPath);
      if (!(group instanceof h5wasm.Group)) return undefined;
      const names = group.keys();
      if (names.length > limits.maxGroupEntries) throw refused('group "' + objectPath + '" holds ' + names.length + ' entries, over the limit of ' + limits.maxGroupEntries);
      return names;
    },
    dataset({ id, objectPath }) {
      const dataset = objectAt(id, objectPath);
      if (!(dataset instanceof h5wasm.Dataset)) return undefined;
      const { type, size, virtual_sources: virtualSources } = dataset.metadata;
      if (virtualSources && virtualSources.length > 0) {
        throw refused('dataset "' + objectPath + '" is a virtual dataset made of data in ' + virtualSources.map((source) => source.file_name).join(', ') + '; Convscope reads only what the model file itself holds');
      }
      return { type, size, shape: dataset.shape ?? [] };
    },
    read({ id, objectPath }) {
      return objectAt(id, objectPath).value;
    },
  };
  port.on('message', (request) => {
    refusedFiles = [];
    try {
      reply({ ok: true, value: handlers[request.op](request) });
    } catch (error) {
      if (refusedFiles.length > 0 && !(error && error.name === 'Hdf5Refusal')) {
        // HDF5 reached for another file: an external link, external storage or a virtual dataset's source.
        const names = [...new Set(refusedFiles)].join(', ');
        reply({ ok: false, name: 'Hdf5Refusal', message: 'refers to data in another file (' + names + '), through external storage or a link; Convscope reads only what the model file itself holds' });
      } else {
        reply({ ok: false, name: (error && error.name) || 'Error', message: describe(error) });
      }
    }
  });
  parentPort.postMessage({ ready: true });
}).catch((error) => parentPort.postMessage({ failed: String((error && error.message) || error) }));
`;

/** Bounds on the structure the reader thread walks, against files built to make a walk endless. */
const READER_LIMITS = {
  /** Groups within groups on one path: Keras nests a few levels per nested model. */
  maxPathDepth: 64,
  /** Entries one group may list: one per layer, and models have at most a few thousand. */
  maxGroupEntries: 100_000,
};

/** h5wasm's Node entry point as a file URL: the package exports it to `import` only, so it is found by hand. */
function h5wasmModuleUrl(): string {
  const require = createRequire(__filename);
  for (const folder of require.resolve.paths('h5wasm') ?? []) {
    const packageJson = path.join(folder, 'h5wasm', 'package.json');
    if (!existsSync(packageJson)) continue;
    const entry = (JSON.parse(readFileSync(packageJson, 'utf8')) as { exports?: Record<string, { import?: string }> }).exports?.['./node']?.import;
    if (entry) return pathToFileURL(path.join(folder, 'h5wasm', entry)).href;
  }
  throw new Error('the h5wasm package (HDF5 reader) is not installed');
}

type Request =
  | { op: 'open'; file: string }
  | { op: 'close' | 'children' | 'dataset' | 'read'; id: number; objectPath?: string }
  | { op: 'attribute'; id: number; objectPath: string; name: string; maxBytes: number };
type Reply = { ok: true; value: unknown } | { ok: false; name: string; message: string };

/** Thrown by a call that took longer than its deadline; the thread is gone by then. */
class Hdf5TimeoutError extends Error {
  override readonly name = 'Hdf5TimeoutError';
}

/** The reader refused to follow or read something (an external link, another file, a structure over its bounds). */
class Hdf5RefusalError extends Error {
  override readonly name = 'Hdf5RefusalError';
}

/** The reader thread, and a synchronous call into it. */
class Hdf5Thread {
  stopped = false;

  private constructor(
    private readonly worker: Worker,
    private readonly port: MessagePort,
    private readonly flag: Int32Array,
  ) {}

  static async start(): Promise<Hdf5Thread> {
    const { port1, port2 } = new MessageChannel();
    const flag = new Int32Array(new SharedArrayBuffer(4));
    const worker = new Worker(WORKER_SOURCE, {
      eval: true,
      workerData: { port: port2, flag: flag.buffer, moduleUrl: h5wasmModuleUrl(), limits: READER_LIMITS },
      transferList: [port2],
    });
    // The thread never keeps the process alive; it is there only while files are read.
    worker.unref();
    port1.unref();
    await new Promise<void>((resolve, reject) => {
      worker.once('message', (message: { ready?: boolean; failed?: string }) => (message.ready ? resolve() : reject(new Error(`the HDF5 reader could not start: ${message.failed}`))));
      worker.once('error', (error) => reject(new Error(`the HDF5 reader could not start: ${error.message}`)));
      worker.once('exit', (code) => reject(new Error(`the HDF5 reader stopped while starting (exit code ${code})`)));
    });
    worker.removeAllListeners();
    const thread = new Hdf5Thread(worker, port1, flag);
    worker.on('error', () => thread.stop());
    worker.once('exit', () => thread.stop());
    return thread;
  }

  /** Sends `request` and waits for the answer, at most `timeoutMs`; past it the thread is ended. */
  call(request: Request, timeoutMs: number): unknown {
    if (this.stopped) throw new Hdf5TimeoutError('the HDF5 reader was stopped');
    Atomics.store(this.flag, 0, 0);
    this.port.postMessage(request);
    const deadline = performance.now() + timeoutMs;
    let reply: { message: Reply } | undefined;
    // The flag says an answer was posted; it may reach the port a moment later.
    while (!(reply = receiveMessageOnPort(this.port) as { message: Reply } | undefined)) {
      const left = deadline - performance.now();
      if (left <= 0) {
        this.stop();
        throw new Hdf5TimeoutError(`no answer within ${(timeoutMs / 1000).toFixed(1)} s`);
      }
      Atomics.wait(this.flag, 0, 0, Math.min(left, 50));
    }
    if (reply.message.ok) return reply.message.value;
    if (reply.message.name === 'Hdf5Refusal') throw new Hdf5RefusalError(reply.message.message);
    // A WebAssembly trap (out of memory, out of bounds) leaves h5wasm unusable: the next file gets a new thread.
    if (reply.message.name === 'RuntimeError') this.stop();
    throw new Error(reply.message.message);
  }

  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    if (current?.thread === this) current = undefined;
    void this.worker.terminate();
  }
}

let current: { thread?: Hdf5Thread; starting: Promise<Hdf5Thread> } | undefined;

/** The running reader thread, started on first use (its WebAssembly takes a moment to start). */
async function readerThread(): Promise<Hdf5Thread> {
  if (!current) {
    const entry: { thread?: Hdf5Thread; starting: Promise<Hdf5Thread> } = { starting: Hdf5Thread.start() };
    current = entry;
    entry.starting.then(
      (thread) => (entry.thread = thread),
      () => current === entry && (current = undefined),
    );
  }
  const thread = await current.starting;
  return thread.stopped ? readerThread() : thread;
}

export class Hdf5Reader {
  private closed = false;

  private constructor(
    private readonly thread: Hdf5Thread,
    private readonly id: number,
    /** The file the user named, for messages (it may differ from the file read, e.g. inside an archive). */
    private readonly reportedFile: string,
    private readonly timeoutMs: number,
  ) {}

  /** Opens `file` read-only; a file that is not HDF5 is refused before h5wasm sees it. */
  static async open(file: string, reportedFile = file, timeoutMs = DEFAULT_HDF5_TIMEOUT_MS): Promise<Hdf5Reader> {
    if (!(await fileStartsWith(file, HDF5_SIGNATURE, 'HDF5 file'))) throw new InputError(reportedFile, 'is not an HDF5 file (no HDF5 signature at its start)');
    const thread = await readerThread();
    let id: number;
    try {
      id = thread.call({ op: 'open', file: path.resolve(file) }, timeoutMs) as number;
    } catch (error) {
      if (error instanceof Hdf5TimeoutError || error instanceof Hdf5RefusalError) throw hdf5Problem(reportedFile, error, 'cannot be opened as HDF5', timeoutMs);
      throw new InputError(reportedFile, `cannot be opened as HDF5: the file is truncated or damaged (${firstLine(error)})`, { cause: error });
    }
    if (id === 0) throw new InputError(reportedFile, 'cannot be opened as HDF5: the file is truncated or damaged');
    return new Hdf5Reader(thread, id, reportedFile, timeoutMs);
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    if (this.thread.stopped) return;
    try {
      this.thread.call({ op: 'close', id: this.id }, this.timeoutMs);
    } catch {
      // Closing a damaged file can fail too; there is nothing left to release but the thread, which stops on a timeout.
    }
  }

  /**
   * An attribute's value (strings as strings, lists of strings as arrays); undefined when absent.
   * One larger than `maxBytes` is refused, sized before it is read where the file says its size.
   */
  attribute(objectPath: string, name: string, maxBytes: number, limitText: string): unknown {
    const answer = this.call({ op: 'attribute', id: this.id, objectPath, name, maxBytes }, objectPath) as { value: unknown } | { tooLarge: number } | undefined;
    if (answer === undefined) return undefined;
    if ('tooLarge' in answer) {
      throw new InputError(this.reportedFile, `has a "${name}" attribute of ${answer.tooLarge} bytes at "${objectPath}", over the ${limitText} (${maxBytes} bytes)`);
    }
    return answer.value;
  }

  /** The names a group holds, or undefined when `groupPath` is not a group. */
  children(groupPath: string): string[] | undefined {
    return this.call({ op: 'children', id: this.id, objectPath: groupPath }, groupPath) as string[] | undefined;
  }

  dataset(datasetPath: string): Hdf5Dataset | undefined {
    const metadata = this.call({ op: 'dataset', id: this.id, objectPath: datasetPath }, datasetPath) as { type: number; size: number; shape: number[] } | undefined;
    if (!metadata) return undefined;
    return {
      path: datasetPath,
      shape: metadata.shape,
      readFloat32: () => {
        // type 1 is HDF5's float class; h5wasm returns Float32Array or Float64Array for 4- and 8-byte floats.
        if (metadata.type !== 1 || (metadata.size !== 4 && metadata.size !== 8)) {
          throw new InputError(this.reportedFile, `dataset "${datasetPath}" holds ${metadata.size}-byte values of HDF5 type class ${metadata.type}; Convscope reads 32- and 64-bit floats`);
        }
        const values = this.call({ op: 'read', id: this.id, objectPath: datasetPath }, datasetPath);
        if (!(values instanceof Float32Array || values instanceof Float64Array)) throw new InputError(this.reportedFile, `dataset "${datasetPath}" could not be read as floats`);
        return values instanceof Float32Array ? values : Float32Array.from(values);
      },
    };
  }

  /** h5wasm throws plain errors where HDF5 fails to read; they are problems with the file. */
  private call(request: Request, objectPath: string): unknown {
    if (this.closed) throw new Error(`HDF5 file ${this.reportedFile} read after it was closed`);
    try {
      return this.thread.call(request, this.timeoutMs);
    } catch (error) {
      throw hdf5Problem(this.reportedFile, error, `cannot be read at "${objectPath}"`, this.timeoutMs);
    }
  }
}

const firstLine = (error: unknown) => (error instanceof Error ? error.message : String(error)).split('\n')[0];

function hdf5Problem(file: string, error: unknown, what: string, timeoutMs: number): InputError {
  if (error instanceof InputError) return error;
  if (error instanceof Hdf5RefusalError) return new InputError(file, `${what}: ${error.message}`, { cause: error });
  if (error instanceof Hdf5TimeoutError) {
    return new InputError(file, `${what}: HDF5 gave no answer within ${(timeoutMs / 1000).toFixed(1)} s, so the file is taken as damaged (setting convscope.limits.hdf5ReadSeconds)`, { cause: error });
  }
  return new InputError(file, `${what} (${firstLine(error)}): the file is truncated or damaged`, { cause: error });
}

/** An attribute holding one string or a list of them (Keras writes both, as text or bytes). */
export function stringList(value: unknown): string[] | undefined {
  if (typeof value === 'string') return [value];
  if (Array.isArray(value) && value.every((item) => typeof item === 'string')) return value;
  // An empty list comes back as an empty typed array.
  if (ArrayBuffer.isView(value) && (value as Uint8Array).length === 0) return [];
  return undefined;
}
