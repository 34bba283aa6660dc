// The enlarged view of one filter's pattern: the tile's image scaled up (pixelated), the loss (mean
// activation of the filter) on the starting noise and at the end, the steps, and why a dead filter
// shows no pattern. The image URL belongs to the grid; the dialog only borrows it.
import type { FilterPatternImage } from '../src/shared/types';
import { el } from './dom';
import { formatValue } from './format';
import { displayScale, MIN_CHANNEL_DISPLAY_WIDTH } from './gridGeometry';
import { ModalDialog } from './modalDialog';

export class FilterTileDialog {
  readonly element: HTMLDivElement;
  private readonly dialog: ModalDialog;
  private shownFilter: number | undefined;

  constructor(doc: Document) {
    this.dialog = new ModalDialog(doc, { kind: 'filter', onClosed: () => (this.shownFilter = undefined) });
    this.element = this.dialog.element;
  }

  get isOpen(): boolean {
    return this.dialog.isOpen;
  }

  /** The filter the open dialog shows. */
  get filter(): number | undefined {
    return this.shownFilter;
  }

  open(layerName: string, tile: FilterPatternImage, url: string | undefined): void {
    this.shownFilter = tile.filter;
    const image = el('img', {
      class: 'filter-image pixelated',
      alt: `Pattern that maximally activates filter ${tile.filter} of ${layerName}${tile.dead ? ' (dead filter: flat)' : ''}`,
      width: tile.size,
      height: tile.size,
    });
    image.style.width = `${tile.size * displayScale(tile.size, MIN_CHANNEL_DISPLAY_WIDTH)}px`;
    if (url !== undefined) image.src = url;
    if (tile.dead) image.classList.add('dead');

    const gain = tile.lossStart > 0 && Number.isFinite(tile.lossEnd / tile.lossStart) ? ` (×${formatValue(tile.lossEnd / tile.lossStart)})` : '';
    this.dialog.open(`${layerName} — filter ${tile.filter}`, [
      el('div', { class: 'filter-image-frame' }, [image]),
      el('dl', { class: 'filter-stats' }, [
        el('dt', {}, ['Filter']),
        el('dd', { class: 'filter-index' }, [String(tile.filter)]),
        el('dt', {}, ['Loss at start']),
        el('dd', { class: 'filter-loss-start' }, [formatValue(tile.lossStart)]),
        el('dt', {}, ['Loss at end']),
        el('dd', { class: 'filter-loss-end' }, [`${formatValue(tile.lossEnd)}${gain}`]),
        el('dt', {}, ['Steps']),
        el('dd', { class: 'filter-steps' }, [String(tile.steps)]),
        el('dt', {}, ['Size']),
        el('dd', { class: 'filter-size' }, [`${tile.size} × ${tile.size} px`]),
      ]),
      el('p', { class: 'filter-loss-note' }, ['Loss: the mean activation of the filter over all positions, on the starting noise and on the final pattern.']),
      tile.dead
        ? el('p', { class: 'dead-note' }, [
            'Dead filter: its gradient was zero from the start, so nothing near the starting image activates it. It is drawn flat rather than as noise.',
          ])
        : null,
    ]);
  }

  close(): void {
    this.dialog.close();
  }
}
