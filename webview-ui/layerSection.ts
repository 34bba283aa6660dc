// One layer's section in the panel: a placeholder until its grid arrives, then the heading, the
// activation statistics, the dead channels and the interactive grid.
import type { LayerActivationImage, LayerInfo } from '../src/shared/types';
import { ChannelGrid } from './channelGrid';
import { el, replaceChildren } from './dom';
import { formatDeadChannels, formatOutputShape, formatShape, formatValue } from './format';

/** At most this many dead channel numbers are listed; the rest are counted. */
const MAX_LISTED_DEAD_CHANNELS = 24;

export interface LayerSectionCallbacks {
  onOpenChannel(layerIndex: number, layerName: string, channel: number): void;
  announce(text: string): void;
}

export class LayerSection {
  readonly element: HTMLElement;
  private readonly title: HTMLHeadingElement;
  private readonly meta: HTMLSpanElement;
  private readonly stats: HTMLParagraphElement;
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
    this.meta = el('span', { class: 'layer-meta' }, info ? [`${info.className} · ${formatOutputShape(info.outputShape)}`] : []);
    this.stats = el('p', { class: 'layer-stats' });
    this.stats.hidden = true;
    this.deadList = el('p', { class: 'layer-dead-list' });
    this.deadList.hidden = true;
    const placeholderText =
      info && !info.hasSpatialOutput ? 'No channel grid: this layer’s output is not a 4-D feature map.' : 'waiting…';
    this.body = el('div', { class: 'layer-body' }, [el('p', { class: 'placeholder' }, [placeholderText])]);
    this.element = el(
      'section',
      { class: 'layer-section', id: `layer-${layerIndex}`, 'aria-labelledby': titleId, 'data-layer-index': layerIndex, 'aria-busy': 'true' },
      [el('header', { class: 'layer-header' }, [this.title, this.meta]), this.stats, this.deadList, this.body],
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
    this.meta.textContent = `${layer.className} · ${formatShape(layer.shape)}`;

    const { stats } = layer;
    const channelCount = stats.channelCount > 0 ? stats.channelCount : (layer.shape[layer.shape.length - 1] ?? 0);
    this.stats.textContent = [
      `min ${formatValue(stats.min)}`,
      `max ${formatValue(stats.max)}`,
      `mean ${formatValue(stats.mean)}`,
      `dead channels ${formatDeadChannels(stats.deadChannelCount, channelCount)}`,
    ].join(' · ');
    this.stats.hidden = false;

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
      onOpenChannel: (channel) => this.callbacks.onOpenChannel(this.layerIndex, layer.layerName, channel),
      announce: (text) => this.callbacks.announce(text),
    });
    replaceChildren(this.body, [this.grid.element]);
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
