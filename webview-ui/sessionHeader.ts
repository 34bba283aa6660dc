// The panel's header for a run: a title (the model's name), an optional input thumbnail and a list
// of details (paths, layer, settings). Every panel kind fills it with its own details.
import type { ImageBytes } from '../src/shared/protocol';
import { el } from './dom';
import { baseName } from './format';
import { ObjectUrlSlot } from './objectUrls';

export interface HeaderDetail {
  term: string;
  value: string;
  /** Class of the value's `<dd>`, for styling and tests. */
  className: string;
  /** Long text that wraps instead of being cut with an ellipsis (its tooltip has it all either way). */
  wrap?: boolean;
}

export interface HeaderContent {
  title: string;
  details: HeaderDetail[];
  /** The input image, shown small before the text, and its alt text. */
  thumbnail?: ImageBytes;
  thumbnailAlt?: string;
}

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
  showRestoring(modelPath: string, what: string): void {
    this.thumbnailUrl.revoke();
    this.element.replaceChildren(
      el('h1', { class: 'model-name' }, [baseName(modelPath)]),
      el('p', { class: 'placeholder' }, [`Restoring ${modelPath} with ${what}…`]),
    );
  }

  show(content: HeaderContent): void {
    this.thumbnailUrl.revoke();
    const url = content.thumbnail ? this.thumbnailUrl.setImage(content.thumbnail.bytes, content.thumbnail.mimeType) : undefined;
    const thumbnail = url !== undefined ? el('img', { class: 'input-thumbnail', alt: content.thumbnailAlt ?? 'Input image', src: url }) : null;
    const details = el(
      'dl',
      { class: 'session-details' },
      content.details.flatMap(({ term, value, className, wrap }) => [el('dt', {}, [term]), el('dd', { class: wrap ? `${className} wrap` : className, title: value }, [value])]),
    );
    this.element.replaceChildren(
      ...(thumbnail ? [thumbnail] : []),
      el('div', { class: 'session-text' }, [el('h1', { class: 'model-name' }, [content.title]), details]),
    );
  }

  dispose(): void {
    this.thumbnailUrl.revoke();
  }
}
