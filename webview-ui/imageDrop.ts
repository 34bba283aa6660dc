// Another image for a panel that runs on one, without the picker: a file dropped on the panel (its
// URI when VS Code gives one, as the Explorer does when Shift is held; else its bytes), or an image
// pasted from the clipboard (its bytes). The host keeps pasted bytes in the extension's storage.
import type { WebviewToHostMessage } from '../src/shared/protocol';
import { el } from './dom';

/** Bigger files are refused here rather than copied into a message (the host refuses them too). */
export const MAX_DROPPED_IMAGE_BYTES = 64 * 2 ** 20;

/** The first URI of a `text/uri-list` (comment lines start with `#`). */
export function firstUri(uriList: string): string | undefined {
  return uriList
    .split(/\r?\n/)
    .map((line) => line.trim())
    .find((line) => line !== '' && !line.startsWith('#'));
}

/** A file's bytes, through FileReader (which every browser engine the panel meets has). */
function readBytes(file: Blob): Promise<Uint8Array> {
  return new Promise((resolve, reject) => {
    const reader = new FileReader();
    reader.onload = () => resolve(new Uint8Array(reader.result as ArrayBuffer));
    reader.onerror = () => reject(reader.error ?? new Error('the file could not be read'));
    reader.readAsArrayBuffer(file);
  });
}

export class ImageDropTarget {
  /** Shown over the panel while an image is dragged over it. */
  readonly overlay: HTMLElement;
  /** Says why a dropped or pasted thing was not used (role=status). */
  readonly note: HTMLElement;
  private enabled = false;
  private dragDepth = 0;

  constructor(
    area: HTMLElement,
    private readonly post: (message: WebviewToHostMessage) => void,
  ) {
    this.overlay = el('div', { class: 'drop-overlay', 'aria-hidden': 'true' }, [el('p', { class: 'drop-overlay-text' }, ['Drop an image to use it'])]);
    this.overlay.hidden = true;
    this.note = el('p', { class: 'image-note', role: 'status' });
    this.note.hidden = true;

    area.addEventListener('dragenter', (event) => {
      if (!this.accepts(event)) return;
      event.preventDefault();
      this.dragDepth++;
      this.overlay.hidden = false;
    });
    area.addEventListener('dragover', (event) => {
      if (!this.accepts(event)) return;
      // Without this the browser opens the file instead of dropping it here.
      event.preventDefault();
      if (event.dataTransfer) event.dataTransfer.dropEffect = 'copy';
    });
    area.addEventListener('dragleave', () => {
      this.dragDepth = Math.max(0, this.dragDepth - 1);
      if (this.dragDepth === 0) this.overlay.hidden = true;
    });
    area.addEventListener('drop', (event) => {
      this.dragDepth = 0;
      this.overlay.hidden = true;
      if (!this.enabled || !event.dataTransfer) return;
      event.preventDefault();
      void this.take(event.dataTransfer, 'dropped');
    });
    area.ownerDocument.addEventListener('paste', (event) => {
      const data = event.clipboardData;
      if (!this.enabled || !data) return;
      const hasFile = [...data.files].length > 0;
      // Text pasted into a field (the class box) stays the field's.
      const target = event.target as Element | null;
      if (!hasFile && target?.closest('input, textarea, select')) return;
      if (!hasFile && !firstUri(data.getData('text/uri-list'))) return;
      event.preventDefault();
      void this.take(data, 'pasted');
    });
  }

  /** Drops and pastes act on a session: ignored until the first one arrives. */
  setEnabled(enabled: boolean): void {
    this.enabled = enabled;
    this.showNote(undefined);
  }

  private accepts(event: DragEvent): boolean {
    const types = [...(event.dataTransfer?.types ?? [])];
    return this.enabled && (types.includes('Files') || types.includes('text/uri-list'));
  }

  /** A URI when the data has one (no copy of a file already on disk), else an image file's bytes. */
  private async take(data: DataTransfer, how: 'dropped' | 'pasted'): Promise<void> {
    const uri = firstUri(data.getData('text/uri-list'));
    if (uri !== undefined) {
      this.showNote(undefined);
      this.post({ type: 'useImageFile', uri });
      return;
    }
    const file = [...data.files].find((candidate) => candidate.type.startsWith('image/'));
    if (!file) {
      this.showNote(`The ${how} item is not an image.`);
      return;
    }
    if (file.size > MAX_DROPPED_IMAGE_BYTES) {
      this.showNote(`The ${how} image is ${Math.round(file.size / 2 ** 20)} MB; images up to ${MAX_DROPPED_IMAGE_BYTES / 2 ** 20} MB are read.`);
      return;
    }
    let bytes: Uint8Array;
    try {
      bytes = await readBytes(file);
    } catch {
      this.showNote(`The ${how} image could not be read.`);
      return;
    }
    this.showNote(undefined);
    this.post({ type: 'useImageBytes', name: file.name, image: { bytes, mimeType: file.type } });
  }

  private showNote(text: string | undefined): void {
    this.note.textContent = text ?? '';
    this.note.hidden = text === undefined;
  }
}
