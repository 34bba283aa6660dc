// The Explain Folder panel on the host, with the real engine worker and a stand-in for VS Code: the
// run streams its session, batches and summary to the view with the rate in its progress; a click
// on an image gets its map back; the view loads thumbnails from the cache folder it may read.
import { fakeWebviewPanel, progressReports } from '../support/fakeVscodePanels';
import assert from 'node:assert/strict';
import path from 'node:path';
import type * as vscode from 'vscode';
import { EngineClient } from '../../src/host/engineClient';
import { DatasetPanel, type DatasetPanelServices } from '../../src/host/panel/datasetPanel';
import { DEFAULT_IMAGE_LIMITS, DEFAULT_MODEL_LIMITS } from '../../src/shared/defaults';
import type { DatasetPanelSession, HostToWebviewMessage } from '../../src/shared/protocol';
import { BUILT_WASM_DIRECTORY, WORKER_PATH, ensureBuilt } from '../support/builtBundles';
import { REPO_ROOT, makeTempDir, removeDir } from '../support/engineFixtures';
import { writeShapesDataset, type WrittenDatasetImage } from '../support/datasetFixtures';

const EXAMPLE_MODEL = path.join(REPO_ROOT, 'examples', 'shapes', 'model.json');

async function until(condition: () => boolean, limitMs = 60_000): Promise<void> {
  const deadline = Date.now() + limitMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe('Explain Folder panel (host)', function () {
  this.timeout(180_000);
  let dir: string;
  let engine: EngineClient;
  let written: WrittenDatasetImage[];
  const opened: string[] = [];

  before(async () => {
    ensureBuilt();
    dir = await makeTempDir('convscope-dataset-panel-');
    written = await writeShapesDataset(path.join(dir, 'data'), { count: 20, seed: 9, mislabelEvery: 4, broken: ['bad.png'] });
    engine = new EngineClient({ workerPath: WORKER_PATH, wasmDirectory: BUILT_WASM_DIRECTORY, backend: 'wasm', allowNative: false });
  });
  after(async () => {
    await engine.dispose();
    await removeDir(dir);
  });

  const services = (): DatasetPanelServices =>
    ({
      engine,
      extensionUri: { fsPath: path.join(dir, 'extension'), toString: () => 'file:///extension' },
      settings: () => ({ gradCam: { intensity: 0.4, colormap: 'jet', score: 'output' }, limits: { model: DEFAULT_MODEL_LIMITS, image: DEFAULT_IMAGE_LIMITS } }),
      log: { error: () => {}, warn: () => {}, info: () => {}, debug: () => {}, show: () => {} },
      datasetCacheRoot: path.join(dir, 'cache'),
      preprocessRequestFor: () => undefined,
      inputSideFor: () => undefined,
      datasetMappingFor: () => undefined,
      rememberDatasetMapping: async () => {},
      explainImage: async (_model: string, imagePath: string) => opened.push(imagePath),
    }) as unknown as DatasetPanelServices;

  it('streams the run to the view, explains a clicked image and opens one in Explain Prediction', async () => {
    const { panel, posted, fromView } = fakeWebviewPanel();
    const datasetPanel = new DatasetPanel(panel as unknown as vscode.WebviewPanel, services(), { modelPath: EXAMPLE_MODEL, folder: path.join(dir, 'data') });
    const roots = (panel.webview.options as { localResourceRoots: { fsPath: string }[] }).localResourceRoots.map((root) => root.fsPath);
    assert.ok(roots.includes(path.join(dir, 'cache')), `the view may read the cache folder (${roots.join(', ')})`);
    progressReports.length = 0;
    const outcome = await datasetPanel.run();
    assert.equal(outcome.state, 'finished');
    const messages = posted as HostToWebviewMessage[];
    const session = messages.find((message): message is { type: 'datasetSession'; session: DatasetPanelSession } => message.type === 'datasetSession')!.session;
    assert.equal(session.imageCount, written.length + 1);
    assert.ok(session.imageBase.startsWith(`file://${path.join(dir, 'cache')}`), session.imageBase);
    const streamed = messages.flatMap((message) => (message.type === 'datasetImages' ? message.images : []));
    assert.equal(streamed.length, written.length);
    const skipped = messages.flatMap((message) => (message.type === 'datasetImages' ? message.skipped : []));
    assert.deepEqual(skipped.map((skip) => skip.relativePath), ['circle/bad.png']);
    assert.ok(messages.some((message) => message.type === 'datasetSummary'));
    const finished = messages.filter((message) => message.type === 'status').at(-1);
    assert.equal(finished?.type === 'status' && finished.status.state, 'finished');
    assert.ok(progressReports.some((report) => /of \d+ images/.test(report.message ?? '')), JSON.stringify(progressReports));

    const wrong = streamed.find((image) => image.correct === false)!;
    fromView({ type: 'explainDatasetImage', requestId: 1, relativePath: wrong.relativePath, method: 'gradcam' });
    await until(() => messages.some((message) => message.type === 'datasetExplanation'));
    const explanation = messages.find((message) => message.type === 'datasetExplanation')!;
    assert.ok(explanation.type === 'datasetExplanation');
    assert.equal(explanation.explanation.relativePath, wrong.relativePath);
    assert.equal(explanation.explanation.message, undefined);
    assert.deepEqual([...explanation.explanation.overlayPng!.subarray(0, 4)], [0x89, 0x50, 0x4e, 0x47]);
    assert.match(explanation.explanation.caption!, /^Grad-CAM of “(circle|square|triangle)” \(\d+\.\d%\) at /);

    fromView({ type: 'openDatasetImage', relativePath: wrong.relativePath });
    await until(() => opened.length === 1);
    assert.equal(opened[0], path.join(dir, 'data', ...wrong.relativePath.split('/')));
    // A path out of the folder is refused before it reaches the panel.
    fromView({ type: 'openDatasetImage', relativePath: '../model.json' });
    await new Promise((resolve) => setTimeout(resolve, 50));
    assert.equal(opened.length, 1);
    datasetPanel.dispose();
  });
});
