// The end-to-end scenarios: a user in a real VS Code (code-server + Chromium) opens the example
// model from the Explorer, reads its activation grids, enlarges a channel, hits a broken model,
// and reloads the window. Each step has a time limit and leaves a screenshot in test-results/e2e/.
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { FrameLocator, Page } from 'playwright-core';
import { Workbench, escapeRegExp } from './workbench';

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
  log(line: string): void;
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

/** `Conv2D · 1 × 64 × 64 × 16` → [1, 64, 64, 16] */
function shapeFromMeta(meta: string): number[] {
  const shapeText = meta.split('·').pop() ?? '';
  return shapeText.split('×').map((part) => Number(part.trim()));
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

  /** Explorer → right-click <folder>/model.json → Visualize Model. */
  const visualizeFromExplorer = async (folder: string, other: string) => {
    await workbench.setFolderExpanded(other, false);
    await workbench.setFolderExpanded(folder, true);
    const rows = workbench.explorerRow('model.json');
    await rows.first().waitFor({ state: 'visible' });
    const visible = await rows.count();
    if (visible !== 1) throw new Error(`expected one model.json row in the Explorer (only ${folder} expanded), found ${visible}`);
    const how = await workbench.explorerContextMenu(rows.first(), 'Visualize Model');
    if (how === 'enter') log('      (the click on “Visualize Model” left the menu open; chosen with Enter)');
  };

  const panelFor = (limitMs: number) => workbench.findWebview('.model-path', goodModel, limitMs);

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
      },
    },
    {
      name: '2. Explorer → Visualize Model shows every layer grid',
      requires: ['1. The workbench opens the example workspace'],
      async run(steps) {
        await steps.run('Right-click model.json → Visualize Model', 30_000, () => visualizeFromExplorer(env.goodFolder, env.brokenFolder));
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
          await visualizeFromExplorer(env.brokenFolder, env.goodFolder);
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
          await visualizeFromExplorer(env.goodFolder, env.brokenFolder);
          await workbench.quickInput.waitFor({ state: 'visible' });
          const first = (await workbench.quickPickRows().first().innerText()).replace(/\s+/g, ' ');
          if (!first.includes(env.sampleImage) || !first.includes('last used')) throw new Error(`the quick pick's first row is “${first}”, not ${env.sampleImage} (last used)`);
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
  ];

  const results: ScenarioResult[] = [];
  for (const scenario of scenarios) {
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
