// The Explain Prediction panel (Grad-CAM and the other CAM methods): header (model, image and its thumbnail, preprocessing and why), controls
// (Change Image… among them), run status, and the result (top predictions, heatmap over the image,
// class heatmap). Every control change and every click on a prediction asks the host to explain
// again; its new run replaces the result, which stays dimmed on screen until then. An image dropped
// on the panel or pasted into it is explained instead.
import type { GradCamRunInfo } from '../src/shared/types';
import type { GradCamPanelSession, GradCamResultView, HostToWebviewMessage, RunStatus, TimingEntry, WebviewPersistedState } from '../src/shared/protocol';
import { baseName, PREPROCESS_LABELS } from './format';
import { GradCamControls } from './gradCamControls';
import { GradCamResultPanel } from './gradCamResultView';
import { ImageDropTarget } from './imageDrop';
import { RunView } from './runView';
import type { HostConnection } from './vscodeApi';

type GradCamState = Extract<WebviewPersistedState, { view: 'gradcam' }>;
type FinishedStatus = Extract<RunStatus, { state: 'finished' }>;

export class GradCamView extends RunView<GradCamPanelSession> {
  readonly kind = 'gradcam';
  private readonly controls: GradCamControls;
  private readonly resultPanel: GradCamResultPanel;
  private readonly imageDrop: ImageDropTarget;
  /** The result on screen and the run it came from (possibly an earlier run of the same model and image). */
  private result: { runId: number; info: GradCamRunInfo } | undefined;
  private finished: FinishedStatus | undefined;
  private persisted: GradCamState | undefined;

  constructor(root: HTMLElement, host: HostConnection) {
    super(root, host);
    this.controls = new GradCamControls({
      chooseImage: () => this.host.post({ type: 'chooseImage' }),
      explain: (request) => this.host.post({ type: 'explain', ...request }),
      exportResult: () => this.host.post({ type: 'exportGradCam' }),
      cancelRun: () => this.cancelRun(),
    });
    this.resultPanel = new GradCamResultPanel({
      onPickClass: (index) => this.host.post({ type: 'explain', targetClass: index }),
    });
    this.imageDrop = new ImageDropTarget(root, (message) => this.host.post(message));
    this.mount('gradcam-panel', [this.controls.element, this.imageDrop.note], [this.resultPanel.element], [this.imageDrop.overlay]);

    const restored = host.getState();
    if (restored?.view === 'gradcam') {
      this.persisted = restored;
      this.header.showRestoring(restored.modelPath, restored.imagePath);
    }
  }

  protected sessionOf(message: HostToWebviewMessage): GradCamPanelSession | undefined {
    return message.type === 'gradCamSession' ? message.session : undefined;
  }

  protected onMessage(message: HostToWebviewMessage): void {
    if (message.type === 'gradCamResult') this.showResult(message.runId, message.result);
    if (message.type === 'gradCamMap' && message.runId === this.runId && this.session) {
      this.resultPanel.showArrivingMap(message.index, message.total, message.map, this.session.imagePath, this.session.colormap);
    }
  }

  protected showSession(session: GradCamPanelSession, previous: GradCamPanelSession | undefined): void {
    const sameSubject = previous !== undefined && previous.modelPath === session.modelPath && previous.imagePath === session.imagePath;
    this.finished = undefined;

    const kept = this.persisted && this.persisted.modelPath === session.modelPath && this.persisted.imagePath === session.imagePath ? this.persisted : undefined;
    this.persist({ view: 'gradcam', modelPath: session.modelPath, imagePath: session.imagePath, targetClass: kept?.targetClass, layer: kept?.layer });

    this.header.show({
      title: session.modelName || baseName(session.modelPath),
      thumbnail: session.imageThumbnail,
      thumbnailAlt: `Input image ${baseName(session.imagePath)}`,
      details: [
        { term: 'Model', value: session.modelPath, className: 'model-path' },
        { term: 'Image', value: session.imagePath, className: 'image-path' },
        { term: 'Preprocess', value: PREPROCESS_LABELS[session.preprocess] ?? session.preprocess, className: 'preprocess-mode' },
        { term: 'Why', value: session.preprocessReason, className: 'preprocess-reason', wrap: true },
      ],
    });
    this.imageDrop.setEnabled(true);

    this.controls.setLayerChoices(session.layerChoices, sameSubject);
    this.controls.setIntensity(session.intensity);
    this.controls.setColormap(session.colormap);
    this.controls.setScore(session.score);
    this.controls.setMethods(session.methods ?? []);
    this.controls.setFaithfulness(session.faithfulness ?? false);
    this.controls.setComparison(session.compareLayers ?? [], session.compareClasses ?? []);
    this.controls.setEnabled(true);
    this.controls.setRunning(true);
    this.controls.setExportable(false, 'Export is possible once the heatmap is shown');

    if (sameSubject && this.result) {
      this.resultPanel.setStale(true);
    } else {
      this.result = undefined;
      this.resultPanel.showPlaceholder('Computing the heatmap…');
    }
    this.status.showRunning(0, 0, '', 'Computing the heatmap…');
  }

  private showResult(runId: number, result: GradCamResultView): void {
    const { info } = result;
    this.result = { runId, info };
    this.resultPanel.show(result);
    this.controls.setLayer(info.layer.name);
    this.controls.setIntensity(info.intensity);
    this.controls.setColormap(info.colormap);
    this.controls.setScore(info.score);
    if (info.maps) this.controls.setMethods([...new Set(info.maps.map((map) => map.method))]);
    this.controls.setRunning(false);
    if (info.noPositiveEvidence && (info.maps?.length ?? 1) <= 1) this.controls.setExportable(false, 'Nothing to export: no positive evidence for this class at this layer');
    else this.controls.setExportable(true);
    if (this.session) {
      this.persist({
        view: 'gradcam',
        modelPath: this.session.modelPath,
        imagePath: this.session.imagePath,
        targetClass: info.targetClass.index,
        layer: info.layer.name,
      });
    }
    this.showSummary();
  }

  protected showStatus(status: RunStatus): void {
    const resultOfThisRun = this.result !== undefined && this.result.runId === this.runId;
    switch (status.state) {
      case 'running':
        this.controls.setRunning(true);
        this.status.showRunning(status.done, status.total, status.unit, status.message);
        break;
      case 'finished':
        this.controls.setRunning(false);
        this.finished = status;
        this.showSummary();
        break;
      case 'cancelled':
        this.controls.setRunning(false);
        this.status.showCancelled(this.result && !resultOfThisRun ? 'Cancelled — the previous result stays, dimmed' : 'Cancelled');
        if (!this.result) this.resultPanel.showPlaceholder('No heatmap: the run was cancelled.');
        break;
      case 'failed':
        this.controls.setRunning(false);
        this.status.showFailed(status.message);
        if (!this.result) this.resultPanel.showPlaceholder('No heatmap: the run failed.');
        break;
    }
  }

  /**
   * The status line once the run is done: backend and timings, then the layer, the score, the heatmap
   * size and whatever details the host's `finished` status adds. Either message may come first.
   */
  private showSummary(): void {
    const info = this.result !== undefined && this.result.runId === this.runId ? this.result.info : undefined;
    const finished = this.finished;
    if (!info && !finished) return;
    const details = info
      ? [
          ...(info.outputName !== undefined ? [`output ${info.outputName}`] : []),
          `layer ${info.layer.name}`,
          `score ${info.score}`,
          `heatmap ${info.heatmapSize[1]} × ${info.heatmapSize[0]}`,
        ]
      : [];
    for (const line of finished?.details ?? []) if (!details.includes(line)) details.push(line);
    const timings = finished && finished.timings.length > 0 ? finished.timings : info ? infoTimings(info) : [];
    const backend = finished?.backend ?? info?.backend;
    if (backend !== undefined) this.status.showFinished(backend, timings, details);
  }

  private persist(state: GradCamState): void {
    // Leave out absent fields rather than store `undefined`.
    const clean: GradCamState = { view: 'gradcam', modelPath: state.modelPath, imagePath: state.imagePath };
    if (state.targetClass !== undefined) clean.targetClass = state.targetClass;
    if (state.layer !== undefined) clean.layer = state.layer;
    this.persisted = clean;
    this.host.setState(clean);
  }
}

function infoTimings(info: GradCamRunInfo): TimingEntry[] {
  const { timings } = info;
  return [
    { label: 'model load', ms: timings.loadModelMs },
    { label: 'image read', ms: timings.readImageMs },
    { label: 'Grad-CAM', ms: timings.gradCamMs },
    { label: 'render', ms: timings.renderMs },
  ];
}
