// A modal panel inside the page (the webview has no native dialogs to rely on): a backdrop, a title,
// a close button and a body. Esc, the close button or a click on the backdrop shut it, and focus goes
// back to where it was. Used by the channel view (activations) and the filter view (filter patterns).
import { el, replaceChildren, type Child } from './dom';

export interface ModalDialogOptions {
  /** Prefix of the dialog's classes and title id (`channel` → `.channel-dialog`, `#channel-dialog-title`). */
  kind: string;
  /** Called after the dialog closed, whatever closed it. */
  onClosed?(): void;
}

export class ModalDialog {
  /** The backdrop covering the page; the dialog panel is inside it. */
  readonly element: HTMLDivElement;
  readonly panel: HTMLDivElement;
  readonly title: HTMLHeadingElement;
  readonly body: HTMLDivElement;
  readonly closeButton: HTMLButtonElement;
  private returnFocusTo: HTMLElement | null = null;

  constructor(
    private readonly doc: Document,
    private readonly options: ModalDialogOptions,
  ) {
    const { kind } = options;
    const titleId = `${kind}-dialog-title`;
    this.title = el('h2', { class: `dialog-title ${kind}-dialog-title`, id: titleId });
    this.closeButton = el(
      'button',
      { type: 'button', class: `icon-button dialog-close ${kind}-dialog-close`, 'aria-label': 'Close', title: 'Close (Esc)' },
      ['✕'],
    );
    this.body = el('div', { class: `dialog-body ${kind}-dialog-body`, 'aria-live': 'polite' });
    this.panel = el(
      'div',
      { class: `dialog ${kind}-dialog`, role: 'dialog', 'aria-modal': 'true', 'aria-labelledby': titleId, tabindex: -1 },
      [el('div', { class: `dialog-header ${kind}-dialog-header` }, [this.title, this.closeButton]), this.body],
    );
    this.element = el('div', { class: `dialog-backdrop ${kind}-dialog-backdrop` }, [this.panel]);
    this.element.hidden = true;

    this.closeButton.addEventListener('click', () => this.close());
    this.element.addEventListener('click', (event) => {
      if (event.target === this.element) this.close();
    });
    doc.addEventListener('keydown', (event) => {
      if (!this.isOpen) return;
      if (event.key === 'Escape') {
        event.preventDefault();
        event.stopPropagation();
        this.close();
      } else if (event.key === 'Tab') {
        // Keep focus inside the dialog: its only focusable control is the close button.
        event.preventDefault();
        this.closeButton.focus();
      }
    });
  }

  get isOpen(): boolean {
    return !this.element.hidden;
  }

  /** Shows the dialog (remembering what had focus, to give it back on close) with a title and content. */
  open(title: string, content: Child[]): void {
    this.title.textContent = title;
    replaceChildren(this.body, content);
    if (!this.isOpen) {
      const active = this.doc.activeElement;
      this.returnFocusTo = active instanceof HTMLElement ? active : null;
      this.element.hidden = false;
    }
    this.closeButton.focus();
  }

  close(): void {
    if (!this.isOpen) return;
    this.element.hidden = true;
    replaceChildren(this.body);
    this.options.onClosed?.();
    const returnTo = this.returnFocusTo;
    this.returnFocusTo = null;
    if (returnTo && returnTo.isConnected) returnTo.focus();
  }
}
