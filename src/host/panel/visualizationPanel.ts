// One visualization panel: runs activation jobs for a model and an image, streams each layer's
// grid to the webview as it is ready, and keeps only the latest run as a snapshot to replay when
// a hidden panel is shown again.
import * as vscode from 'vscode';
import path from 'node:path';
import type { LayerSelection } from '../../engine/activations';
import type { ActivationRunInfo, LayerActivationImage, PreprocessMode } from '../../engine/types';
import type { HostToWebviewMessage, PanelSession, RunStatus, WebviewToHostMessage } from '../../shared/protocol';
import { EngineError, type EngineClient } from '../../worker/engineClient';
import type { ConvscopeSettings } from '../settings';
import { renderPanelHtml, webviewRoot } from './panelHtml';

export const VISUALIZATION_VIEW_TYPE = 'convscope.visualization';

export interface VisualizationTarget {
  modelPath: string;
  imagePath: string;
  layers?: LayerSelection;
  preprocess?: PreprocessMode;
}

export type RunOutcome =
  | { state: 'finished'; info: ActivationRunInfo; layers: LayerActivationImage[] }
  | { state: 'cancelled'; layers: LayerActivationImage[] }
  | { state: 'failed'; message: string; file?: string };

export interface PanelServices {
  engine: EngineClient;
  extensionUri: vscode.Uri;
  settings(): ConvscopeSettings;
  log: vscode.LogOutputChannel;
  /** The preprocessing the user last chose for a model, if any. */
  preprocessFor(modelPath: string): PreprocessMode | undefined;
  rememberPreprocess(modelPath: string, mode: PreprocessMode): Thenable<void>;
  /** Toolbar actions answered with the host's pickers. */
  chooseImage(panel: VisualizationPanel): Promise<void>;
  chooseLayers(panel: VisualizationPanel): Promise<void>;
}

interface Snapshot {
  session?: PanelSession;
  layers: LayerActivationImage[];
  status?: RunStatus;
  jobId?: number;
}

const THUMBNAIL_SIZE = 160;

export class VisualizationPanel implements vscode.Disposable {
  private runId = 0;
  private currentRun: AbortController | undefined;
  private snapshot: Snapshot = { layers: [] };
  private disposed = false;
  private readonly disposables: vscode.Disposable[] = [];
  private readonly disposeEmitter = new vscode.EventEmitter<void>();
  readonly onDidDispose = this.disposeEmitter.event;

  /** Wraps a new or restored webview panel. */
  constructor(
    readonly panel: vscode.WebviewPanel,
    private readonly services: PanelServices,
    private target: VisualizationTarget,
  ) {
    panel.webview.options = { enableScripts: true, localResourceRoots: [webviewRoot(services.extensionUri)] };
    panel.webview.html = renderPanelHtml(panel.webview, services.extensionUri);
    panel.iconPath = vscode.Uri.joinPath(services.extensionUri, 'media', 'convscope.svg');
    this.updateTitle();
    this.disposables.push(
      panel.webview.onDidReceiveMessage((message: WebviewToHostMessage) => this.onMessage(message)),
      panel.onDidDispose(() => this.dispose()),
    );
  }

  static create(services: PanelServices, target: VisualizationTarget): VisualizationPanel {
    const panel = vscode.window.createWebviewPanel(VISUALIZATION_VIEW_TYPE, 'Convscope', { viewColumn: vscode.ViewColumn.Beside, preserveFocus: false }, {
      enableScripts: true,
      localResourceRoots: [webviewRoot(services.extensionUri)],
    });
    return new VisualizationPanel(panel, services, target);
  }

  get modelPath(): string {
    return this.target.modelPath;
  }

  get currentTarget(): Readonly<VisualizationTarget> {
    return this.target;
  }

  /** The layer indices the latest run showed. */
  get shownLayerIndices(): number[] {
    return this.snapshot.session?.layers.map((layer) => layer.index) ?? [];
  }

  reveal(): void {
    this.panel.reveal(undefined, false);
  }

  /** Starts a run with the given changes to the target; a run still going is cancelled first. */
  async run(changes: Partial<VisualizationTarget> = {}): Promise<RunOutcome> {
    this.currentRun?.abort();
    this.target = { ...this.target, ...changes };
    this.updateTitle();
    const runId = ++this.runId;
    const abort = new AbortController();
    this.currentRun = abort;
    const settings = this.services.settings();
    const { modelPath, imagePath } = this.target;
    const preprocess = this.target.preprocess ?? this.services.preprocessFor(modelPath);
    const shown: LayerActivationImage[] = [];
    this.snapshot = { layers: shown };

    const title = `Convscope: ${path.basename(path.dirname(modelPath))} on ${path.basename(imagePath)}`;
    return vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title, cancellable: true }, async (progress, token) => {
      token.onCancellationRequested(() => abort.abort());
      let reported = 0;
      try {
        const result = await this.services.engine.runActivations(
          {
            modelPath,
            imagePath,
            layers: this.target.layers ?? { first: settings.layerCount },
            preprocess,
            colormap: settings.colormap,
            imagesPerRow: settings.imagesPerRow,
            limits: settings.limits,
            thumbnailSize: THUMBNAIL_SIZE,
          },
          {
            onStarted: (start) => {
              if (runId !== this.runId) return;
              const layers = start.layerIndices.map((index) => start.summary.layers[index]);
              this.snapshot.jobId = start.jobId;
              this.snapshot.session = {
                runId,
                modelPath,
                modelName: start.summary.modelName,
                imagePath,
                imageThumbnail: start.thumbnail,
                preprocess: start.preprocess,
                colormap: settings.colormap,
                imagesPerRow: settings.imagesPerRow,
                layers,
              };
              this.post({ type: 'session', session: this.snapshot.session });
              this.setStatus(runId, { state: 'running', done: 0, total: layers.length, message: 'Running the model' });
            },
            onLayer: (layer) => {
              if (runId !== this.runId) return;
              shown.push(layer);
              this.post({ type: 'layer', runId, layer });
            },
            onProgress: (done, total, message) => {
              if (runId !== this.runId) return;
              progress.report({ message, increment: total > 0 ? ((done - reported) / total) * 100 : undefined });
              reported = done;
              this.setStatus(runId, { state: 'running', done, total, message });
            },
          },
          abort.signal,
        );
        this.setStatus(runId, { state: 'finished', info: result.info });
        this.services.log.info(`Activations of ${modelPath} on ${imagePath}: ${shown.length} layers on ${result.info.backend} (forward ${result.info.timings.forwardMs.toFixed(0)} ms)`);
        return { state: 'finished', info: result.info, layers: shown };
      } catch (error) {
        return this.reportFailure(runId, error, shown);
      } finally {
        if (this.currentRun === abort) this.currentRun = undefined;
      }
    });
  }

  cancel(): void {
    this.currentRun?.abort();
  }

  private reportFailure(runId: number, error: unknown, shown: LayerActivationImage[]): RunOutcome {
    if (error instanceof EngineError && error.kind === 'cancelled') {
      this.setStatus(runId, { state: 'cancelled', done: shown.length, total: this.snapshot.session?.layers.length ?? 0 });
      return { state: 'cancelled', layers: shown };
    }
    const message = error instanceof Error ? error.message : String(error);
    const file = error instanceof EngineError ? error.file : undefined;
    this.services.log.error(error instanceof EngineError && error.workerStack ? error.workerStack : error instanceof Error ? (error.stack ?? message) : message);
    this.setStatus(runId, { state: 'failed', message });
    const showLog = 'Show Log';
    void vscode.window.showErrorMessage(`Convscope: ${message}`, showLog).then((choice) => {
      if (choice === showLog) this.services.log.show(true);
    });
    return { state: 'failed', message, file };
  }

  private setStatus(runId: number, status: RunStatus): void {
    if (runId !== this.runId) return;
    this.snapshot.status = status;
    this.post({ type: 'status', runId, status });
  }

  private post(message: HostToWebviewMessage): void {
    void this.panel.webview.postMessage(message);
  }

  /** A reloaded or re-shown webview gets the latest run again, as it stands. */
  private replaySnapshot(): void {
    const { session, layers, status } = this.snapshot;
    if (!session) {
      if (status) this.post({ type: 'status', runId: this.runId, status });
      return;
    }
    this.post({ type: 'session', session });
    for (const layer of layers) this.post({ type: 'layer', runId: session.runId, layer });
    if (status) this.post({ type: 'status', runId: session.runId, status });
  }

  private async onMessage(message: WebviewToHostMessage): Promise<void> {
    switch (message.type) {
      case 'ready':
        this.replaySnapshot();
        return;
      case 'cancelRun':
        if (message.runId === this.runId) this.cancel();
        return;
      case 'requestChannel':
        await this.sendChannel(message.requestId, message.runId, message.layerIndex, message.channel);
        return;
      case 'chooseImage':
        await this.services.chooseImage(this);
        return;
      case 'chooseLayers':
        await this.services.chooseLayers(this);
        return;
      case 'setPreprocess':
        await this.services.rememberPreprocess(this.target.modelPath, message.preprocess);
        await this.run({ preprocess: message.preprocess });
        return;
    }
  }

  private async sendChannel(requestId: number, runId: number, layerIndex: number, channel: number): Promise<void> {
    const jobId = this.snapshot.jobId;
    if (runId !== this.runId || jobId === undefined) {
      this.post({ type: 'channelFailed', requestId, message: 'This run is no longer current; enlarge a channel of the latest run.' });
      return;
    }
    try {
      const detail = await this.services.engine.renderChannel({ jobId, layerIndex, channel, colormap: this.services.settings().colormap });
      this.post({ type: 'channel', requestId, channel: detail });
    } catch (error) {
      this.post({ type: 'channelFailed', requestId, message: error instanceof Error ? error.message : String(error) });
    }
  }

  private updateTitle(): void {
    this.panel.title = `Convscope: ${path.basename(this.target.imagePath)}`;
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.currentRun?.abort();
    this.runId++;
    this.disposeEmitter.fire();
    this.disposeEmitter.dispose();
    for (const disposable of this.disposables.splice(0)) disposable.dispose();
    this.panel.dispose();
  }
}
