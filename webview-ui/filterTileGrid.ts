// The filter-pattern grid in the panel: read row by row (filter 1 beside filter 0, at most 8 to a
// row, the study notes' 5-pixel margins; the exported grid image keeps the notes' column-by-column
// layout), built from one <img> per tile, placed as its `filterTile` message arrives. The frame keeps
// the grid's aspect ratio at any width, and tiles are shown at a sensible size for any count; margins
// are transparent, so they show the editor's background. Each tile shows its filter's mean activation
// before → after the ascent, and says in words when the ascent did not raise it meaningfully or no
// real image makes it fire. Tiles are buttons: hover or focus shows the filter's numbers and verdict,
// a click or Enter enlarges it, the arrow keys move between tiles.
import type { FilterGridLayout, FilterPatternImage, FilterPatternVerdict } from '../src/shared/types';
import { FILTER_GRID_LINES, FILTER_GRID_MARGIN } from '../src/shared/filterGridLayout';
import { el } from './dom';
import { describeFilterLoss, formatValue } from './format';
import { displayScale, MIN_GRID_DISPLAY_WIDTH } from './gridGeometry';
import { ObjectUrlSlot } from './objectUrls';

/** However few the tiles, one is not shown wider than this (CSS pixels). */
export const MAX_FILTER_TILE_DISPLAY_WIDTH = 320;

export interface FilterTileGridOptions {
  layerName: string;
  /** Side of each tile's image, in pixels. */
  tileSize: number;
  /** Filter indices in tile order: tile t shows filter `filters[t]`. */
  filters: readonly number[];
  /** A shown tile was clicked (or Enter pressed on it); `url` is its image, owned by the grid. */
  onOpenTile(tile: FilterPatternImage, url: string | undefined): void;
}

type TileState = 'waiting' | 'shown' | 'missing';

/** The verdicts a tile states in words; `raised` needs none. Tiles cached before verdicts existed have only `dead`, which is not raised. */
export type TileWarning = Exclude<FilterPatternVerdict, 'raised'>;

export function tileWarning(image: FilterPatternImage): TileWarning | undefined {
  const verdict = image.verdict ?? (image.dead ? 'not raised' : 'raised');
  return verdict === 'raised' ? undefined : verdict;
}

/** The class a warned tile gets: `not-raised`, `silent-on-real-images`. */
function warningClass(warning: TileWarning): string {
  return warning.replace(/ /g, '-');
}

interface TileSlot {
  readonly button: HTMLButtonElement;
  readonly url: ObjectUrlSlot;
  state: TileState;
  image?: FilterPatternImage;
}

/** The panel's layout of `count` tiles: row-major, at most 8 to a row, 5-pixel margins. */
export function panelFilterLayout(count: number, tileSize: number): FilterGridLayout {
  const columns = Math.min(FILTER_GRID_LINES, Math.max(1, count));
  const rows = Math.max(1, Math.ceil(count / columns));
  const span = (tiles: number) => tiles * tileSize + (tiles - 1) * FILTER_GRID_MARGIN;
  return { rows, columns, tileSize, margin: FILTER_GRID_MARGIN, width: span(columns), height: span(rows) };
}

/** A tile's box as fractions (0…1) of the panel's grid: tile t in row ⌊t / columns⌋, column t % columns. */
export function filterTileBox(layout: FilterGridLayout, tile: number): { left: number; top: number; width: number; height: number } {
  const step = layout.tileSize + layout.margin;
  const left = (tile % layout.columns) * step;
  const top = Math.floor(tile / layout.columns) * step;
  return {
    left: left / layout.width,
    top: top / layout.height,
    width: layout.tileSize / layout.width,
    height: layout.tileSize / layout.height,
  };
}

export class FilterTileGrid {
  /** The grid's frame: fixed aspect ratio, tiles positioned inside it. */
  readonly element: HTMLDivElement;
  readonly layout: FilterGridLayout;
  private readonly tooltip: HTMLDivElement;
  private readonly slots: TileSlot[];
  /** The tile reachable with Tab (roving tabindex). */
  private focusedTile = 0;
  /** The tile under the mouse, and the tile whose button has focus: the tooltip shows the first of them. */
  private hovered: number | undefined;
  private focused: number | undefined;

  constructor(private readonly options: FilterTileGridOptions) {
    const { filters, layerName } = options;
    const layout = panelFilterLayout(filters.length, options.tileSize);
    this.layout = layout;
    this.tooltip = el('div', { class: 'tile-tooltip', 'aria-hidden': 'true' });
    this.tooltip.hidden = true;

    this.slots = filters.map((filter, tile) => {
      const button = el('button', {
        type: 'button',
        class: 'filter-tile waiting',
        'data-tile': tile,
        'data-filter': filter,
        tabindex: tile === 0 ? 0 : -1,
        'aria-disabled': 'true',
      });
      const box = filterTileBox(layout, tile);
      button.style.left = percent(box.left);
      button.style.top = percent(box.top);
      button.style.width = percent(box.width);
      button.style.height = percent(box.height);
      const slot: TileSlot = { button, url: new ObjectUrlSlot(), state: 'waiting' };
      this.label(slot, tile);
      button.addEventListener('click', () => this.open(tile));
      button.addEventListener('mouseenter', () => {
        this.hovered = tile;
        this.renderTooltip();
      });
      button.addEventListener('mouseleave', () => {
        if (this.hovered === tile) this.hovered = undefined;
        this.renderTooltip();
      });
      button.addEventListener('focus', () => {
        this.focused = tile;
        this.setFocusable(tile);
        this.renderTooltip();
      });
      button.addEventListener('blur', () => {
        if (this.focused === tile) this.focused = undefined;
        this.renderTooltip();
      });
      return slot;
    });

    this.element = el(
      'div',
      {
        class: 'filter-grid',
        role: 'group',
        'aria-label': `Filter patterns of ${layerName}: arrow keys move between filters, Enter enlarges one`,
      },
      [...this.slots.map((slot) => slot.button), this.tooltip],
    );
    // The frame's natural size is the grid's, scaled up by a whole factor when small but no tile
    // wider than MAX_FILTER_TILE_DISPLAY_WIDTH; CSS caps it at the container's width and
    // `aspect-ratio` keeps the tiles where the layout puts them.
    const scale = Math.max(1, Math.min(displayScale(layout.width, MIN_GRID_DISPLAY_WIDTH), Math.floor(MAX_FILTER_TILE_DISPLAY_WIDTH / layout.tileSize)));
    this.element.style.width = `${layout.width * scale}px`;
    this.element.style.aspectRatio = `${layout.width} / ${layout.height}`;
    this.element.addEventListener('keydown', (event) => this.onKeyDown(event));
  }

  /** Tiles shown so far, and how many of them are dead. */
  get shownCount(): number {
    return this.slots.filter((slot) => slot.state === 'shown').length;
  }

  /** Shown tiles with this warning. */
  warningCount(warning: TileWarning): number {
    return this.slots.filter((slot) => slot.state === 'shown' && slot.image && tileWarning(slot.image) === warning).length;
  }

  /** The object URL of a shown tile's image (owned by the grid). */
  urlOf(tile: number): string | undefined {
    return this.slots[tile]?.url.current;
  }

  get tileCount(): number {
    return this.slots.length;
  }

  /** Places a finished tile; false when its position is outside this grid. */
  showTile(image: FilterPatternImage): boolean {
    const slot = Number.isInteger(image.tile) ? this.slots[image.tile] : undefined;
    if (!slot) return false;
    slot.image = image;
    slot.state = 'shown';
    const url = slot.url.setPng(image.png);
    const img = el('img', {
      class: 'filter-tile-image pixelated',
      alt: '',
      width: image.size,
      height: image.size,
      draggable: 'false',
    });
    if (url !== undefined) img.src = url;
    const warning = tileWarning(image);
    const badge = warning ? el('span', { class: 'filter-tile-badge', 'aria-hidden': 'true' }, [warning]) : null;
    const objective = el('span', { class: 'filter-tile-objective', 'aria-hidden': 'true' }, [`${formatValue(image.lossStart)} → ${formatValue(image.lossEnd)}`]);
    slot.button.replaceChildren(img, objective, ...(badge ? [badge] : []));
    slot.button.className = `filter-tile shown${warning ? ` ${warningClass(warning)}` : ''}${image.dead ? ' flat' : ''}`;
    slot.button.removeAttribute('aria-disabled');
    slot.button.setAttribute('data-filter', String(image.filter));
    this.label(slot, image.tile);
    this.renderTooltip();
    return true;
  }

  /** When the run ended: tiles still waiting will not come. */
  markMissing(): void {
    this.slots.forEach((slot, tile) => {
      if (slot.state !== 'waiting') return;
      slot.state = 'missing';
      slot.button.className = 'filter-tile missing';
      this.label(slot, tile);
    });
  }

  dispose(): void {
    for (const slot of this.slots) slot.url.revoke();
  }

  private describe(slot: TileSlot, tile: number): string {
    const filter = slot.image?.filter ?? this.options.filters[tile];
    switch (slot.state) {
      case 'waiting':
        return `filter ${filter} · waiting`;
      case 'missing':
        return `filter ${filter} · not computed`;
      case 'shown': {
        const image = slot.image as FilterPatternImage;
        const text = describeFilterLoss(filter, image.lossStart, image.lossEnd);
        const warning = tileWarning(image);
        return warning ? `${text} · ${warning}` : text;
      }
    }
  }

  private label(slot: TileSlot, tile: number): void {
    slot.button.setAttribute('aria-label', this.describe(slot, tile));
  }

  private open(tile: number): void {
    const slot = this.slots[tile];
    if (slot?.state !== 'shown' || !slot.image) return;
    this.options.onOpenTile(slot.image, slot.url.current);
  }

  private setFocusable(tile: number): void {
    if (tile === this.focusedTile) return;
    this.slots[this.focusedTile]?.button.setAttribute('tabindex', '-1');
    this.slots[tile]?.button.setAttribute('tabindex', '0');
    this.focusedTile = tile;
  }

  private onKeyDown(event: KeyboardEvent): void {
    const count = this.slots.length;
    const current = this.focusedTile;
    const { columns } = this.layout;
    const column = current % columns;
    let next: number | undefined;
    switch (event.key) {
      case 'ArrowLeft':
        next = column > 0 ? current - 1 : current;
        break;
      case 'ArrowRight':
        next = column < columns - 1 && current + 1 < count ? current + 1 : current;
        break;
      case 'ArrowUp':
        next = current - columns >= 0 ? current - columns : current;
        break;
      case 'ArrowDown':
        next = current + columns < count ? current + columns : current;
        break;
      case 'Home':
        next = 0;
        break;
      case 'End':
        next = count - 1;
        break;
      case 'Enter':
        // Handled here rather than left to the button's own activation, so it works the same everywhere.
        event.preventDefault();
        this.open(current);
        return;
      default:
        return;
    }
    event.preventDefault();
    this.setFocusable(next);
    this.slots[next]?.button.focus();
  }

  private renderTooltip(): void {
    const tile = this.hovered ?? this.focused;
    const slot = tile === undefined ? undefined : this.slots[tile];
    if (tile === undefined || !slot) {
      this.tooltip.hidden = true;
      return;
    }
    const box = filterTileBox(this.layout, tile);
    this.tooltip.textContent = this.describe(slot, tile);
    this.tooltip.dataset.tile = String(tile);
    const below = box.top + box.height <= 0.8;
    this.tooltip.classList.toggle('above', !below);
    this.tooltip.style.top = percent(below ? box.top + box.height : box.top);
    if (box.left + box.width / 2 > 0.5) {
      this.tooltip.style.left = '';
      this.tooltip.style.right = percent(1 - box.left - box.width);
    } else {
      this.tooltip.style.right = '';
      this.tooltip.style.left = percent(box.left);
    }
    this.tooltip.hidden = false;
  }
}

function percent(fraction: number): string {
  return `${Number((fraction * 100).toFixed(4))}%`;
}
