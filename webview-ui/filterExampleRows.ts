// "What excites this filter in your images" (Lucid's dataset examples), below the grid: one row per
// filter in tile order, its synthetic pattern beside the crops of the example images where it fires
// most, each with its activation and image name. Rows fill in as their tiles stream in.
import type { FilterExampleCrop, FilterPatternImage } from '../src/shared/types';
import { el } from './dom';
import { baseName, formatValue } from './format';
import { ObjectUrlSlot } from './objectUrls';

/** A crop is drawn at least this wide (CSS pixels): a first layer's receptive field is a few pixels. */
const MIN_CROP_DISPLAY_SIDE = 48;

/** The crops of one tile as figures: the image enlarged (pixelated), its activation and its file. */
export function exampleFigures(examples: readonly FilterExampleCrop[], urls: ObjectUrlSlot[]): HTMLElement[] {
  return examples.map((example, rank) => {
    const slot = new ObjectUrlSlot();
    urls.push(slot);
    const { width, height } = example.crop;
    const scale = Math.max(1, Math.ceil(MIN_CROP_DISPLAY_SIDE / Math.max(width, height)));
    const image = el('img', {
      class: 'filter-example-image pixelated',
      alt: `Crop ${rank + 1} of ${baseName(example.image)}, ${width} × ${height} px at (${example.crop.x}, ${example.crop.y})`,
      width: width * scale,
      height: height * scale,
      draggable: 'false',
    });
    const url = slot.setPng(example.png);
    if (url !== undefined) image.src = url;
    return el('figure', { class: 'filter-example', title: example.image }, [
      image,
      el('figcaption', {}, [el('span', { class: 'filter-example-activation' }, [formatValue(example.activation)]), ' ', el('span', { class: 'filter-example-file' }, [baseName(example.image)])]),
    ]);
  });
}

export class FilterExampleRows {
  readonly element: HTMLElement;
  private readonly rows: HTMLElement[];
  private readonly urls: ObjectUrlSlot[] = [];

  constructor(
    filters: readonly number[],
    /** `the workspace's images`, `images in photos/`. */
    source: string,
    private readonly imageCount: number,
  ) {
    this.rows = filters.map((filter) =>
      el('div', { class: 'filter-example-row waiting', 'data-filter': filter }, [el('span', { class: 'filter-example-label' }, [`filter ${filter}`]), el('span', { class: 'filter-example-none' }, ['waiting…'])]),
    );
    this.element = el('section', { class: 'filter-examples', 'aria-label': 'What excites each filter in your images' }, [
      el('h2', { class: 'filter-examples-title' }, ['What excites each filter in your images']),
      el('p', { class: 'filter-examples-source' }, [`Beside each pattern, the crops of ${source} (${imageCount} image${imageCount === 1 ? '' : 's'}) where the filter responds most, with its activation at that spot (a filter silent on average can still respond in places).`]),
      ...this.rows,
    ]);
  }

  /** Fills the tile's row: its pattern (`patternUrl`, owned by the grid) and its crops. */
  showTile(tile: FilterPatternImage, patternUrl: string | undefined): void {
    const row = this.rows[tile.tile];
    if (!row) return;
    const pattern = el('img', { class: 'filter-example-pattern pixelated', alt: `Pattern of filter ${tile.filter}`, width: tile.size, height: tile.size, draggable: 'false' });
    if (patternUrl !== undefined) pattern.src = patternUrl;
    const examples = tile.examples ?? [];
    const crops =
      examples.length > 0
        ? exampleFigures(examples, this.urls)
        : [el('span', { class: 'filter-example-none' }, [`It fires on none of the ${this.imageCount} images (its activation is 0 or less everywhere in each).`])];
    row.className = 'filter-example-row shown';
    row.setAttribute('data-filter', String(tile.filter));
    row.replaceChildren(el('span', { class: 'filter-example-label' }, [`filter ${tile.filter}`]), pattern, ...crops);
  }

  dispose(): void {
    for (const slot of this.urls) slot.revoke();
  }
}
