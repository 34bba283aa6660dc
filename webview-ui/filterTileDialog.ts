// The enlarged view of one filter's pattern: the tile's image scaled up (pixelated), the filter's
// mean activation on the starting image and at the end, the steps, the verdict in words (raised, not
// raised, silent on real images) with the best real image, and the crops of the example images that
// excite the filter most. The image URL belongs to the grid; the dialog only borrows it.
import type { FilterPatternImage } from '../src/shared/types';
import { el } from './dom';
import { baseName, formatValue } from './format';
import { exampleFigures } from './filterExampleRows';
import { tileWarning } from './filterTileGrid';
import type { ObjectUrlSlot } from './objectUrls';
import { displayScale, MIN_CHANNEL_DISPLAY_WIDTH } from './gridGeometry';
import { ModalDialog } from './modalDialog';

export class FilterTileDialog {
  readonly element: HTMLDivElement;
  private readonly dialog: ModalDialog;
  private shownFilter: number | undefined;
  /** The example crops' URLs, revoked when the dialog closes. */
  private exampleUrls: ObjectUrlSlot[] = [];

  constructor(doc: Document) {
    this.dialog = new ModalDialog(doc, {
      kind: 'filter',
      onClosed: () => {
        this.shownFilter = undefined;
        this.revokeExamples();
      },
    });
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
    this.revokeExamples();
    this.shownFilter = tile.filter;
    const warning = tileWarning(tile);
    const image = el('img', {
      class: 'filter-image pixelated',
      alt: `Pattern that maximally activates filter ${tile.filter} of ${layerName}${warning ? ` (${warning})` : ''}`,
      width: tile.size,
      height: tile.size,
    });
    image.style.width = `${tile.size * displayScale(tile.size, MIN_CHANNEL_DISPLAY_WIDTH)}px`;
    if (url !== undefined) image.src = url;
    if (tile.dead) image.classList.add('flat');
    const verdictText =
      tile.verdictText ?? (tile.dead ? 'Not raised: the gradient was zero from the start, so nothing near the starting image makes this filter respond; the tile is drawn flat.' : undefined);
    const real = tile.realImages;
    const examples = tile.examples;

    const gain = tile.lossStart > 0 && Number.isFinite(tile.lossEnd / tile.lossStart) ? ` (×${formatValue(tile.lossEnd / tile.lossStart)})` : '';
    this.dialog.open(`${layerName} — filter ${tile.filter}`, [
      el('div', { class: 'filter-image-frame' }, [image]),
      el('dl', { class: 'filter-stats' }, [
        el('dt', {}, ['Filter']),
        el('dd', { class: 'filter-index' }, [String(tile.filter)]),
        el('dt', {}, ['Mean activation at start']),
        el('dd', { class: 'filter-loss-start' }, [formatValue(tile.lossStart)]),
        el('dt', {}, ['Mean activation at end']),
        el('dd', { class: 'filter-loss-end' }, [`${formatValue(tile.lossEnd)}${gain}`]),
        ...(real
          ? [
              el('dt', {}, ['Best real image']),
              el('dd', { class: 'filter-best-real', title: real.bestImage }, [`${formatValue(real.bestActivation)} (${baseName(real.bestImage)}, best of ${real.count})`]),
            ]
          : []),
        el('dt', {}, ['Steps']),
        el('dd', { class: 'filter-steps' }, [String(tile.steps)]),
        el('dt', {}, ['Size']),
        el('dd', { class: 'filter-size' }, [`${tile.size} × ${tile.size} px`]),
      ]),
      el('p', { class: 'filter-loss-note' }, ['Mean activation: the filter’s output averaged over all positions, on the starting image and on the final pattern.']),
      verdictText ? el('p', { class: `filter-verdict-note${warning ? ' warning' : ''}` }, [verdictText]) : null,
      examples
        ? el('section', { class: 'filter-dialog-examples' }, [
            el('h3', {}, ['What excites this filter in your images']),
            examples.length > 0
              ? el('div', { class: 'filter-example-strip' }, exampleFigures(examples, this.exampleUrls))
              : el('p', { class: 'filter-example-none' }, ['It fires on none of the example images.']),
          ])
        : null,
    ]);
  }

  private revokeExamples(): void {
    for (const slot of this.exampleUrls) slot.revoke();
    this.exampleUrls = [];
  }

  close(): void {
    this.dialog.close();
  }
}
