// One layer's grid of channel tiles: the PNG from the host, with a hover/selection highlight, a
// `channel k` tooltip, marks on dead channels, and mouse and keyboard ways to open a channel.
import type { ChannelGridLayout } from '../src/shared/types';
import { el } from './dom';
import {
  channelAtPoint,
  displayScale,
  gridPixelSize,
  isGridKey,
  MIN_GRID_DISPLAY_WIDTH,
  moveSelection,
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
}

export class ChannelGrid {
  /** The focusable frame holding the image and its overlays. */
  readonly element: HTMLDivElement;
  readonly image: HTMLImageElement;
  private readonly highlight: HTMLDivElement;
  private readonly tooltip: HTMLDivElement;
  private readonly imageUrl = new ObjectUrlSlot();
  private readonly dead: ReadonlySet<number>;
  private hovered: number | undefined;
  private selected: number | undefined;
  private focused = false;

  constructor(private readonly options: ChannelGridOptions) {
    const { grid, layerName } = options;
    const { width, height } = gridPixelSize(grid);
    this.dead = new Set(options.deadChannels);

    this.image = el('img', {
      class: 'channel-grid-image',
      alt: `Activation grid of ${layerName}`,
      width,
      height,
      draggable: 'false',
    });
    const scale = displayScale(width, MIN_GRID_DISPLAY_WIDTH);
    // The intrinsic size stays the PNG's; the displayed width is scaled up (whole factor) when small
    // and capped by the container (max-width: 100% in styles.css).
    this.image.style.width = `${width * scale}px`;
    if (scale > 1) this.image.classList.add('pixelated');
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

    this.element = el(
      'div',
      {
        class: 'channel-grid',
        tabindex: 0,
        role: 'group',
        'aria-label': `Channels of ${layerName}: arrow keys choose a channel, Enter enlarges it`,
      },
      [this.image, deadMarks, this.highlight, this.tooltip],
    );

    this.element.addEventListener('mousemove', (event) => {
      this.hovered = this.channelAtClientPoint(event.clientX, event.clientY);
      this.render();
    });
    this.element.addEventListener('mouseleave', () => {
      this.hovered = undefined;
      this.render();
    });
    this.element.addEventListener('click', (event) => {
      const channel = this.channelAtClientPoint(event.clientX, event.clientY);
      if (channel === undefined) return;
      this.selected = channel;
      this.render();
      this.options.onOpenChannel(channel);
    });
    this.element.addEventListener('focus', () => {
      this.focused = true;
      this.render();
    });
    this.element.addEventListener('blur', () => {
      this.focused = false;
      this.render();
    });
    this.element.addEventListener('keydown', (event) => this.onKeyDown(event));
  }

  /** The channel selected with the keyboard (or last clicked). */
  get selectedChannel(): number | undefined {
    return this.selected;
  }

  /** The channel under a point in client (viewport) coordinates, from the image's displayed box. */
  channelAtClientPoint(clientX: number, clientY: number): number | undefined {
    const rect = this.image.getBoundingClientRect();
    return channelAtPoint(
      this.options.grid,
      this.options.channelCount,
      clientX - rect.left,
      clientY - rect.top,
      rect.width,
      rect.height,
    );
  }

  dispose(): void {
    this.imageUrl.revoke();
  }

  private onKeyDown(event: KeyboardEvent): void {
    const { channelCount, grid } = this.options;
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
    const below = box.top + box.height <= 0.8;
    this.tooltip.classList.toggle('above', !below);
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

  private describe(channel: number): string {
    return this.dead.has(channel) ? `channel ${channel} (dead)` : `channel ${channel}`;
  }
}

/** Positions an overlay over a tile, in percentages of the grid so it follows any displayed size. */
function placeBox(element: HTMLElement, box: TileBox): void {
  element.style.left = `${box.left * 100}%`;
  element.style.top = `${box.top * 100}%`;
  element.style.width = `${box.width * 100}%`;
  element.style.height = `${box.height * 100}%`;
}
