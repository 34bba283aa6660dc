// A Grad-CAM result: the model's top predictions (buttons that re-target the heatmap), the class
// explained, and side by side the heatmap over the original image (at its own resolution) and the
// class heatmap at the layer's resolution (pixelated, like the study notes' matshow). When nothing
// raises the class score at the layer, the host's message says so instead of an empty map.
import type { ClassPrediction, GradCamRunInfo } from '../src/shared/types';
import type { GradCamResultView } from '../src/shared/protocol';
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

  constructor(private readonly callbacks: GradCamResultCallbacks) {
    this.element = el('section', { class: 'gradcam-result', 'aria-label': 'Grad-CAM result' }, [
      el('p', { class: 'placeholder' }, ['Waiting for the extension…']),
    ]);
  }

  /** Before the first result of a session (or after the model or image changed). */
  showPlaceholder(text: string): void {
    this.revoke();
    this.setStale(false);
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
    replaceChildren(this.element, [
      targetLine(info),
      this.predictionList(info),
      ...(info.noPositiveEvidence ? [noEvidenceNotice(info)] : [this.figures(result)]),
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
