// The Explain Folder gallery: thousands of thumbnails in a scrolling box that holds elements only for
// the rows in view (and a few beyond), so the page stays light for a folder of 10,000 images. Every
// tile has the same size; the box's inner spacer is as tall as all the rows.
import type { DatasetImageResult } from '../src/shared/types';
import { el, replaceChildren } from './dom';
import { formatPercent } from './format';

const TILE_WIDTH = 148;
const TILE_HEIGHT = 172;
/** Rows drawn above and below the visible ones, so a quick scroll shows no gap. */
const OVERSCAN_ROWS = 2;
/** Where layout is unknown (a hidden panel, jsdom): the box is taken to be this size. */
const FALLBACK_SIZE = { width: 4 * TILE_WIDTH, height: 3 * TILE_HEIGHT };

export interface GalleryContext {
  classNames: readonly string[];
  /** The URL of a file in the run's cache folder. */
  imageUrl(name: string): string;
}

export class DatasetGallery {
  readonly element: HTMLElement;
  private readonly spacer: HTMLElement;
  private items: readonly DatasetImageResult[] = [];
  private context: GalleryContext | undefined;
  private selected: string | undefined;
  private frame: number | undefined;

  constructor(private readonly onSelect: (image: DatasetImageResult) => void) {
    this.spacer = el('div', { class: 'dataset-gallery-spacer' });
    this.element = el('div', { class: 'dataset-gallery', role: 'list', 'aria-label': 'Images', tabindex: 0 }, [this.spacer]);
    this.element.addEventListener('scroll', () => this.scheduleDraw());
    this.element.addEventListener('click', (event) => {
      const tile = (event.target as Element | null)?.closest<HTMLElement>('.dataset-tile');
      const image = tile && this.items.find((item) => item.relativePath === tile.dataset.path);
      if (image) this.onSelect(image);
    });
  }

  /** Shows these images in this order (filtered and sorted by the caller). */
  show(items: readonly DatasetImageResult[], context: GalleryContext): void {
    this.items = items;
    this.context = context;
    this.draw();
  }

  select(relativePath: string | undefined): void {
    this.selected = relativePath;
    for (const tile of this.spacer.querySelectorAll<HTMLElement>('.dataset-tile')) tile.classList.toggle('selected', tile.dataset.path === relativePath);
  }

  get shownCount(): number {
    return this.items.length;
  }

  private scheduleDraw(): void {
    if (this.frame !== undefined) return;
    this.frame = requestAnimationFrame(() => {
      this.frame = undefined;
      this.draw();
    });
  }

  private draw(): void {
    const context = this.context;
    if (!context) return;
    const width = this.element.clientWidth || FALLBACK_SIZE.width;
    const height = this.element.clientHeight || FALLBACK_SIZE.height;
    const columns = Math.max(1, Math.floor(width / TILE_WIDTH));
    const rows = Math.ceil(this.items.length / columns);
    this.spacer.style.height = `${rows * TILE_HEIGHT}px`;
    const firstRow = Math.max(0, Math.floor(this.element.scrollTop / TILE_HEIGHT) - OVERSCAN_ROWS);
    const lastRow = Math.min(rows - 1, Math.ceil((this.element.scrollTop + height) / TILE_HEIGHT) + OVERSCAN_ROWS);
    const tiles: HTMLElement[] = [];
    for (let row = firstRow; row <= lastRow; row++) {
      for (let column = 0; column < columns; column++) {
        const item = this.items[row * columns + column];
        if (!item) break;
        const tile = this.tile(item, context);
        tile.style.transform = `translate(${column * TILE_WIDTH}px, ${row * TILE_HEIGHT}px)`;
        tiles.push(tile);
      }
    }
    replaceChildren(this.spacer, tiles);
  }

  private tile(item: DatasetImageResult, context: GalleryContext): HTMLElement {
    const verdict = item.correct === undefined ? 'unlabelled' : item.correct ? 'correct' : 'wrong';
    const name = (index: number) => context.classNames[index] ?? String(index);
    const fileName = item.relativePath.slice(item.relativePath.lastIndexOf('/') + 1);
    const tile = el('button', { type: 'button', role: 'listitem', class: `dataset-tile ${verdict}${item.relativePath === this.selected ? ' selected' : ''}`, 'data-path': item.relativePath, title: item.relativePath }, [
      item.thumbnail ? el('img', { class: 'dataset-thumbnail', src: context.imageUrl(item.thumbnail), alt: '', loading: 'lazy' }) : el('span', { class: 'dataset-thumbnail' }),
      el('span', { class: 'dataset-tile-name' }, [`${fileName} · ${formatPercent(item.confidence)}`]),
      el('span', { class: 'dataset-tile-verdict' }, [
        verdict === 'wrong' ? `✗ ${name(item.trueClass!)} → ` : verdict === 'correct' ? '✓ ' : '',
        el('b', {}, [name(item.predictedClass)]),
      ]),
    ]);
    return tile;
  }
}
