// The model summary panel: header (model, input and output shapes), run status while the model is
// read, then the layer table and the parameter totals.
import type { ModelSummary } from '../src/shared/types';
import type { HostToWebviewMessage, RunStatus } from '../src/shared/protocol';
import { el, replaceChildren } from './dom';
import { formatShape } from '../src/shared/shapes';
import { PREPROCESS_LABELS, baseName } from './format';
import { RunStatusView } from './runStatusView';
import { SessionHeader } from './sessionHeader';
import { summaryTable, summaryTotals } from './summaryTable';
import type { WebviewView } from './view';
import type { HostConnection } from './vscodeApi';

export class ModelSummaryView implements WebviewView {
  readonly kind = 'summary';
  private readonly header = new SessionHeader();
  private readonly status = new RunStatusView();
  private readonly content: HTMLElement;
  /** The latest run the host started: its status and summary are shown, older ones ignored. */
  private runId: number | undefined;

  constructor(
    root: HTMLElement,
    private readonly host: HostConnection,
  ) {
    this.content = el('section', { class: 'summary-content', 'aria-label': 'Model summary' });
    replaceChildren(root, [el('main', { class: 'panel summary-panel' }, [this.header.element, this.status.element, this.content])]);
    const restored = host.getState();
    if (restored?.view === 'summary') this.header.showRestoring(restored.modelPath, 'its summary');
  }

  handleMessage(message: HostToWebviewMessage): void {
    switch (message.type) {
      case 'summary':
        if (this.runId === undefined || message.runId >= this.runId) {
          this.runId = message.runId;
          this.showSummary(message.summary);
        }
        break;
      case 'status':
        if (this.runId === undefined || message.runId >= this.runId) {
          if (message.runId !== this.runId) replaceChildren(this.content);
          this.runId = message.runId;
          this.showStatus(message.status);
        }
        break;
      default:
        // Messages of the other panel kinds.
        break;
    }
  }

  private showSummary(summary: ModelSummary): void {
    this.host.setState({ view: 'summary', modelPath: summary.modelPath });
    this.header.show({
      title: summary.modelName || baseName(summary.modelPath),
      details: [
        { term: 'Model', value: summary.modelPath, className: 'model-path' },
        { term: 'Input', value: formatShape([null, ...summary.inputShape]), className: 'input-shape' },
        { term: 'Output', value: formatShape(summary.outputShape), className: 'output-shape' },
        { term: 'Default preprocess', value: PREPROCESS_LABELS[summary.defaultPreprocess] ?? summary.defaultPreprocess, className: 'preprocess-mode' },
        ...(summary.preprocessReason !== undefined ? [{ term: 'Why', value: summary.preprocessReason, className: 'preprocess-reason', wrap: true }] : []),
      ],
    });
    replaceChildren(this.content, [summaryTable(summary), summaryTotals(summary)]);
  }

  private showStatus(status: RunStatus): void {
    switch (status.state) {
      case 'running':
        this.status.showRunning(status.done, status.total, status.unit, status.message);
        break;
      case 'finished':
        this.status.showFinished(status.backend, status.timings, status.details);
        break;
      case 'cancelled':
        this.status.showCancelled('Cancelled');
        break;
      case 'failed':
        this.status.showFailed(status.message);
        break;
    }
  }
}
