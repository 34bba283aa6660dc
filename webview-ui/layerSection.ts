// One layer's section in the panel: a placeholder until its grid arrives, then the heading, the
// activation statistics, the colour bar, the dead channels and the interactive grid.
import type { ChannelStats } from '../src/shared/protocol';
import { formatShape } from '../src/shared/shapes';
import type { LayerActivationImage, LayerInfo } from '../src/shared/types';
import { ChannelGrid } from './channelGrid';
import { colourBar } from './colourBar';
import { el, replaceChildren } from './dom';
import { formatDeadChannels, formatValue } from './format';

/** At most this many dead channel numbers are listed; the rest are counted. */
const MAX_LISTED_DEAD_CHANNELS = 24;

/** A channel's own size in values (the enlarged view says it, not the enlarged image's pixels). */
export interface ChannelSize {
  width: number;
  height: number;
}

export interface LayerSectionCallbacks {
  onOpenChannel(layerIndex: number, layerName: string, channel: number, size: ChannelSize): void;
  announce(text: string): void;
  requestStats(layerIndex: number, channel: number): void;
}

export class LayerSection {
  readonly element: HTMLElement;
  private readonly title: HTMLHeadingElement;
  private readonly meta: HTMLSpanElement;
  private readonly stats: HTMLParagraphElement;
  private readonly scale: HTMLElement;
  private readonly deadList: HTMLParagraphElement;
  private readonly body: HTMLDivElement;
  private grid: ChannelGrid | undefined;
  private filled = false;

  constructor(
    readonly layerIndex: number,
    info: LayerInfo | undefined,
    private readonly callbacks: LayerSectionCallbacks,
  ) {
    const titleId = `layer-${layerIndex}-title`;
    this.title = el('h2', { class: 'layer-name', id: titleId }, [info?.name ?? `Layer ${layerIndex}`]);
    this.meta = el('span', { class: 'layer-meta' }, info ? [`${info.className} · ${formatShape(info.outputShape)}`] : []);
    this.stats = el('p', { class: 'layer-stats' });
    this.stats.hidden = true;
    this.scale = el('div', { class: 'layer-scale' });
    this.scale.hidden = true;
    this.deadList = el('p', { class: 'layer-dead-list' });
    this.deadList.hidden = true;
    const placeholderText =
      info && !info.hasSpatialOutput ? 'No channel grid: this layer’s output is not a 4-D feature map.' : 'waiting…';
    this.body = el('div', { class: 'layer-body' }, [el('p', { class: 'placeholder' }, [placeholderText])]);
    this.element = el(
      'section',
      { class: 'layer-section', id: `layer-${layerIndex}`, 'aria-labelledby': titleId, 'data-layer-index': layerIndex, 'aria-busy': 'true' },
      [el('header', { class: 'layer-header' }, [this.title, this.meta]), this.stats, this.scale, this.deadList, this.body],
    );
  }

  /** True once the layer's grid has been shown. */
  get isFilled(): boolean {
    return this.filled;
  }

  show(layer: LayerActivationImage): void {
    this.grid?.dispose();
    this.filled = true;
    this.element.setAttribute('aria-busy', 'false');
    this.title.textContent = layer.layerName;
    // Keras' notation, batch as None: the same as the summary and the sidebar write it.
    const [, height = 0, width = 0] = layer.shape;
    this.meta.textContent = `${layer.className} · ${formatShape([null, ...layer.shape.slice(1)])}`;

    const { stats } = layer;
    const channelCount = stats.channelCount > 0 ? stats.channelCount : (layer.shape[layer.shape.length - 1] ?? 0);
    this.stats.textContent = [
      `min ${formatValue(stats.min)}`,
      `max ${formatValue(stats.max)}`,
      `mean ${formatValue(stats.mean)}`,
      `dead channels ${formatDeadChannels(stats.deadChannelCount, channelCount)}`,
    ].join(' · ');
    this.stats.hidden = false;
    replaceChildren(this.scale, [
      colourBar(layer.colormap, -2, 2, 'mean − 2σ', 'mean + 2σ'),
      el('p', { class: 'colorbar-caption', title: 'The study notes’ (x − mean) / std × 64 + 128 per channel: each channel is coloured from its own mean − 2σ to mean + 2σ, values beyond are clipped, dead channels are flat. Hover a tile for its channel’s min, max and mean.' }, [
        `each channel from its own mean − 2σ to + 2σ · layer values ${formatValue(stats.min)} to ${formatValue(stats.max)}`,
      ]),
    ]);
    this.scale.hidden = false;

    const dead = [...layer.deadChannels].sort((a, b) => a - b);
    if (dead.length > 0) {
      const listed = dead.slice(0, MAX_LISTED_DEAD_CHANNELS).join(', ');
      const more = dead.length > MAX_LISTED_DEAD_CHANNELS ? ` … and ${dead.length - MAX_LISTED_DEAD_CHANNELS} more` : '';
      this.deadList.textContent = `Dead (constant) channels, outlined in the grid: ${listed}${more}`;
      this.deadList.hidden = false;
    } else {
      this.deadList.textContent = '';
      this.deadList.hidden = true;
    }

    this.grid = new ChannelGrid({
      layerName: layer.layerName,
      grid: layer.grid,
      channelCount,
      deadChannels: layer.deadChannels,
      png: layer.png,
      onOpenChannel: (channel) => this.callbacks.onOpenChannel(this.layerIndex, layer.layerName, channel, { width, height }),
      announce: (text) => this.callbacks.announce(text),
      requestStats: (channel) => this.callbacks.requestStats(this.layerIndex, channel),
    });
    replaceChildren(this.body, [this.grid.element]);
  }

  /** A channel's numbers for the grid's tooltip. */
  showStats(stats: ChannelStats): void {
    this.grid?.showStats(stats);
  }

  /** Replaces a still-waiting placeholder when the run ends without this layer. */
  markNotRendered(reason: string): void {
    if (this.filled) return;
    this.element.setAttribute('aria-busy', 'false');
    const placeholder = this.body.querySelector('.placeholder');
    if (placeholder && placeholder.textContent === 'waiting…') placeholder.textContent = reason;
  }

  dispose(): void {
    this.grid?.dispose();
    this.grid = undefined;
  }
}
