// An Explain Prediction result: the model's top predictions (buttons that re-target the heatmap), the
// class explained, and side by side the heatmap over the original image (at its own resolution) and
// the class heatmap at the layer's resolution (pixelated, like the study notes' matshow). When nothing
// raises the class score at the layer, the host's message says so instead of an empty map. Several
// maps (methods, layers or classes) are shown in one row instead, at one size and on one colour scale.
import type { CamMapInfo, ClassPrediction, ColormapName, GradCamRunInfo } from '../src/shared/types';
import type { CamMapView, GradCamResultView } from '../src/shared/protocol';
import { camMethodInfo } from '../src/shared/camMethods';
import { faithfulnessBlock } from './gradCamFaithfulness';
import { formatShape } from '../src/shared/shapes';
import { colourBar } from './colourBar';
import { el, replaceChildren } from './dom';
import { baseName, formatProbability, formatValue } from './format';
import { displayScale } from './gridGeometry';
import { ObjectUrlSlot } from './objectUrls';

export interface GradCamResultCallbacks {
  /** A prediction other than the current target was clicked. */
  onPickClass(index: number): void;
}

/** The class heatmap is shown at least this wide (CSS pixels), however small the image. */
const MIN_HEATMAP_DISPLAY_WIDTH = 160;
/** A small image's overlay is enlarged by a whole factor (pixelated) to at least this width. */
const MIN_OVERLAY_DISPLAY_WIDTH = 256;

/** Last-layer activations whose outputs are probabilities (shown as percentages with bars). */
const PROBABILITY_ACTIVATIONS: ReadonlySet<string> = new Set(['softmax', 'sigmoid']);

export class GradCamResultPanel {
  readonly element: HTMLElement;
  private readonly overlayUrl = new ObjectUrlSlot();
  private readonly heatmapUrl = new ObjectUrlSlot();
  private readonly rowUrls: ObjectUrlSlot[] = [];
  /** The maps of the run in progress that have arrived, in their places. */
  private arriving: { total: number; maps: (CamMapView | undefined)[] } | undefined;

  constructor(private readonly callbacks: GradCamResultCallbacks) {
    this.element = el('section', { class: 'gradcam-result', 'aria-label': 'Grad-CAM result' }, [
      el('p', { class: 'placeholder' }, ['Waiting for the extension…']),
    ]);
  }

  /** Before the first result of a session (or after the model or image changed). */
  showPlaceholder(text: string): void {
    this.revoke();
    this.setStale(false);
    this.arriving = undefined;
    replaceChildren(this.element, [el('p', { class: 'placeholder' }, [text])]);
  }

  /** Dims a result while the next one is computed (or after that failed). */
  setStale(stale: boolean): void {
    this.element.classList.toggle('stale', stale);
    this.element.setAttribute('aria-busy', String(stale));
  }

  show(result: GradCamResultView): void {
    const { info } = result;
    // A prediction button that had focus (the user just clicked it) gets it back in the new list.
    const active = this.element.ownerDocument.activeElement;
    const focusedClass = active instanceof HTMLElement && this.element.contains(active) ? active.closest<HTMLElement>('.prediction')?.dataset.classIndex : undefined;
    this.revoke();
    this.setStale(false);
    this.arriving = undefined;
    const sideBySide = (result.maps?.length ?? 0) > 1;
    replaceChildren(this.element, [
      targetLine(info),
      this.predictionList(info),
      ...(sideBySide ? [this.mapRow(result.maps ?? [], info)] : info.noPositiveEvidence ? [noEvidenceNotice(info)] : [this.figures(result)]),
      // One map's faithfulness below it (side by side, each map has its own).
      !sideBySide && result.maps?.[0]?.info.faithfulness ? faithfulnessBlock(result.maps[0].info.faithfulness) : null,
      classNameNotes(info),
    ]);
    if (focusedClass !== undefined) this.element.querySelector<HTMLElement>(`.prediction[data-class-index="${focusedClass}"]`)?.focus();
  }

  dispose(): void {
    this.revoke();
  }

  private revoke(): void {
    this.overlayUrl.revoke();
    this.heatmapUrl.revoke();
    for (const slot of this.rowUrls.splice(0)) slot.revoke();
  }

  /** Every map over the image, in one row, each at the same size, with one colour bar for all. */
  /**
   * The maps of a run with several as they arrive, before its result: in their places in the row,
   * the others still to come. The result replaces them.
   */
  showArrivingMap(index: number, total: number, map: CamMapView, imagePath: string, colormap: ColormapName): void {
    if (this.arriving?.total !== total) {
      this.arriving = { total, maps: new Array<CamMapView | undefined>(total) };
    }
    this.arriving.maps[index] = map;
    const done = this.arriving.maps.filter((candidate) => candidate !== undefined);
    this.revoke();
    this.setStale(false);
    replaceChildren(this.element, [el('p', { class: 'placeholder' }, [`${done.length} of ${total} maps computed…`]), this.mapRow(done, { imagePath, colormap })]);
  }

  private mapRow(maps: readonly CamMapView[], subject: { imagePath: string; colormap: ColormapName; imageSize?: [number, number] }): HTMLElement {
    // Before the result, the image's size is not known: the maps are shown at the row's width.
    const [imageHeight, imageWidth] = subject.imageSize ?? [MAX_ROW_MAP_WIDTH, MAX_ROW_MAP_WIDTH];
    const width = Math.max(MIN_ROW_MAP_WIDTH, Math.min(imageWidth, MAX_ROW_MAP_WIDTH));
    const scaled = width > imageWidth;
    const figures = maps.map((map) => {
      const method = camMethodInfo(map.info.method);
      const image = el('img', {
        class: scaled ? 'cam-row-map pixelated' : 'cam-row-map',
        alt: `${method.label} for ${map.info.targetClass.name} at ${map.info.layer.name} over ${baseName(subject.imagePath)}`,
        width: imageWidth,
        height: imageHeight,
      });
      image.style.width = `${width}px`;
      const slot = new ObjectUrlSlot();
      this.rowUrls.push(slot);
      const url = slot.setPng(map.overlayPng);
      if (url !== undefined) image.src = url;
      return el('figure', { class: `cam-row-figure${map.info.noPositiveEvidence ? ' no-evidence' : ''}`, 'data-method': map.info.method, title: `${method.summary} (${method.paper})` }, [
        image,
        el('figcaption', {}, [el('strong', {}, [method.label]), ...rowCaption(map.info, maps)]),
        map.info.faithfulness ? faithfulnessBlock(map.info.faithfulness) : null,
      ]);
    });
    return el('div', { class: 'cam-row-block' }, [
      el('div', { class: 'cam-row', role: 'list', 'aria-label': 'Maps side by side' }, figures.map((figure) => el('div', { role: 'listitem' }, [figure]))),
      colourBar(subject.colormap, 0, 1, '0', 'each map’s max'),
    ]);
  }

  private predictionList(info: GradCamRunInfo): HTMLElement {
    const probabilities = PROBABILITY_ACTIVATIONS.has(info.outputActivation) && info.predictions.every((p) => p.score >= 0 && p.score <= 1);
    const items = info.predictions.map((prediction) => {
      const isTarget = prediction.index === info.targetClass.index;
      const score = probabilities ? formatProbability(prediction.score) : formatValue(prediction.score);
      const button = el(
        'button',
        {
          type: 'button',
          class: `prediction${isTarget ? ' target' : ''}`,
          'aria-pressed': String(isTarget),
          'data-class-index': prediction.index,
          title: isTarget ? `Explaining ${prediction.name}` : `Explain ${prediction.name} (class ${prediction.index})`,
        },
        [
          el('span', { class: 'prediction-name' }, [prediction.name]),
          el('span', { class: 'prediction-index' }, [`#${prediction.index}`]),
          el('span', { class: 'prediction-score' }, [score]),
          probabilities ? scoreBar(prediction) : null,
        ],
      );
      button.addEventListener('click', () => {
        if (!isTarget) this.callbacks.onPickClass(prediction.index);
      });
      return el('li', {}, [button]);
    });
    return el('div', { class: 'predictions-block' }, [
      el('h2', { class: 'section-title', id: 'gradcam-predictions-title' }, [`Top ${info.predictions.length} predictions`]),
      el('ol', { class: 'predictions', 'aria-labelledby': 'gradcam-predictions-title' }, items),
    ]);
  }

  private figures(result: GradCamResultView): HTMLElement {
    const { info } = result;
    const [imageHeight, imageWidth] = info.imageSize;
    const [heatmapHeight, heatmapWidth] = info.heatmapSize;
    const overlayScale = displayScale(imageWidth, MIN_OVERLAY_DISPLAY_WIDTH);
    const overlayWidth = imageWidth * overlayScale;
    const overlay = el('img', {
      class: overlayScale > 1 ? 'gradcam-overlay pixelated' : 'gradcam-overlay',
      alt: `Heatmap for ${info.targetClass.name} over ${baseName(info.imagePath)}`,
      width: imageWidth,
      height: imageHeight,
    });
    overlay.style.width = `${overlayWidth}px`;
    const overlayUrl = this.overlayUrl.setPng(result.overlayPng);
    if (overlayUrl !== undefined) overlay.src = overlayUrl;
    const heatmap = el('img', {
      class: 'gradcam-heatmap pixelated',
      alt: `Class heatmap for ${info.targetClass.name} at layer ${info.layer.name}`,
      width: heatmapWidth,
      height: heatmapHeight,
    });
    // No wider than the overlay is shown (CSS caps both at their column), so the two compare side by side.
    heatmap.style.maxWidth = `${Math.max(MIN_HEATMAP_DISPLAY_WIDTH, overlayWidth)}px`;
    const heatmapUrl = this.heatmapUrl.setPng(result.heatmapPng);
    if (heatmapUrl !== undefined) heatmap.src = heatmapUrl;

    return el('div', { class: 'gradcam-figures' }, [
      el('figure', { class: 'gradcam-figure' }, [
        overlay,
        el('figcaption', {}, [`Heatmap over the image · ${imageWidth} × ${imageHeight} px · intensity ${info.intensity}`]),
      ]),
      el('figure', { class: 'gradcam-figure' }, [
        heatmap,
        el('figcaption', {}, [`Class heatmap at ${info.layer.name} · ${heatmapWidth} × ${heatmapHeight}`]),
        colourBar(info.colormap, 0, 1, '0', 'max'),
      ]),
    ]);
  }
}

/** Maps shown in a row are at least, and at most, this wide (CSS pixels). */
const MIN_ROW_MAP_WIDTH = 160;
const MAX_ROW_MAP_WIDTH = 240;

/** What tells a row's maps apart: the layer and class where they differ, then the time and any note. */
function rowCaption(map: CamMapInfo, maps: readonly CamMapView[]): (HTMLElement | string)[] {
  const layers = new Set(maps.map((other) => other.info.layer.name));
  const classes = new Set(maps.map((other) => other.info.targetClass.index));
  const lines = [
    layers.size > 1 ? `at ${map.layer.name} (${map.heatmapSize[1]} × ${map.heatmapSize[0]})` : undefined,
    classes.size > 1 ? `${map.targetClass.name} (class ${map.targetClass.index})` : undefined,
    `${map.ms.toFixed(0)} ms`,
    map.noPositiveEvidence ? 'no positive evidence: all zero' : undefined,
  ].filter((line): line is string => line !== undefined);
  return lines.map((line) => el('span', { class: 'cam-row-detail' }, [line]));
}

function targetLine(info: GradCamRunInfo): HTMLElement {
  const inTop = info.predictions.some((prediction) => prediction.index === info.targetClass.index);
  return el('p', { class: 'gradcam-target' }, [
    'Explaining ',
    el('strong', { class: 'gradcam-target-name' }, [info.targetClass.name]),
    ` (class ${info.targetClass.index}) · ${info.score} ${formatValue(info.scoreValue)}`,
    inTop ? '' : ' · not among the top predictions',
  ]);
}

function scoreBar(prediction: ClassPrediction): HTMLElement {
  const fill = el('span', { class: 'prediction-bar-fill' });
  fill.style.width = `${Math.min(1, Math.max(0, prediction.score)) * 100}%`;
  return el('span', { class: 'prediction-bar', 'aria-hidden': 'true' }, [fill]);
}

function noEvidenceNotice(info: GradCamRunInfo): HTMLElement {
  const message = info.message ?? `No positive evidence for ${info.targetClass.name} at layer ${info.layer.name}.`;
  return el('div', { class: 'notice no-evidence', role: 'status' }, [
    el('p', { class: 'notice-title' }, [message]),
    el('p', { class: 'notice-detail' }, [
      'No location of this layer’s output raises the class score, so the heatmap is zero everywhere: there is no map to show. Try another class, the logit score or an earlier layer.',
    ]),
  ]);
}

function classNameNotes(info: GradCamRunInfo): HTMLElement {
  const { classNames } = info;
  const source =
    classNames.source === 'file' ? `Class names from ${classNames.file ?? 'a labels file'}` : classNames.source === 'imagenet' ? 'Class names: ImageNet' : 'No class names: classes are numbered';
  return el('div', { class: 'gradcam-notes' }, [
    el('p', {}, [`${source} · input ${formatShape([null, ...info.inputSize])} · output activation ${info.outputActivation}`]),
    ...classNames.notes.map((note) => el('p', { class: 'note' }, [note])),
  ]);
}
