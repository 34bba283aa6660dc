// The filter-pattern panel: header (model, layer, filters, preset, size, steps), toolbar (preset,
// Example Images…, Cancel, Export Grid), run status, the grid whose tiles appear as the host streams
// them, and below it each pattern beside the crops of the example images that excite its filter most.
// Clicking a tile enlarges it.
import type { FilterPatternImage, FilterPatternParameters } from '../src/shared/types';
import type { FilterPanelSession, HostToWebviewMessage, RunStatus } from '../src/shared/protocol';
import { el, replaceChildren } from './dom';
import { baseName, PREPROCESS_LABELS } from './format';
import { FilterTileDialog } from './filterTileDialog';
import { FilterTileGrid } from './filterTileGrid';
import { FilterExampleRows } from './filterExampleRows';
import { FilterToolbar } from './filterToolbar';
import { RunView } from './runView';
import type { HostConnection } from './vscodeApi';

export class FilterPatternView extends RunView<FilterPanelSession> {
  readonly kind = 'filters';
  private readonly toolbar: FilterToolbar;
  private readonly summary: HTMLParagraphElement;
  private readonly gridArea: HTMLElement;
  private readonly dialog: FilterTileDialog;
  private grid: FilterTileGrid | undefined;
  private exampleRows: FilterExampleRows | undefined;

  constructor(root: HTMLElement, host: HostConnection) {
    super(root, host);
    this.toolbar = new FilterToolbar({
      setPreset: (preset) => this.host.post({ type: 'setFilterPreset', preset }),
      cancelRun: () => this.cancelRun(),
      exportGrid: () => this.host.post({ type: 'exportFilterGrid' }),
      chooseExampleFolder: () => this.host.post({ type: 'chooseFilterExampleFolder' }),
    });
    this.summary = el('p', { class: 'filter-summary' });
    this.summary.hidden = true;
    this.gridArea = el('section', { class: 'filter-grid-area', 'aria-label': 'Filter patterns' });
    this.dialog = new FilterTileDialog(root.ownerDocument);
    this.mount('filter-panel', [this.toolbar.element], [this.summary, this.gridArea], [this.dialog.element]);

    const restored = host.getState();
    if (restored?.view === 'filters') this.header.showRestoring(restored.modelPath, `layer ${restored.layerName} (${restored.preset})`);
  }

  protected sessionOf(message: HostToWebviewMessage): FilterPanelSession | undefined {
    return message.type === 'filterSession' ? message.session : undefined;
  }

  protected onMessage(message: HostToWebviewMessage): void {
    if (message.type === 'filterTile') this.showTile(message.tile);
  }

  protected showSession(session: FilterPanelSession): void {
    const { parameters } = session;
    this.host.setState({ view: 'filters', modelPath: session.modelPath, layerName: session.layerName, preset: parameters.preset });
    this.dialog.close();
    this.grid?.dispose();
    this.exampleRows?.dispose();
    this.exampleRows = undefined;

    this.header.show({
      title: session.modelName || baseName(session.modelPath),
      details: [
        { term: 'Model', value: session.modelPath, className: 'model-path' },
        { term: 'Layer', value: session.layerName, className: 'layer-name-detail' },
        { term: 'Filters', value: `${session.filters.length} of ${session.filterCount} filters`, className: 'filter-count' },
        { term: 'Preset', value: parameters.preset, className: 'filter-preset' },
        { term: 'Size', value: `${parameters.size} × ${parameters.size} px`, className: 'filter-size-detail' },
        { term: 'Steps', value: describeSteps(parameters), className: 'filter-steps-detail' },
        { term: 'Preprocess', value: PREPROCESS_LABELS[session.preprocess] ?? session.preprocess, className: 'preprocess-mode' },
        {
          term: 'Examples',
          value: session.exampleSource ? `${session.exampleSource.description} (${session.exampleSource.imageCount})` : 'no images found: choose a folder with Example Images…',
          className: 'filter-example-source',
        },
      ],
    });
    this.toolbar.setEnabled(true);
    this.toolbar.setPreset(parameters.preset);
    this.toolbar.setExportable(false);

    if (session.filters.length === 0) {
      this.grid = undefined;
      replaceChildren(this.gridArea, [el('p', { class: 'placeholder' }, ['No filters to show.'])]);
      this.toolbar.setRunning(false);
      this.status.showMessage('Nothing to compute.');
      this.updateSummary();
      return;
    }
    this.grid = new FilterTileGrid({
      layerName: session.layerName,
      tileSize: session.grid.tileSize,
      filters: session.filters,
      onOpenTile: (tile, url) => this.dialog.open(session.layerName, tile, url),
    });
    if (session.exampleSource) this.exampleRows = new FilterExampleRows(session.filters, session.exampleSource.description, session.exampleSource.imageCount);
    replaceChildren(this.gridArea, [this.grid.element, ...(this.exampleRows ? [this.exampleRows.element] : [])]);
    this.toolbar.setRunning(true);
    this.status.showRunning(0, 0, 'steps', 'Starting…');
    this.updateSummary();
  }

  private showTile(tile: FilterPatternImage): void {
    if (!this.grid?.showTile(tile)) return;
    this.exampleRows?.showTile(tile, this.grid.urlOf(tile.tile));
    this.updateSummary();
  }

  protected showStatus(status: RunStatus): void {
    switch (status.state) {
      case 'running':
        this.toolbar.setRunning(true);
        this.status.showRunning(status.done, status.total, status.unit, status.message);
        break;
      case 'finished':
        this.toolbar.setRunning(false);
        this.toolbar.setExportable(this.grid !== undefined);
        this.status.showFinished(status.backend, status.timings, status.details);
        this.grid?.markMissing();
        break;
      case 'cancelled':
        this.toolbar.setRunning(false);
        this.status.showCancelled(`Cancelled — ${this.grid?.shownCount ?? 0} of ${this.grid?.tileCount ?? 0} filters shown`);
        this.grid?.markMissing();
        break;
      case 'failed':
        this.toolbar.setRunning(false);
        this.status.showFailed(status.message);
        this.grid?.markMissing();
        break;
    }
    this.updateSummary();
  }

  private updateSummary(): void {
    if (!this.grid) {
      this.summary.hidden = true;
      return;
    }
    const notRaised = this.grid.warningCount('not raised');
    const silent = this.grid.warningCount('silent on real images');
    this.summary.textContent =
      `${this.grid.shownCount} of ${this.grid.tileCount} filters done` +
      (notRaised > 0 ? ` · ${notRaised} not raised (the ascent did not raise the filter's mean activation meaningfully)` : '') +
      (silent > 0 ? ` · ${silent} silent on real images (the filter's mean activation is 0 or less on every image compared)` : '');
    this.summary.hidden = false;
  }
}

/** `40` for `chollet`; `40 per octave × 3 octaves` for `clear`; with the step size. */
function describeSteps(parameters: FilterPatternParameters): string {
  const perOctave = parameters.preset === 'clear' && parameters.clear.octaves > 1;
  const steps = perOctave ? `${parameters.steps} per octave × ${parameters.clear.octaves} octaves` : String(parameters.steps);
  return `${steps}, step size ${parameters.stepSize}`;
}
