// The end-to-end scenarios: a user in a real VS Code (code-server + Chromium) opens the example
// model from the Explorer, reads its activation grids, enlarges a channel, hits a broken model,
// reloads the window, looks at filter patterns from the Convscope sidebar (one filter, then a grid
// cancelled half-way), explains a prediction with Grad-CAM from the Command Palette and exports it;
// then opens a Teachable Machine-style model (its metadata.json decides the preprocessing), sees
// commands, the status bar and the sidebar follow the panel in front, drops and changes images,
// zooms a grid, and checks that four panels share one editor group and fit 800 px in dark and light
// themes. Each step has a time limit and leaves a screenshot in test-results/e2e/.
import { existsSync } from 'node:fs';
import { readFile, readdir, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { FrameLocator, Locator, Page } from 'playwright-core';
import sharp from 'sharp';
import { pathToFileURL } from 'node:url';
import { lastMilliseconds, readConvscopeLog } from './outputLog';
import { TM_LABELS, writeTeachableMachineModel, type TeachableMachineModel } from './teachableMachineModel';
import { Workbench, escapeRegExp } from './workbench';
import { REAL_MODEL, copyRealModel, median, readTileTextures } from './realModelFilterGrid';
import { spawnSync } from 'node:child_process';
import { writeShapesDataset, type WrittenDatasetImage } from '../support/datasetFixtures';

export interface E2EEnvironment {
  page: Page;
  /** code-server's URL for the workspace (with ?folder=). */
  workspaceUrl: string;
  workspace: string;
  /** Folder names inside the workspace. */
  goodFolder: string;
  brokenFolder: string;
  /** A sample PNG's file name (it lies in goodFolder). */
  sampleImage: string;
  /** Other sample PNGs the image quick pick must list. */
  allImages: string[];
  resultsDir: string;
  /** code-server's logs folder for this profile (the extension's output channel is a file in it). */
  logsDir: string;
  log(line: string): void;
}

/** CONVSCOPE_E2E_ONLY=6,14 runs scenario 1 (it opens the workbench) and those listed; unset, all. */
export function isScenarioChosen(name: string): boolean {
  const only = process.env.CONVSCOPE_E2E_ONLY?.split(',').map((number) => number.trim());
  return !only || ['1', ...only].includes(name.split('.')[0]);
}

export interface ScenarioResult {
  name: string;
  passed: boolean;
  ms: number;
  error?: string;
  screenshots: string[];
}

/** The grid layout the panel must show for a layer, derived from its activation shape. */
export interface LayerExpectation {
  name: string;
  shape: number[];
  columns: number;
  rows: number;
  width: number;
  height: number;
}

const IMAGES_PER_ROW = 16;
/** The folder the Teachable Machine-style model is written to (scenario 9). */
const TM_FOLDER = 'tm-model';
/** The class-subfolder dataset scenario 16 writes into the workspace and explains. */
const DATASET_FOLDER = 'shapes-validation';
/** Scenario 15's steps a filter: its grid must outlast the activations opened beside it. */
const LONG_GRID_STEPS = 120;
const DEFAULT_LAYER_COUNT = 8;

class StepFailure extends Error {
  override name = 'StepFailure';
}

/** Runs numbered steps with a time limit each, and a screenshot after each (named …-FAILED.png on failure). */
class Steps {
  private counter = 0;
  screenshots: string[] = [];

  constructor(
    private readonly env: E2EEnvironment,
    private readonly prefix: string,
  ) {}

  async run<T>(title: string, limitMs: number, action: () => Promise<T>): Promise<T> {
    const number = `${this.prefix}-${String(++this.counter).padStart(2, '0')}`;
    const slug = title.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '').slice(0, 60);
    const { page } = this.env;
    // Playwright's own waits give up a little before the step does, so their message (which names
    // the element waited for) is the one reported.
    page.setDefaultTimeout(Math.max(1000, limitMs - 2000));
    const started = Date.now();
    let timer: NodeJS.Timeout | undefined;
    try {
      const limit = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new StepFailure(`timed out after ${limitMs / 1000} s`)), limitMs);
      });
      const result = await Promise.race([action(), limit]);
      const shot = await this.screenshot(`${number}-${slug}.png`);
      this.env.log(`    ✓ ${number} ${title} (${((Date.now() - started) / 1000).toFixed(1)} s) → ${shot}`);
      return result;
    } catch (error) {
      const shot = await this.screenshot(`${number}-${slug}-FAILED.png`);
      const toasts = await page
        .locator('.notifications-toasts .notification-list-item-message')
        .allInnerTexts()
        .catch(() => [] as string[]);
      // Playwright's messages carry terminal colour codes and a call log: keep the first lines, plain.
      const text = error instanceof Error ? error.message : String(error);
      const message = text.replace(/\u001b\[[0-9;]*m/g, '').split('\n').filter((line) => line.trim()).slice(0, 8).join('\n        ');
      this.env.log(`    ✗ ${number} ${title} (${((Date.now() - started) / 1000).toFixed(1)} s)`);
      const shown = toasts.length > 0 ? `\n      notifications on screen: ${toasts.map((text) => `“${text.trim()}”`).join('; ')}` : '';
      throw new StepFailure(`step ${number} "${title}" failed: ${message}${shown}\n      screenshot: ${shot}`);
    } finally {
      if (timer) clearTimeout(timer);
    }
  }

  private async screenshot(file: string): Promise<string> {
    const target = path.join(this.env.resultsDir, file);
    try {
      await this.env.page.screenshot({ path: target, timeout: 10_000 });
      this.screenshots.push(target);
      return path.relative(process.cwd(), target);
    } catch (error) {
      return `(no screenshot: ${error instanceof Error ? error.message.split('\n')[0] : String(error)})`;
    }
  }
}

// ─── What the panel must show, from the model file ─────────────────────────────────────────────

type KerasLayer = { class_name: string; config: Record<string, unknown> };

function pair(value: unknown, fallback: number): [number, number] {
  if (Array.isArray(value)) return [Number(value[0]), Number(value[1] ?? value[0])];
  if (typeof value === 'number') return [value, value];
  return [fallback, fallback];
}

/**
 * Output shapes ([1, H, W, C]) of the model's first layers with 4-D outputs, inferred from
 * model.json for the layer kinds a plain convnet uses; stops at the first layer it cannot follow.
 */
export async function expectedLayers(modelJsonPath: string, count = DEFAULT_LAYER_COUNT): Promise<LayerExpectation[] | undefined> {
  const json = JSON.parse(await readFile(modelJsonPath, 'utf8')) as { modelTopology?: { model_config?: KerasLayer; config?: unknown } };
  const modelConfig = (json.modelTopology?.model_config ?? json.modelTopology) as KerasLayer | undefined;
  const rawLayers = modelConfig?.config && (Array.isArray(modelConfig.config) ? modelConfig.config : (modelConfig.config as { layers?: unknown }).layers);
  if (!Array.isArray(rawLayers)) return undefined;
  const layers = rawLayers as KerasLayer[];
  let shape: number[] | undefined;
  const out: LayerExpectation[] = [];
  for (const layer of layers) {
    const config = layer.config;
    const declared = (config.batch_input_shape ?? config.batch_shape) as (number | null)[] | undefined;
    if (declared && !shape) {
      if (declared.length !== 4 || declared.slice(1).some((d) => d === null)) return undefined;
      shape = [1, ...(declared.slice(1) as number[])];
    }
    if (!shape) return undefined;
    const [, h, w, c] = shape;
    switch (layer.class_name) {
      case 'InputLayer':
        continue;
      case 'Conv2D':
      case 'DepthwiseConv2D':
      case 'SeparableConv2D': {
        const [kh, kw] = pair(config.kernel_size, 1);
        const [sh, sw] = pair(config.strides, 1);
        const [dh, dw] = pair(config.dilation_rate, 1);
        const same = config.padding === 'same';
        const outH = same ? Math.ceil(h / sh) : Math.floor((h - (kh - 1) * dh - 1) / sh) + 1;
        const outW = same ? Math.ceil(w / sw) : Math.floor((w - (kw - 1) * dw - 1) / sw) + 1;
        const channels = layer.class_name === 'DepthwiseConv2D' ? c * Number(config.depth_multiplier ?? 1) : Number(config.filters);
        shape = [1, outH, outW, channels];
        break;
      }
      case 'MaxPooling2D':
      case 'AveragePooling2D': {
        const [ph, pw] = pair(config.pool_size, 2);
        const [sh, sw] = pair(config.strides ?? config.pool_size, 2);
        const same = config.padding === 'same';
        shape = [1, same ? Math.ceil(h / sh) : Math.floor((h - ph) / sh) + 1, same ? Math.ceil(w / sw) : Math.floor((w - pw) / sw) + 1, c];
        break;
      }
      case 'BatchNormalization':
      case 'Activation':
      case 'ReLU':
      case 'LeakyReLU':
      case 'Dropout':
      case 'SpatialDropout2D':
      case 'Rescaling':
        break;
      default:
        // Flatten, global pooling, Dense…: no more 4-D outputs in a plain convnet.
        return out.slice(0, count);
    }
    out.push(gridFor(layer.config.name as string, shape));
    if (out.length === count) break;
  }
  return out;
}

export function gridFor(name: string, shape: number[]): LayerExpectation {
  const [, h, w, c] = shape;
  const columns = Math.min(IMAGES_PER_ROW, c);
  const rows = Math.ceil(c / IMAGES_PER_ROW);
  return { name, shape, columns, rows, width: columns * w, height: rows * h };
}

// ─── Reading the panel ─────────────────────────────────────────────────────────────────────────

interface SectionState {
  /** Marked by `markSectionsStale` before a re-run: still the previous run's section. */
  stale: boolean;
  name: string;
  meta: string;
  busy: string | null;
  placeholder: string | null;
  image: { complete: boolean; naturalWidth: number; naturalHeight: number; displayedWidth: number; colours: number } | null;
}

async function readSections(frame: FrameLocator): Promise<SectionState[]> {
  return frame.locator('.layer-section').evaluateAll((sections) =>
    sections.map((section) => {
      const image = section.querySelector<HTMLImageElement>('img.channel-grid-image');
      let colours = 0;
      if (image && image.complete && image.naturalWidth > 0) {
        // Distinct colours on a sample of the pixels: 1 would mean a blank (single-colour) grid.
        const canvas = document.createElement('canvas');
        canvas.width = image.naturalWidth;
        canvas.height = image.naturalHeight;
        const context = canvas.getContext('2d');
        if (context) {
          context.drawImage(image, 0, 0);
          const data = context.getImageData(0, 0, canvas.width, canvas.height).data;
          const seen = new Set<number>();
          const step = Math.max(1, Math.floor(data.length / 4 / 20000));
          for (let i = 0; i < data.length / 4 && seen.size < 1000; i += step) seen.add((data[i * 4] << 16) | (data[i * 4 + 1] << 8) | data[i * 4 + 2]);
          colours = seen.size;
        }
      }
      return {
        stale: section.hasAttribute('data-e2e-previous-run'),
        name: section.querySelector('.layer-name')?.textContent ?? '',
        meta: section.querySelector('.layer-meta')?.textContent ?? '',
        busy: section.getAttribute('aria-busy'),
        placeholder: section.querySelector('.placeholder')?.textContent ?? null,
        image: image
          ? { complete: image.complete, naturalWidth: image.naturalWidth, naturalHeight: image.naturalHeight, displayedWidth: image.getBoundingClientRect().width, colours }
          : null,
      };
    }),
  );
}

/** Marks the sections on show, so that a check after a re-run can tell the new ones from them. */
async function markSectionsStale(frame: FrameLocator): Promise<number> {
  return frame.locator('.layer-section').evaluateAll((sections) => {
    for (const section of sections) section.setAttribute('data-e2e-previous-run', '');
    return sections.length;
  });
}

/** `Conv2D · (None, 64, 64, 16)` (Keras' notation, as the panel writes shapes) → the activation's [1, 64, 64, 16] */
function shapeFromMeta(meta: string): number[] {
  const shapeText = /\(([^()]*)\)\s*$/.exec(meta)?.[1] ?? '';
  return shapeText.split(',').map((part) => (part.trim() === 'None' ? 1 : Number(part.trim())));
}

/**
 * Waits until the panel shows `expected.length` layer sections, each with a loaded grid image whose
 * natural size is its layout's, and that is not a single colour. Returns the sections as read.
 */
async function waitForGrids(page: Page, frame: FrameLocator, expected: LayerExpectation[] | undefined, expectedCount: number, limitMs: number): Promise<SectionState[]> {
  const deadline = Date.now() + limitMs;
  let last: SectionState[] = [];
  let problem = 'no layer sections yet';
  while (Date.now() < deadline) {
    const status = (await frame.locator('.run-status').innerText().catch(() => '')).trim();
    if (/^Failed/.test(status)) throw new Error(`the panel reports a failed run: ${status.replace(/\s+/g, ' ')}`);
    last = await readSections(frame).catch(() => []);
    problem = checkSections(last, expected, expectedCount) ?? '';
    if (!problem) return last;
    await page.waitForTimeout(300);
  }
  throw new Error(`${problem}\n      sections: ${JSON.stringify(last.map((s) => ({ name: s.name, meta: s.meta, busy: s.busy, image: s.image })))}`);
}

/** What is wrong with the sections, or undefined when they are all as expected. */
function checkSections(sections: SectionState[], expected: LayerExpectation[] | undefined, expectedCount: number): string | undefined {
  if (sections.length !== expectedCount) return `expected ${expectedCount} layer sections, found ${sections.length}`;
  for (const [index, section] of sections.entries()) {
    const label = `section ${index + 1} (${section.name})`;
    if (section.stale) return `${label} is still the previous run's (no new run replaced it)`;
    if (!section.image) return `${label} has no grid image yet${section.placeholder ? ` (“${section.placeholder}”)` : ''}`;
    if (!section.image.complete || section.image.naturalWidth === 0) return `${label}: grid image not loaded (naturalWidth ${section.image.naturalWidth})`;
    const shape = shapeFromMeta(section.meta);
    if (shape.length !== 4 || shape.some((d) => !Number.isFinite(d))) return `${label}: cannot read a 4-D shape from “${section.meta}”`;
    const fromShape = gridFor(section.name, shape);
    const want = expected?.[index];
    if (want) {
      if (want.name !== section.name) return `${label}: expected layer ${want.name}`;
      if (want.shape.join('×') !== shape.join('×')) return `${label}: shape ${shape.join('×')}, model.json gives ${want.shape.join('×')}`;
    }
    if (section.image.naturalWidth !== fromShape.width || section.image.naturalHeight !== fromShape.height) {
      return `${label}: grid image is ${section.image.naturalWidth}×${section.image.naturalHeight}, expected ${fromShape.columns}×${shape[2]} by ${fromShape.rows}×${shape[1]} = ${fromShape.width}×${fromShape.height}`;
    }
    if (section.image.displayedWidth < 1) return `${label}: grid image is not displayed (width 0)`;
    if (section.image.colours < 2) return `${label}: grid image is a single colour (blank)`;
  }
  return undefined;
}

function describeSections(sections: SectionState[]): string {
  return sections.map((s) => `${s.name} ${shapeFromMeta(s.meta).join('×')} → ${s.image?.naturalWidth}×${s.image?.naturalHeight} px, ${s.image?.colours}${s.image && s.image.colours >= 1000 ? '+' : ''} colours`).join('; ');
}

// ─── Filter patterns and Grad-CAM from model.json and the panels ───────────────────────────────

/** Filters (output channels) of each Conv2D-like layer of the model, by name; the class count (units of the last layer). */
export async function modelFacts(modelJsonPath: string): Promise<{ filters: Map<string, number>; classes: number | undefined }> {
  const json = JSON.parse(await readFile(modelJsonPath, 'utf8')) as { modelTopology?: { model_config?: KerasLayer; config?: unknown } };
  const modelConfig = (json.modelTopology?.model_config ?? json.modelTopology) as KerasLayer | undefined;
  const rawLayers = modelConfig?.config && (Array.isArray(modelConfig.config) ? modelConfig.config : (modelConfig.config as { layers?: unknown }).layers);
  const layers = Array.isArray(rawLayers) ? (rawLayers as KerasLayer[]) : [];
  const filters = new Map<string, number>();
  for (const layer of layers) {
    if (['Conv2D', 'SeparableConv2D', 'Conv2DTranspose'].includes(layer.class_name) && typeof layer.config.filters === 'number') {
      filters.set(String(layer.config.name), layer.config.filters);
    }
  }
  const last = layers[layers.length - 1];
  const units = last?.class_name === 'Dense' ? Number(last.config.units) : undefined;
  return { filters, classes: units !== undefined && Number.isFinite(units) ? units : undefined };
}

/** An <img> as the page has it: loaded or not, its sizes, and (when loaded) its distinct colours and a checksum of its pixels. */
interface ImageState {
  src: string;
  complete: boolean;
  naturalWidth: number;
  naturalHeight: number;
  displayedWidth: number;
  /** Distinct colours on a sample of the pixels, up to 1000: 1 is a blank (single-colour) image. */
  colours: number;
  /** A checksum of every pixel, to tell two images apart. */
  checksum: number;
}

/** Reads every image the locator matches (without waiting: callers poll). */
/** A PNG's size from its IHDR chunk. */
async function pngSize(file: string): Promise<{ width: number; height: number }> {
  const bytes = await readFile(file);
  return { width: bytes.readUInt32BE(16), height: bytes.readUInt32BE(20) };
}

/** Any image's size as displayed (EXIF rotation applied), as the panel reads it. */
async function imageFileSize(file: string): Promise<{ width: number; height: number }> {
  const metadata = await sharp(file).metadata();
  const swapped = (metadata.orientation ?? 1) >= 5;
  return { width: (swapped ? metadata.height : metadata.width) ?? 0, height: (swapped ? metadata.width : metadata.height) ?? 0 };
}

async function readImages(images: Locator): Promise<ImageState[]> {
  return images.evaluateAll((elements) =>
    (elements as HTMLImageElement[]).map((image) => {
      let colours = 0;
      let checksum = 0;
      if (image.complete && image.naturalWidth > 0) {
        const canvas = document.createElement('canvas');
        canvas.width = image.naturalWidth;
        canvas.height = image.naturalHeight;
        const context = canvas.getContext('2d');
        if (context) {
          context.drawImage(image, 0, 0);
          const data = context.getImageData(0, 0, canvas.width, canvas.height).data;
          const seen = new Set<number>();
          const step = Math.max(1, Math.floor(data.length / 4 / 20000));
          for (let i = 0; i < data.length / 4 && seen.size < 1000; i += step) seen.add((data[i * 4] << 16) | (data[i * 4 + 1] << 8) | data[i * 4 + 2]);
          colours = seen.size;
          for (let i = 0; i < data.length; i++) checksum = (Math.imul(checksum, 31) + data[i]) | 0;
        }
      }
      return {
        src: image.currentSrc || image.src,
        complete: image.complete,
        naturalWidth: image.naturalWidth,
        naturalHeight: image.naturalHeight,
        displayedWidth: image.getBoundingClientRect().width,
        colours,
        checksum,
      };
    }),
  );
}

function loaded(image: ImageState | undefined): image is ImageState {
  return image !== undefined && image.complete && image.naturalWidth > 0 && image.naturalHeight > 0;
}

/** Polls `check` (which returns a problem, or undefined when satisfied) until it passes; throws the last problem. */
async function pollUntil(page: Page, limitMs: number, check: () => Promise<string | undefined>, intervalMs = 200): Promise<void> {
  const deadline = Date.now() + limitMs;
  let problem: string | undefined = 'not checked yet';
  while (Date.now() < deadline) {
    problem = await check().catch((error: unknown) => `${error instanceof Error ? error.message.split('\n')[0] : String(error)}`);
    if (problem === undefined) return;
    await page.waitForTimeout(intervalMs);
  }
  throw new Error(problem);
}

/** The text of the elements the locator matches now, whitespace collapsed; '' when there are none (no waiting, unlike innerText()). */
async function textNow(locator: Locator): Promise<string> {
  return (await locator.allInnerTexts()).join(' ').replace(/\s+/g, ' ').trim();
}

async function statusText(frame: FrameLocator): Promise<string> {
  return textNow(frame.locator('.run-status .status-text'));
}

async function failedStatus(frame: FrameLocator): Promise<string | undefined> {
  const status = await statusText(frame);
  if (!/^Failed/.test(status)) return undefined;
  const error = await textNow(frame.locator('.run-status .error-box'));
  return `the panel reports a failed run: ${error || status}`;
}

interface FilterTileState {
  state: string;
  filter: string | null;
  label: string | null;
}

async function readFilterTiles(frame: FrameLocator): Promise<FilterTileState[]> {
  return frame.locator('.filter-grid .filter-tile').evaluateAll((buttons) =>
    buttons.map((button) => ({
      state: button.classList.contains('shown') ? 'shown' : button.classList.contains('missing') ? 'missing' : 'waiting',
      filter: button.getAttribute('data-filter'),
      label: button.getAttribute('aria-label'),
    })),
  );
}

/** The Grad-CAM panel's predictions as shown. */
async function readPredictions(frame: FrameLocator): Promise<{ index: string; name: string; score: string; pressed: boolean }[]> {
  return frame.locator('.gradcam-result .prediction').evaluateAll((buttons) =>
    buttons.map((button) => ({
      index: button.getAttribute('data-class-index') ?? '',
      name: button.querySelector('.prediction-name')?.textContent ?? '',
      score: button.querySelector('.prediction-score')?.textContent ?? '',
      pressed: button.getAttribute('aria-pressed') === 'true',
    })),
  );
}

/** Every file under `folder`, relative and sorted. */
async function listFiles(folder: string): Promise<string[]> {
  const entries = await readdir(folder, { recursive: true, withFileTypes: true });
  return entries.filter((entry) => entry.isFile()).map((entry) => path.relative(folder, path.join(entry.parentPath, entry.name))).sort();
}

// ─── The scenarios ─────────────────────────────────────────────────────────────────────────────

interface Scenario {
  name: string;
  /** Names of scenarios whose state this one builds on; it is not run when one of them failed. */
  requires?: string[];
  run(steps: Steps): Promise<void>;
}

export async function runScenarios(env: E2EEnvironment): Promise<ScenarioResult[]> {
  const { page, log } = env;
  const workbench = new Workbench(page);
  const goodModel = path.join(env.workspace, env.goodFolder, 'model.json');
  const brokenModel = path.join(env.workspace, env.brokenFolder, 'model.json');
  const expected = await expectedLayers(goodModel);
  const expectedCount = expected?.length ?? DEFAULT_LAYER_COUNT;
  if (expected) log(`  expected from model.json: ${expected.map((l) => `${l.name} ${l.shape.join('×')} → ${l.width}×${l.height}`).join('; ')}`);
  let goodPanel: FrameLocator | undefined;
  const facts = await modelFacts(goodModel);
  const convLayers = [...facts.filters.keys()];
  // One filter of the first convolution; a grid of the first layer with 64 filters or more (the
  // host's grid shows the first 64), which takes long enough to be cancelled half-way.
  const singleLayer = convLayers[0] ?? 'conv2d_1';
  const singleFilter = Math.min(3, (facts.filters.get(singleLayer) ?? 4) - 1);
  const gridLayer = convLayers.find((name) => (facts.filters.get(name) ?? 0) >= 64) ?? convLayers[convLayers.length - 1] ?? 'conv2d_3';
  const gridTiles = Math.min(64, facts.filters.get(gridLayer) ?? 64);
  const predictionCount = facts.classes !== undefined ? Math.min(5, facts.classes) : undefined;
  log(`  filter scenario: ${singleLayer} filter ${singleFilter}, grid of ${gridLayer} (${gridTiles} tiles); classes: ${facts.classes ?? 'unknown'}`);

  /** Shows the Explorer with only `folder` expanded, and right-clicks its model.json → `entry`. */
  const modelContextMenu = async (folder: string, entry: string) => {
    await workbench.runCommand('View: Show Explorer');
    for (const other of [env.goodFolder, env.brokenFolder, TM_FOLDER]) {
      // The Teachable Machine model's folder exists from scenario 9 on.
      if (other !== folder && (await workbench.explorerRow(other).count()) > 0) await workbench.setFolderExpanded(other, false);
    }
    await workbench.setFolderExpanded(folder, true);
    const rows = workbench.explorerRow('model.json');
    await rows.first().waitFor({ state: 'visible' });
    const visible = await rows.count();
    if (visible !== 1) throw new Error(`expected one model.json row in the Explorer (only ${folder} expanded), found ${visible}`);
    const how = await workbench.explorerContextMenu(rows.first(), entry);
    if (how === 'enter') log(`      (the click on “${entry}” left the menu open; chosen with Enter)`);
  };
  /** Explorer → right-click <folder>/model.json → Visualize Model. */
  const visualizeFromExplorer = (folder: string) => modelContextMenu(folder, 'Visualize Model');

  const panelFor = (limitMs: number) => workbench.findWebview('.model-path', goodModel, limitMs);
  let filterPanel: FrameLocator | undefined;
  let gradCamPanel: FrameLocator | undefined;
  let tm: TeachableMachineModel | undefined;
  let tmPanel: FrameLocator | undefined;

  /** The workbench's theme kind: `vs-dark`, `vs` (light), or a high-contrast one. */
  const themeKind = () => page.evaluate(() => ['vs-dark', 'vs', 'hc-black', 'hc-light'].find((kind) => document.querySelector('.monaco-workbench')?.classList.contains(kind)) ?? '');
  /** Picks a colour theme as a user does (Preferences: Color Theme) unless it is on already, and waits until the workbench shows it. */
  const setColorTheme = async (theme: 'Dark Modern' | 'Light Modern') => {
    const kind = theme === 'Dark Modern' ? 'vs-dark' : 'vs';
    if ((await themeKind()) === kind) return;
    await workbench.runCommand('Preferences: Color Theme');
    await workbench.quickPickClickRow(theme, new RegExp(`^(Default )?${escapeRegExp(theme)}$`));
    await page.waitForFunction((wanted) => document.querySelector('.monaco-workbench')?.classList.contains(wanted) === true, kind);
  };

  /** The Convscope status bar item's text (`<model> · <backend>`). */
  const statusBarModelText = async () => textNow(page.locator('.statusbar-item[id$="convscope.model"]'));

  /** Undefined once the Grad-CAM panel shows a finished result (predictions, loaded overlay); else what is missing. */
  const gradCamReady = async (frame: FrameLocator): Promise<string | undefined> => {
    const failed = await failedStatus(frame);
    if (failed) throw new Error(failed);
    if ((await frame.locator('.gradcam-result').getAttribute('aria-busy')) === 'true') return 'the result is still being computed';
    if ((await frame.locator('.gradcam-result .prediction').count()) === 0) return `no predictions yet (status “${await statusText(frame)}”)`;
    const [overlay] = await readImages(frame.locator('.gradcam-result img.gradcam-overlay'));
    return loaded(overlay) ? undefined : 'the overlay has not loaded';
  };
  const waitForGradCamResult = async (frame: FrameLocator, predictions: number) =>
    pollUntil(page, 55_000, async () => {
      const problem = await gradCamReady(frame);
      if (problem) return problem;
      const count = await frame.locator('.gradcam-result .prediction').count();
      return count === predictions ? undefined : `${count} predictions, expected ${predictions}`;
    });
  const modelQuickPickTitle = /Convscope: Open Model/;
  const imageQuickPickTitle = /Choose an Input Image/;
  // A quick pick row's description is the file's folder relative to the workspace (the workspace
  // folder's own name may come first).
  const goodFolderDescription = new RegExp(`(^|/)${escapeRegExp(env.goodFolder)}$`);

  const scenarios: Scenario[] = [
    {
      name: '1. The workbench opens the example workspace',
      async run(steps) {
        await steps.run('Open code-server and wait for the workbench', 90_000, async () => {
          await page.goto(env.workspaceUrl);
          await workbench.waitForWorkbench(85_000);
          await workbench.explorerRow(env.goodFolder).first().waitFor({ state: 'visible' });
          await workbench.explorerRow(env.brokenFolder).first().waitFor({ state: 'visible' });
        });
        // The Explorer shows before the extensions' contributions are registered: a right-click then
        // would find no “Visualize Model” entry. The activity bar's Convscope entry comes with them.
        await steps.run('The Convscope extension is registered (its activity bar entry shows)', 60_000, async () => {
          const registered = await workbench
            .activityBarItem('Convscope')
            .waitFor({ state: 'visible', timeout: 55_000 })
            .then(() => true, () => false);
          if (!registered) throw new Error('no Convscope entry in the activity bar after 55 s: the extension (or its contributions) did not load — see logs/ and code-server.log');
        });
      },
    },
    {
      name: '2. Explorer → Visualize Model shows every layer grid',
      requires: ['1. The workbench opens the example workspace'],
      async run(steps) {
        await steps.run('Right-click model.json → Visualize Model', 30_000, () => visualizeFromExplorer(env.goodFolder));
        await steps.run('The image quick pick lists the sample PNGs', 30_000, async () => {
          await workbench.quickInput.waitFor({ state: 'visible' });
          const title = await workbench.quickInput.locator('.quick-input-title').innerText();
          if (!/Choose an Input Image/.test(title)) throw new Error(`unexpected quick pick “${title}”`);
          const labels = await workbench.quickPickRows().locator('.label-name').allInnerTexts();
          // The list is virtualised (only the rows in view exist in the DOM): all the samples must be
          // there when they are few, the chosen one in any case.
          const missing = env.allImages.filter((name) => !labels.includes(name));
          if (!labels.includes(env.sampleImage) || (env.allImages.length <= 10 && missing.length > 0)) {
            throw new Error(`the quick pick lacks ${missing.join(', ')} (rows: ${labels.join(', ')})`);
          }
          if (!labels.some((label) => label.includes('Browse'))) throw new Error(`the quick pick has no “Browse…” entry (rows: ${labels.join(', ')})`);
          log(`      quick pick: ${labels.join(', ')}`);
        });
        await steps.run(`Pick ${env.sampleImage} → a panel titled with it opens`, 30_000, async () => {
          await workbench.quickPickChoose(env.sampleImage);
          await workbench.tab(env.sampleImage).first().waitFor({ state: 'visible' });
          goodPanel = await panelFor(25_000);
        });
        await steps.run(`${expectedCount} layer grids load with their layout's pixel size`, 120_000, async () => {
          if (!goodPanel) throw new Error('no panel');
          const sections = await waitForGrids(page, goodPanel, expected, expectedCount, 115_000);
          log(`      ${describeSections(sections)}`);
          const status = (await goodPanel.locator('.run-status .status-text').innerText()).trim();
          log(`      status: ${status}`);
        });
        await steps.run('The output log times activation and the first model in the sidebar', 20_000, async () => {
          // Logged by the extension itself (extension.ts); the host loads no TF.js, so activation is
          // quick and the first model's time is the engine's start and the model's load.
          let timings = { activation: NaN, firstModel: NaN };
          await pollUntil(page, 15_000, async () => {
            const lines = await readConvscopeLog(env.logsDir);
            const activation = lastMilliseconds(lines, /Activated in (\d+) ms/);
            const firstModel = lastMilliseconds(lines, /First model in the sidebar (\d+) ms after activation/);
            if (activation === undefined || firstModel === undefined) return `the Convscope output log under ${env.logsDir} has no activation or first-model time (${lines.length} lines)`;
            timings = { activation, firstModel };
            return undefined;
          });
          log(`      activation ${timings.activation} ms; first model in the sidebar ${timings.firstModel} ms after activation`);
          await writeFile(path.join(env.resultsDir, 'activation-timing.json'), JSON.stringify(timings, null, 2));
        });
        await steps.run('Scroll down: the last layers\' grids are shown', 15_000, async () => {
          if (!goodPanel) throw new Error('no panel');
          const last = goodPanel.locator('.layer-section').last().locator('img.channel-grid-image');
          await last.scrollIntoViewIfNeeded();
          await last.waitFor({ state: 'visible' });
        });
        await steps.run('Scroll back to the top', 15_000, async () => {
          if (!goodPanel) throw new Error('no panel');
          await goodPanel.locator('.session-header').scrollIntoViewIfNeeded();
        });
      },
    },
    {
      name: '3. Clicking a tile opens the channel dialog',
      requires: ['2. Explorer → Visualize Model shows every layer grid'],
      async run(steps) {
        const channel = 1;
        await steps.run(`Click channel ${channel} of the first layer's grid`, 30_000, async () => {
          if (!goodPanel) throw new Error('no panel');
          const grid = goodPanel.locator('.layer-section').first().locator('.channel-grid');
          await grid.scrollIntoViewIfNeeded();
          const box = await grid.evaluate((element) => {
            const image = element.querySelector('img') as HTMLImageElement;
            const frame = element.getBoundingClientRect();
            const rect = image.getBoundingClientRect();
            return { left: rect.left - frame.left, top: rect.top - frame.top, width: rect.width, height: rect.height, naturalWidth: image.naturalWidth, naturalHeight: image.naturalHeight };
          });
          const meta = await goodPanel.locator('.layer-section').first().locator('.layer-meta').innerText();
          const layout = gridFor('', shapeFromMeta(meta));
          const tileWidth = (box.width * layout.width) / layout.columns / box.naturalWidth;
          const tileHeight = (box.height * layout.height) / layout.rows / box.naturalHeight;
          await grid.click({ position: { x: box.left + tileWidth * (channel + 0.5), y: box.top + tileHeight * 0.5 } });
        });
        await steps.run('The channel dialog shows the enlarged channel', 30_000, async () => {
          if (!goodPanel) throw new Error('no panel');
          const dialog = goodPanel.locator('.channel-dialog');
          await dialog.waitFor({ state: 'visible' });
          const title = await dialog.locator('.channel-dialog-title').innerText();
          if (!title.endsWith(`channel ${channel}`)) throw new Error(`dialog title “${title}” does not name channel ${channel}`);
          const image = dialog.locator('img.channel-image');
          await image.waitFor({ state: 'visible' });
          const size = await image.evaluate(async (element: HTMLImageElement) => {
            if (!element.complete) await new Promise((resolve) => element.addEventListener('load', resolve, { once: true }));
            return { width: element.naturalWidth, height: element.naturalHeight, displayed: element.getBoundingClientRect().width };
          });
          if (!(size.width > 0 && size.height > 0 && size.displayed > 0)) throw new Error(`channel image not loaded: ${JSON.stringify(size)}`);
          const stats = await dialog.locator('.channel-stats').innerText();
          log(`      ${title}: ${size.width}×${size.height} px, shown ${Math.round(size.displayed)} px wide; ${stats}`);
        });
        await steps.run('Escape closes the dialog', 15_000, async () => {
          if (!goodPanel) throw new Error('no panel');
          await page.keyboard.press('Escape');
          await goodPanel.locator('.channel-dialog').waitFor({ state: 'hidden' });
        });
      },
    },
    {
      name: '4. A broken model is reported and the extension keeps working',
      requires: ['1. The workbench opens the example workspace'],
      async run(steps) {
        // The message names the broken model.json (or one of its weight files) by its full path.
        const fileText = new RegExp(`${escapeRegExp(path.dirname(brokenModel))}/[^\\s:]+`);
        await steps.run(`Visualize ${env.brokenFolder}/model.json (its weights truncated)`, 30_000, async () => {
          await visualizeFromExplorer(env.brokenFolder);
          // The model may be refused when opened (no image asked) or when run (after the image).
          const picked = await Promise.race([
            workbench.quickInput.waitFor({ state: 'visible', timeout: 25_000 }).then(() => true),
            workbench.errorNotification(fileText).first().waitFor({ state: 'visible', timeout: 25_000 }).then(() => false),
          ]);
          if (picked) await workbench.quickPickChoose(env.sampleImage);
        });
        await steps.run('An error notification names the broken file', 60_000, async () => {
          const toast = workbench.errorNotification(fileText).first();
          await toast.waitFor({ state: 'visible' });
          // Long messages are shown on one line: expand it, as a user would to read it.
          await toast.hover();
          const expand = toast.locator('.codicon-notifications-expand');
          if (await expand.isVisible().catch(() => false)) await expand.click().catch(() => undefined);
          log(`      notification: ${(await toast.locator('.notification-list-item-message').innerText()).trim()}`);
        });
        await steps.run('Visualize the good model again', 45_000, async () => {
          if (goodPanel) await markSectionsStale(goodPanel).catch(() => 0);
          await workbench.clearNotifications();
          await visualizeFromExplorer(env.goodFolder);
          await workbench.quickInput.waitFor({ state: 'visible' });
          const first = (await workbench.firstQuickPickFileRow().innerText()).replace(/\s+/g, ' ');
          if (!first.includes(env.sampleImage) || !first.includes('last used')) throw new Error(`the quick pick's first image is “${first}”, not ${env.sampleImage} (last used)`);
          await workbench.quickPickChoose(env.sampleImage);
          goodPanel = await panelFor(40_000);
        });
        await steps.run('Its layer grids load again', 120_000, async () => {
          if (!goodPanel) throw new Error('no panel');
          // The re-run replaces the sections: wait for the run to be under way or done first.
          const sections = await waitForGrids(page, goodPanel, expected, expectedCount, 115_000);
          log(`      ${sections.length} sections loaded again`);
        });
      },
    },
    {
      name: '5. Reload Window brings the panel back',
      requires: ['2. Explorer → Visualize Model shows every layer grid'],
      async run(steps) {
        await steps.run('Developer: Reload Window', 90_000, async () => {
          await page.evaluate(() => ((window as unknown as { __convscopeE2e?: boolean }).__convscopeE2e = true));
          await workbench.runCommand('Developer: Reload Window');
          await page.waitForFunction(() => (window as unknown as { __convscopeE2e?: boolean }).__convscopeE2e !== true, undefined, { timeout: 60_000 });
          await workbench.waitForWorkbench(60_000);
          await workbench.explorerRow(env.goodFolder).first().waitFor({ state: 'visible' });
        });
        await steps.run('The Convscope panel is restored', 60_000, async () => {
          await workbench.tab(env.sampleImage).first().waitFor({ state: 'visible' });
          await workbench.tab(env.sampleImage).first().click();
          goodPanel = await panelFor(55_000);
        });
        await steps.run('Its layer sections are back with their grids', 120_000, async () => {
          if (!goodPanel) throw new Error('no panel');
          const sections = await waitForGrids(page, goodPanel, expected, expectedCount, 115_000);
          log(`      ${sections.length} sections restored`);
        });
      },
    },
    {
      name: '6. Sidebar → a filter pattern, and a filter grid cancelled half-way',
      requires: ['1. The workbench opens the example workspace'],
      async run(steps) {
        await steps.run('Open the Convscope sidebar: the model and its layers are listed', 45_000, async () => {
          await workbench.openViewContainer('Convscope');
          const layerRow = workbench.sidebarTreeRow(singleLayer).first();
          // The model is there once a panel of it ran (scenarios 2–5); else open it from the view's welcome.
          const listed = await layerRow.waitFor({ state: 'visible', timeout: 8000 }).then(() => true, () => false);
          if (!listed) {
            const link = page.locator('.part.sidebar .welcome-view-content a', { hasText: /Open a model\.json/ }).first();
            if (!(await link.isVisible().catch(() => false))) throw new Error(`the Convscope sidebar lists no ${singleLayer} row and shows no “Open a model.json…” link`);
            log('      (the model was not in the sidebar: opened it from the welcome link)');
            await link.click();
            await workbench.quickPickChooseRow(modelQuickPickTitle, 'model.json', goodFolderDescription);
            await workbench.quickInput.locator('.quick-input-title', { hasText: imageQuickPickTitle }).waitFor({ state: 'visible' });
            await workbench.quickPickChoose(env.sampleImage);
            await workbench.openViewContainer('Convscope');
          }
          await layerRow.waitFor({ state: 'visible' });
          for (const name of [singleLayer, gridLayer]) await workbench.sidebarTreeRow(name).first().waitFor({ state: 'visible' });
        });
        await steps.run(`Expand ${singleLayer}: its filters are listed`, 20_000, async () => {
          await workbench.expandTreeRow(singleLayer);
          await workbench.sidebarTreeRow(`filter ${singleFilter}`).first().waitFor({ state: 'visible' });
          const labels = await page.locator('.part.sidebar .monaco-list-row .label-name').allInnerTexts();
          const filters = labels.filter((label) => /^filter \d+$/.test(label.trim()));
          const want = facts.filters.get(singleLayer);
          if (want !== undefined && want <= 64 && filters.length !== want) throw new Error(`${singleLayer} lists ${filters.length} filter rows, model.json gives ${want} filters`);
          log(`      ${singleLayer}: ${filters.length} filter rows (${filters[0]} … ${filters[filters.length - 1]})`);
        });
        await steps.run(`Click “filter ${singleFilter}” → a filter-pattern panel opens`, 30_000, async () => {
          await workbench.sidebarTreeRow(`filter ${singleFilter}`).first().locator('.label-name').click();
          await workbench.tab(`Filter ${singleFilter}: ${singleLayer}`).first().waitFor({ state: 'visible' });
          filterPanel = await workbench.findWebview('.filter-panel .layer-name-detail', new RegExp(`^${escapeRegExp(singleLayer)}$`), 25_000);
        });
        await steps.run(`The pattern of filter ${singleFilter} loads`, 60_000, async () => {
          const frame = filterPanel;
          if (!frame) throw new Error('no filter-pattern panel');
          let image: ImageState | undefined;
          await pollUntil(page, 55_000, async () => {
            const failed = await failedStatus(frame);
            if (failed) throw new Error(failed);
            const tiles = await readFilterTiles(frame);
            if (tiles.length !== 1) return `expected 1 tile in the panel, found ${tiles.length}`;
            if (tiles[0].state !== 'shown') return `the tile of filter ${singleFilter} is ${tiles[0].state} (status “${await statusText(frame)}”)`;
            if (tiles[0].filter !== String(singleFilter)) return `the tile shows filter ${tiles[0].filter}, not ${singleFilter}`;
            [image] = await readImages(frame.locator('.filter-tile.shown img.filter-tile-image'));
            if (!loaded(image)) return `the tile's image has not loaded (${JSON.stringify(image)})`;
            if (image.displayedWidth < 1) return 'the tile image is not displayed (width 0)';
            if (image.colours < 2) return 'the tile image is a single colour (blank)';
            if (await frame.locator('button[data-action="cancelRun"]').isVisible()) return 'the run is still in progress';
            return undefined;
          });
          const count = (await frame.locator('.filter-count').innerText()).trim();
          const tileLabel = await frame.locator('.filter-tile').first().getAttribute('aria-label');
          log(`      ${count}; ${image?.naturalWidth}×${image?.naturalHeight} px, shown ${Math.round(image?.displayedWidth ?? 0)} px wide, ${image?.colours}${(image?.colours ?? 0) >= 1000 ? '+' : ''} colours; “${tileLabel}”`);
          log(`      status: ${await statusText(frame)}`);
        });
        await steps.run(`Show Filter Grid on ${gridLayer} (the row's inline action)`, 30_000, async () => {
          const frame = filterPanel;
          if (!frame) throw new Error('no filter-pattern panel');
          await workbench.treeRowInlineAction(workbench.sidebarTreeRow(gridLayer).first(), 'Show Filter Grid');
          await workbench.tab(`Filters: ${gridLayer}`).first().waitFor({ state: 'visible' });
          // The model's filter-pattern panel is reused: it shows the new layer's grid.
          filterPanel = await workbench.findWebview('.filter-panel .layer-name-detail', new RegExp(`^${escapeRegExp(gridLayer)}$`), 25_000);
          const count = (await filterPanel.locator('.filter-count').innerText()).trim();
          if (!count.startsWith(`${gridTiles} of `)) throw new Error(`the panel's header says “${count}”, expected ${gridTiles} filters`);
        });
        let shownAtCancel = 0;
        await steps.run('The first tiles appear; click Cancel before the grid is done', 90_000, async () => {
          const frame = filterPanel;
          if (!frame) throw new Error('no filter-pattern panel');
          const firstShown = frame.locator('.filter-tile.shown').first();
          const cancel = frame.locator('button[data-action="cancelRun"]');
          await pollUntil(
            page,
            85_000,
            async () => {
              const failed = await failedStatus(frame);
              if (failed) throw new Error(failed);
              if ((await firstShown.count()) > 0) return undefined;
              if (!(await cancel.isVisible())) throw new Error(`the run ended with no tile shown (status “${await statusText(frame)}”)`);
              return `no tile shown yet (status “${await statusText(frame)}”)`;
            },
            100,
          );
          shownAtCancel = await frame.locator('.filter-tile.shown').count();
          if (!(await cancel.isVisible())) {
            throw new Error(`the grid finished before Cancel could be clicked: ${shownAtCancel} of ${gridTiles} tiles (status “${await statusText(frame)}”); this machine is too fast for ${gridLayer}`);
          }
          await cancel.click();
          log(`      Cancel clicked with ${shownAtCancel} of ${gridTiles} tiles shown`);
        });
        await steps.run('The panel says cancelled and keeps the finished tiles', 45_000, async () => {
          const frame = filterPanel;
          if (!frame) throw new Error('no filter-pattern panel');
          await pollUntil(page, 30_000, async () => {
            const status = await statusText(frame);
            return /^Cancelled/.test(status) ? undefined : `the status says “${status}”, not Cancelled…`;
          });
          // Tiles of the batch under way when Cancel was clicked must not arrive later.
          await page.waitForTimeout(1500);
          const status = await statusText(frame);
          const tiles = await readFilterTiles(frame);
          const shown = tiles.filter((tile) => tile.state === 'shown');
          const waiting = tiles.filter((tile) => tile.state === 'waiting');
          if (tiles.length !== gridTiles) throw new Error(`the grid has ${tiles.length} tiles, expected ${gridTiles}`);
          if (shown.length === 0) throw new Error(`no finished tile stayed on screen after Cancel (status “${status}”)`);
          if (shown.length >= gridTiles) throw new Error(`all ${gridTiles} tiles are shown: the run was not cancelled half-way (status “${status}”)`);
          if (waiting.length > 0) throw new Error(`${waiting.length} tiles are still marked waiting after the cancel (not marked “not computed”)`);
          const match = /^Cancelled — (\d+) of (\d+) filters shown/.exec(status);
          if (!match) throw new Error(`the status “${status}” does not say how many filters are shown`);
          if (Number(match[1]) !== shown.length || Number(match[2]) !== gridTiles) {
            throw new Error(`the status says “${status}” but the grid shows ${shown.length} of ${tiles.length} tiles`);
          }
          const images = await readImages(frame.locator('.filter-tile.shown img.filter-tile-image'));
          const unloaded = images.filter((image) => !loaded(image));
          if (images.length !== shown.length || unloaded.length > 0) throw new Error(`${unloaded.length} of ${images.length} shown tiles have no loaded image`);
          const patterned = images.filter((image) => image.colours > 1).length;
          if (patterned === 0) throw new Error('every shown tile is a single colour (blank)');
          if (await frame.locator('button[data-action="cancelRun"]').isVisible()) throw new Error('the Cancel button is still shown');
          // The run's VS Code progress notification goes once the engine has stopped.
          const progress = workbench.notifications().filter({ hasText: new RegExp(`filter patterns of ${escapeRegExp(gridLayer)}`) });
          await pollUntil(page, 10_000, async () => ((await progress.count()) > 0 ? `the progress notification “${await textNow(progress)}” is still shown` : undefined));
          const summary = await textNow(frame.locator('.filter-summary'));
          await frame.locator('.filter-grid').scrollIntoViewIfNeeded();
          log(`      status: ${status}; summary: ${summary}; ${patterned} of ${shown.length} shown tiles have a pattern (more than one colour); ${images[0].naturalWidth}×${images[0].naturalHeight} px each`);
        });
      },
    },
    {
      name: '7. Command Palette → Explain Prediction shows the predictions and a heatmap per class',
      requires: ['1. The workbench opens the example workspace'],
      async run(steps) {
        // With scenario 6's filter panel in front, the command takes its model without asking.
        const panelInFront = filterPanel !== undefined;
        await steps.run(`Command Palette → Convscope: Explain Prediction (Grad-CAM)${panelInFront ? ' with the filter panel in front: only the image is asked' : ''}`, 30_000, async () => {
          await workbench.runCommand('Convscope: Explain Prediction (Grad-CAM)');
          const title = workbench.quickInput.locator('.quick-input-title');
          await title.filter({ hasText: panelInFront ? imageQuickPickTitle : modelQuickPickTitle }).waitFor({ state: 'visible' });
          const rows = await workbench.quickPickRowTexts();
          log(`      ${panelInFront ? 'image' : 'model'} quick pick: ${rows.join(' | ')}`);
          if (!panelInFront) {
            if (!rows.some((row) => row.startsWith('model.json') && goodFolderDescription.test(row.split(' · ')[1] ?? ''))) {
              throw new Error(`the model quick pick lists no model.json in ${env.goodFolder} (rows: ${rows.join(' | ')})`);
            }
            await workbench.quickPickChooseRow(modelQuickPickTitle, 'model.json', goodFolderDescription);
            await title.filter({ hasText: imageQuickPickTitle }).waitFor({ state: 'visible' });
          }
          // The images beside the model come first, under their group's label.
          const first = (await workbench.firstQuickPickFileRow().innerText()).replace(/\s+/g, ' ');
          if (!/Beside the model/.test(first) || !env.allImages.some((name) => first.includes(name))) {
            throw new Error(`the image quick pick does not start with the images beside the model (first row “${first}”)`);
          }
        });
        await steps.run(`Pick ${env.sampleImage} → the Grad-CAM panel opens for ${env.goodFolder}/model.json`, 45_000, async () => {
          await workbench.quickPickChoose(env.sampleImage);
          const tab = workbench.tab(/^Explain Prediction: /).first();
          await tab.waitFor({ state: 'visible' });
          log(`      tab: ${(await tab.innerText()).trim()}`);
          gradCamPanel = await workbench.findWebview('.gradcam-panel .model-path', goodModel, 25_000);
        });
        let target = { index: '', name: '' };
        let overlay: ImageState | undefined;
        const countText = predictionCount !== undefined ? String(predictionCount) : 'the top';
        await steps.run(`${countText} predictions and the heatmap overlay appear`, 60_000, async () => {
          const frame = gradCamPanel;
          if (!frame) throw new Error('no Grad-CAM panel');
          await pollUntil(page, 55_000, async () => {
            const failed = await failedStatus(frame);
            if (failed) throw new Error(failed);
            const notice = await textNow(frame.locator('.gradcam-result .no-evidence'));
            if (notice) throw new Error(`the panel shows no heatmap: ${notice}`);
            const predictions = await frame.locator('.gradcam-result .prediction').count();
            if (predictions === 0) return `no prediction listed yet (status “${await statusText(frame)}”)`;
            if (predictionCount !== undefined ? predictions !== predictionCount : predictions > 5) return `${predictions} predictions listed, expected ${predictionCount ?? 'at most 5'}`;
            const pressed = await frame.locator('.gradcam-result .prediction[aria-pressed="true"]').count();
            if (pressed !== 1) return `${pressed} predictions are marked as the target (aria-pressed), expected 1`;
            [overlay] = await readImages(frame.locator('.gradcam-result img.gradcam-overlay'));
            if (!loaded(overlay)) return `the overlay image has not loaded (${JSON.stringify(overlay)})`;
            if (overlay.displayedWidth < 1) return 'the overlay is not displayed (width 0)';
            if (overlay.colours < 2) return 'the overlay is a single colour (blank)';
            const [heatmap] = await readImages(frame.locator('.gradcam-result img.gradcam-heatmap'));
            if (!loaded(heatmap)) return 'the class heatmap has not loaded';
            return undefined;
          });
          const list = await frame.locator('.gradcam-result .prediction').evaluateAll((buttons) =>
            buttons.map((button) => ({
              index: button.getAttribute('data-class-index') ?? '',
              name: button.querySelector('.prediction-name')?.textContent ?? '',
              score: button.querySelector('.prediction-score')?.textContent ?? '',
              pressed: button.getAttribute('aria-pressed') === 'true',
            })),
          );
          const top = list.find((prediction) => prediction.pressed);
          if (!top) throw new Error('no prediction is marked as the target');
          if (top !== list[0]) throw new Error(`the target is ${top.name}, not the top prediction ${list[0].name}`);
          const targetName = (await frame.locator('.gradcam-target-name').innerText()).trim();
          if (targetName !== top.name) throw new Error(`the panel explains “${targetName}”, but the pressed prediction is ${top.name}`);
          target = top;
          log(`      predictions: ${list.map((p) => `${p.name} #${p.index} ${p.score}${p.pressed ? ' (target)' : ''}`).join(', ')}`);
          log(`      overlay ${overlay?.naturalWidth}×${overlay?.naturalHeight} px, shown ${Math.round(overlay?.displayedWidth ?? 0)} px wide, ${overlay?.colours}${(overlay?.colours ?? 0) >= 1000 ? '+' : ''} colours; status: ${await statusText(frame)}`);
        });
        await steps.run('Click another prediction → its heatmap replaces the overlay', 60_000, async () => {
          const frame = gradCamPanel;
          const before = overlay;
          if (!frame || !before) throw new Error('no Grad-CAM result');
          const other = frame.locator(`.gradcam-result .prediction:not([data-class-index="${target.index}"])`).first();
          const picked = { index: (await other.getAttribute('data-class-index')) ?? '', name: (await other.locator('.prediction-name').innerText()).trim() };
          await other.click();
          let after: ImageState | undefined;
          await pollUntil(page, 55_000, async () => {
            const failed = await failedStatus(frame);
            if (failed) throw new Error(failed);
            const notice = await textNow(frame.locator('.gradcam-result .no-evidence'));
            if (notice) throw new Error(`no heatmap for ${picked.name}: ${notice}`);
            const targetName = await textNow(frame.locator('.gradcam-target-name'));
            if (targetName !== picked.name) return `the panel still explains “${targetName}”, not ${picked.name}`;
            if ((await frame.locator('.gradcam-result').getAttribute('aria-busy')) === 'true') return 'the result is still marked busy';
            const pressed = await frame.locator('.gradcam-result .prediction[aria-pressed="true"]').evaluateAll((buttons) => buttons.map((button) => button.getAttribute('data-class-index')));
            if (pressed.length !== 1 || pressed[0] !== picked.index) return `the predictions marked as target are [${pressed.join(', ')}], not #${picked.index}`;
            [after] = await readImages(frame.locator('.gradcam-result img.gradcam-overlay'));
            if (!loaded(after)) return `the new overlay has not loaded (${JSON.stringify(after)})`;
            if (after.src === before.src) return 'the overlay image is still the previous one (same src)';
            if (after.colours < 2) return 'the new overlay is a single colour (blank)';
            return undefined;
          });
          if (!after) throw new Error('no overlay');
          if (after.checksum === before.checksum) throw new Error(`the overlay for ${picked.name} has the very same pixels as the one for ${target.name}`);
          log(`      ${target.name} → ${picked.name} (#${picked.index}): overlay src changed, new image ${after.naturalWidth}×${after.naturalHeight} px, ${after.colours}${after.colours >= 1000 ? '+' : ''} colours, pixels differ; status: ${await statusText(frame)}`);
        });
      },
    },
    {
      name: '8. Explorer → Explain Prediction, then Export writes the overlay and heatmap beside the image',
      requires: ['1. The workbench opens the example workspace'],
      async run(steps) {
        const folder = path.join(env.workspace, env.goodFolder);
        const before = new Set(await readdir(folder));
        await steps.run('Right-click model.json → Explain Prediction (Grad-CAM)', 30_000, async () => {
          // A fresh panel: the overlay it shows can only come from this run.
          await workbench.runCommand('View: Close All Editors');
          await workbench.runCommand('View: Show Explorer');
          await workbench.setFolderExpanded(env.brokenFolder, false);
          await workbench.setFolderExpanded(env.goodFolder, true);
          const row = workbench.explorerRow('model.json').first();
          await row.waitFor({ state: 'visible' });
          const how = await workbench.explorerContextMenu(row, 'Explain Prediction (Grad-CAM)');
          if (how === 'enter') log('      (the click left the menu open; chosen with Enter)');
          const asked = await Promise.race([
            workbench.tab(/^Explain Prediction: /).first().waitFor({ state: 'visible', timeout: 25_000 }).then(() => false),
            workbench.quickInput.locator('.quick-input-title', { hasText: imageQuickPickTitle }).waitFor({ state: 'visible', timeout: 25_000 }).then(() => true),
          ]);
          if (asked) await workbench.quickPickChoose(env.sampleImage);
          gradCamPanel = await workbench.findWebview('.gradcam-panel .model-path', goodModel, 25_000);
        });
        await steps.run('The heatmap overlay is shown and Export is enabled', 60_000, async () => {
          const frame = gradCamPanel;
          if (!frame) throw new Error('no Grad-CAM panel');
          await pollUntil(page, 55_000, async () => {
            const failed = await failedStatus(frame);
            if (failed) throw new Error(failed);
            if ((await frame.locator('.gradcam-result').getAttribute('aria-busy')) === 'true') return 'the result is still marked busy';
            const [overlay] = await readImages(frame.locator('.gradcam-result img.gradcam-overlay'));
            if (!loaded(overlay)) return 'the overlay has not loaded';
            if (await frame.locator('button[data-action="exportGradCam"]').isDisabled()) return 'Export is disabled';
            return undefined;
          });
        });
        let written: string[] = [];
        await steps.run('Export → the folder dialog opens at the image’s folder → Export Here', 45_000, async () => {
          const frame = gradCamPanel;
          if (!frame) throw new Error('no Grad-CAM panel');
          await frame.locator('button[data-action="exportGradCam"]').click();
          await workbench.quickInput.locator('.quick-input-title', { hasText: /Export Grad-CAM Images To/ }).waitFor({ state: 'visible' });
          const input = workbench.quickInput.locator('input').first();
          // The dialog fills its path in after it opens.
          let proposed = '';
          await pollUntil(page, 10_000, async () => {
            proposed = await input.inputValue();
            return proposed.replace(/\/$/, '').endsWith(`/${env.goodFolder}`) ? undefined : `the dialog proposes “${proposed}”, not the image's folder ${env.goodFolder}`;
          });
          log(`      the dialog proposes ${proposed}`);
          const accept = workbench.quickInput.locator('.monaco-button', { hasText: /^Export Here$/ });
          if (await accept.count()) await accept.first().click();
          else await page.keyboard.press('Enter');
          await pollUntil(page, 30_000, async () => {
            written = (await readdir(folder)).filter((name) => !before.has(name));
            const overlay = written.find((name) => /-gradcam-.+-overlay\.png$/.test(name));
            const heatmap = written.find((name) => /-gradcam-.+-heatmap\.png$/.test(name));
            return overlay && heatmap ? undefined : `new files in ${env.goodFolder}: [${written.join(', ')}]`;
          });
          await workbench.notifications().filter({ hasText: /Convscope: saved .*-overlay\.png and .*-heatmap\.png/ }).first().waitFor({ state: 'visible', timeout: 10_000 });
        });
        await steps.run('The overlay has the original image’s size; nothing was overwritten', 15_000, async () => {
          const overlayName = written.find((name) => name.endsWith('-overlay.png'))!;
          const imageBase = overlayName.replace(/-gradcam-.+-overlay\.png$/, '');
          const image = [...before].find((name) => path.parse(name).name === imageBase);
          if (!image) throw new Error(`no image named ${imageBase}.* in ${env.goodFolder} for ${overlayName}`);
          const [overlaySize, imageSize] = await Promise.all([pngSize(path.join(folder, overlayName)), imageFileSize(path.join(folder, image))]);
          if (overlaySize.width !== imageSize.width || overlaySize.height !== imageSize.height) {
            throw new Error(`the overlay is ${overlaySize.width}×${overlaySize.height} px, the image ${imageSize.width}×${imageSize.height} px`);
          }
          const missing = [...before].filter((name) => !existsSync(path.join(folder, name)));
          if (missing.length > 0) throw new Error(`files vanished from ${env.goodFolder}: ${missing.join(', ')}`);
          log(`      wrote ${written.join(' and ')}; overlay ${overlaySize.width}×${overlaySize.height} px like ${image}`);
          await workbench.clearNotifications();
        });
      },
    },
    {
      name: '9. A Teachable Machine model: auto preprocessing reads its metadata.json, and the predictions are the [-1, 1] reference',
      requires: ['1. The workbench opens the example workspace'],
      async run(steps) {
        await steps.run('Write a Teachable Machine-style model, its metadata.json and an image into the workspace', 60_000, async () => {
          tm = await writeTeachableMachineModel(path.join(env.workspace, TM_FOLDER));
          const gap = Math.max(...tm.reference.map((score, index) => Math.abs(score - (tm?.rescaled[index] ?? score))));
          log(`      reference ([-1, 1]): ${tm.reference.map((score) => score.toFixed(4)).join(', ')}; ÷ 255 would give ${tm.rescaled.map((score) => score.toFixed(4)).join(', ')}`);
          if (gap < 0.02) throw new Error(`the test model scores the two preprocessings within ${gap.toFixed(4)}: it cannot tell them apart`);
          await workbench.explorerRow(TM_FOLDER).first().waitFor({ state: 'visible' });
        });
        await steps.run(`Right-click ${TM_FOLDER}/model.json → Explain Prediction: the image beside it is listed first`, 45_000, async () => {
          const model = tm;
          if (!model) throw new Error('no model written');
          await modelContextMenu(TM_FOLDER, 'Explain Prediction (Grad-CAM)');
          await workbench.quickInput.locator('.quick-input-title', { hasText: imageQuickPickTitle }).waitFor({ state: 'visible' });
          const first = (await workbench.firstQuickPickFileRow().innerText()).replace(/\s+/g, ' ');
          if (!first.includes(model.imageName) || !/Beside the model/.test(first)) throw new Error(`the image quick pick starts with “${first}”, not ${model.imageName} beside the model`);
          await workbench.quickPickChoose(model.imageName);
          tmPanel = await workbench.findWebview('.gradcam-panel .model-path', model.modelPath, 30_000);
        });
        await steps.run('The panel preprocesses tf (−1…1) because of metadata.json, and its predictions are the reference', 60_000, async () => {
          const frame = tmPanel;
          const model = tm;
          if (!frame || !model) throw new Error('no Grad-CAM panel');
          await waitForGradCamResult(frame, TM_LABELS.length);
          const preprocess = await textNow(frame.locator('.preprocess-mode'));
          const reason = await textNow(frame.locator('.preprocess-reason'));
          if (!preprocess.startsWith('tf')) throw new Error(`the panel preprocesses “${preprocess}”, not tf`);
          if (!/Teachable Machine/.test(reason) || !/metadata\.json/.test(reason)) throw new Error(`the panel gives “${reason}” as the reason, not Teachable Machine's metadata.json`);
          const shown = await readPredictions(frame);
          for (const prediction of shown) {
            const index = Number(prediction.index);
            const expected = model.reference[index] * 100;
            const score = Number.parseFloat(prediction.score);
            if (prediction.name !== TM_LABELS[index]) throw new Error(`class ${index} is named “${prediction.name}”, metadata.json says ${TM_LABELS[index]}`);
            // The panel shows percentages to one decimal.
            if (!(Math.abs(score - expected) <= 0.051)) throw new Error(`${prediction.name}: the panel shows ${prediction.score}, the [-1, 1] reference is ${expected.toFixed(3)}%`);
          }
          const rescaledDiffers = shown.some((prediction) => Math.abs(Number.parseFloat(prediction.score) - model.rescaled[Number(prediction.index)] * 100) > 1);
          if (!rescaledDiffers) throw new Error('the panel’s scores are also those of ÷ 255: the check proves nothing');
          log(`      ${preprocess}; why: ${reason}`);
          log(`      shown: ${shown.map((prediction) => `${prediction.name} ${prediction.score}`).join(', ')} = reference ${model.reference.map((score) => `${(score * 100).toFixed(2)}%`).join(', ')}`);
        });
      },
    },
    {
      name: '10. Palette commands, the status bar and the sidebar follow the panel in front',
      requires: ['8. Explorer → Explain Prediction, then Export writes the overlay and heatmap beside the image', '9. A Teachable Machine model: auto preprocessing reads its metadata.json, and the predictions are the [-1, 1] reference'],
      async run(steps) {
        const model = tm;
        if (!model) throw new Error('no Teachable Machine model');
        let goodName = '';
        await steps.run(`Bring ${env.goodFolder}’s Grad-CAM panel to front: the status bar names its model`, 30_000, async () => {
          await workbench.tab(`Explain Prediction: ${env.sampleImage}`).first().click();
          const frame = await workbench.findWebview('.gradcam-panel .model-path', goodModel, 20_000);
          goodName = await textNow(frame.locator('h1.model-name'));
          await pollUntil(page, 15_000, async () => {
            const text = await statusBarModelText();
            return text.startsWith(`${goodName} · `) ? undefined : `the status bar says “${text}”, not ${goodName}`;
          });
        });
        await steps.run('Command Palette → Convscope: Model Summary shows that model’s summary without asking', 60_000, async () => {
          await workbench.runCommand('Convscope: Model Summary');
          const summary = await workbench.findWebview('.summary-panel .model-path', goodModel, 50_000);
          if (await workbench.quickInput.isVisible()) throw new Error('a quick pick asks for the model although a panel of it is in front');
          await summary.locator('table.summary-table').waitFor({ state: 'visible' });
        });
        await steps.run('Bring the Teachable Machine model’s panel to front: the status bar and the sidebar follow', 30_000, async () => {
          await workbench.tab(`Explain Prediction: ${model.imageName}`).first().click();
          await pollUntil(page, 15_000, async () => {
            const text = await statusBarModelText();
            return text.startsWith('tm-my-image-model · ') ? undefined : `the status bar says “${text}”, not tm-my-image-model`;
          });
          await workbench.openViewContainer('Convscope');
          const rows = page.locator('.part.sidebar .monaco-list-row');
          await pollUntil(page, 10_000, async () => {
            const inFront = (await rows.filter({ hasText: /in front/ }).allInnerTexts()).map((text) => text.replace(/\s+/g, ' '));
            return inFront.length === 1 && inFront[0].includes('tm-my-image-model') ? undefined : `the sidebar marks [${inFront.join(' | ')}] as in front`;
          });
        });
        await steps.run('Command Palette → Model Summary now shows the Teachable Machine model’s, with its preprocessing and why', 60_000, async () => {
          await workbench.runCommand('Convscope: Model Summary');
          // A new webview can take a while to render on a busy machine (seen: over 20 s under load).
          const summary = await workbench.findWebview('.summary-panel .model-path', model.modelPath, 50_000);
          if (await workbench.quickInput.isVisible()) throw new Error('a quick pick asks for the model although a panel of it is in front');
          await summary.locator('table.summary-table').waitFor({ state: 'visible' });
          const preprocess = await textNow(summary.locator('.preprocess-mode'));
          const reason = await textNow(summary.locator('.preprocess-reason'));
          if (!preprocess.startsWith('tf') || !/Teachable Machine/.test(reason)) throw new Error(`the summary says “${preprocess}” because “${reason}”`);
          log(`      summary of ${model.modelPath}: default preprocess ${preprocess}; why: ${reason}`);
          await workbench.runCommand('View: Show Explorer');
        });
      },
    },
    {
      name: '11. Grad-CAM takes a dropped image (bytes or file) and Change Image…',
      requires: ['8. Explorer → Explain Prediction, then Export writes the overlay and heatmap beside the image'],
      async run(steps) {
        const folder = path.join(env.workspace, env.goodFolder);
        const [dropped, droppedFile, picked] = [...env.allImages.filter((name) => name !== env.sampleImage), env.sampleImage];
        let frame: FrameLocator | undefined;
        let before: string[] = [];
        await steps.run(`Bring ${env.goodFolder}’s Grad-CAM panel to front`, 30_000, async () => {
          await workbench.tab(`Explain Prediction: ${env.sampleImage}`).first().click();
          frame = await workbench.findWebview('.gradcam-panel .model-path', goodModel, 20_000);
          before = await listFiles(env.workspace);
        });
        await steps.run(`Drop ${dropped}’s bytes onto the panel → it is explained from the extension’s storage; the workspace is unchanged`, 60_000, async () => {
          if (!frame) throw new Error('no Grad-CAM panel');
          const bytes = (await readFile(path.join(folder, dropped))).toString('base64');
          await frame.locator('main').evaluate((main, [base64, name]) => {
            const file = new File([Uint8Array.from(atob(base64), (character) => character.charCodeAt(0))], name, { type: 'image/png' });
            const transfer = new DataTransfer();
            transfer.items.add(file);
            // Shift held, as VS Code wants for a drop into a webview (else its editor area takes the drop).
            for (const type of ['dragenter', 'dragover', 'drop']) main.dispatchEvent(new DragEvent(type, { bubbles: true, cancelable: true, shiftKey: true, dataTransfer: transfer }));
          }, [bytes, dropped] as const);
          let imagePath = '';
          await pollUntil(page, 55_000, async () => {
            imagePath = await textNow(frame!.locator('.image-path'));
            if (!new RegExp(`/pasted-images/${escapeRegExp(path.parse(dropped).name)}-[0-9a-f]{12}\\.png$`).test(imagePath)) return `the panel shows ${imagePath}, not the dropped image kept in the extension's storage`;
            return gradCamReady(frame!);
          });
          if (imagePath.startsWith(env.workspace)) throw new Error(`the dropped bytes were written into the workspace: ${imagePath}`);
          const [thumbnail] = await readImages(frame.locator('img.input-thumbnail'));
          if (!loaded(thumbnail)) throw new Error('the header shows no thumbnail of the dropped image');
          const after = await listFiles(env.workspace);
          if (after.join('\n') !== before.join('\n')) throw new Error(`files appeared in the workspace: ${after.filter((file) => !before.includes(file)).join(', ')}`);
          log(`      explained ${imagePath}; thumbnail ${thumbnail.naturalWidth}×${thumbnail.naturalHeight} px; the workspace's ${after.length} files are unchanged`);
        });
        await steps.run(`Drop ${droppedFile} as a file (its URI) → it is explained in place`, 60_000, async () => {
          if (!frame) throw new Error('no Grad-CAM panel');
          const uri = pathToFileURL(path.join(folder, droppedFile)).href;
          await frame.locator('main').evaluate((main, text) => {
            const transfer = new DataTransfer();
            transfer.setData('text/uri-list', text);
            for (const type of ['dragenter', 'dragover', 'drop']) main.dispatchEvent(new DragEvent(type, { bubbles: true, cancelable: true, shiftKey: true, dataTransfer: transfer }));
          }, uri);
          await pollUntil(page, 55_000, async () => {
            const imagePath = await textNow(frame!.locator('.image-path'));
            if (imagePath !== path.join(folder, droppedFile)) return `the panel shows ${imagePath}`;
            return gradCamReady(frame!);
          });
        });
        await steps.run('Change Image… lists the images beside the model first', 30_000, async () => {
          if (!frame) throw new Error('no Grad-CAM panel');
          await frame.locator('.gradcam-controls [data-action="chooseImage"]').click();
          await workbench.quickInput.locator('.quick-input-title', { hasText: imageQuickPickTitle }).waitFor({ state: 'visible' });
          const first = (await workbench.firstQuickPickFileRow().innerText()).replace(/\s+/g, ' ');
          if (!/Beside the model/.test(first) || !first.includes(droppedFile) || !first.includes('last used')) throw new Error(`the first image is “${first}”, not ${droppedFile} (last used) beside the model`);
          log(`      image quick pick: ${(await workbench.quickPickRowTexts()).join(' | ')}`);
        });
        await steps.run(`Pick ${picked} → it is explained, its thumbnail in the header`, 60_000, async () => {
          if (!frame) throw new Error('no Grad-CAM panel');
          await workbench.quickPickChoose(picked);
          await pollUntil(page, 55_000, async () => {
            const imagePath = await textNow(frame!.locator('.image-path'));
            if (imagePath !== path.join(folder, picked)) return `the panel shows ${imagePath}`;
            const [thumbnail] = await readImages(frame!.locator('img.input-thumbnail'));
            if (!loaded(thumbnail)) return 'no thumbnail yet';
            return gradCamReady(frame!);
          });
        });
      },
    },
    {
      name: '12. Activation grids: a colour bar per layer, tooltips with numbers, zoom and pan',
      requires: ['1. The workbench opens the example workspace'],
      async run(steps) {
        await steps.run('Explorer → Visualize Model → the grids load', 150_000, async () => {
          await visualizeFromExplorer(env.goodFolder);
          await workbench.quickInput.locator('.quick-input-title', { hasText: imageQuickPickTitle }).waitFor({ state: 'visible' });
          await workbench.quickPickChoose(env.sampleImage);
          goodPanel = await workbench.findWebview('.activations-panel .model-path', goodModel, 30_000);
          await waitForGrids(page, goodPanel, expected, expectedCount, 110_000);
        });
        await steps.run('Every layer has a colour bar and its value range', 15_000, async () => {
          if (!goodPanel) throw new Error('no panel');
          const scales = await goodPanel.locator('.layer-section').evaluateAll((sections) =>
            sections.map((section) => ({
              name: section.querySelector('.layer-name')?.textContent ?? '',
              shown: !(section.querySelector('.layer-scale') as HTMLElement | null)?.hidden,
              gradient: (section.querySelector('.layer-scale .colorbar-gradient') as HTMLElement | null)?.style.backgroundImage ?? '',
              width: section.querySelector('.layer-scale .colorbar-gradient')?.getBoundingClientRect().width ?? 0,
              labels: [...section.querySelectorAll('.layer-scale .colorbar-labels span')].map((label) => label.textContent),
              caption: section.querySelector('.colorbar-caption')?.textContent ?? '',
              stats: section.querySelector('.layer-stats')?.textContent ?? '',
            })),
          );
          for (const scale of scales) {
            if (!scale.shown || !scale.gradient.startsWith('linear-gradient') || scale.width < 50) throw new Error(`${scale.name} shows no colour bar (${JSON.stringify(scale)})`);
            const range = /layer values (\S+) to (\S+)$/.exec(scale.caption);
            if (!range || !scale.stats.includes(`min ${range[1]}`) || !scale.stats.includes(`max ${range[2]}`)) throw new Error(`${scale.name}: the bar’s range “${scale.caption}” is not the layer’s “${scale.stats}”`);
          }
          log(`      ${scales.map((scale) => `${scale.name}: ${scale.labels.join(' … ')} · ${scale.caption.replace(/^.* · /, '')}`).join('; ')}`);
        });
        const first = () => goodPanel!.locator('.layer-section').first();
        await steps.run('Hover a tile: its tooltip names the channel with its min, max and mean', 20_000, async () => {
          if (!goodPanel) throw new Error('no panel');
          const meta = await first().locator('.layer-meta').innerText();
          const layout = gridFor('', shapeFromMeta(meta));
          const image = first().locator('img.channel-grid-image');
          const box = await image.boundingBox();
          if (!box) throw new Error('the first grid is not on screen');
          await image.hover({ position: { x: (box.width / layout.columns) * 1.5, y: (box.height / layout.rows) * 0.5 } });
          let tooltip = '';
          await pollUntil(page, 15_000, async () => {
            tooltip = await textNow(first().locator('.tile-tooltip'));
            return /^channel 1 · (min \S+ · max \S+ · mean \S+|dead \(constant \S+\))$/.test(tooltip) ? undefined : `the tooltip says “${tooltip}”`;
          });
          // Shown, not cut off by an ancestor that clips its overflow.
          const clippedBy = await first().locator('.tile-tooltip').evaluate((element) => {
            const box = element.getBoundingClientRect();
            for (let ancestor = element.parentElement; ancestor; ancestor = ancestor.parentElement) {
              const style = getComputedStyle(ancestor);
              if (style.overflowX === 'visible' && style.overflowY === 'visible') continue;
              const frame = ancestor.getBoundingClientRect();
              if (box.left < frame.left - 1 || box.right > frame.right + 1 || box.top < frame.top - 1 || box.bottom > frame.bottom + 1) return `${ancestor.tagName.toLowerCase()}.${[...ancestor.classList].join('.')}`;
            }
            return box.width > 0 && box.height > 0 ? undefined : 'nothing (it has no size)';
          });
          if (clippedBy) throw new Error(`the tooltip is cut off by ${clippedBy}`);
          log(`      tooltip: ${tooltip}`);
        });
        await steps.run('Zoom in twice: the grid grows and pans inside its frame; the page does not scroll sideways', 20_000, async () => {
          if (!goodPanel) throw new Error('no panel');
          const fitted = await first().locator('.channel-grid').evaluate((grid) => grid.getBoundingClientRect().width);
          await first().locator('.zoom-in').click();
          await first().locator('.zoom-in').click();
          const level = await textNow(first().locator('.zoom-level'));
          if (level !== '200%') throw new Error(`the zoom level says ${level}`);
          const viewport = first().locator('.grid-viewport');
          const sizes = await viewport.evaluate((element) => ({
            grid: element.querySelector('.channel-grid')?.getBoundingClientRect().width ?? 0,
            scrollWidth: element.scrollWidth,
            clientWidth: element.clientWidth,
            page: document.documentElement.scrollWidth - document.documentElement.clientWidth,
          }));
          if (Math.abs(sizes.grid - 2 * fitted) > 2) throw new Error(`the grid is ${sizes.grid} px wide at 200%, fitted it was ${fitted} px`);
          if (sizes.scrollWidth <= sizes.clientWidth) throw new Error(`the zoomed grid does not scroll in its frame (${JSON.stringify(sizes)})`);
          if (sizes.page > 0) throw new Error(`the page scrolls sideways by ${sizes.page} px`);
          const box = await viewport.boundingBox();
          if (!box) throw new Error('no viewport');
          await page.mouse.move(box.x + box.width / 2, box.y + 20);
          await page.mouse.down();
          await page.mouse.move(box.x + box.width / 2 - 150, box.y + 20, { steps: 5 });
          await page.mouse.up();
          const scrolled = await viewport.evaluate((element) => element.scrollLeft);
          if (scrolled < 100) throw new Error(`dragging 150 px panned the grid by ${scrolled} px`);
          if (await goodPanel.locator('.channel-dialog-backdrop').isVisible()) throw new Error('the drag opened a channel');
          log(`      fitted ${Math.round(fitted)} px → ${Math.round(sizes.grid)} px in a ${sizes.clientWidth} px frame; dragged: scrolled ${scrolled} px`);
        });
        await steps.run('Fit brings it back to the panel’s width', 15_000, async () => {
          await first().locator('.zoom-fit').click();
          const level = await textNow(first().locator('.zoom-level'));
          if (level !== '100%') throw new Error(`the zoom level says ${level}`);
        });
        await steps.run('Enlarge a channel: the dialog gives the channel’s own size', 30_000, async () => {
          if (!goodPanel) throw new Error('no panel');
          const shape = shapeFromMeta(await first().locator('.layer-meta').innerText());
          const image = first().locator('img.channel-grid-image');
          await image.click({ position: { x: 2, y: 2 } });
          const stats = goodPanel.locator('.channel-dialog .channel-stats');
          await stats.waitFor({ state: 'visible' });
          const text = await stats.innerText();
          if (!text.includes(`${shape[2]} × ${shape[1]} values`)) throw new Error(`the dialog says “${text}”; the channel is ${shape[2]} × ${shape[1]}`);
          log(`      ${text}`);
          await page.keyboard.press('Escape');
          await goodPanel.locator('.channel-dialog').waitFor({ state: 'hidden' });
        });
      },
    },
    {
      name: '13. Four panels share one editor group and fit 800 px, in dark and light themes',
      requires: ['1. The workbench opens the example workspace'],
      async run(steps) {
        const tabs = [
          { title: 'Activations: ', selector: '.activations-panel .model-path' },
          { title: `Filter 0: ${singleLayer}`, selector: '.filter-panel .model-path' },
          { title: 'Explain Prediction: ', selector: '.gradcam-panel .model-path' },
          { title: 'Summary: ', selector: '.summary-panel .model-path' },
        ];
        await steps.run('Open Activations, a filter, Grad-CAM and the Summary of the model', 150_000, async () => {
          await workbench.runCommand('View: Close All Editors');
          await visualizeFromExplorer(env.goodFolder);
          await workbench.quickPickChoose(env.sampleImage);
          await workbench.findWebview(tabs[0].selector, goodModel, 30_000);
          await workbench.openViewContainer('Convscope');
          await workbench.expandTreeRow(singleLayer);
          await workbench.sidebarTreeRow('filter 0').first().locator('.label-name').click();
          await workbench.findWebview(tabs[1].selector, goodModel, 30_000);
          await workbench.runCommand('Convscope: Explain Prediction (Grad-CAM)');
          await workbench.quickPickChoose(env.sampleImage);
          await workbench.findWebview(tabs[2].selector, goodModel, 30_000);
          await workbench.runCommand('Convscope: Model Summary');
          await workbench.findWebview(tabs[3].selector, goodModel, 30_000);
          await workbench.runCommand('View: Show Explorer');
        });
        await steps.run('They are tabs of one editor group', 15_000, async () => {
          const groups = page.locator('.editor-group-container').filter({ has: page.locator('.tabs-container .tab', { hasText: /^(Activations|Filters?|Grad-CAM|Summary)\b/ }) });
          const count = await groups.count();
          if (count !== 1) throw new Error(`the Convscope panels are spread over ${count} editor groups`);
          const titles = (await groups.first().locator('.tabs-container .tab').allInnerTexts()).map((title) => title.trim());
          for (const { title } of tabs) if (!titles.some((shown) => shown.startsWith(title))) throw new Error(`no tab “${title}…” in the group (tabs: ${titles.join(', ')})`);
          log(`      one group: ${titles.join(', ')}`);
        });
        await steps.run('Make the editor group 800 px wide', 15_000, async () => {
          const group = page.locator('.editor-group-container').first();
          const width = (await group.boundingBox())?.width ?? 0;
          const viewport = page.viewportSize() ?? { width: 1600, height: 1000 };
          await page.setViewportSize({ width: Math.round(viewport.width - (width - 800)), height: viewport.height });
          await pollUntil(page, 10_000, async () => {
            const now = (await group.boundingBox())?.width ?? 0;
            return Math.abs(now - 800) <= 2 ? undefined : `the group is ${now} px wide`;
          });
        });
        const initialTheme = (await themeKind()) === 'vs' ? 'Light Modern' : 'Dark Modern';
        for (const theme of ['Dark Modern', 'Light Modern'] as const) {
          await steps.run(`Switch to the ${theme} theme`, 20_000, () => setColorTheme(theme));
          for (const { title, selector } of tabs) {
            await steps.run(`${theme}: the ${title.replace(/[: ].*$/, '')} panel needs no horizontal scrolling at 800 px`, 30_000, async () => {
              await workbench.tab(title).first().click();
              const frame = await workbench.findWebview(selector, goodModel, 20_000);
              await page.waitForTimeout(500);
              const overflow = await frame.locator('body').evaluate(() => {
                const root = document.documentElement;
                const wide = [...document.querySelectorAll('body *')]
                  .filter((element) => element.getBoundingClientRect().right > root.clientWidth + 1 && !element.closest('.grid-viewport.zoomed'))
                  .slice(0, 5)
                  .map((element) => `${element.tagName.toLowerCase()}.${[...element.classList].join('.')} (right ${Math.round(element.getBoundingClientRect().right)})`);
                return { width: root.clientWidth, scroll: root.scrollWidth, wide };
              });
              if (overflow.scroll > overflow.width) throw new Error(`the panel is ${overflow.scroll} px wide in ${overflow.width} px: ${overflow.wide.join(', ')}`);
              log(`      ${title.trim()} ${overflow.width} px wide, nothing wider`);
            });
          }
        }
        await steps.run(`Back to the ${initialTheme} theme and the full window`, 20_000, async () => {
          await setColorTheme(initialTheme);
          await page.setViewportSize({ width: 1600, height: 1000 });
        });
      },
    },
    {
      name: '14. A filter grid on a real trained model shows patterns, not noise, beside the crops that excite each filter',
      requires: ['1. The workbench opens the example workspace'],
      async run(steps) {
        const copied = await steps.run(`Copy ${REAL_MODEL.folder} from the shared real models into the workspace`, 15_000, () => copyRealModel(env.workspace));
        if ('skipped' in copied) {
          log(`      skipped: ${copied.skipped}`);
          return;
        }
        const { modelPath } = copied;
        const modelFolder = new RegExp(`(^|/)${escapeRegExp(REAL_MODEL.folder)}$`);
        await steps.run(`Command Palette → Convscope: Open Model… → ${REAL_MODEL.file} with ${REAL_MODEL.image}`, 90_000, async () => {
          await workbench.runCommand('View: Close All Editors');
          await workbench.runCommand('Convscope: Open Model…');
          await workbench.quickPickChooseRow(modelQuickPickTitle, REAL_MODEL.file, modelFolder);
          await workbench.quickInput.locator('.quick-input-title', { hasText: imageQuickPickTitle }).waitFor({ state: 'visible' });
          await workbench.quickPickChoose(REAL_MODEL.image);
          await workbench.findWebview('.activations-panel .model-path', modelPath, 60_000);
        });
        let grid: FrameLocator | undefined;
        await steps.run(`Command Palette → Convscope: Show Filter Grid → ${REAL_MODEL.layer}`, 45_000, async () => {
          await workbench.runCommand('Convscope: Show Filter Grid');
          await workbench.quickInput.locator('.quick-input-title', { hasText: /Show Filter Grid/ }).waitFor({ state: 'visible' });
          await workbench.quickPickChoose(REAL_MODEL.layer);
          await workbench.tab(`Filters: ${REAL_MODEL.layer}`).first().waitFor({ state: 'visible' });
          grid = await workbench.findWebview('.filter-panel .layer-name-detail', new RegExp(`^${escapeRegExp(REAL_MODEL.layer)}$`), 30_000);
          const preset = await textNow(grid.locator('.filter-preset'));
          if (preset !== 'lucid') throw new Error(`the grid uses the ${preset} preset, not the default lucid`);
        });
        await steps.run('The whole grid arrives with the default preset: patterns, each with its objective before → after', 300_000, async () => {
          const frame = grid;
          if (!frame) throw new Error('no filter-pattern panel');
          await pollUntil(
            page,
            295_000,
            async () => {
              const failed = await failedStatus(frame);
              if (failed) throw new Error(failed);
              const tiles = await readFilterTiles(frame);
              const shown = tiles.filter((tile) => tile.state === 'shown').length;
              if (tiles.length === 0 || shown < tiles.length) return `${shown} of ${tiles.length} tiles shown (status “${await statusText(frame)}”)`;
              if (await frame.locator('button[data-action="cancelRun"]').isVisible()) return 'the run is still in progress';
              return undefined;
            },
            1000,
          );
          const captions = await frame.locator('.filter-tile.shown .filter-tile-objective').allInnerTexts();
          const tiles = await frame.locator('.filter-tile.shown').count();
          if (captions.length !== tiles || !captions.every((caption) => /→/.test(caption))) throw new Error(`${captions.length} of ${tiles} tiles show their objective before → after`);
          const panelText = await textNow(frame.locator('.filter-panel'));
          if (/\bdead\b/i.test(panelText)) throw new Error('the filter panel says "dead", the activation view\'s word for a constant channel');
          log(`      ${await textNow(frame.locator('.filter-summary'))}; status: ${await statusText(frame)}`);
        });
        await steps.run('The tiles are patterns, not gray noise (neighbouring pixels alike)', 20_000, async () => {
          const frame = grid;
          if (!frame) throw new Error('no filter-pattern panel');
          const textures = await readTileTextures(frame.locator('.filter-tile.shown img.filter-tile-image'));
          const structured = textures.filter((texture) => texture.spread > 4);
          const roughness = median(structured.map((texture) => texture.roughness));
          log(`      ${structured.length} of ${textures.length} tiles have contrast; median roughness ${roughness.toFixed(2)} (white noise ≈ 1.13)`);
          if (structured.length < textures.length * 0.75) throw new Error(`only ${structured.length} of ${textures.length} tiles have any contrast`);
          // On this layer the study notes' ascent leaves gray noise at 0.81–1.24 (median 0.95); lucid's
          // stripes and textures, a few pixels wide, are at 0.17–0.78 (median 0.53).
          if (!(roughness < 0.75)) throw new Error(`the tiles look like noise: median roughness ${roughness.toFixed(2)} (white noise ≈ 1.13, the notes' gray noise on this layer ≈ 0.95, a pattern under 0.75)`);
          await frame.locator('.filter-grid').scrollIntoViewIfNeeded();
        });
        await steps.run('Below the grid, each pattern sits beside the crops of the images that excite its filter most', 20_000, async () => {
          const frame = grid;
          if (!frame) throw new Error('no filter-pattern panel');
          const rows = await frame.locator('.filter-example-row.shown').count();
          const crops = await frame.locator('.filter-example-row.shown figure.filter-example').count();
          const activations = await frame.locator('.filter-example-row.shown .filter-example-activation').allInnerTexts();
          if (rows === 0) throw new Error('no example rows below the grid');
          if (crops === 0) throw new Error(`${rows} example rows, but no crop in any (source: ${await textNow(frame.locator('.filter-examples-source'))})`);
          log(`      ${rows} rows, ${crops} crops; first activations ${activations.slice(0, 4).join(', ')}; ${await textNow(frame.locator('.filter-examples-source'))}`);
          await frame.locator('.filter-example-row.shown').first().scrollIntoViewIfNeeded();
        });
      },
    },
    {
      name: '15. A filter grid runs on its own engine worker: activations opened meanwhile fill within seconds, on threaded WASM',
      requires: ['1. The workbench opens the example workspace'],
      async run(steps) {
        // A workspace setting for this scenario only, in the settings file the workspace has from the
        // start (run-e2e.ts: VS Code did not read a .vscode folder made later); put back after.
        const workspaceSettings = path.join(env.workspace, '.vscode', 'settings.json');
        const previousSettings = await readFile(workspaceSettings, 'utf8');
        try {
          const otherImage = env.allImages.find((name) => name !== env.sampleImage) ?? env.sampleImage;
          await steps.run(`Command Palette → Convscope: Open Model… → ${env.goodFolder}/model.json with ${env.sampleImage}`, 90_000, async () => {
            await workbench.runCommand('View: Close All Editors');
            await workbench.clearNotifications();
            await workbench.runCommand('Convscope: Open Model…');
            await workbench.quickPickChooseRow(modelQuickPickTitle, 'model.json', goodFolderDescription);
            await workbench.quickInput.locator('.quick-input-title', { hasText: imageQuickPickTitle }).waitFor({ state: 'visible' });
            await workbench.quickPickChoose(env.sampleImage);
            const frame = await workbench.findWebview('.activations-panel .model-path', goodModel, 60_000);
            await waitForGrids(page, frame, expected, expectedCount, 60_000);
          });
          await steps.run('The output log says the engine runs threaded WASM', 20_000, async () => {
            // The WASM backend's pool: the cores available, at most 8 (src/engine/tfjs/wasmThreads.ts).
            const cores = Math.min(os.availableParallelism(), 8);
            let ready: string[] = [];
            await pollUntil(page, 15_000, async () => {
              ready = (await readConvscopeLog(env.logsDir)).filter((line) => /Engine ready on /.test(line));
              return ready.some((line) => /\(the engine worker\)\.$/.test(line)) ? undefined : `no “Engine ready … (the engine worker).” line in ${env.logsDir} yet`;
            });
            for (const line of ready) {
              const match = /Engine ready on the (\w+) backend(?: with (\d+) threads?)? \(/.exec(line);
              if (!match) throw new Error(`an unexpected ready line: ${line}`);
              if (match[1] !== 'wasm') throw new Error(`the engine runs on the ${match[1]} backend, not wasm: ${line}`);
              if (Number(match[2]) !== cores) throw new Error(`the engine runs ${match[2] ?? 'an unknown number of'} WASM threads, expected ${cores} (this machine's cores, at most 8): ${line}`);
              if (cores > 1 && Number(match[2]) < 2) throw new Error(`the installed build runs single-threaded WASM: ${line}`);
            }
            log(`      ${ready.at(-1)?.replace(/^.*?\] /, '')}`);
          });
          // The grid must outlast the activations opened meanwhile: 40 steps of the example's first
          // 64-filter layer took about 12 s here, with under a second left when they had filled.
          await steps.run(`The workspace settings ask for ${LONG_GRID_STEPS} steps a filter, so the grid outlasts what runs beside it`, 15_000, async () => {
            await writeFile(workspaceSettings, JSON.stringify({ ...JSON.parse(previousSettings), 'convscope.filters.steps': LONG_GRID_STEPS }, null, 2));
            // VS Code reads the file again when its watcher reports the change.
            await page.waitForTimeout(3_000);
          });
          await steps.run(`Command Palette → Convscope: Show Filter Grid → ${gridLayer}; its steps start`, 90_000, async () => {
            await workbench.runCommand('Convscope: Show Filter Grid');
            await workbench.quickInput.locator('.quick-input-title', { hasText: /Show Filter Grid/ }).waitFor({ state: 'visible' });
            await workbench.quickPickChoose(gridLayer);
            await workbench.tab(`Filters: ${gridLayer}`).first().waitFor({ state: 'visible' });
            const frame = await workbench.findWebview('.filter-panel .layer-name-detail', new RegExp(`^${escapeRegExp(gridLayer)}$`), 30_000);
            await pollUntil(page, 80_000, async () => {
              const failed = await failedStatus(frame);
              if (failed) throw new Error(failed);
              const status = await statusText(frame);
              // Before its first step the run counts one placeholder step.
              return Number(/\d+ \/ (\d+) steps/.exec(status)?.[1]) > 1 ? undefined : `the grid has not started its steps (status “${status}”)`;
            });
            const status = await statusText(frame);
            const total = Number(/\d+ \/ (\d+) steps/.exec(status)?.[1]);
            if (!(total > 0 && total % LONG_GRID_STEPS === 0)) throw new Error(`the grid runs ${total} steps, not ${LONG_GRID_STEPS} a filter: the workspace setting was not read (status “${status}”)`);
            log(`      grid status: ${status}`);
          });
          await steps.run(`While the grid runs: Explorer → Visualize Model with ${otherImage} → its activations fill within seconds`, 60_000, async () => {
            await visualizeFromExplorer(env.goodFolder);
            await workbench.quickPickChoose(otherImage);
            const started = Date.now();
            const frame = await workbench.findWebview('.activations-panel .model-path', goodModel, 20_000);
            const waits: string[] = [];
            // Filled: the header names the new image (its run's session came) and every grid is drawn.
            await pollUntil(page, 20_000, async () => {
              const status = await statusText(frame);
              if (/^Waiting for/.test(status)) waits.push(status);
              if (/^Failed/.test(status)) throw new Error(`the run failed: ${await textNow(frame.locator('.run-status'))}`);
              const image = await textNow(frame.locator('.session-header .image-path'));
              if (!image.endsWith(otherImage)) return `the panel still shows ${image || 'no image'} (status “${status}”)`;
              return checkSections(await readSections(frame), expected, expectedCount);
            });
            const filledMs = Date.now() - started;
            if (waits.length > 0) throw new Error(`the activations waited: “${waits[0]}”`);
            log(`      ${expectedCount} layer grids filled ${(filledMs / 1000).toFixed(1)} s after the image was chosen; status: ${await statusText(frame)}`);
          });
          await steps.run('The grid is still under way: Cancel it', 45_000, async () => {
            await workbench.tab(`Filters: ${gridLayer}`).first().click();
            const frame = await workbench.findWebview('.filter-panel .layer-name-detail', new RegExp(`^${escapeRegExp(gridLayer)}$`), 20_000);
            const cancel = frame.locator('button[data-action="cancelRun"]');
            // Still running after the activations filled: they did not wait for it.
            if (!(await cancel.isVisible())) throw new Error(`the grid ended before the activations filled or soon after (status “${await statusText(frame)}”): this machine is too fast for ${gridLayer}`);
            log(`      grid status: ${await statusText(frame)}`);
            await cancel.click();
            await pollUntil(page, 30_000, async () => {
              const status = await statusText(frame);
              return /^Cancelled/.test(status) ? undefined : `the status says “${status}”, not Cancelled…`;
            });
          });
          await steps.run('The grid’s own engine worker said it was ready, on threaded WASM too', 15_000, async () => {
            const lines = await readConvscopeLog(env.logsDir);
            const longLane = lines.filter((line) => /Engine ready on the wasm backend with \d+ threads? \(the engine worker for filter grids\)\.$/.test(line));
            if (longLane.length === 0) throw new Error('no ready line of the engine worker for filter grids in the log');
            log(`      ${longLane.at(-1)?.replace(/^.*?\] /, '')}`);
          });
        } finally {
          await writeFile(workspaceSettings, previousSettings);
        }
      },
    },
    {
      name: '16. Explorer → Explain Folder: accuracy, a confusion matrix whose cells filter the gallery, an error’s heatmap; the CLI report agrees',
      requires: ['1. The workbench opens the example workspace'],
      async run(steps) {
        const folder = path.join(env.workspace, DATASET_FOLDER);
        let written: WrittenDatasetImage[] = [];
        let frame: FrameLocator | undefined;
        /** The panel's confusion matrix, row by row (true class), read from its cells. */
        let panelMatrix: number[][] = [];
        const classes = ['circle', 'square', 'triangle'];
        await steps.run(`Write ${DATASET_FOLDER}/ with one subfolder per class (some images filed under the wrong class, one unreadable)`, 30_000, async () => {
          written = await writeShapesDataset(folder, { count: 45, seed: 16, mislabelEvery: 5, broken: ['unreadable.png'], scale: 2 });
          await workbench.runCommand('View: Close All Editors');
          await workbench.runCommand('View: Show Explorer');
          // The file watcher shows the new folder by itself, usually; the palette lists this command without its category.
          await workbench.runCommand('Refresh Explorer');
          await workbench.explorerRow(DATASET_FOLDER).first().waitFor({ state: 'visible' });
        });
        await steps.run(`Right-click ${DATASET_FOLDER} → Explain Folder → ${env.goodFolder}/model.json`, 45_000, async () => {
          const how = await workbench.explorerContextMenu(workbench.explorerRow(DATASET_FOLDER).first(), 'Explain Folder');
          if (how === 'enter') log('      (the click left the menu open; chosen with Enter)');
          await workbench.quickPickChooseRow(modelQuickPickTitle, 'model.json', goodFolderDescription);
          await workbench.tab(`Explain Folder: ${DATASET_FOLDER}`).first().waitFor({ state: 'visible' });
          frame = await workbench.findWebview('.dataset-panel .model-path', goodModel, 30_000);
        });
        await steps.run('Every image is predicted: accuracy, and a confusion matrix whose rows hold each folder’s images', 90_000, async () => {
          const panel = frame!;
          await pollUntil(page, 85_000, async () => {
            const failed = await failedStatus(panel);
            if (failed) throw new Error(failed);
            const status = await statusText(panel);
            return /images\/s/.test(await textNow(panel.locator('.status-detail'))) ? undefined : `the run has not finished (status “${status}”)`;
          });
          panelMatrix = await panel.locator('.dataset-confusion-table tbody tr').evaluateAll((rows) => rows.map((row) => [...row.querySelectorAll('.dataset-cell')].map((cell) => Number(cell.textContent))));
          const filed = classes.map((name) => written.filter((image) => image.folderLabel === name).length);
          const rowSums = panelMatrix.map((row) => row.reduce((sum, count) => sum + count, 0));
          if (JSON.stringify(rowSums) !== JSON.stringify(filed)) throw new Error(`the matrix's rows hold ${rowSums.join('/')} images, the folders ${filed.join('/')}`);
          const errors = panelMatrix.flatMap((row, t) => row.filter((_, p) => p !== t)).reduce((sum, count) => sum + count, 0);
          if (errors === 0) throw new Error('no image is misclassified, though some are filed under the wrong class');
          const accuracy = await textNow(panel.locator('.dataset-accuracy b'));
          const correct = panelMatrix.reduce((sum, row, t) => sum + row[t], 0);
          if (accuracy !== `${((100 * correct) / written.length).toFixed(1)}%`) throw new Error(`the panel says accuracy ${accuracy}, the matrix ${correct} of ${written.length}`);
          const skipped = await textNow(panel.locator('.dataset-skipped summary'));
          if (!/1 unreadable image/.test(skipped)) throw new Error(`the unreadable image is not listed (“${skipped}”)`);
          log(`      accuracy ${accuracy}; matrix ${JSON.stringify(panelMatrix)}; ${await textNow(panel.locator('.status-detail'))}`);
        });
        await steps.run('Click an off-diagonal cell → the gallery shows only its images', 20_000, async () => {
          const panel = frame!;
          const cell = panel.locator('.dataset-cell.off-diagonal:not([disabled])').first();
          const [t, p] = [Number(await cell.getAttribute('data-true')), Number(await cell.getAttribute('data-predicted'))];
          await cell.click();
          await pollUntil(page, 15_000, async () => {
            const count = await textNow(panel.locator('.dataset-count'));
            return count.startsWith(`${panelMatrix[t][p]} of `) ? undefined : `the gallery says “${count}”, the cell ${panelMatrix[t][p]}`;
          });
          const paths = await panel.locator('.dataset-tile').evaluateAll((tiles) => tiles.map((tile) => (tile as HTMLElement).dataset.path ?? ''));
          if (!paths.every((relative) => relative.startsWith(`${classes[t]}/`))) throw new Error(`tiles outside ${classes[t]}/: ${paths.join(', ')}`);
          // The thumbnails are files of the run's cache folder, loaded by the webview as they scroll into view.
          await pollUntil(page, 10_000, async () => {
            const widths = await panel.locator('.dataset-tile img').evaluateAll((images) => (images as HTMLImageElement[]).map((image) => image.naturalWidth));
            return widths.length > 0 && widths.every((width) => width > 0) ? undefined : `thumbnails not loaded: widths ${widths.join(', ')}`;
          });
          log(`      true ${classes[t]}, predicted ${classes[p]}: ${paths.join(', ')}`);
        });
        await steps.run('Click an error → its Grad-CAM is shown beside the gallery; the mean heatmap of the errors is shown', 60_000, async () => {
          const panel = frame!;
          await panel.locator('.dataset-tile.wrong').first().click();
          await pollUntil(page, 55_000, async () => {
            const problem = await textNow(panel.locator('.dataset-map .error-text'));
            if (problem) throw new Error(`no map: ${problem}`);
            const [map] = await readImages(panel.locator('.dataset-map-image'));
            if (!loaded(map)) return 'the map has not loaded';
            return map.colours < 2 ? 'the map is a single colour' : undefined;
          });
          await pollUntil(page, 10_000, async () => {
            const widths = await panel.locator('.dataset-mean img').evaluateAll((images) => (images as HTMLImageElement[]).map((image) => image.naturalWidth));
            return widths.length > 0 && widths.every((width) => width > 0) ? undefined : `mean error heatmaps not loaded: widths ${widths.join(', ')}`;
          });
          log(`      ${await textNow(panel.locator('.dataset-detail-verdict'))}; ${await textNow(panel.locator('.dataset-map figcaption'))}`);
        });
        await steps.run('convscope dataset writes the same confusion matrix, and its report.html shows it and an error’s heatmap', 90_000, async () => {
          const out = path.join(env.resultsDir, 's16-dataset-cli');
          const cli = path.resolve(__dirname, '..', '..', 'dist', 'cli.js');
          const run = spawnSync(process.execPath, [cli, 'dataset', goodModel, folder, '--out', out, '--cache', path.join(os.tmpdir(), 'convscope-e2e-dataset-cache')], { encoding: 'utf8', timeout: 80_000 });
          if (run.status !== 0) throw new Error(`convscope dataset exited ${run.status}: ${run.stderr}`);
          const confusion = JSON.parse(await readFile(path.join(out, 'confusion.json'), 'utf8')) as { confusion: number[][] };
          if (JSON.stringify(confusion.confusion) !== JSON.stringify(panelMatrix)) throw new Error(`the CLI's matrix ${JSON.stringify(confusion.confusion)} is not the panel's ${JSON.stringify(panelMatrix)}`);
          const report = await page.context().newPage();
          try {
            await report.goto(pathToFileURL(path.join(out, 'report.html')).href);
            const cells = await report.locator('table.confusion tbody tr').evaluateAll((rows) => rows.map((row) => [...row.querySelectorAll('td')].slice(0, -1).map((cell) => Number(cell.textContent))));
            if (JSON.stringify(cells) !== JSON.stringify(panelMatrix)) throw new Error(`the report's matrix ${JSON.stringify(cells)} is not the panel's`);
            const heatmap = report.locator('#errors ~ .grid .pic[aria-label^="Grad-CAM of"]').first();
            const background = await heatmap.evaluate((element) => getComputedStyle(element).backgroundImage);
            if (!background.startsWith('url("data:image/png;base64,')) throw new Error(`the error's heatmap is not an inlined PNG (${background.slice(0, 40)})`);
            await report.locator('table.confusion').screenshot({ path: path.join(env.resultsDir, 's16-report-confusion.png') });
            await heatmap.locator('xpath=ancestor::figure').screenshot({ path: path.join(env.resultsDir, 's16-report-error-heatmap.png') });
          } finally {
            await report.close();
          }
          log(`      CLI: ${run.stdout.trim().split('\n').join(' · ')}`);
        });
      },
    },
  ];

  const results: ScenarioResult[] = [];
  for (const scenario of scenarios.filter((candidate) => isScenarioChosen(candidate.name))) {
    const steps = new Steps(env, `s${scenario.name.split('.')[0]}`);
    const started = Date.now();
    log(`\n▶ ${scenario.name}`);
    const blocker = scenario.requires?.find((name) => results.find((result) => result.name === name)?.passed === false);
    if (blocker) {
      const error = `not run: it needs “${blocker}”, which failed`;
      log(`  ✗ FAIL ${scenario.name} — ${error}`);
      results.push({ name: scenario.name, passed: false, ms: 0, error, screenshots: [] });
      continue;
    }
    try {
      await scenario.run(steps);
      results.push({ name: scenario.name, passed: true, ms: Date.now() - started, screenshots: steps.screenshots });
      log(`  ✓ PASS ${scenario.name} (${((Date.now() - started) / 1000).toFixed(1)} s)`);
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      results.push({ name: scenario.name, passed: false, ms: Date.now() - started, error: message, screenshots: steps.screenshots });
      log(`  ✗ FAIL ${scenario.name} (${((Date.now() - started) / 1000).toFixed(1)} s)\n      ${message}`);
      // Leave no menu or quick pick open for the next scenario.
      await page.keyboard.press('Escape').catch(() => undefined);
    }
  }
  return results;
}
