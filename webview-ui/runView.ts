// What the three run panels' views (activations, filter patterns, Grad-CAM) share: the header, the
// run's status line, the session that names the run on screen (messages of any other run are
// dropped), Cancel, and the page they are laid out in.
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
      const previous = this.session;
      this.session = session;
      this.showSession(session, previous);
      return;
    }
    // A message of an older run arrives after the new run's session: it is not this panel's picture.
    if ('runId' in message && message.runId !== this.runId) return;
    if (message.type === 'status') this.showStatus(message.status);
    else this.onMessage(message);
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
