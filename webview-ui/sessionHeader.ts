// The panel's header for a run: model name, model and image paths, the input thumbnail and the
// preprocessing mode.
import type { PanelSession } from '../src/shared/protocol';
import { el } from './dom';
import { baseName, PREPROCESS_LABELS } from './format';
import { ObjectUrlSlot } from './objectUrls';

export class SessionHeader {
  readonly element: HTMLElement;
  private readonly thumbnailUrl = new ObjectUrlSlot();

  constructor() {
    this.element = el('header', { class: 'session-header' }, [
      el('h1', { class: 'model-name' }, ['Convscope']),
      el('p', { class: 'placeholder' }, ['Waiting for the extension…']),
    ]);
  }

  /** Before any session arrives after a reload: say what is being restored. */
  showRestoring(modelPath: string, imagePath: string): void {
    this.element.replaceChildren(
      el('h1', { class: 'model-name' }, [baseName(modelPath)]),
      el('p', { class: 'placeholder' }, [`Restoring ${modelPath} with ${imagePath}…`]),
    );
  }

  show(session: PanelSession): void {
    this.thumbnailUrl.revoke();
    const url = session.imageThumbnail ? this.thumbnailUrl.setPng(session.imageThumbnail) : undefined;
    const thumbnail = url !== undefined ? el('img', { class: 'input-thumbnail', alt: `Input image ${baseName(session.imagePath)}`, src: url }) : null;

    const details = el('dl', { class: 'session-details' }, [
      ...detail('Model', session.modelPath, 'model-path'),
      ...detail('Image', session.imagePath, 'image-path'),
      ...detail('Preprocess', PREPROCESS_LABELS[session.preprocess] ?? session.preprocess, 'preprocess-mode'),
      ...detail('Colormap', session.colormap, 'colormap-name'),
    ]);
    this.element.replaceChildren(
      ...(thumbnail ? [thumbnail] : []),
      el('div', { class: 'session-text' }, [el('h1', { class: 'model-name' }, [session.modelName || baseName(session.modelPath)]), details]),
    );
  }

  dispose(): void {
    this.thumbnailUrl.revoke();
  }
}

function detail(term: string, value: string, className: string): HTMLElement[] {
  return [el('dt', {}, [term]), el('dd', { class: className, title: value }, [value])];
}
