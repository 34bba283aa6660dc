// The enlarged view of one channel: a modal panel inside the page with the channel image, a colour
// bar from its min to its max, the mean, and whether the channel is dead. Esc or Close shuts it.
import type { ChannelDetail } from '../src/shared/types';
import { colourBar } from './colourBar';
import { el, replaceChildren } from './dom';
import { formatValue } from './format';
import { displayScale, MIN_CHANNEL_DISPLAY_WIDTH } from './gridGeometry';
import type { ChannelSize } from './layerSection';
import { ModalDialog } from './modalDialog';
import { ObjectUrlSlot } from './objectUrls';

export class ChannelDialog {
  /** The backdrop covering the page; the dialog panel is inside it. */
  readonly element: HTMLDivElement;
  private readonly dialog: ModalDialog;
  private readonly imageUrl = new ObjectUrlSlot();
  private pendingRequestId: number | undefined;
  /** The requested channel's own size (the host's image of it is enlarged). */
  private pendingSize: ChannelSize | undefined;

  constructor(doc: Document) {
    this.dialog = new ModalDialog(doc, {
      kind: 'channel',
      onClosed: () => {
        this.pendingRequestId = undefined;
        this.imageUrl.revoke();
      },
    });
    this.element = this.dialog.element;
  }

  get isOpen(): boolean {
    return this.dialog.isOpen;
  }

  /** The request whose answer the dialog waits for or shows. */
  get requestId(): number | undefined {
    return this.pendingRequestId;
  }

  /** Opens the dialog for a channel that was just requested, with a loading line until it arrives. */
  openLoading(requestId: number, layerName: string, channel: number, size: ChannelSize): void {
    this.pendingRequestId = requestId;
    this.pendingSize = size;
    this.imageUrl.revoke();
    this.dialog.open(channelTitle(layerName, channel), [el('p', { class: 'placeholder' }, [`Loading channel ${channel}…`])]);
  }

  /** Shows a channel; ignored (returns false) unless it answers the request the dialog waits for. */
  showChannel(requestId: number, detail: ChannelDetail): boolean {
    if (!this.isOpen || requestId !== this.pendingRequestId) return false;
    this.dialog.title.textContent = channelTitle(detail.layerName, detail.channel);

    const image = el('img', {
      class: 'channel-image pixelated',
      alt: `Channel ${detail.channel} of ${detail.layerName}`,
      width: detail.width,
      height: detail.height,
    });
    image.style.width = `${detail.width * displayScale(detail.width, MIN_CHANNEL_DISPLAY_WIDTH)}px`;
    const url = this.imageUrl.setPng(detail.png);
    if (url !== undefined) image.src = url;

    const size = this.pendingSize ?? { width: detail.width, height: detail.height };
    replaceChildren(this.dialog.body, [
      el('div', { class: 'channel-image-frame' }, [image]),
      colourBar(detail.colormap, detail.min, detail.max),
      el('p', { class: 'channel-stats' }, [
        `min ${formatValue(detail.min)} · max ${formatValue(detail.max)} · mean ${formatValue(detail.mean)} · ${size.width} × ${size.height} values (width × height), shown enlarged`,
      ]),
      detail.dead ? el('p', { class: 'dead-note' }, ['dead (constant) for this input']) : null,
    ]);
    return true;
  }

  /** Shows why a channel could not be rendered; ignored unless it answers the pending request. */
  showFailure(requestId: number, message: string): boolean {
    if (!this.isOpen || requestId !== this.pendingRequestId) return false;
    this.imageUrl.revoke();
    replaceChildren(this.dialog.body, [el('p', { class: 'error-box', role: 'alert' }, [message])]);
    return true;
  }

  close(): void {
    this.dialog.close();
  }
}

function channelTitle(layerName: string, channel: number): string {
  return `${layerName} — channel ${channel}`;
}
