// `npm run package:targets [-- --target linux-x64 ...] [-- --no-smoke]`: platform-specific .vsix
// packages, dist/convscope-<target>.vsix, each with the sharp binaries of its platform (sharp
// loads a prebuilt binary, @img/sharp-<platform>, with libvips in @img/sharp-libvips-<platform>;
// npm installs only the running machine's). For each target:
//
// 1. the production bundles are built once, as `npm run package` builds them (vscode:prepublish);
// 2. a staging folder (dist/package-staging/<target>) gets the files the package is made of and
//    the production dependencies from node_modules, less the running machine's @img binaries;
// 3. the target's @img packages, at the versions sharp asks for, are fetched with `npm pack` from
//    the registry and unpacked there;
// 4. vsce packages the folder with --target (and the same .vscodeignore), and the package's
//    WASM builds and sharp binaries are listed;
// 5. for the running machine's target, the packaged extension's CLI runs from the unpacked
//    .vsix: the activations, a filter grid and Grad-CAM of the example model on the WASM backend,
//    which must start its threads and read images with the packaged sharp.
//
// The staged package.json has no scripts: vsce runs vscode:prepublish, which needs the sources;
// the bundles it would build are built in step 1. The development bundles are built again at the end.
import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { archiveEntries, extractArchive } from './vsixArchive';

const REPO_ROOT = path.resolve(__dirname, '..', '..');
const DIST = path.join(REPO_ROOT, 'dist');
const STAGING_ROOT = path.join(DIST, 'package-staging');
const PACKS = path.join(STAGING_ROOT, 'npm-packs');

/** vsce's targets and sharp's name for the same platform. */
const TARGETS: Record<string, string> = {
  'linux-x64': 'linux-x64',
  'linux-arm64': 'linux-arm64',
  'darwin-x64': 'darwin-x64',
  'darwin-arm64': 'darwin-arm64',
  'win32-x64': 'win32-x64',
};

/** What the package is made of besides node_modules (.vscodeignore then leaves out what does not run). */
const PACKAGE_FILES = ['README.md', 'LICENSE', '.vscodeignore', 'media', 'examples'];
const BUNDLES = ['extension.js', 'worker.js', 'cli.js', 'webview', 'wasm'];

const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';

function run(command: string, args: string[], cwd: string): string {
  return execFileSync(command, args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], maxBuffer: 64 * 2 ** 20 });
}

/** The running machine's target, if it is one of ours. */
function hostTarget(): string | undefined {
  const target = `${process.platform}-${process.arch}`;
  return target in TARGETS ? target : undefined;
}

/** Folders of the production dependencies, relative to the repository (npm's view, optional ones installed here included). */
function productionDependencies(): string[] {
  const listed = run(npm, ['ls', '--omit=dev', '--all', '--parseable'], REPO_ROOT).split(/\r?\n/).filter(Boolean);
  return [...new Set(listed.map((folder) => path.relative(REPO_ROOT, folder)).filter((folder) => folder.startsWith('node_modules')))];
}

/** sharp's platform packages (binaries, libvips) are the target's, never the running machine's. */
const isPlatformBinary = (folder: string) => /(^|[\\/])@img[\\/]sharp-/.test(folder);

/** The @img packages sharp wants for `platform` (e.g. linux-x64), at the versions it names. */
function sharpPackagesFor(platform: string): string[] {
  const sharp = JSON.parse(readFileSync(path.join(REPO_ROOT, 'node_modules', 'sharp', 'package.json'), 'utf8')) as { optionalDependencies: Record<string, string> };
  const wanted = [`@img/sharp-${platform}`, `@img/sharp-libvips-${platform}`];
  const found = wanted.filter((name) => name in sharp.optionalDependencies).map((name) => `${name}@${sharp.optionalDependencies[name]}`);
  if (!found.some((spec) => spec.startsWith(`@img/sharp-${platform}@`))) throw new Error(`sharp ${platform}: no prebuilt binary package among sharp's optional dependencies`);
  return found;
}

/** Fetches a package's tarball from the registry (once) and unpacks it as node_modules/<name> of `staging`. */
function installTarball(spec: string, staging: string): void {
  mkdirSync(PACKS, { recursive: true });
  const name = spec.slice(0, spec.lastIndexOf('@'));
  const [{ filename }] = JSON.parse(run(npm, ['pack', spec, '--json', '--pack-destination', PACKS], PACKS)) as Array<{ filename: string }>;
  const target = path.join(staging, 'node_modules', name);
  rmSync(target, { recursive: true, force: true });
  mkdirSync(target, { recursive: true });
  run('tar', ['-xzf', path.join(PACKS, filename), '-C', target, '--strip-components=1'], staging);
}

function stage(target: string, dependencies: string[]): string {
  const staging = path.join(STAGING_ROOT, target);
  rmSync(staging, { recursive: true, force: true });
  mkdirSync(path.join(staging, 'dist'), { recursive: true });
  const manifest = JSON.parse(readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8')) as Record<string, unknown>;
  delete manifest.scripts;
  writeFileSync(path.join(staging, 'package.json'), JSON.stringify(manifest, null, 2) + '\n');
  for (const file of PACKAGE_FILES) cpSync(path.join(REPO_ROOT, file), path.join(staging, file), { recursive: true });
  for (const bundle of BUNDLES) cpSync(path.join(DIST, bundle), path.join(staging, 'dist', bundle), { recursive: true });
  // Each dependency folder alone: nested node_modules are dependencies of their own in the list.
  for (const folder of dependencies.filter((dependency) => !isPlatformBinary(dependency))) {
    cpSync(path.join(REPO_ROOT, folder), path.join(staging, folder), { recursive: true, filter: (source) => path.basename(source) !== 'node_modules' || source === path.join(REPO_ROOT, folder) });
  }
  for (const spec of sharpPackagesFor(TARGETS[target])) installTarball(spec, staging);
  return staging;
}

function packageTarget(target: string, staging: string): string {
  const vsix = path.join(DIST, `convscope-${target}.vsix`);
  rmSync(vsix, { force: true });
  const vsce = path.join(REPO_ROOT, 'node_modules', '@vscode', 'vsce', 'vsce');
  execFileSync(process.execPath, [vsce, 'package', '--target', target, '--out', vsix], { cwd: staging, stdio: 'inherit' });
  return vsix;
}

/** The package's runtime binaries: the WASM builds and sharp's. */
function listBinaries(vsix: string): string[] {
  return archiveEntries(readFileSync(vsix))
    .filter((entry) => /\.wasm$|@img\/sharp-[^/]+\/(lib\/)?[^/]+\.(node|so[.\d]*|dylib|dll)$/.test(entry.name))
    .map((entry) => `${entry.name} (${(entry.size / 2 ** 20).toFixed(1)} MB)`);
}

/**
 * Preloaded into the packaged CLI (and its worker thread): names each .wasm file read, after the
 * read succeeds. The CLI says nothing when WASM falls back to one thread, so the build it loaded
 * tells: the threaded one alone, or the single-threaded one after it failed.
 */
const WASM_READ_LOGGER = `
const fs = require('fs');
const readFileSync = fs.readFileSync;
fs.readFileSync = function (file, ...rest) {
  const data = readFileSync.call(this, file, ...rest);
  if (String(file).endsWith('.wasm')) process.stderr.write('wasm loaded: ' + require('path').basename(String(file)) + '\\n');
  return data;
};
`;

/** Runs the packaged CLI from the unpacked .vsix; throws with its output when a command fails or WASM runs without threads. */
function smokeTest(vsix: string): void {
  const folder = mkdtempSync(path.join(os.tmpdir(), 'convscope-vsix-'));
  try {
    extractArchive(vsix, folder);
    const logger = path.join(folder, 'wasm-read-logger.cjs');
    writeFileSync(logger, WASM_READ_LOGGER);
    const extension = path.join(folder, 'extension');
    const cli = path.join(extension, 'dist', 'cli.js');
    const model = path.join(extension, 'examples', 'shapes', 'model.json');
    const image = path.join(extension, 'examples', 'shapes', 'circle-1.png');
    const commands = [
      ['activations', model, image, '--backend', 'wasm', '--out', path.join(folder, 'activations')],
      ['filters', model, '--layer', 'conv2d_4', '--filters', '0-3', '--steps', '2', '--backend', 'wasm', '--out', path.join(folder, 'filters')],
      ['gradcam', model, image, '--backend', 'wasm', '--out', path.join(folder, 'gradcam')],
    ];
    for (const command of commands) {
      const result = spawnSync(process.execPath, ['--require', logger, cli, ...command], { cwd: folder, encoding: 'utf8' });
      const output = `${result.stdout}\n${result.stderr}`;
      if (result.status !== 0) throw new Error(`packaged CLI ${command[0]} exited ${result.status}:\n${output}`);
      const loaded = [...output.matchAll(/wasm loaded: (\S+)/g)].map((match) => match[1]);
      if (loaded.join() !== 'tfjs-backend-wasm-threaded-simd.wasm') throw new Error(`packaged CLI ${command[0]} loaded ${loaded.join(', ') || 'no WASM build'}, not the threaded one alone:\n${output}`);
      console.log(`  packaged CLI ${command[0]}: ok (${loaded.join()})`);
    }
  } finally {
    rmSync(folder, { recursive: true, force: true });
  }
}

function main(): void {
  const { values } = parseArgs({ options: { target: { type: 'string', multiple: true }, 'no-smoke': { type: 'boolean', default: false } } });
  const targets = values.target ?? Object.keys(TARGETS);
  const unknown = targets.filter((target) => !(target in TARGETS));
  if (unknown.length > 0) throw new Error(`unknown target ${unknown.join(', ')}; targets: ${Object.keys(TARGETS).join(', ')}`);

  execFileSync(process.execPath, ['esbuild.mjs', '--production'], { cwd: REPO_ROOT, stdio: ['ignore', 'ignore', 'inherit'] });
  if (!existsSync(path.join(DIST, 'wasm', 'tfjs-backend-wasm-threaded-simd.wasm'))) throw new Error('dist/wasm lacks the threaded WASM build');
  const dependencies = productionDependencies();
  const outcomes: string[] = [];
  for (const target of targets) {
    console.log(`\n${target}`);
    try {
      const vsix = packageTarget(target, stage(target, dependencies));
      for (const binary of listBinaries(vsix)) console.log(`  ${binary}`);
      if (!values['no-smoke'] && target === hostTarget()) smokeTest(vsix);
      outcomes.push(`${target}: ${path.relative(REPO_ROOT, vsix)}`);
    } catch (error) {
      outcomes.push(`${target}: FAILED: ${error instanceof Error ? error.message.split('\n')[0] : String(error)}`);
    }
  }
  rmSync(STAGING_ROOT, { recursive: true, force: true });
  // Back to the development bundles (with source maps) that the tests and F5 use.
  execFileSync(process.execPath, ['esbuild.mjs'], { cwd: REPO_ROOT, stdio: ['ignore', 'ignore', 'inherit'] });
  console.log(`\n${outcomes.join('\n')}`);
  if (outcomes.some((outcome) => outcome.includes('FAILED'))) process.exitCode = 1;
}

main();
