// `npm run test:e2e`: the end-to-end test in a real VS Code. Sets up code-server (cached in
// .e2e-cache/), packages the extension, installs the .vsix into a fresh profile, serves a temp
// workspace holding a copy of examples/shapes (and a broken copy), and drives Debian's Chromium
// through the scenarios in test/e2e/convscope.e2e.ts. Screenshots and logs: test-results/e2e/.
// Ends with `N passed, M failed`; exits non-zero on any failure. Every process it started
// (code-server and its children, Chromium) is killed at the end, also on failure or Ctrl+C.
//
// Environment (all optional):
//   CONVSCOPE_E2E_KEEP=1                 keep the temp workspace and profile (path printed at the end)
//   CONVSCOPE_E2E_EXAMPLE_WAIT_MS=300000 wait this long for examples/shapes/model.json to appear
//   CONVSCOPE_E2E_EXAMPLE_DIR=/path      use another model folder (model.json, weights, PNGs) as the example
//   CONVSCOPE_E2E_VSIX=/path.vsix        install this .vsix instead of packaging one (packaging is then not tested)
import { chromium, type BrowserContext } from 'playwright-core';
import { appendFileSync, writeFileSync } from 'node:fs';
import { copyFile, cp, mkdir, mkdtemp, readdir, readFile, rm, stat, truncate, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { isScenarioChosen, runScenarios, type ScenarioResult } from '../../test/e2e/convscope.e2e';
import { createProfile, installExtension, startCodeServer, type RunningCodeServer } from './codeServer';
import { ensureCodeServer, ensureDebianPackages } from './installCodeServer';
import { packageExtension } from './packageExtension';
import { killActiveCommands, killPids, pidsWithCommandLine, REPO_ROOT, RESULTS_DIR, seconds } from './shell';

const EXAMPLE_DIR = process.env.CONVSCOPE_E2E_EXAMPLE_DIR ?? path.join(REPO_ROOT, 'examples', 'shapes');
const EXTENSION_ID = 'convscope.convscope';
const CHROMIUM = '/usr/bin/chromium';
const CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'];
const GOOD_FOLDER = 'shapes';
const BROKEN_FOLDER = 'broken-shapes';
/** The whole run (after setup) gives up after this long, cleaning up. */
const RUN_LIMIT_MS = 25 * 60_000;
/** How long to wait for examples/shapes/model.json when it is not there yet. */
const EXAMPLE_WAIT_MS = Number(process.env.CONVSCOPE_E2E_EXAMPLE_WAIT_MS ?? 0);

const runLog = path.join(RESULTS_DIR, 'run.log');
function log(line: string): void {
  console.log(line);
  try {
    appendFileSync(runLog, `${line}\n`);
  } catch {
    // Results folder not made yet.
  }
}

let interrupted: NodeJS.Signals | undefined;
const cleanups: { name: string; run: () => Promise<void> }[] = [];
let cleaning: Promise<void> = Promise.resolve();
/** Runs (newest first) the cleanups registered so far; a later call runs those registered since. */
function cleanup(): Promise<void> {
  cleaning = cleaning.then(async () => {
    for (const { name, run } of cleanups.splice(0).reverse()) {
      try {
        await Promise.race([run(), new Promise((resolve) => setTimeout(resolve, 20_000))]);
      } catch (error) {
        log(`cleanup (${name}) failed: ${error instanceof Error ? error.message : String(error)}`);
      }
    }
  });
  return cleaning;
}

/** Between the phases of the run: stop when Ctrl+C was pressed. */
function stopIfInterrupted(): void {
  if (interrupted) throw new Error(`interrupted by ${interrupted}`);
}

interface Workspace {
  root: string;
  sampleImage: string;
  allImages: string[];
}

/** The temp workspace: a copy of examples/shapes, and a copy with its weights truncated. */
async function prepareWorkspace(root: string): Promise<Workspace> {
  // Present from the start, so that VS Code watches it: scenario 15 changes a setting there.
  await mkdir(path.join(root, '.vscode'), { recursive: true });
  await writeFile(path.join(root, '.vscode', 'settings.json'), '{}\n');
  const modelJson = path.join(EXAMPLE_DIR, 'model.json');
  const deadline = Date.now() + EXAMPLE_WAIT_MS;
  for (;;) {
    try {
      await stat(modelJson);
      break;
    } catch {
      if (Date.now() > deadline) throw new Error(`${path.relative(REPO_ROOT, modelJson)} does not exist (set CONVSCOPE_E2E_EXAMPLE_WAIT_MS to wait for it)`);
      await new Promise((resolve) => setTimeout(resolve, 5000));
    }
  }
  const good = path.join(root, GOOD_FOLDER);
  const broken = path.join(root, BROKEN_FOLDER);
  await cp(EXAMPLE_DIR, good, { recursive: true });
  const manifest = JSON.parse(await readFile(modelJson, 'utf8')) as { weightsManifest?: { paths: string[] }[] };
  const shards = (manifest.weightsManifest ?? []).flatMap((group) => group.paths);
  if (shards.length === 0) throw new Error(`${modelJson} lists no weight files`);
  await mkdir(broken, { recursive: true });
  await copyFile(modelJson, path.join(broken, 'model.json'));
  for (const shard of shards) await copyFile(path.join(EXAMPLE_DIR, shard), path.join(broken, shard));
  const firstShard = path.join(broken, shards[0]);
  const { size } = await stat(firstShard);
  await truncate(firstShard, Math.floor(size / 2));
  log(`workspace ${root}: ${GOOD_FOLDER}/ (copy of examples/shapes), ${BROKEN_FOLDER}/ (${shards[0]} truncated ${size} → ${Math.floor(size / 2)} bytes)`);

  const allImages = (await readdir(good)).filter((name) => name.toLowerCase().endsWith('.png')).sort();
  if (allImages.length === 0) throw new Error(`no sample PNG in ${EXAMPLE_DIR}`);
  const sampleImage = allImages.find((name) => /^circle/i.test(name)) ?? allImages[0];
  return { root, sampleImage, allImages };
}

async function launchBrowser(profileDir: string): Promise<BrowserContext> {
  const context = await chromium.launchPersistentContext(profileDir, {
    executablePath: CHROMIUM,
    args: CHROMIUM_ARGS,
    // Chromium keeps its crash reports under $XDG_CONFIG_HOME/chromium whatever the profile: not in $HOME.
    env: { ...process.env, XDG_CONFIG_HOME: path.join(profileDir, 'xdg-config'), XDG_CACHE_HOME: path.join(profileDir, 'xdg-cache') },
    headless: true,
    // This script's own handlers close the browser and code-server, in order, on Ctrl+C.
    handleSIGINT: false,
    handleSIGTERM: false,
    handleSIGHUP: false,
    viewport: { width: 1600, height: 1000 },
    timeout: 60_000,
  });
  cleanups.push({
    name: 'chromium',
    run: async () => {
      await Promise.race([context.close(), new Promise((resolve) => setTimeout(resolve, 10_000))]);
      // Anything left of this run's browser (its command line names this run's profile folder).
      const left = killPids(pidsWithCommandLine(profileDir));
      if (left.length > 0) log(`killed ${left.length} leftover Chromium processes`);
    },
  });
  return context;
}

function summarize(results: ScenarioResult[], setupError: string | undefined): number {
  log('\n──────── Convscope end-to-end ────────');
  if (setupError) log(`SETUP FAILED: ${setupError}`);
  for (const result of results) {
    log(`${result.passed ? 'PASS' : 'FAIL'}  ${result.name}${result.ms ? ` (${seconds(result.ms)})` : ''}`);
    if (!result.passed && result.error) log(`      ${result.error.split('\n').join('\n      ')}`);
  }
  const passed = results.filter((result) => result.passed).length;
  const failed = results.length - passed;
  log(`${passed} passed, ${failed} failed`);
  return failed;
}

const SCENARIO_NAMES = [
  '1. The workbench opens the example workspace',
  '2. Explorer → Visualize Model shows every layer grid',
  '3. Clicking a tile opens the channel dialog',
  '4. A broken model is reported and the extension keeps working',
  '5. Reload Window brings the panel back',
  '6. Sidebar → a filter pattern, and a filter grid cancelled half-way',
  '7. Command Palette → Explain Prediction shows the predictions and a heatmap per class',
  '8. Explorer → Explain Prediction, then Export writes the overlay and heatmap beside the image',
  '9. A Teachable Machine model: auto preprocessing reads its metadata.json, and the predictions are the [-1, 1] reference',
  '10. Palette commands, the status bar and the sidebar follow the panel in front',
  '11. Grad-CAM takes a dropped image (bytes or file) and Change Image…',
  '12. Activation grids: a colour bar per layer, tooltips with numbers, zoom and pan',
  '13. Four panels share one editor group and fit 800 px, in dark and light themes',
  '14. A filter grid on a real trained model shows patterns, not noise, beside the crops that excite each filter',
  '15. A filter grid runs on its own engine worker: activations opened meanwhile fill within seconds, on threaded WASM',
  '16. Explorer → Explain Folder: accuracy, a confusion matrix whose cells filter the gallery, an error’s heatmap; the CLI report agrees',
];

async function main(): Promise<number> {
  await rm(RESULTS_DIR, { recursive: true, force: true });
  await mkdir(RESULTS_DIR, { recursive: true });
  writeFileSync(runLog, '');
  const startedAt = Date.now();
  let results: ScenarioResult[] = [];
  let setupError: string | undefined;
  const watchdog = setTimeout(() => {
    log(`\nThe run passed its ${RUN_LIMIT_MS / 60_000} min limit: stopping.`);
    void cleanup().then(() => process.exit(2));
  }, RUN_LIMIT_MS + 15 * 60_000);
  watchdog.unref();

  try {
    log('── setup');
    const setupStarted = Date.now();
    await ensureDebianPackages(log);
    const codeServer = await ensureCodeServer(log);
    log(`setup: ${seconds(Date.now() - setupStarted)}${codeServer.installed ? ' (code-server installed now)' : ' (cached)'}`);

    stopIfInterrupted();
    log('── package');
    const vsix = process.env.CONVSCOPE_E2E_VSIX ? { vsix: path.resolve(process.env.CONVSCOPE_E2E_VSIX) } : await packageExtension(log);
    if (process.env.CONVSCOPE_E2E_VSIX) log(`using ${vsix.vsix} (CONVSCOPE_E2E_VSIX), not packaging`);

    stopIfInterrupted();
    log('── profile and workspace');
    const runStarted = Date.now();
    const tempRoot = await mkdtemp(path.join(os.tmpdir(), 'convscope-e2e-'));
    runMarker = tempRoot;
    cleanups.push({
      name: 'temp folder',
      run: async () => {
        if (process.env.CONVSCOPE_E2E_KEEP) log(`kept ${tempRoot}`);
        else await rm(tempRoot, { recursive: true, force: true });
      },
    });
    const workspace = await prepareWorkspace(path.join(tempRoot, 'workspace'));
    const profile = await createProfile(path.join(tempRoot, 'profile'));
    cleanups.push({
      name: 'code-server logs',
      run: async () => {
        await cp(path.join(profile.userDataDir, 'logs'), path.join(RESULTS_DIR, 'logs'), { recursive: true }).catch(() => undefined);
      },
    });
    const installedAt = await installExtension(profile, vsix.vsix, EXTENSION_ID);
    log(`installed ${path.basename(installedAt)} into a fresh profile (${profile.root})`);

    stopIfInterrupted();
    log('── code-server and Chromium');
    const server: RunningCodeServer = await startCodeServer(profile, workspace.root, path.join(RESULTS_DIR, 'code-server.log'));
    cleanups.push({
      name: 'code-server',
      run: async () => {
        await server.stop();
        const left = killPids(pidsWithCommandLine(tempRoot));
        if (left.length > 0) log(`killed ${left.length} leftover processes of this run`);
      },
    });
    log(`code-server ${server.url} (pid ${server.pid})`);
    const context = await launchBrowser(path.join(tempRoot, 'chromium-profile'));
    const page = context.pages()[0] ?? (await context.newPage());
    stopIfInterrupted();
    const consoleLog = path.join(RESULTS_DIR, 'browser-console.log');
    page.on('console', (message) => {
      if (message.type() === 'error' || message.type() === 'warning') appendFileSync(consoleLog, `[${message.type()}] ${message.text()}\n`);
    });
    page.on('pageerror', (error) => appendFileSync(consoleLog, `[pageerror] ${error.message}\n`));
    context.on('response', (response) => {
      if (response.status() >= 400) appendFileSync(consoleLog, `[http ${response.status()}] ${response.url()}\n`);
    });

    const scenariosStarted = Date.now();
    results = await Promise.race([
      runScenarios({
        page,
        workspaceUrl: `${server.url}?folder=${encodeURIComponent(workspace.root)}`,
        workspace: workspace.root,
        goodFolder: GOOD_FOLDER,
        brokenFolder: BROKEN_FOLDER,
        sampleImage: workspace.sampleImage,
        allImages: workspace.allImages,
        resultsDir: RESULTS_DIR,
        logsDir: path.join(profile.userDataDir, 'logs'),
        log,
      }),
      new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`the scenarios passed the ${RUN_LIMIT_MS / 60_000} min limit`)), RUN_LIMIT_MS).unref()),
    ]);
    log(`\nscenarios: ${seconds(Date.now() - scenariosStarted)}; profile to end: ${seconds(Date.now() - runStarted)}`);
  } catch (error) {
    setupError = error instanceof Error ? error.message : String(error);
  } finally {
    await cleanup();
    clearTimeout(watchdog);
  }
  for (const name of SCENARIO_NAMES.filter(isScenarioChosen)) {
    if (!results.some((result) => result.name === name)) results.push({ name, passed: false, ms: 0, error: 'not run', screenshots: [] });
  }
  const failed = summarize(results, setupError);
  log(`total: ${seconds(Date.now() - startedAt)}; screenshots and logs in ${path.relative(REPO_ROOT, RESULTS_DIR)}/`);
  if (interrupted) {
    log(`interrupted (${interrupted})`);
    return 130;
  }
  return failed > 0 || setupError ? 1 : 0;
}

// Last resort when the process ends before the cleanup could run (an uncaught error, process.exit):
// kill, synchronously and by id, whatever is left of this run's processes.
let runMarker: string | undefined;
process.on('exit', () => {
  if (runMarker) killPids(pidsWithCommandLine(runMarker));
});
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
  process.on(signal, () => {
    if (interrupted) return;
    interrupted = signal;
    log(`\n${signal}: stopping code-server and Chromium…`);
    killActiveCommands();
    // The scenarios fail fast once the browser is gone, and main() prints the summary; should it
    // not finish soon after the cleanup, exit anyway.
    void cleanup().then(() => setTimeout(() => process.exit(130), 10_000).unref());
  });
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error);
    void cleanup().then(() => process.exit(1));
  },
);
