// The Explain Prediction panel's controls: Change Image…, the CAM methods (each with its one-line
// formula; several are mapped side by side), target layer and a layer to compare, overlay intensity,
// colormap, score, a class (and one to compare) typed by index or name, Export and Cancel. Each change
// asks the host to explain again with only that field changed (`explain`); the host answers with a
// new run.
import { formatShape } from '../src/shared/shapes';
import { COLORMAP_NAMES, GRAD_CAM_SCORES, type ColormapName, type GradCamLayerChoice, type GradCamScore } from '../src/shared/types';
import type { WebviewToHostMessage } from '../src/shared/protocol';
import { CAM_METHODS, ATTRIBUTION_METHODS, DEFAULT_CAM_METHOD, EXPLAIN_METHODS, camMethodInfo, type CamMethodInfo, type ExplainMethod } from '../src/shared/camMethods';
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
  /** One checkbox per method, in EXPLAIN_METHODS' order. */
  readonly methodBoxes: HTMLInputElement[];
  readonly faithfulnessBox: HTMLInputElement;
  /** The checked methods' formulas, one line each. */
  readonly methodDoc: HTMLElement;
  readonly compareLayerSelect: HTMLSelectElement;
  readonly compareClassInput: HTMLInputElement;
  private layerNames: string[] = [];
  private shownCompareClass = '';

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

    this.methodBoxes = EXPLAIN_METHODS.map((method) => {
      const box = el('input', { type: 'checkbox', id: `gradcam-method-${method.id}`, value: method.id, 'data-action': 'method' });
      box.addEventListener('change', () => this.methodsChanged(box));
      return box;
    });
    const choice = (method: CamMethodInfo) =>
      el('label', { class: 'method-choice', for: `gradcam-method-${method.id}`, title: `${method.summary} (${method.paper})` }, [
        this.methodBoxes[EXPLAIN_METHODS.indexOf(method)],
        method.label,
      ]);
    this.faithfulnessBox = el('input', { type: 'checkbox', id: 'gradcam-faithfulness', 'data-action': 'faithfulness' });
    this.faithfulnessBox.addEventListener('change', () => this.actions.explain({ faithfulness: this.faithfulnessBox.checked }));
    const methodChoices = el('fieldset', { class: 'method-choices' }, [
      el('legend', {}, ['Methods (several: side by side)']),
      el('span', { class: 'method-group' }, [el('span', { class: 'method-group-name' }, ['At the layer:']), ...CAM_METHODS.map(choice)]),
      el('span', { class: 'method-group' }, [el('span', { class: 'method-group-name' }, ['On the input:']), ...ATTRIBUTION_METHODS.map(choice)]),
      el(
        'label',
        {
          class: 'method-choice',
          for: 'gradcam-faithfulness',
          title: 'Deletion and insertion AUC and the ROAD gap of every map, beside a random map and the image’s edges (many more model runs)',
        },
        [this.faithfulnessBox, 'Faithfulness scores'],
      ),
    ]);
    this.methodDoc = el('ul', { class: 'method-doc', 'aria-label': 'What the chosen methods compute' });

    this.compareLayerSelect = el('select', { id: 'gradcam-compare-layer', class: 'select', 'data-action': 'compareLayer' });
    this.compareLayerSelect.addEventListener('change', () => {
      this.actions.explain({ compareLayers: this.compareLayerSelect.value === '' ? [] : [this.compareLayerSelect.value] });
    });
    this.compareClassInput = el('input', {
      id: 'gradcam-compare-class',
      class: 'text-input',
      type: 'text',
      placeholder: 'and another',
      autocomplete: 'off',
      spellcheck: 'false',
      'aria-label': 'Class to compare, side by side',
    });
    this.compareClassInput.addEventListener('input', () => this.setClassError(undefined));
    classForm.insertBefore(this.compareClassInput, this.explainButton);

    this.element = el('section', { class: 'gradcam-controls', 'aria-label': 'Explain Prediction settings' }, [
      methodChoices,
      this.methodDoc,
      el('div', { class: 'toolbar' }, [
        this.chooseImageButton,
        field('gradcam-layer', 'Layer', this.layerSelect),
        field('gradcam-compare-layer', 'Beside it', this.compareLayerSelect),
        el('span', { class: 'toolbar-field' }, [el('label', { for: 'gradcam-intensity' }, ['Intensity']), this.intensityInput, this.intensityOutput]),
        field('gradcam-colormap', 'Colormap', this.colormapSelect),
        field('gradcam-score', 'Score', this.scoreSelect),
      ]),
      el('div', { class: 'toolbar' }, [classForm, this.exportButton, this.cancelButton]),
      this.classError,
    ]);
    this.setLayerChoices([], false);
    this.setMethods([DEFAULT_CAM_METHOD]);
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
    const options = () => choices.map((choice) => el('option', { value: choice.name }, [`${choice.name} — ${choice.className} ${formatShape(choice.outputShape)}`]));
    replaceChildren(this.layerSelect, [automatic, ...options()]);
    this.layerSelect.value = '';
    replaceChildren(this.compareLayerSelect, [el('option', { value: '' }, ['no other layer']), ...options()]);
    this.compareLayerSelect.value = '';
  }

  /** Checks the methods a run maps and lists their formulas. */
  setMethods(methods: readonly ExplainMethod[]): void {
    const shown = methods.length > 0 ? methods : [DEFAULT_CAM_METHOD];
    for (const box of this.methodBoxes) box.checked = shown.includes(box.value as ExplainMethod);
    replaceChildren(
      this.methodDoc,
      shown.map((method) => {
        const info = camMethodInfo(method);
        return el('li', { 'data-method': method }, [el('strong', {}, [info.label]), ` — ${info.summary}`]);
      }),
    );
  }

  /** Shows the layer and class compared with the main ones ('' and empty when none). */
  setComparison(layers: readonly string[], classes: readonly (number | string)[]): void {
    const [layer] = layers;
    if (layer !== undefined && ![...this.compareLayerSelect.options].some((option) => option.value === layer)) {
      this.compareLayerSelect.appendChild(el('option', { value: layer }, [layer]));
    }
    this.compareLayerSelect.value = layer ?? '';
    this.shownCompareClass = classes.length > 0 ? String(classes[0]) : '';
    this.compareClassInput.value = this.shownCompareClass;
  }

  setFaithfulness(measured: boolean): void {
    this.faithfulnessBox.checked = measured;
  }

  private methodsChanged(changed: HTMLInputElement): void {
    const methods = this.methodBoxes.filter((box) => box.checked).map((box) => box.value as ExplainMethod);
    if (methods.length === 0) {
      // A map needs a method: the last one stays checked.
      changed.checked = true;
      return;
    }
    this.setMethods(methods);
    this.actions.explain({ methods });
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
    // The compared class is sent only when it was changed, so the run keeps it otherwise.
    const compared = parseClassInput(this.compareClassInput.value);
    const changed = this.compareClassInput.value.trim() !== this.shownCompareClass;
    this.actions.explain(changed ? { targetClass, compareClasses: compared === undefined ? [] : [compared] } : { targetClass });
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
