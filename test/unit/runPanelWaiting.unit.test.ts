// A run panel whose engine job waits behind another, with the real engine worker and a stand-in
// for VS Code: the panel (and its progress notification) says what it waits for, Cancel from the
// panel cancels it without touching the job it waited behind, and once that job ends it runs.
import { errorMessages, fakeWebviewPanel, progressReports } from '../support/fakeVscodePanels';
import assert from 'node:assert/strict';
import path from 'node:path';
import type * as vscode from 'vscode';
import { EngineClient, EngineError } from '../../src/host/engineClient';
import { RunPanel, type PanelServices, type PanelTarget } from '../../src/host/panel/runPanel';
import type { FilterPatternJobRequest, FilterPatternJobResult } from '../../src/shared/engineProtocol';
import type { RunStatus } from '../../src/shared/protocol';
import { DEFAULT_FILTER_PATTERN_PARAMETERS, DEFAULT_IMAGE_LIMITS, DEFAULT_MODEL_LIMITS } from '../../src/shared/defaults';
import { BUILT_WASM_DIRECTORY, WORKER_PATH, ensureBuilt } from '../support/builtBundles';
import { buildCatsVsDogsConvnet, makeTempDir, removeDir, useWasmBackend, writeModel } from '../support/engineFixtures';

interface GridTarget extends PanelTarget {
  layerName: string;
  steps: number;
}

/** The smallest panel on RunPanel: one filter grid per run, its progress reported. */
class GridPanel extends RunPanel<GridTarget, unknown> {
  constructor(panel: vscode.WebviewPanel, services: PanelServices, target: GridTarget) {
    super(panel, services, 'filters', target);
  }

  protected runTarget(): Promise<unknown> {
    const { modelPath, layerName, steps } = this.target;
    return this.startRun('grid', (run) =>
      this.services.engine.runFilterPatterns(gridRequest(modelPath, layerName, steps, [4, 5]), { onProgress: (done, total, message) => run.progress(done, total, 'steps', message) }, run.signal),
    );
  }

  protected async onViewMessage(): Promise<void> {}
}

function gridRequest(modelPath: string, layerName: string, steps: number, filters: number[]): FilterPatternJobRequest {
  return { modelPath, layerName, filters, parameters: { ...DEFAULT_FILTER_PATTERN_PARAMETERS, preset: 'chollet', size: 32, steps }, limits: { model: DEFAULT_MODEL_LIMITS } };
}

const statusesIn = (posted: unknown[]) =>
  posted.filter((message): message is { type: 'status'; runId: number; status: RunStatus } => (message as { type?: string }).type === 'status').map((message) => message.status);

async function until(condition: () => boolean): Promise<void> {
  while (!condition()) await new Promise((resolve) => setTimeout(resolve, 20));
}

describe('a run panel waiting behind another engine job', function () {
  this.timeout(120_000);
  let dir: string;
  let modelPath: string;
  let layerName: string;
  let engine: EngineClient;

  before(async function () {
    ensureBuilt();
    await useWasmBackend();
    dir = await makeTempDir();
    const model = buildCatsVsDogsConvnet();
    modelPath = await writeModel(model, dir, 'cats');
    model.dispose();
    engine = new EngineClient({ workerPath: WORKER_PATH, wasmDirectory: BUILT_WASM_DIRECTORY, backend: 'wasm', allowNative: false });
    const summary = await engine.summarize(modelPath, { model: DEFAULT_MODEL_LIMITS, image: DEFAULT_IMAGE_LIMITS });
    layerName = summary.layers.find((layer) => layer.className === 'Conv2D')?.name ?? assert.fail('no convolution');
  });
  after(async () => {
    await engine.dispose();
    await removeDir(dir);
  });

  const services = (): PanelServices =>
    ({
      engine,
      extensionUri: { fsPath: path.join(dir, 'extension'), toString: () => 'file:///extension' },
      settings: () => ({}),
      log: { error: () => {}, warn: () => {}, info: () => {}, debug: () => {}, show: () => {} },
    }) as unknown as PanelServices;

  /** A grid that runs until cancelled, started outside the panel; resolves once its steps run, to its end. */
  async function startLongGrid(stop: AbortSignal): Promise<{ ended: Promise<FilterPatternJobResult | EngineError> }> {
    let running = false;
    const ended = engine.runFilterPatterns(gridRequest(modelPath, layerName, 2000, Array.from({ length: 16 }, (_, index) => index)), { onProgress: () => (running = true) }, stop).catch((error: EngineError) => error);
    await until(() => running);
    return { ended };
  }

  it('says what it waits behind, and Cancel from the panel cancels it alone', async function () {
    const stopFirst = new AbortController();
    const first = await startLongGrid(stopFirst.signal);
    const { panel, posted, fromView } = fakeWebviewPanel();
    const gridPanel = new GridPanel(panel as unknown as vscode.WebviewPanel, services(), { modelPath, layerName, steps: 3 });
    try {
      progressReports.length = 0;
      const outcome = gridPanel.run();
      await until(() => statusesIn(posted).length > 0);
      const behind = `the filter grid of ${layerName} (cats/model.json)`;
      assert.deepEqual(statusesIn(posted), [{ state: 'waiting', behind }]);
      assert.deepEqual(progressReports.at(-1), { message: `Waiting for ${behind} to finish` });
      fromView({ type: 'cancelRun', runId: gridPanel.currentRunId });
      assert.deepEqual(await outcome, { state: 'cancelled' });
      assert.deepEqual(statusesIn(posted).at(-1), { state: 'cancelled', done: 0, total: 0, unit: '' });
      assert.equal(errorMessages.length, 0);
      // The grid it waited behind goes on until cancelled itself.
      stopFirst.abort();
      const ended = await first.ended;
      assert.ok(ended instanceof EngineError && ended.kind === 'cancelled', String(ended));
    } finally {
      stopFirst.abort();
      gridPanel.dispose();
    }
  });

  it('starts once the job before it ends, saying so, and finishes', async function () {
    const stopFirst = new AbortController();
    const first = await startLongGrid(stopFirst.signal);
    const { panel, posted } = fakeWebviewPanel();
    const gridPanel = new GridPanel(panel as unknown as vscode.WebviewPanel, services(), { modelPath, layerName, steps: 3 });
    try {
      const outcome = gridPanel.run();
      await until(() => statusesIn(posted).length > 0);
      assert.equal(statusesIn(posted)[0].state, 'waiting');
      stopFirst.abort();
      await first.ended;
      const result = (await outcome) as FilterPatternJobResult;
      assert.deepEqual(result.info.filters, [4, 5]);
      const states = statusesIn(posted).map((status) => (status.state === 'running' ? `running ${status.message}` : status.state));
      assert.equal(states[0], 'waiting');
      assert.equal(states[1], 'running Starting…', states.join(' | '));
    } finally {
      gridPanel.dispose();
    }
  });
});
