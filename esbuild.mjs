// One build for every bundle: the extension host, the engine worker, the CLI and the webview.
// `--watch` rebuilds on change; `--production` minifies (used by `vsce package`).
import * as esbuild from 'esbuild';
import { copyFile, mkdir, readdir } from 'node:fs/promises';
import path from 'node:path';

const production = process.argv.includes('--production');
const watch = process.argv.includes('--watch');

// Native or self-locating packages stay in node_modules and ship in the .vsix: sharp and tfjs-node
// load native binaries, TF.js itself must be one instance shared with tfjs-node's backend, and
// h5wasm is an ES module that finds its own files through `import.meta.url`.
const nodeExternals = ['vscode', 'sharp', '@tensorflow/tfjs', '@tensorflow/tfjs-node', '@tensorflow/tfjs-backend-wasm', 'h5wasm'];

const nodeBundle = {
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  sourcemap: !production,
  minify: production,
  external: nodeExternals,
  logLevel: 'info',
};

const builds = [
  { ...nodeBundle, entryPoints: { extension: 'src/extension.ts' }, outdir: 'dist' },
  { ...nodeBundle, entryPoints: { worker: 'src/worker/engineWorker.ts' }, outdir: 'dist' },
  { ...nodeBundle, entryPoints: { cli: 'src/cli/main.ts' }, outdir: 'dist', banner: { js: '#!/usr/bin/env node' } },
  {
    bundle: true,
    platform: 'browser',
    target: 'es2022',
    format: 'iife',
    sourcemap: !production,
    minify: production,
    entryPoints: { main: 'webview-ui/main.ts', styles: 'webview-ui/styles.css' },
    outdir: 'dist/webview',
    logLevel: 'info',
  },
];

/** The WASM backend fetches its .wasm files at run time from `dist/wasm` (see src/engine/tfjs/backend.ts). */
async function copyWasmBinaries() {
  const from = path.join('node_modules', '@tensorflow', 'tfjs-backend-wasm', 'dist');
  const to = path.join('dist', 'wasm');
  await mkdir(to, { recursive: true });
  for (const name of await readdir(from)) {
    if (name.endsWith('.wasm')) await copyFile(path.join(from, name), path.join(to, name));
  }
}

await copyWasmBinaries();
if (watch) {
  const contexts = await Promise.all(builds.map((options) => esbuild.context(options)));
  await Promise.all(contexts.map((context) => context.watch()));
} else {
  await Promise.all(builds.map((options) => esbuild.build(options)));
}
