// TF.js's threaded WASM build runs XNNPACK's convolutions and matrix products on a pool of
// pthreads, which its Emscripten glue starts as workers. As shipped it cannot start them in Node:
// TF.js gives the glue a blob: URL for the pthread script and a Blob for the main script, and
// Node's worker_threads start workers only from a file or from code. The glue creates its workers
// with the global `Worker`, so that global is made to start them from code: a small bootstrap that
// reads both Blobs and evaluates them where the glue expects files.
import { resolveObjectURL } from 'node:buffer';
import os from 'node:os';
import { Worker as NodeWorker } from 'node:worker_threads';

/** The name the bootstrap gives the main script, which arrives as a Blob. */
const MAIN_SCRIPT = 'tfjs-backend-wasm-threaded-simd.js';

/**
 * Runs in each pthread worker. The glue's factory is evaluated away from its bundle, so the bundle's
 * own names for Node modules (tfjs-backend-wasm 4.22's tf-backend-wasm.node.js) are provided.
 * Messages wait until the pthread script is in, and while the main script is read.
 */
const PTHREAD_BOOTSTRAP = `
const { parentPort, workerData } = require('worker_threads');
Object.assign(globalThis, { commonjsGlobal: globalThis, require$$0: require('fs'), require$$1: require('path'), require$$3: require('perf_hooks'), require$$4: require('os') });
const early = [];
const hold = (data) => early.push(data);
parentPort.on('message', hold);
workerData.pthreadScript.text().then((pthreadScript) => {
  (0, eval)(pthreadScript);
  parentPort.off('message', hold);
  const emscriptenOnMessage = globalThis.onmessage;
  const emscriptenImportScripts = globalThis.importScripts;
  let mainScript;
  globalThis.importScripts = (file) => (file === '${MAIN_SCRIPT}' ? (0, eval)(mainScript) : emscriptenImportScripts(file));
  let waiting;
  const receive = (event) => {
    if (waiting) return void waiting.push(event);
    const data = event.data;
    if (data && data.cmd === 'load' && typeof data.urlOrBlob !== 'string') {
      waiting = [];
      data.urlOrBlob.text().then((text) => {
        mainScript = text;
        emscriptenOnMessage({ data: { ...data, urlOrBlob: '${MAIN_SCRIPT}' } });
        const rest = waiting;
        waiting = undefined;
        rest.forEach(receive);
      });
      return;
    }
    emscriptenOnMessage(event);
  };
  globalThis.onmessage = receive;
  early.forEach((data) => receive({ data }));
});
`;

const pthreadWorkers = new Set<NodeWorker>();
/** While the module starts, its workers keep the process alive: it awaits their first messages. */
let starting = true;

/**
 * Once started, the pool only serves the WASM module, which waits for it synchronously: it must
 * not keep a finished process (the CLI) alive. Listening for messages refs a worker again.
 */
class PthreadWorker extends NodeWorker {
  constructor(url: string | URL) {
    const pthreadScript = resolveObjectURL(String(url));
    if (!pthreadScript) throw new Error(`The WASM backend's pthread script ${String(url)} is not a Blob URL of this thread`);
    super(PTHREAD_BOOTSTRAP, { eval: true, workerData: { pthreadScript } });
    pthreadWorkers.add(this);
    if (!starting) this.unref();
  }

  override on(...[event, listener]: Parameters<NodeWorker['on']>): this {
    super.on(event, listener);
    if (!starting) this.unref();
    return this;
  }
}

let installed = false;

/**
 * Makes the global `Worker` start pthreads from code, for the threaded WASM build. The glue's own
 * assignment of Node's Worker to that global is ignored; Node itself has no global `Worker`.
 */
function installWasmPthreadWorkers(): void {
  if (installed) return;
  installed = true;
  Object.defineProperty(globalThis, 'Worker', { configurable: true, get: () => PthreadWorker, set: () => {} });
}

/** The pthreads TF.js creates up front; its thread pool never uses more. */
const MAX_WASM_THREADS = 8;

export function defaultWasmThreadCount(): number {
  return Math.min(os.availableParallelism(), MAX_WASM_THREADS);
}

/**
 * Starts the threaded build (`start` sets the backend) with a pool of `threads`. TF.js sizes its
 * pool to half the logical cores Emscripten reports (it takes every core for two hyper-threads),
 * capped by the count asked for; Emscripten reports os.cpus(). While the module starts,
 * os.cpus() lists twice `threads` entries, so the pool gets the threads asked for.
 */
export async function startWithPthreads<T>(threads: number, start: () => Promise<T>): Promise<T> {
  installWasmPthreadWorkers();
  const cpus = os.cpus;
  const listed = cpus();
  os.cpus = () => Array.from({ length: 2 * threads }, (_, i) => listed[i % listed.length]);
  starting = true;
  try {
    return await start();
  } finally {
    os.cpus = cpus;
    starting = false;
    for (const worker of pthreadWorkers) worker.unref();
  }
}
