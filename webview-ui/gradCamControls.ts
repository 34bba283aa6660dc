// The Grad-CAM panel's controls: Change Image…, target layer, overlay intensity, colormap, score, a
// class typed by index or name, Export and Cancel. Each change asks the host to explain again with
// only that field changed (`explain`); the host answers with a new run.
import { formatShape } from '../src/shared/shapes';
import { COLORMAP_NAMES, GRAD_CAM_SCORES, type ColormapName, type GradCamLayerChoice, type GradCamScore } from '../src/shared/types';
import type { WebviewToHostMessage } from '../src/shared/protocol';
import { el, replaceChildren } from './dom';

export type ExplainRequest = Omit<Extract<WebviewToHostMessage, { type: 'explain' }>, 'type'>;

export interface GradCamControlActions {
  chooseImage(): void;
  explain(request: ExplainRequest): void;
  exportResult(): void;
  cancelRun(): void;
}

const SCORE_LABELS: Readonly<Record<GradCamScore, string>> = {
  output: 'output (the model’s output for the class)',
  logit: 'logit (before the softmax or sigmoid)',
};

export const INTENSITY_STEP = 0.05;

/** A typed class: a whole number is an index, anything else a name; `undefined` when empty. */
export function parseClassInput(text: string): number | string | undefined {
  const trimmed = text.trim();
  if (trimmed === '') return undefined;
  return /^\d+$/.test(trimmed) ? Number(trimmed) : trimmed;
}

export class GradCamControls {
  readonly element: HTMLElement;
  readonly chooseImageButton: HTMLButtonElement;
  readonly layerSelect: HTMLSelectElement;
  readonly intensityInput: HTMLInputElement;
  readonly intensityOutput: HTMLOutputElement;
  readonly colormapSelect: HTMLSelectElement;
  readonly scoreSelect: HTMLSelectElement;
  readonly classInput: HTMLInputElement;
  readonly classError: HTMLParagraphElement;
  readonly explainButton: HTMLButtonElement;
  readonly exportButton: HTMLButtonElement;
  readonly cancelButton: HTMLButtonElement;
  private layerNames: string[] = [];

  constructor(private readonly actions: GradCamControlActions) {
    this.chooseImageButton = el('button', { type: 'button', class: 'button', 'data-action': 'chooseImage', title: 'Choose another image (or drop or paste one onto the panel)' }, [
      'Change Image…',
    ]);
    this.chooseImageButton.addEventListener('click', () => this.actions.chooseImage());
    this.layerSelect = el('select', { id: 'gradcam-layer', class: 'select', 'data-action': 'layer' });
    this.layerSelect.addEventListener('change', () => {
      if (this.layerSelect.value !== '') this.actions.explain({ layer: this.layerSelect.value });
    });

    this.intensityInput = el('input', {
      id: 'gradcam-intensity',
      class: 'range',
      type: 'range',
      min: 0,
      max: 1,
      step: INTENSITY_STEP,
      'data-action': 'intensity',
    });
    this.intensityOutput = el('output', { class: 'range-value', for: 'gradcam-intensity', 'aria-hidden': 'true' });
    // The label follows the thumb while dragging; the host is asked once the value is let go.
    this.intensityInput.addEventListener('input', () => this.showIntensity(this.intensityValue()));
    this.intensityInput.addEventListener('change', () => {
      const intensity = this.intensityValue();
      this.showIntensity(intensity);
      this.actions.explain({ intensity });
    });

    this.colormapSelect = el(
      'select',
      { id: 'gradcam-colormap', class: 'select', 'data-action': 'colormap' },
      COLORMAP_NAMES.map((name) => el('option', { value: name }, [name])),
    );
    this.colormapSelect.addEventListener('change', () => {
      const colormap = COLORMAP_NAMES.find((name) => name === this.colormapSelect.value);
      if (colormap !== undefined) this.actions.explain({ colormap });
    });

    this.scoreSelect = el(
      'select',
      { id: 'gradcam-score', class: 'select', 'data-action': 'score' },
      GRAD_CAM_SCORES.map((score) => el('option', { value: score }, [SCORE_LABELS[score]])),
    );
    this.scoreSelect.addEventListener('change', () => {
      const score = GRAD_CAM_SCORES.find((candidate) => candidate === this.scoreSelect.value);
      if (score !== undefined) this.actions.explain({ score });
    });

    this.classInput = el('input', {
      id: 'gradcam-class',
      class: 'text-input',
      type: 'text',
      placeholder: 'index or name',
      autocomplete: 'off',
      spellcheck: 'false',
      'aria-describedby': 'gradcam-class-error',
    });
    this.classError = el('p', { class: 'field-error', id: 'gradcam-class-error', role: 'alert' });
    this.classError.hidden = true;
    this.explainButton = el('button', { type: 'submit', class: 'button', 'data-action': 'explain' }, ['Explain']);
    const classForm = el('form', { class: 'toolbar-field class-form', 'aria-label': 'Explain a class' }, [
      el('label', { for: 'gradcam-class' }, ['Class']),
      this.classInput,
      this.explainButton,
    ]);
    classForm.addEventListener('submit', (event) => {
      event.preventDefault();
      this.submitClass();
    });
    this.classInput.addEventListener('input', () => this.setClassError(undefined));

    this.exportButton = el('button', { type: 'button', class: 'button secondary', 'data-action': 'exportGradCam', title: 'Export the overlay and the heatmap as PNG' }, [
      'Export',
    ]);
    this.exportButton.addEventListener('click', () => this.actions.exportResult());
    this.cancelButton = el('button', { type: 'button', class: 'button secondary', 'data-action': 'cancelRun' }, ['Cancel']);
    this.cancelButton.hidden = true;
    this.cancelButton.addEventListener('click', () => {
      this.cancelButton.disabled = true;
      this.cancelButton.textContent = 'Cancelling…';
      this.actions.cancelRun();
    });

    this.element = el('section', { class: 'gradcam-controls', 'aria-label': 'Grad-CAM settings' }, [
      el('div', { class: 'toolbar' }, [
        this.chooseImageButton,
        field('gradcam-layer', 'Layer', this.layerSelect),
        el('span', { class: 'toolbar-field' }, [el('label', { for: 'gradcam-intensity' }, ['Intensity']), this.intensityInput, this.intensityOutput]),
        field('gradcam-colormap', 'Colormap', this.colormapSelect),
        field('gradcam-score', 'Score', this.scoreSelect),
      ]),
      el('div', { class: 'toolbar' }, [classForm, this.exportButton, this.cancelButton]),
      this.classError,
    ]);
    this.setLayerChoices([], false);
    this.showIntensity(0.4);
    this.setEnabled(false);
    this.setExportable(false);
  }

  /** The controls act on a session: disabled until the first one arrives. */
  setEnabled(enabled: boolean): void {
    for (const control of this.element.querySelectorAll<HTMLButtonElement | HTMLSelectElement | HTMLInputElement>('button, select, input')) {
      if (control !== this.cancelButton && control !== this.exportButton) control.disabled = !enabled;
    }
  }

  /**
   * Fills the layer list. With `keepSelection`, a list of the same layers is left as it is, so the
   * layer shown stays selected across runs on the same model.
   */
  setLayerChoices(choices: readonly GradCamLayerChoice[], keepSelection: boolean): void {
    const names = choices.map((choice) => choice.name);
    const same = names.length === this.layerNames.length && names.every((name, i) => name === this.layerNames[i]);
    if (keepSelection && same) return;
    this.layerNames = names;
    // Until a result says which layer the host picked, the list shows that it picks one itself.
    const automatic = el('option', { value: '', disabled: true }, ['automatic (last convolution layer)']);
    replaceChildren(this.layerSelect, [
      automatic,
      ...choices.map((choice) => el('option', { value: choice.name }, [`${choice.name} — ${choice.className} ${formatShape(choice.outputShape)}`])),
    ]);
    this.layerSelect.value = '';
  }

  /** Shows the layer a result was computed at (adding it when the session did not list it). */
  setLayer(name: string): void {
    if (![...this.layerSelect.options].some((option) => option.value === name)) {
      this.layerSelect.appendChild(el('option', { value: name }, [name]));
    }
    this.layerSelect.value = name;
  }

  setIntensity(intensity: number): void {
    if (!Number.isFinite(intensity)) return;
    this.intensityInput.value = String(intensity);
    this.showIntensity(this.intensityValue());
  }

  setColormap(colormap: ColormapName): void {
    if (COLORMAP_NAMES.includes(colormap)) this.colormapSelect.value = colormap;
  }

  setScore(score: GradCamScore): void {
    if (GRAD_CAM_SCORES.includes(score)) this.scoreSelect.value = score;
  }

  /** Shows Cancel only while a run is in progress. */
  setRunning(running: boolean): void {
    this.cancelButton.hidden = !running;
    this.cancelButton.disabled = false;
    this.cancelButton.textContent = 'Cancel';
  }

  /** Export works once a heatmap is shown. */
  setExportable(exportable: boolean, reason?: string): void {
    this.exportButton.disabled = !exportable;
    this.exportButton.title = exportable || !reason ? 'Export the overlay and the heatmap as PNG' : reason;
  }

  private intensityValue(): number {
    const value = Number(this.intensityInput.value);
    // Whole steps of 0.05, without floating-point tails.
    if (!Number.isFinite(value)) return 0;
    const stepped = Math.round(Math.min(1, Math.max(0, value)) / INTENSITY_STEP) * INTENSITY_STEP;
    return Number(stepped.toFixed(2));
  }

  private showIntensity(intensity: number): void {
    const text = intensity.toFixed(2);
    this.intensityOutput.textContent = text;
    this.intensityInput.setAttribute('aria-valuetext', text);
  }

  private submitClass(): void {
    const targetClass = parseClassInput(this.classInput.value);
    if (targetClass === undefined) {
      this.setClassError('Type a class index (0, 1, …) or a class name.');
      return;
    }
    this.setClassError(undefined);
    this.actions.explain({ targetClass });
  }

  private setClassError(message: string | undefined): void {
    this.classError.textContent = message ?? '';
    this.classError.hidden = message === undefined;
    if (message === undefined) this.classInput.removeAttribute('aria-invalid');
    else this.classInput.setAttribute('aria-invalid', 'true');
  }
}

function field(id: string, label: string, control: HTMLElement): HTMLElement {
  return el('span', { class: 'toolbar-field' }, [el('label', { for: id }, [label]), control]);
}
