// The Explain Folder panel: the run's progress (with its rate and time left), accuracy, the
// confusion matrix (a click on a cell shows its images), the mean heatmap of each class's errors,
// and a virtualised gallery that can be sorted and filtered; a click on an image shows it beside the
// gallery with its map, by any method the Explain Prediction panel offers.
import type { DatasetImageExplanation, DatasetPanelSession, HostToWebviewMessage, RunStatus } from '../src/shared/protocol';
import type { DatasetImageResult, DatasetRunSummary, DatasetSkippedImage } from '../src/shared/types';
import { DEFAULT_CAM_METHOD, EXPLAIN_METHODS, type ExplainMethod } from '../src/shared/camMethods';
import { el, replaceChildren, setText } from './dom';
import { baseName, formatPercent } from './format';
import { DatasetGallery } from './datasetGallery';
import { ObjectUrlSlot } from './objectUrls';
import { RunStatusView } from './runStatusView';
import { SessionHeader } from './sessionHeader';
import type { WebviewView } from './view';
import type { HostConnection } from './vscodeApi';

export type DatasetSort = 'evidence' | 'confidenceAscending' | 'confidenceDescending' | 'name';
export type DatasetVerdictFilter = 'all' | 'wrong' | 'correct' | 'unlabelled';
export type ConfidenceBand = 'all' | 'low' | 'middle' | 'high';

const SORTS: { id: DatasetSort; label: string }[] = [
  { id: 'evidence', label: 'Errors first, evidence furthest from the centre first' },
  { id: 'confidenceAscending', label: 'Least confident first' },
  { id: 'confidenceDescending', label: 'Most confident first' },
  { id: 'name', label: 'File name' },
];
const VERDICTS: { id: DatasetVerdictFilter; label: string }[] = [
  { id: 'all', label: 'All images' },
  { id: 'wrong', label: 'Wrong' },
  { id: 'correct', label: 'Correct' },
  { id: 'unlabelled', label: 'No label' },
];
const BANDS: { id: ConfidenceBand; label: string; low: number; high: number }[] = [
  { id: 'all', label: 'Any confidence', low: 0, high: Infinity },
  { id: 'low', label: 'Confidence under 50%', low: 0, high: 0.5 },
  { id: 'middle', label: 'Confidence 50–90%', low: 0.5, high: 0.9 },
  { id: 'high', label: 'Confidence 90% and over', low: 0.9, high: Infinity },
];

interface GalleryFilter {
  verdict: DatasetVerdictFilter;
  /** A class the image is of or was taken for; -1: any. */
  classIndex: number;
  band: ConfidenceBand;
  name: string;
  /** A confusion-matrix cell: true class and predicted class. */
  cell?: [number, number];
}

const byName = (a: DatasetImageResult, b: DatasetImageResult) => (a.relativePath < b.relativePath ? -1 : a.relativePath > b.relativePath ? 1 : 0);
const isWrong = (image: DatasetImageResult) => image.correct === false;

/** The order of the gallery; ties by file name, so it is stable as results stream in. */
export function sortDatasetImages(images: DatasetImageResult[], sort: DatasetSort): DatasetImageResult[] {
  const compare: Record<DatasetSort, (a: DatasetImageResult, b: DatasetImageResult) => number> = {
    evidence: (a, b) => Number(isWrong(b)) - Number(isWrong(a)) || (b.offCentre ?? -1) - (a.offCentre ?? -1) || a.confidence - b.confidence,
    confidenceAscending: (a, b) => a.confidence - b.confidence,
    confidenceDescending: (a, b) => b.confidence - a.confidence,
    name: () => 0,
  };
  return images.sort((a, b) => compare[sort](a, b) || byName(a, b));
}

function matches(image: DatasetImageResult, filter: GalleryFilter): boolean {
  if (filter.verdict === 'wrong' && image.correct !== false) return false;
  if (filter.verdict === 'correct' && image.correct !== true) return false;
  if (filter.verdict === 'unlabelled' && image.correct !== undefined) return false;
  if (filter.classIndex >= 0 && image.trueClass !== filter.classIndex && image.predictedClass !== filter.classIndex) return false;
  const band = BANDS.find((candidate) => candidate.id === filter.band)!;
  if (image.confidence < band.low || image.confidence >= band.high) return false;
  if (filter.cell && (image.trueClass !== filter.cell[0] || image.predictedClass !== filter.cell[1])) return false;
  return filter.name === '' || image.relativePath.toLowerCase().includes(filter.name.toLowerCase());
}

export class DatasetView implements WebviewView {
  readonly kind = 'dataset';
  private readonly header = new SessionHeader();
  private readonly status = new RunStatusView();
  private readonly mapping = el('section', { class: 'dataset-mapping', 'aria-label': 'Folders and classes' });
  private readonly stats = el('section', { class: 'dataset-stats', 'aria-label': 'Accuracy' });
  private readonly confusion = el('section', { class: 'dataset-confusion', 'aria-label': 'Confusion matrix' });
  private readonly means = el('section', { class: 'dataset-means', 'aria-label': 'Where it looks when it is wrong' });
  private readonly controls: HTMLElement;
  private readonly countLine = el('p', { class: 'dataset-count', role: 'status' });
  private readonly cellChip = el('div', { class: 'dataset-cell-chip' });
  private readonly gallery = new DatasetGallery((image) => this.selectImage(image));
  private readonly detail = el('aside', { class: 'dataset-detail', 'aria-label': 'Selected image' });
  private readonly skippedList = el('section', { class: 'dataset-skipped', 'aria-label': 'Unreadable images' });
  private readonly mapUrl = new ObjectUrlSlot();
  private readonly cancelButton = el('button', { type: 'button', class: 'button secondary', 'data-action': 'cancelRun' }, ['Cancel']);
  private session: DatasetPanelSession | undefined;
  private images: DatasetImageResult[] = [];
  private skipped: DatasetSkippedImage[] = [];
  private filter: GalleryFilter = { verdict: 'all', classIndex: -1, band: 'all', name: '' };
  private sort: DatasetSort = 'evidence';
  private classSelect: HTMLSelectElement;
  private selected: DatasetImageResult | undefined;
  private method: ExplainMethod = DEFAULT_CAM_METHOD;
  private requestId = 0;
  private runId: number | undefined;
  private refreshFrame: number | undefined;

  constructor(
    root: HTMLElement,
    private readonly host: HostConnection,
  ) {
    const select = <T extends string>(label: string, action: string, options: { id: T; label: string }[], onChange: (value: T) => void) => {
      const element = el('select', { class: 'select', 'aria-label': label, 'data-action': action }, options.map((option) => el('option', { value: option.id }, [option.label])));
      element.addEventListener('change', () => onChange(element.value as T));
      return element;
    };
    this.classSelect = el('select', { class: 'select', 'aria-label': 'Class', 'data-action': 'filterClass' });
    this.classSelect.addEventListener('change', () => this.setFilter({ classIndex: Number(this.classSelect.value) }));
    const nameInput = el('input', { class: 'text-input', type: 'search', placeholder: 'File name', 'aria-label': 'File name contains', 'data-action': 'filterName' });
    nameInput.addEventListener('input', () => this.setFilter({ name: nameInput.value.trim() }));
    const chooseFolder = el('button', { type: 'button', class: 'button secondary', 'data-action': 'chooseFolder' }, ['Choose Folder…']);
    chooseFolder.addEventListener('click', () => this.host.post({ type: 'chooseDatasetFolder' }));
    this.controls = el('div', { class: 'toolbar dataset-toolbar' }, [
      chooseFolder,
      select('Sort', 'sort', SORTS, (sort) => {
        this.sort = sort;
        this.refreshGallery();
      }),
      select('Verdict', 'filterVerdict', VERDICTS, (verdict) => this.setFilter({ verdict })),
      this.classSelect,
      select('Confidence', 'filterConfidence', BANDS, (band) => this.setFilter({ band })),
      nameInput,
    ]);
    this.showDetailPlaceholder();
    const restored = host.getState();
    if (restored?.view === 'dataset') this.header.showRestoring(restored.modelPath, `the folder ${restored.folder}`);
    this.cancelButton.hidden = true;
    this.cancelButton.addEventListener('click', () => this.runId !== undefined && this.host.post({ type: 'cancelRun', runId: this.runId }));
    replaceChildren(root, [
      el('main', { class: 'panel dataset-panel' }, [
        this.header.element,
        el('div', { class: 'dataset-status' }, [this.status.element, this.cancelButton]),
        this.mapping,
        el('div', { class: 'dataset-overview' }, [this.stats, this.confusion]),
        this.means,
        this.controls,
        el('div', { class: 'dataset-count-line' }, [this.countLine, this.cellChip]),
        el('div', { class: 'dataset-body' }, [this.gallery.element, this.detail]),
        this.skippedList,
      ]),
    ]);
  }

  handleMessage(message: HostToWebviewMessage): void {
    switch (message.type) {
      case 'datasetSession':
        if (this.runId !== undefined && message.session.runId < this.runId) return;
        this.startSession(message.session);
        break;
      case 'datasetImages':
        if (message.runId !== this.runId) return;
        this.images.push(...message.images);
        this.skipped.push(...message.skipped);
        this.scheduleRefresh();
        break;
      case 'datasetSummary':
        if (message.runId !== this.runId) return;
        this.showMeans(message.summary);
        this.refresh();
        break;
      case 'datasetExplanation':
        this.showExplanation(message.explanation);
        break;
      case 'status':
        if (this.runId === undefined || message.runId >= this.runId) {
          this.runId = message.runId;
          this.showStatus(message.status);
        }
        break;
      default:
        break;
    }
  }

  private startSession(session: DatasetPanelSession): void {
    this.host.setState({ view: 'dataset', modelPath: session.modelPath, folder: session.folder });
    this.session = session;
    this.runId = session.runId;
    this.images = [];
    this.skipped = [];
    this.filter = { ...this.filter, cell: undefined, classIndex: -1 };
    this.selected = undefined;
    this.showDetailPlaceholder();
    replaceChildren(this.means);
    this.header.show({
      title: `${baseName(session.folder)} · ${session.modelName || baseName(session.modelPath)}`,
      details: [
        { term: 'Folder', value: session.folder, className: 'dataset-folder' },
        { term: 'Model', value: session.modelPath, className: 'model-path' },
        { term: 'Images', value: String(session.imageCount), className: 'dataset-image-count' },
      ],
    });
    replaceChildren(this.classSelect, [el('option', { value: '-1' }, ['Any class']), ...session.classNames.map((name, index) => el('option', { value: String(index) }, [name]))]);
    this.showMapping(session);
    this.refresh();
  }

  private showMapping(session: DatasetPanelSession): void {
    if (session.classFolders.length === 0) {
      replaceChildren(this.mapping, [el('p', { class: 'placeholder' }, ['No class subfolders: predictions only, no accuracy.'])]);
      return;
    }
    const how = { given: 'as you set it', name: 'by its name', sortedOrder: 'sorted order, as flow_from_directory' } as const;
    const rows = session.classFolders.map((folder) => {
      const index = session.mapping.folderToClass[folder];
      return el('li', {}, [el('code', {}, [`${folder}/`]), index === undefined ? ' → no class (not scored)' : ` → ${session.classNames[index] ?? index} (${how[session.mapping.how[folder]]})`]);
    });
    const change = el('button', { type: 'button', class: session.mapping.needsConfirmation ? 'button' : 'button secondary', 'data-action': 'changeMapping' }, ['Set Folder Classes…']);
    change.addEventListener('click', () => this.host.post({ type: 'changeDatasetMapping' }));
    replaceChildren(this.mapping, [
      el('ul', { class: 'dataset-mapping-list' }, rows),
      session.mapping.needsConfirmation ? el('p', { class: 'dataset-mapping-note' }, ['The classes of some folders are a guess or unknown: check them once.']) : null,
      change,
    ]);
  }

  private scheduleRefresh(): void {
    if (this.refreshFrame !== undefined) return;
    this.refreshFrame = requestAnimationFrame(() => {
      this.refreshFrame = undefined;
      this.refresh();
    });
  }

  private refresh(): void {
    this.showStats();
    this.showConfusion();
    this.refreshGallery();
    this.showSkipped();
  }

  private setFilter(change: Partial<GalleryFilter>): void {
    this.filter = { ...this.filter, ...change };
    this.refreshGallery();
  }

  private refreshGallery(): void {
    const session = this.session;
    if (!session) return;
    const shown = sortDatasetImages(this.images.filter((image) => matches(image, this.filter)), this.sort);
    this.gallery.show(shown, { classNames: session.classNames, imageUrl: (name) => `${session.imageBase}/${encodeURIComponent(name)}` });
    this.gallery.select(this.selected?.relativePath);
    setText(this.countLine, `${shown.length} of ${this.images.length} images shown`);
    const cell = this.filter.cell;
    if (cell) {
      const clear = el('button', { type: 'button', class: 'icon-button', 'aria-label': 'Show every cell', 'data-action': 'clearCell' }, ['✕']);
      clear.addEventListener('click', () => this.setFilter({ cell: undefined }));
      replaceChildren(this.cellChip, [`True ${session.classNames[cell[0]]}, predicted ${session.classNames[cell[1]]} `, clear]);
    } else replaceChildren(this.cellChip);
  }

  /** Counted from the results so far (the summary says the same once the run ends). */
  private showStats(): void {
    const labelled = this.images.filter((image) => image.correct !== undefined);
    const correct = labelled.filter((image) => image.correct).length;
    const stat = (value: string, label: string, className: string) => el('div', { class: `dataset-stat ${className}` }, [el('b', {}, [value]), el('span', {}, [label])]);
    replaceChildren(this.stats, [
      stat(labelled.length ? `${((100 * correct) / labelled.length).toFixed(1)}%` : '–', `accuracy (${correct} of ${labelled.length} labelled)`, 'dataset-accuracy'),
      stat(String(labelled.length - correct), 'wrong', 'dataset-errors'),
      stat(String(this.images.length), `of ${this.session?.imageCount ?? 0} predicted`, 'dataset-predicted'),
      stat(String(this.skipped.length), 'unreadable, skipped', 'dataset-skipped-count'),
    ]);
  }

  private showConfusion(): void {
    const session = this.session;
    if (!session || session.classFolders.length === 0) {
      replaceChildren(this.confusion);
      return;
    }
    const classes = session.classNames;
    const counts = classes.map(() => classes.map(() => 0));
    for (const image of this.images) if (image.trueClass !== undefined) counts[image.trueClass][image.predictedClass]++;
    const max = Math.max(1, ...counts.flat());
    const rows = counts.map((row, t) =>
      el('tr', {}, [
        el('th', { scope: 'row' }, [classes[t]]),
        ...row.map((count, p) => {
          const button = el('button', { type: 'button', class: `dataset-cell ${t === p ? 'diagonal' : 'off-diagonal'}`, 'data-true': t, 'data-predicted': p, 'aria-label': `True ${classes[t]}, predicted ${classes[p]}: ${count}`, disabled: count === 0 }, [String(count)]);
          // Shade by count: an opacity, so the colour stays the theme's.
          button.style.setProperty('--cell-strength', (count / max).toFixed(3));
          button.addEventListener('click', () => this.setFilter({ cell: [t, p], verdict: 'all' }));
          return el('td', {}, [button]);
        }),
      ]),
    );
    replaceChildren(this.confusion, [
      el('h2', { class: 'dataset-heading' }, ['Confusion matrix']),
      el('table', { class: 'dataset-confusion-table' }, [
        el('thead', {}, [el('tr', {}, [el('th', { scope: 'col' }, ['true ↓ predicted →']), ...classes.map((name) => el('th', { scope: 'col' }, [name]))])]),
        el('tbody', {}, rows),
      ]),
    ]);
  }

  private showMeans(summary: DatasetRunSummary): void {
    const session = this.session;
    if (!session || summary.meanErrorHeatmaps.length === 0) {
      replaceChildren(this.means);
      return;
    }
    replaceChildren(this.means, [
      el('h2', { class: 'dataset-heading' }, ['Where it looks when it is wrong']),
      el('p', { class: 'placeholder' }, [`The mean heatmap of the class predicted, over each class's misclassified images${summary.heatmapLayer ? ` (${summary.heatmapLayer})` : ''}. Sort "Errors first" lists the errors whose evidence lies furthest from the image's centre first.`]),
      el(
        'div',
        { class: 'dataset-mean-list' },
        summary.meanErrorHeatmaps.map((mean) =>
          el('figure', { class: 'dataset-mean' }, [
            el('img', { src: `${session.imageBase}/${encodeURIComponent(mean.png)}`, alt: `Mean error heatmap of ${session.classNames[mean.classIndex]}` }),
            el('figcaption', {}, [`${session.classNames[mean.classIndex]}: ${mean.errorCount} error${mean.errorCount === 1 ? '' : 's'}`]),
          ]),
        ),
      ),
    ]);
  }

  private showSkipped(): void {
    if (this.skipped.length === 0) {
      replaceChildren(this.skippedList);
      return;
    }
    replaceChildren(this.skippedList, [
      el('details', {}, [
        el('summary', {}, [`${this.skipped.length} unreadable image${this.skipped.length === 1 ? '' : 's'}, skipped`]),
        el('ul', {}, this.skipped.map((skip) => el('li', {}, [el('code', {}, [skip.relativePath]), `: ${skip.reason}`]))),
      ]),
    ]);
  }

  private showDetailPlaceholder(): void {
    this.mapUrl.revoke();
    replaceChildren(this.detail, [el('p', { class: 'placeholder' }, ['Click an image to see where the model looks.'])]);
  }

  private selectImage(image: DatasetImageResult): void {
    const session = this.session;
    if (!session) return;
    this.selected = image;
    this.gallery.select(image.relativePath);
    const name = (index: number | undefined) => (index === undefined ? '–' : (session.classNames[index] ?? String(index)));
    const methodSelect = el('select', { class: 'select', 'aria-label': 'Method', 'data-action': 'method' }, EXPLAIN_METHODS.map((method) => el('option', { value: method.id, selected: method.id === this.method }, [method.label])));
    methodSelect.addEventListener('change', () => {
      this.method = methodSelect.value as ExplainMethod;
      this.requestMap(image);
    });
    const open = el('button', { type: 'button', class: 'button secondary', 'data-action': 'openImage' }, ['Open in Explain Prediction']);
    open.addEventListener('click', () => this.host.post({ type: 'openDatasetImage', relativePath: image.relativePath }));
    const url = (file: string | undefined) => (file === undefined ? undefined : `${session.imageBase}/${encodeURIComponent(file)}`);
    replaceChildren(this.detail, [
      el('h2', { class: 'dataset-heading dataset-detail-name', title: image.relativePath }, [image.relativePath]),
      el('p', { class: 'dataset-detail-verdict' }, [
        image.trueClass !== undefined ? `True ${name(image.trueClass)} · ` : '',
        `predicted ${name(image.predictedClass)} ${formatPercent(image.confidence)}`,
        image.correct === false ? ' · wrong' : image.correct ? ' · right' : '',
      ]),
      image.offCentre !== undefined ? el('p', { class: 'dataset-detail-evidence' }, [`Evidence off-centre ${formatPercent(image.offCentre)}, on the border ${formatPercent(image.onBorder ?? 0)}`]) : null,
      el('div', { class: 'dataset-detail-images' }, [
        url(image.thumbnail) ? el('img', { class: 'dataset-detail-image', src: url(image.thumbnail)!, alt: image.relativePath }) : null,
        el('figure', { class: 'dataset-map' }, [el('p', { class: 'placeholder' }, ['Computing the map…'])]),
      ]),
      el('div', { class: 'toolbar' }, [methodSelect, open]),
    ]);
    this.requestMap(image);
  }

  private requestMap(image: DatasetImageResult): void {
    const figure = this.detail.querySelector('.dataset-map');
    if (figure) replaceChildren(figure, [el('p', { class: 'placeholder' }, ['Computing the map…'])]);
    this.host.post({ type: 'explainDatasetImage', requestId: ++this.requestId, relativePath: image.relativePath, method: this.method });
  }

  private showExplanation(explanation: DatasetImageExplanation): void {
    if (explanation.requestId !== this.requestId || explanation.relativePath !== this.selected?.relativePath) return;
    const figure = this.detail.querySelector('.dataset-map');
    if (!figure) return;
    const url = explanation.overlayPng ? this.mapUrl.setPng(explanation.overlayPng) : undefined;
    replaceChildren(
      figure,
      url
        ? [el('img', { class: 'dataset-detail-image dataset-map-image', src: url, alt: explanation.caption ?? 'Map' }), el('figcaption', {}, [explanation.caption ?? ''])]
        : [el('p', { class: 'error-text' }, [explanation.message ?? 'No map'])],
    );
  }

  private showStatus(status: RunStatus): void {
    this.cancelButton.hidden = status.state !== 'running';
    switch (status.state) {
      case 'running':
        this.status.showRunning(status.done, status.total, status.unit, status.message);
        break;
      case 'finished':
        this.status.showFinished(status.backend, status.timings, status.details);
        break;
      case 'cancelled':
        this.status.showCancelled(`Cancelled: ${status.done} of ${status.total} images done (the next run goes on from there)`);
        break;
      case 'failed':
        this.status.showFailed(status.message);
        break;
      case 'waiting':
        this.status.showWaiting(status.behind, () => this.runId !== undefined && this.host.post({ type: 'cancelRun', runId: this.runId }));
        break;
    }
  }
}
