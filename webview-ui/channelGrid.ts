// One layer's grid of channel tiles: the PNG from the host, with a hover/selection highlight, a
// tooltip with the channel's index, min, max, mean and dead state, marks on dead channels, zoom (the
// buttons, Ctrl+wheel, + and −) with panning (drag, or the scroll bars) when zoomed in, and mouse
// and keyboard ways to open a channel.
import type { ChannelStats } from '../src/shared/protocol';
import type { ChannelGridLayout } from '../src/shared/types';
import { el } from './dom';
import { formatValue } from './format';
import {
  channelAtPoint,
  displayScale,
  gridPixelSize,
  isGridKey,
  MIN_GRID_DISPLAY_WIDTH,
  moveSelection,
  nextZoom,
  scrollForZoom,
  tileBox,
  type TileBox,
} from './gridGeometry';
import { ObjectUrlSlot } from './objectUrls';

export interface ChannelGridOptions {
  layerName: string;
  grid: ChannelGridLayout;
  channelCount: number;
  deadChannels: readonly number[];
  png: unknown;
  /** Called when the user clicks a tile or presses Enter on the selected one. */
  onOpenChannel(channel: number): void;
  /** Reads text out to screen readers (the selected channel while moving with the arrow keys). */
  announce(text: string): void;
  /** Asks the host for a channel's numbers, for its tooltip; they arrive through `showStats`. */
  requestStats(channel: number): void;
}

/** A press that moves further than this (CSS pixels) pans instead of opening a channel. */
const DRAG_THRESHOLD = 4;

export class ChannelGrid {
  /** The grid's frame: the zoom bar above the viewport that scrolls a zoomed grid. */
  readonly element: HTMLDivElement;
  /** The focusable grid: the image and its overlays, as wide as the zoom makes it. */
  readonly canvas: HTMLDivElement;
  readonly viewport: HTMLDivElement;
  readonly image: HTMLImageElement;
  private readonly highlight: HTMLDivElement;
  private readonly tooltip: HTMLDivElement;
  private readonly zoomLevel: HTMLSpanElement;
  private readonly zoomOutButton: HTMLButtonElement;
  private readonly zoomInButton: HTMLButtonElement;
  private readonly imageUrl = new ObjectUrlSlot();
  /** Removes the document listener when the grid goes. */
  private readonly documentListeners = new AbortController();
  private readonly dead: ReadonlySet<number>;
  private readonly stats = new Map<number, ChannelStats>();
  private readonly statsRequested = new Set<number>();
  /** The grid's width at zoom 1 (before the container caps it): the PNG, scaled up by a whole factor when small. */
  private readonly baseWidth: number;
  private zoom = 1;
  private hovered: number | undefined;
  private selected: number | undefined;
  private focused = false;
  /** A press on a zoomed grid: where it started, and whether it has become a pan. */
  private press: { x: number; y: number; scrollLeft: number; scrollTop: number; panned: boolean } | undefined;

  constructor(private readonly options: ChannelGridOptions) {
    const { grid, layerName } = options;
    const { width, height } = gridPixelSize(grid);
    this.dead = new Set(options.deadChannels);
    const scale = displayScale(width, MIN_GRID_DISPLAY_WIDTH);
    this.baseWidth = width * scale;

    this.image = el('img', {
      class: `channel-grid-image${scale > 1 ? ' pixelated' : ''}`,
      alt: `Activation grid of ${layerName}`,
      width,
      height,
      draggable: 'false',
    });
    const url = this.imageUrl.setPng(options.png);
    if (url !== undefined) this.image.src = url;

    const deadMarks = el('div', { class: 'dead-marks', 'aria-hidden': 'true' });
    for (const channel of options.deadChannels) {
      if (!Number.isInteger(channel) || channel < 0 || channel >= options.channelCount) continue;
      const mark = el('div', { class: 'dead-mark', 'data-channel': channel });
      placeBox(mark, tileBox(grid, channel));
      deadMarks.appendChild(mark);
    }

    this.highlight = el('div', { class: 'tile-highlight', 'aria-hidden': 'true' });
    this.highlight.hidden = true;
    // Screen readers hear the selected channel through `announce` instead.
    this.tooltip = el('div', { class: 'tile-tooltip', 'aria-hidden': 'true' });
    this.tooltip.hidden = true;

    this.canvas = el(
      'div',
      {
        class: 'channel-grid fit',
        tabindex: 0,
        role: 'group',
        'aria-label': `Channels of ${layerName}: arrow keys choose a channel, Enter enlarges it, + and − zoom`,
      },
      [this.image, deadMarks, this.highlight, this.tooltip],
    );
    // The grid's natural width; CSS caps it at the container's while it fits (zoom 1).
    this.canvas.style.width = `${this.baseWidth}px`;
    this.viewport = el('div', { class: 'grid-viewport' }, [this.canvas]);

    this.zoomOutButton = zoomButton('zoom-out', 'Zoom out', '−', () => this.setZoom(nextZoom(this.zoom, -1)));
    this.zoomInButton = zoomButton('zoom-in', 'Zoom in', '+', () => this.setZoom(nextZoom(this.zoom, 1)));
    const fitButton = zoomButton('zoom-fit', 'Fit to the panel’s width', 'Fit', () => this.setZoom(1));
    this.zoomLevel = el('span', { class: 'zoom-level', 'aria-live': 'polite' });
    const zoomBar = el('div', { class: 'grid-zoom', role: 'group', 'aria-label': `Zoom of ${layerName}`, title: 'Ctrl+wheel or + / − zooms; drag pans' }, [
      this.zoomOutButton,
      this.zoomLevel,
      this.zoomInButton,
      fitButton,
    ]);
    this.element = el('div', { class: 'channel-grid-frame' }, [zoomBar, this.viewport]);
    this.showZoom();

    this.canvas.addEventListener('mousemove', (event) => {
      if (this.press) this.pan(event);
      this.hovered = this.channelAtClientPoint(event.clientX, event.clientY);
      this.render();
    });
    this.canvas.addEventListener('mouseleave', () => {
      this.hovered = undefined;
      this.render();
    });
    this.canvas.addEventListener('mousedown', (event) => {
      if (event.button !== 0 || this.zoom === 1) return;
      this.press = { x: event.clientX, y: event.clientY, scrollLeft: this.viewport.scrollLeft, scrollTop: this.viewport.scrollTop, panned: false };
    });
    this.canvas.ownerDocument.addEventListener(
      'mouseup',
      () => {
        // The click that follows a pan's release (if it lands on the grid) must not open a channel:
        // the press is dropped only after it.
        if (this.press?.panned) setTimeout(() => (this.press = undefined));
        else this.press = undefined;
      },
      { signal: this.documentListeners.signal },
    );
    this.canvas.addEventListener('click', (event) => {
      if (this.press?.panned) return;
      const channel = this.channelAtClientPoint(event.clientX, event.clientY);
      if (channel === undefined) return;
      this.selected = channel;
      this.render();
      this.options.onOpenChannel(channel);
    });
    this.canvas.addEventListener('focus', () => {
      this.focused = true;
      this.render();
    });
    this.canvas.addEventListener('blur', () => {
      this.focused = false;
      this.render();
    });
    this.canvas.addEventListener('keydown', (event) => this.onKeyDown(event));
    this.viewport.addEventListener(
      'wheel',
      (event) => {
        if (!event.ctrlKey && !event.metaKey) return;
        event.preventDefault();
        const box = this.viewport.getBoundingClientRect();
        this.setZoom(nextZoom(this.zoom, event.deltaY < 0 ? 1 : -1), { x: event.clientX - box.left, y: event.clientY - box.top });
      },
      { passive: false },
    );
  }

  /** The channel selected with the keyboard (or last clicked). */
  get selectedChannel(): number | undefined {
    return this.selected;
  }

  /** The channel under a point in client (viewport) coordinates, from the image's displayed box. */
  channelAtClientPoint(clientX: number, clientY: number): number | undefined {
    const rect = this.image.getBoundingClientRect();
    return channelAtPoint(this.options.grid, this.options.channelCount, clientX - rect.left, clientY - rect.top, rect.width, rect.height);
  }

  /** Numbers the host sent for a channel: the tooltip shows them from now on. */
  showStats(stats: ChannelStats): void {
    this.stats.set(stats.channel, stats);
    this.render();
  }

  /**
   * Zooms to `zoom` (1 fits the panel's width), keeping the point `anchor` (relative to the viewport;
   * its centre when omitted) where it is.
   */
  setZoom(zoom: number, anchor?: { x: number; y: number }): void {
    if (zoom === this.zoom) return;
    const fitted = Math.min(this.baseWidth, this.viewport.clientWidth || this.baseWidth);
    const before = this.zoom === 1 ? fitted : fitted * this.zoom;
    const after = zoom === 1 ? fitted : fitted * zoom;
    this.zoom = zoom;
    this.canvas.classList.toggle('fit', zoom === 1);
    this.canvas.style.width = `${zoom === 1 ? this.baseWidth : after}px`;
    // Enlarged past its PNG's size, a grid's pixels stay crisp.
    this.image.classList.toggle('pixelated', after > gridPixelSize(this.options.grid).width);
    const point = anchor ?? { x: this.viewport.clientWidth / 2, y: this.viewport.clientHeight / 2 };
    this.viewport.scrollLeft = scrollForZoom(this.viewport.scrollLeft, point.x, after / before);
    this.viewport.scrollTop = scrollForZoom(this.viewport.scrollTop, point.y, after / before);
    this.showZoom();
  }

  dispose(): void {
    this.imageUrl.revoke();
    this.documentListeners.abort();
  }

  private showZoom(): void {
    this.zoomLevel.textContent = `${Math.round(this.zoom * 100)}%`;
    this.viewport.classList.toggle('zoomed', this.zoom > 1);
    this.zoomOutButton.disabled = this.zoom === nextZoom(this.zoom, -1);
    this.zoomInButton.disabled = this.zoom === nextZoom(this.zoom, 1);
  }

  private pan(event: MouseEvent): void {
    const press = this.press;
    if (!press || (event.buttons & 1) === 0) return;
    const dx = event.clientX - press.x;
    const dy = event.clientY - press.y;
    if (!press.panned && Math.hypot(dx, dy) < DRAG_THRESHOLD) return;
    press.panned = true;
    this.viewport.scrollLeft = press.scrollLeft - dx;
    this.viewport.scrollTop = press.scrollTop - dy;
  }

  private onKeyDown(event: KeyboardEvent): void {
    const { channelCount, grid } = this.options;
    if (event.key === '+' || event.key === '=' || event.key === '-' || event.key === '0') {
      event.preventDefault();
      this.setZoom(event.key === '0' ? 1 : nextZoom(this.zoom, event.key === '-' ? -1 : 1));
      return;
    }
    if (channelCount <= 0) return;
    if (isGridKey(event.key)) {
      event.preventDefault();
      this.selected = moveSelection(this.selected, event.key, grid.columns, channelCount);
      this.hovered = undefined;
      this.render();
      this.options.announce(this.describe(this.selected));
    } else if (event.key === 'Enter' || event.key === ' ') {
      event.preventDefault();
      this.selected ??= 0;
      this.render();
      this.options.onOpenChannel(this.selected);
    }
  }

  /** Shows the highlight on the hovered tile, else on the selected one while the grid has focus. */
  private render(): void {
    const target = this.hovered ?? (this.focused ? (this.selected ?? 0) : undefined);
    if (target === undefined) {
      this.highlight.hidden = true;
      this.tooltip.hidden = true;
      return;
    }
    const box = tileBox(this.options.grid, target);
    placeBox(this.highlight, box);
    this.highlight.hidden = false;

    this.tooltip.textContent = this.describe(target);
    // Zoomed, the viewport clips what lies outside the grid: the tooltip then sits on the tile itself.
    const inside = this.zoom > 1;
    const below = !inside && box.top + box.height <= 0.8;
    this.tooltip.classList.toggle('above', !below && !inside);
    this.tooltip.style.top = `${(below ? box.top + box.height : box.top) * 100}%`;
    if (box.left + box.width / 2 > 0.5) {
      this.tooltip.style.left = '';
      this.tooltip.style.right = `${(1 - box.left - box.width) * 100}%`;
    } else {
      this.tooltip.style.right = '';
      this.tooltip.style.left = `${box.left * 100}%`;
    }
    this.tooltip.hidden = false;
  }

  /** `channel 19 · min 0 · max 4.5 · mean 0.31`, or `channel 7 · dead (constant 0)`; asks for the numbers the first time. */
  private describe(channel: number): string {
    const stats = this.stats.get(channel);
    if (!stats && !this.statsRequested.has(channel)) {
      this.statsRequested.add(channel);
      this.options.requestStats(channel);
    }
    if (this.dead.has(channel)) return `channel ${channel} · dead (constant${stats ? ` ${formatValue(stats.min)}` : ''})`;
    if (!stats) return `channel ${channel}`;
    return `channel ${channel} · min ${formatValue(stats.min)} · max ${formatValue(stats.max)} · mean ${formatValue(stats.mean)}`;
  }
}

function zoomButton(className: string, label: string, text: string, onClick: () => void): HTMLButtonElement {
  const button = el('button', { type: 'button', class: `icon-button ${className}`, 'aria-label': label, title: label }, [text]);
  button.addEventListener('click', onClick);
  return button;
}

/** Positions an overlay over a tile, in percentages of the grid so it follows any displayed size. */
function placeBox(element: HTMLElement, box: TileBox): void {
  element.style.left = `${box.left * 100}%`;
  element.style.top = `${box.top * 100}%`;
  element.style.width = `${box.width * 100}%`;
  element.style.height = `${box.height * 100}%`;
}
