// The activations panel: header (model, image and its thumbnail, preprocessing and why), toolbar,
// run status and one section per layer, plus the channel dialog. An image dropped on the panel or
// pasted into it replaces the one shown.
import type { ChannelDetail, LayerActivationImage } from '../src/shared/types';
import type { HostToWebviewMessage, PanelSession, RunStatus } from '../src/shared/protocol';
import { ChannelDialog } from './channelDialog';
import { el, replaceChildren } from './dom';
import { PREPROCESS_LABELS, baseName } from './format';
import { ImageDropTarget } from './imageDrop';
import { LayerSection, type LayerSectionCallbacks } from './layerSection';
import { RunView } from './runView';
import { Toolbar } from './toolbar';
import type { HostConnection } from './vscodeApi';

export class ActivationsView extends RunView<PanelSession> {
  readonly kind = 'activations';
  private readonly toolbar: Toolbar;
  private readonly layerList: HTMLElement;
  private readonly announcer: HTMLElement;
  private readonly dialog: ChannelDialog;
  private readonly imageDrop: ImageDropTarget;
  private readonly sectionCallbacks: LayerSectionCallbacks;
  private sections = new Map<number, LayerSection>();
  /** Layers of the current run whose grid has arrived: Export saves those. */
  private renderedLayers = new Set<number>();
  /** Channel statistics asked for, by request, with the run they belong to. */
  private readonly statsRequests = new Map<number, number>();
  private running = false;
  private nextRequestId = 1;
  private nextStatsRequestId = 1;

  constructor(root: HTMLElement, host: HostConnection) {
    super(root, host);
    this.toolbar = new Toolbar({
      chooseImage: () => this.host.post({ type: 'chooseImage' }),
      chooseLayers: () => this.host.post({ type: 'chooseLayers' }),
      setPreprocess: (preprocess) => this.host.post({ type: 'setPreprocess', preprocess }),
      setColormap: (colormap) => this.host.post({ type: 'setColormap', colormap }),
      cancelRun: () => this.cancelRun(),
      exportGrids: () => this.host.post({ type: 'exportActivations' }),
    });
    this.layerList = el('div', { class: 'layer-list' });
    this.announcer = el('div', { class: 'visually-hidden', 'aria-live': 'polite', 'aria-atomic': 'true' });
    this.dialog = new ChannelDialog(root.ownerDocument);
    this.sectionCallbacks = {
      onOpenChannel: (layerIndex, layerName, channel, size) => this.requestChannel(layerIndex, layerName, channel, size),
      announce: (text) => this.announce(text),
      requestStats: (layerIndex, channel) => this.requestStats(layerIndex, channel),
    };
    this.imageDrop = new ImageDropTarget(root, (message) => this.host.post(message));
    this.mount('activations-panel', [this.toolbar.element, this.imageDrop.note], [this.layerList], [this.announcer, this.dialog.element, this.imageDrop.overlay]);

    const restored = host.getState();
    if (restored?.view === 'activations') this.header.showRestoring(restored.modelPath, restored.imagePath);
  }

  protected sessionOf(message: HostToWebviewMessage): PanelSession | undefined {
    return message.type === 'session' ? message.session : undefined;
  }

  protected onMessage(message: HostToWebviewMessage): void {
    switch (message.type) {
      case 'layer':
        this.showLayer(message.layer);
        break;
      case 'channel':
        this.showChannel(message.requestId, message.channel);
        break;
      case 'channelFailed':
        this.dialog.showFailure(message.requestId, message.message);
        break;
      case 'channelStats':
        if (this.statsRequests.get(message.requestId) === this.runId) this.sections.get(message.stats.layerIndex)?.showStats(message.stats);
        this.statsRequests.delete(message.requestId);
        break;
      default:
        // Messages of the other panel kinds.
        break;
    }
  }

  protected showSession(session: PanelSession): void {
    this.host.setState({ view: 'activations', modelPath: session.modelPath, imagePath: session.imagePath });
    this.dialog.close();
    for (const section of this.sections.values()) section.dispose();
    this.sections = new Map();
    this.renderedLayers = new Set();

    this.header.show({
      title: session.modelName || baseName(session.modelPath),
      thumbnail: session.imageThumbnail,
      thumbnailAlt: `Input image ${baseName(session.imagePath)}`,
      details: [
        { term: 'Model', value: session.modelPath, className: 'model-path' },
        { term: 'Image', value: session.imagePath, className: 'image-path' },
        { term: 'Preprocess', value: PREPROCESS_LABELS[session.preprocess] ?? session.preprocess, className: 'preprocess-mode' },
        { term: 'Why', value: session.preprocessReason, className: 'preprocess-reason', wrap: true },
        { term: 'Colormap', value: session.colormap, className: 'colormap-name' },
      ],
    });
    this.toolbar.setEnabled(true);
    this.toolbar.setPreprocess(session.preprocess);
    this.toolbar.setColormap(session.colormap);
    this.toolbar.setExportable(false);
    this.imageDrop.setEnabled(true);

    for (const info of session.layers) this.sections.set(info.index, new LayerSection(info.index, info, this.sectionCallbacks));
    replaceChildren(
      this.layerList,
      this.sections.size > 0
        ? [...this.sections.values()].map((section) => section.element)
        : [el('p', { class: 'placeholder' }, ['No layers selected. Use Layers… to choose some.'])],
    );

    this.setRunning(session.layers.length > 0);
    if (this.running) this.status.showStarting(session.layers.length, 'layers');
    else this.status.showMessage('Nothing to render.');
  }

  private showLayer(layer: LayerActivationImage): void {
    let section = this.sections.get(layer.layerIndex);
    if (!section) {
      // A layer the session did not list: show it after the others rather than drop it.
      section = new LayerSection(layer.layerIndex, undefined, this.sectionCallbacks);
      this.sections.set(layer.layerIndex, section);
      if (this.sections.size === 1) replaceChildren(this.layerList);
      this.layerList.appendChild(section.element);
    }
    section.show(layer);
    this.renderedLayers.add(layer.layerIndex);
  }

  protected showStatus(status: RunStatus): void {
    switch (status.state) {
      case 'running':
        this.setRunning(true);
        this.status.showRunning(status.done, status.total, status.unit, status.message);
        break;
      case 'finished':
        this.setRunning(false);
        this.status.showFinished(status.backend, status.timings, status.details);
        this.markUnrendered('Not rendered in this run.');
        break;
      case 'cancelled':
        this.setRunning(false);
        this.status.showCancelled(`Cancelled — ${status.done} of ${status.total} ${status.unit} shown`);
        this.markUnrendered('Not rendered: the run was cancelled.');
        break;
      case 'failed':
        this.setRunning(false);
        this.status.showFailed(status.message);
        this.markUnrendered('Not rendered: the run failed.');
        break;
    }
  }

  private showChannel(requestId: number, detail: ChannelDetail): void {
    this.dialog.showChannel(requestId, detail);
  }

  private requestChannel(layerIndex: number, layerName: string, channel: number, size: { width: number; height: number }): void {
    if (!this.session) return;
    const requestId = this.nextRequestId++;
    this.dialog.openLoading(requestId, layerName, channel, size);
    this.host.post({ type: 'requestChannel', requestId, runId: this.session.runId, layerIndex, channel });
  }

  private requestStats(layerIndex: number, channel: number): void {
    if (!this.session) return;
    const requestId = this.nextStatsRequestId++;
    this.statsRequests.set(requestId, this.session.runId);
    this.host.post({ type: 'requestChannelStats', requestId, runId: this.session.runId, layerIndex, channel });
  }

  private setRunning(running: boolean): void {
    this.running = running;
    this.toolbar.setRunning(running);
    this.toolbar.setExportable(!running && this.renderedLayers.size > 0);
  }

  private markUnrendered(reason: string): void {
    for (const section of this.sections.values()) section.markNotRendered(reason);
  }

  private announce(text: string): void {
    this.announcer.textContent = text;
  }
}
