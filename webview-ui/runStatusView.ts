// The run's progress line: a VS Code-like progress bar and `k / n layers` while running, a summary
// of the backend and timings when finished, a note when cancelled, an error box when failed.
import type { ActivationRunInfo } from '../src/engine/types';
import { el } from './dom';
import { formatMilliseconds, formatShape } from './format';

export class RunStatusView {
  readonly element: HTMLElement;
  private readonly progressBar: HTMLDivElement;
  private readonly progressFill: HTMLDivElement;
  private readonly text: HTMLParagraphElement;
  private readonly detail: HTMLParagraphElement;
  private readonly errorBox: HTMLDivElement;

  constructor() {
    this.progressFill = el('div', { class: 'progress-bar-fill' });
    this.progressBar = el('div', { class: 'progress-bar', role: 'progressbar', 'aria-label': 'Layers rendered', 'aria-valuemin': 0 }, [this.progressFill]);
    this.progressBar.hidden = true;
    this.text = el('p', { class: 'status-text', role: 'status', 'aria-live': 'polite' });
    this.detail = el('p', { class: 'status-detail' });
    this.detail.hidden = true;
    this.errorBox = el('div', { class: 'error-box', role: 'alert' });
    this.errorBox.hidden = true;
    this.element = el('div', { class: 'run-status' }, [this.progressBar, this.text, this.detail, this.errorBox]);
  }

  showStarting(total: number): void {
    this.showRunning(0, total, '');
    this.text.textContent = total > 0 ? `Starting… 0 / ${total} layers` : 'Starting…';
  }

  showRunning(done: number, total: number, message: string): void {
    this.reset();
    this.progressBar.hidden = false;
    const indeterminate = !(total > 0);
    this.progressBar.classList.toggle('indeterminate', indeterminate);
    if (indeterminate) {
      this.progressBar.removeAttribute('aria-valuenow');
      this.progressBar.removeAttribute('aria-valuemax');
      this.progressFill.style.width = '';
    } else {
      const clamped = Math.min(Math.max(done, 0), total);
      this.progressBar.setAttribute('aria-valuemax', String(total));
      this.progressBar.setAttribute('aria-valuenow', String(clamped));
      this.progressFill.style.width = `${(clamped / total) * 100}%`;
    }
    this.text.textContent = `${done} / ${total} layers${message ? ` · ${message}` : ''}`;
  }

  showFinished(info: ActivationRunInfo): void {
    this.reset();
    const { timings } = info;
    this.text.textContent = `${info.backend} · forward ${formatMilliseconds(timings.forwardMs)} · render ${formatMilliseconds(timings.renderMs)}`;
    this.detail.textContent = [
      `model load ${formatMilliseconds(timings.loadModelMs)}`,
      `image read ${formatMilliseconds(timings.readImageMs)}`,
      `input ${formatShape(info.inputSize)}`,
      `${info.layerIndices.length} ${info.layerIndices.length === 1 ? 'layer' : 'layers'}`,
    ].join(' · ');
    this.detail.hidden = false;
  }

  showCancelled(done: number, total: number): void {
    this.reset();
    this.text.textContent = `Cancelled — ${done} of ${total} layers shown`;
  }

  /** A plain line with no progress bar. */
  showMessage(text: string): void {
    this.reset();
    this.text.textContent = text;
  }

  showFailed(message: string): void {
    this.reset();
    this.text.textContent = 'Failed';
    this.errorBox.textContent = message;
    this.errorBox.hidden = false;
  }

  private reset(): void {
    this.progressBar.hidden = true;
    this.detail.hidden = true;
    this.detail.textContent = '';
    this.errorBox.hidden = true;
    this.errorBox.textContent = '';
  }
}
