// The run's progress line, shared by every panel kind: a VS Code-like progress bar and `k / n <unit>`
// while running, the backend and timings when finished, a note when cancelled, an error box when failed.
import type { BackendName } from '../src/shared/types';
import type { TimingEntry } from '../src/shared/protocol';
import { el } from './dom';
import { formatMilliseconds } from './format';

export class RunStatusView {
  readonly element: HTMLElement;
  private readonly progressBar: HTMLDivElement;
  private readonly progressFill: HTMLDivElement;
  private readonly text: HTMLParagraphElement;
  private readonly detail: HTMLParagraphElement;
  private readonly errorBox: HTMLDivElement;

  constructor() {
    this.progressFill = el('div', { class: 'progress-bar-fill' });
    this.progressBar = el('div', { class: 'progress-bar', role: 'progressbar', 'aria-label': 'Progress', 'aria-valuemin': 0 }, [this.progressFill]);
    this.progressBar.hidden = true;
    this.text = el('p', { class: 'status-text', role: 'status', 'aria-live': 'polite' });
    this.detail = el('p', { class: 'status-detail' });
    this.detail.hidden = true;
    this.errorBox = el('div', { class: 'error-box', role: 'alert' });
    this.errorBox.hidden = true;
    this.element = el('div', { class: 'run-status' }, [this.progressBar, this.text, this.detail, this.errorBox]);
  }

  /** Before the first progress report: `Starting… 0 / n <unit>`. */
  showStarting(total: number, unit: string): void {
    this.showRunning(0, total, unit, '');
    this.text.textContent = total > 0 ? `Starting… ${progressCount(0, total, unit)}` : 'Starting…';
  }

  /** `done / total <unit> · message`, with a determinate bar when `total` is known. */
  showRunning(done: number, total: number, unit: string, message: string): void {
    this.reset();
    this.progressBar.hidden = false;
    this.progressBar.setAttribute('aria-label', unit ? `Progress in ${unit}` : 'Progress');
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
    const count = indeterminate ? '' : progressCount(done, total, unit);
    this.text.textContent = [count, message].filter((part) => part !== '').join(' · ') || 'Running…';
  }

  /** `backend · label 12 ms · …` and, below, the details the host sent (one line, joined by `·`). */
  showFinished(backend: BackendName, timings: readonly TimingEntry[], details: readonly string[]): void {
    this.reset();
    this.text.textContent = [backend, ...timings.map((timing) => `${timing.label} ${formatMilliseconds(timing.ms)}`)].join(' · ');
    const detailText = details.filter((line) => line !== '').join(' · ');
    this.detail.textContent = detailText;
    this.detail.hidden = detailText === '';
  }

  /** A cancelled run: the caller says what was kept (`Cancelled — 1 of 3 layers shown`). */
  showCancelled(text: string): void {
    this.reset();
    this.text.textContent = text;
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

function progressCount(done: number, total: number, unit: string): string {
  return unit ? `${done} / ${total} ${unit}` : `${done} / ${total}`;
}
