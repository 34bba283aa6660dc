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
const { port, moduleUrl } = workerData;
const flag = new Int32Array(workerData.flag);
// Emscripten prints "Aborted(…)" before it throws; the error reaches the caller as a message instead.
console.error = console.warn = () => {};
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
import(moduleUrl).then(async ({ default: h5wasm }) => {
  const module = await h5wasm.ready;
  // HDF5 errors become exceptions, instead of an error stack printed on the process's stderr.
  if (module && typeof module.activate_throwing_error_handler === 'function') module.activate_throwing_error_handler();
  const files = new Map();
  let nextId = 1;
  const objectAt = (id, objectPath) => {
    const file = files.get(id);
    if (!file) throw new Error('the file is closed');
    return objectPath === '/' ? file : file.get(objectPath);
  };
  const handlers = {
    open({ file }) {
      const opened = new h5wasm.File(file, 'r');
      // h5wasm reports a file HDF5 could not open by a negative id, not an error.
      if (opened.file_id < 0n) return 0;
      files.set(nextId, opened);
      return nextId++;
    },
    close({ id }) {
      const file = files.get(id);
      files.delete(id);
      if (file) file.close();
    },
    attribute({ id, objectPath, name }) {
      const object = objectAt(id, objectPath);
      const attribute = object && object.attrs ? object.attrs[name] : undefined;
      return attribute ? (attribute.value ?? undefined) : undefined;
    },
    children({ id, objectPath }) {
      const group = objectAt(id, objectPath);
      return group instanceof h5wasm.Group ? group.keys() : undefined;
    },
    dataset({ id, objectPath }) {
      const dataset = objectAt(id, objectPath);
      if (!(dataset instanceof h5wasm.Dataset)) return undefined;
      const { type, size } = dataset.metadata;
      return { type, size, shape: dataset.shape ?? [] };
    },
    read({ id, objectPath }) {
      return objectAt(id, objectPath).value;
    },
  };
  port.on('message', (request) => {
    try {
      reply({ ok: true, value: handlers[request.op](request) });
    } catch (error) {
      reply({ ok: false, name: (error && error.name) || 'Error', message: describe(error) });
    }
  });
  parentPort.postMessage({ ready: true });
}).catch((error) => parentPort.postMessage({ failed: String((error && error.message) || error) }));
`;

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
  | { op: 'attribute'; id: number; objectPath: string; name: string };
type Reply = { ok: true; value: unknown } | { ok: false; name: string; message: string };

/** Thrown by a call that took longer than its deadline; the thread is gone by then. */
class Hdf5TimeoutError extends Error {
  override readonly name = 'Hdf5TimeoutError';
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
      workerData: { port: port2, flag: flag.buffer, moduleUrl: h5wasmModuleUrl() },
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
    if (!(await fileStartsWith(file, HDF5_SIGNATURE))) throw new InputError(reportedFile, 'is not an HDF5 file (no HDF5 signature at its start)');
    const thread = await readerThread();
    let id: number;
    try {
      id = thread.call({ op: 'open', file: path.resolve(file) }, timeoutMs) as number;
    } catch (error) {
      if (error instanceof Hdf5TimeoutError) throw hdf5Problem(reportedFile, error, 'cannot be opened as HDF5', timeoutMs);
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

  /** An attribute's value (strings as strings, lists of strings as arrays); undefined when absent. */
  attribute(objectPath: string, name: string): unknown {
    return this.call({ op: 'attribute', id: this.id, objectPath, name }, objectPath);
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
