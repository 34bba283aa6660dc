// The enlarged view of one channel: a modal panel inside the page with the channel image, a colour
// bar from its min to its max, the mean, and whether the channel is dead. Esc or Close shuts it.
import type { ChannelDetail, ColormapName } from '../src/engine/types';
import { colormapCssGradient } from '../src/render/colormaps';
import { el, replaceChildren } from './dom';
import { formatValue } from './format';
import { displayScale, MIN_CHANNEL_DISPLAY_WIDTH } from './gridGeometry';
import { ObjectUrlSlot } from './objectUrls';

const COLOUR_BAR_STOPS = 32;

export class ChannelDialog {
  /** The backdrop covering the page; the dialog panel is inside it. */
  readonly element: HTMLDivElement;
  private readonly panel: HTMLDivElement;
  private readonly title: HTMLHeadingElement;
  private readonly body: HTMLDivElement;
  private readonly closeButton: HTMLButtonElement;
  private readonly imageUrl = new ObjectUrlSlot();
  private pendingRequestId: number | undefined;
  private returnFocusTo: HTMLElement | null = null;

  constructor(private readonly doc: Document) {
    this.title = el('h2', { class: 'channel-dialog-title', id: 'channel-dialog-title' });
    this.closeButton = el('button', { type: 'button', class: 'icon-button channel-dialog-close', 'aria-label': 'Close', title: 'Close (Esc)' }, ['✕']);
    this.body = el('div', { class: 'channel-dialog-body', 'aria-live': 'polite' });
    this.panel = el(
      'div',
      { class: 'channel-dialog', role: 'dialog', 'aria-modal': 'true', 'aria-labelledby': 'channel-dialog-title', tabindex: -1 },
      [el('div', { class: 'channel-dialog-header' }, [this.title, this.closeButton]), this.body],
    );
    this.element = el('div', { class: 'channel-dialog-backdrop' }, [this.panel]);
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

  /** The request whose answer the dialog waits for or shows. */
  get requestId(): number | undefined {
    return this.pendingRequestId;
  }

  /** Opens the dialog for a channel that was just requested, with a loading line until it arrives. */
  openLoading(requestId: number, layerName: string, channel: number): void {
    this.pendingRequestId = requestId;
    this.imageUrl.revoke();
    this.title.textContent = channelTitle(layerName, channel);
    replaceChildren(this.body, [el('p', { class: 'placeholder' }, [`Loading channel ${channel}…`])]);
    if (!this.isOpen) {
      const active = this.doc.activeElement;
      this.returnFocusTo = active instanceof HTMLElement ? active : null;
      this.element.hidden = false;
    }
    this.closeButton.focus();
  }

  /** Shows a channel; ignored (returns false) unless it answers the request the dialog waits for. */
  showChannel(requestId: number, detail: ChannelDetail): boolean {
    if (!this.isOpen || requestId !== this.pendingRequestId) return false;
    this.title.textContent = channelTitle(detail.layerName, detail.channel);

    const image = el('img', {
      class: 'channel-image pixelated',
      alt: `Channel ${detail.channel} of ${detail.layerName}`,
      width: detail.width,
      height: detail.height,
    });
    image.style.width = `${detail.width * displayScale(detail.width, MIN_CHANNEL_DISPLAY_WIDTH)}px`;
    const url = this.imageUrl.setPng(detail.png);
    if (url !== undefined) image.src = url;

    const gradient = el('div', { class: 'colorbar-gradient', role: 'img', 'aria-label': `Colour scale ${detail.colormap}, from ${formatValue(detail.min)} to ${formatValue(detail.max)}` });
    gradient.style.backgroundImage = colourBarGradient(detail.colormap);
    const colorbar = el('div', { class: 'colorbar' }, [
      gradient,
      el('div', { class: 'colorbar-labels' }, [
        el('span', { class: 'colorbar-min' }, [formatValue(detail.min)]),
        el('span', { class: 'colorbar-max' }, [formatValue(detail.max)]),
      ]),
    ]);

    replaceChildren(this.body, [
      el('div', { class: 'channel-image-frame' }, [image]),
      colorbar,
      el('p', { class: 'channel-stats' }, [
        `min ${formatValue(detail.min)} · max ${formatValue(detail.max)} · mean ${formatValue(detail.mean)} · ${detail.width} × ${detail.height} px`,
      ]),
      detail.dead ? el('p', { class: 'dead-note' }, ['dead (constant) for this input']) : null,
    ]);
    return true;
  }

  /** Shows why a channel could not be rendered; ignored unless it answers the pending request. */
  showFailure(requestId: number, message: string): boolean {
    if (!this.isOpen || requestId !== this.pendingRequestId) return false;
    this.imageUrl.revoke();
    replaceChildren(this.body, [el('p', { class: 'error-box', role: 'alert' }, [message])]);
    return true;
  }

  close(): void {
    if (!this.isOpen) return;
    this.element.hidden = true;
    this.pendingRequestId = undefined;
    this.imageUrl.revoke();
    replaceChildren(this.body);
    const returnTo = this.returnFocusTo;
    this.returnFocusTo = null;
    if (returnTo && returnTo.isConnected) returnTo.focus();
  }
}

/** The colour bar's CSS gradient; empty (no bar colours) for a colormap name this build does not know. */
function colourBarGradient(colormap: ColormapName): string {
  try {
    return colormapCssGradient(colormap, COLOUR_BAR_STOPS);
  } catch {
    return '';
  }
}

function channelTitle(layerName: string, channel: number): string {
  return `${layerName} — channel ${channel}`;
}
