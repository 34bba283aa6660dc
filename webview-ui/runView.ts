// What the three run panels' views (activations, filter patterns, Grad-CAM) share: the header, the
// run's status line, the session that names the run on screen (messages of any other run are
// dropped), Cancel, and the page they are laid out in. A newer run whose engine job waits behind
// another says so before its session arrives (it has none until its job starts), with Cancel.
import type { HostToWebviewMessage, PanelViewKind, RunStatus } from '../src/shared/protocol';
import { el, replaceChildren, type Child } from './dom';
import { RunStatusView } from './runStatusView';
import { SessionHeader } from './sessionHeader';
import type { WebviewView } from './view';
import type { HostConnection } from './vscodeApi';

export abstract class RunView<Session extends { runId: number }> implements WebviewView {
  abstract readonly kind: PanelViewKind;
  protected readonly header = new SessionHeader();
  protected readonly status = new RunStatusView();
  protected session: Session | undefined;
  /** A newer run than the session's that was said to wait: its statuses show until its session arrives. */
  private pendingRunId: number | undefined;

  constructor(
    protected readonly root: HTMLElement,
    protected readonly host: HostConnection,
  ) {}

  /** The run whose messages the panel shows, if any. */
  get runId(): number | undefined {
    return this.session?.runId;
  }

  handleMessage(message: HostToWebviewMessage): void {
    const session = this.sessionOf(message);
    if (session) {
      this.pendingRunId = undefined;
      const previous = this.session;
      this.session = session;
      this.showSession(session, previous);
      return;
    }
    if (message.type === 'status' && this.isPending(message.runId, message.status)) {
      this.showPendingStatus(message.runId, message.status);
      return;
    }
    // A message of an older run arrives after the new run's session (or its wait): it is not this panel's picture.
    if ('runId' in message && (message.runId !== this.runId || message.runId < (this.pendingRunId ?? 0))) return;
    if (message.type === 'status') {
      if (message.status.state === 'waiting') this.status.showWaiting(message.status.behind, () => this.cancelRun());
      else this.showStatus(message.status);
    } else this.onMessage(message);
  }

  /** A status of a run newer than the session's: one that waits, or follows a wait, before its session. */
  private isPending(runId: number, status: RunStatus): boolean {
    if (runId <= (this.runId ?? 0)) return false;
    return status.state === 'waiting' || runId === this.pendingRunId;
  }

  /** The pending run's status, in the status line alone: the panel still shows the previous run's picture. */
  private showPendingStatus(runId: number, status: RunStatus): void {
    this.pendingRunId = runId;
    switch (status.state) {
      case 'waiting':
        this.status.showWaiting(status.behind, () => this.host.post({ type: 'cancelRun', runId }));
        return;
      case 'running':
        this.status.showRunning(status.done, status.total, status.unit, status.message);
        return;
      case 'cancelled':
        this.pendingRunId = undefined;
        this.status.showCancelled('Cancelled before it started');
        return;
      case 'failed':
        this.pendingRunId = undefined;
        this.status.showFailed(status.message);
        return;
      case 'finished':
        this.pendingRunId = undefined;
        this.status.showFinished(status.backend, status.timings, status.details);
        return;
    }
  }

  /** Lays out the page: `main.panel` with the header, the kind's controls, the status and its content; then overlays (dialogs). */
  protected mount(className: string, controls: Child[], content: Child[], overlays: Child[] = []): HTMLElement {
    const main = el('main', { class: `panel ${className}` }, [this.header.element, ...controls, this.status.element, ...content]);
    replaceChildren(this.root, [main, ...overlays]);
    return main;
  }

  protected cancelRun(): void {
    if (this.session) this.host.post({ type: 'cancelRun', runId: this.session.runId });
  }

  /** The session a message starts, when it is this kind's session message. */
  protected abstract sessionOf(message: HostToWebviewMessage): Session | undefined;
  /** Shows a new run (the previous session, if any, is given for what carries over). */
  protected abstract showSession(session: Session, previous: Session | undefined): void;
  protected abstract showStatus(status: RunStatus): void;
  /** The kind's other messages: those of the current run, and answers that carry no run (channels). */
  protected abstract onMessage(message: HostToWebviewMessage): void;
}
