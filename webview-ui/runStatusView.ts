// The run's progress line, shared by every panel kind: a VS Code-like progress bar and `k / n <unit>`
// while running, what the run waits behind (with Cancel) while its job is queued, the backend and
// timings when finished, a note when cancelled, an error box when failed.
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
  private readonly waitCancel: HTMLButtonElement;
  private onWaitCancel: (() => void) | undefined;

  constructor() {
    this.progressFill = el('div', { class: 'progress-bar-fill' });
    this.progressBar = el('div', { class: 'progress-bar', role: 'progressbar', 'aria-label': 'Progress', 'aria-valuemin': 0 }, [this.progressFill]);
    this.progressBar.hidden = true;
    this.text = el('p', { class: 'status-text', role: 'status', 'aria-live': 'polite' });
    this.detail = el('p', { class: 'status-detail' });
    this.detail.hidden = true;
    this.errorBox = el('div', { class: 'error-box', role: 'alert' });
    this.errorBox.hidden = true;
    this.waitCancel = el('button', { type: 'button', class: 'button secondary wait-cancel' }, ['Cancel']);
    this.waitCancel.hidden = true;
    this.waitCancel.addEventListener('click', () => this.onWaitCancel?.());
    const line = el('div', { class: 'status-line' }, [this.text, this.waitCancel]);
    this.element = el('div', { class: 'run-status' }, [this.progressBar, line, this.detail, this.errorBox]);
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

  /** The run's job is queued behind another: says which, with a Cancel button of its own (the toolbar's belongs to the run shown). */
  showWaiting(behind: string, onCancel: () => void): void {
    this.reset();
    this.text.textContent = `Waiting for ${behind} to finish`;
    this.onWaitCancel = onCancel;
    this.waitCancel.hidden = false;
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
    this.waitCancel.hidden = true;
    this.onWaitCancel = undefined;
  }
}

function progressCount(done: number, total: number, unit: string): string {
  return unit ? `${done} / ${total} ${unit}` : `${done} / ${total}`;
}
