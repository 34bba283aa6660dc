// The activations panel's toolbar: change the image, choose layers, pick the preprocessing and the
// colormap, cancel a run, export the grids.
import { COLORMAP_NAMES, PREPROCESS_MODES, type ColormapName, type PreprocessMode } from '../src/shared/types';
import { el } from './dom';
import { PREPROCESS_LABELS } from './format';

export interface ToolbarActions {
  chooseImage(): void;
  chooseLayers(): void;
  setPreprocess(mode: PreprocessMode): void;
  setColormap(colormap: ColormapName): void;
  cancelRun(): void;
  exportGrids(): void;
}

export class Toolbar {
  readonly element: HTMLElement;
  readonly preprocessSelect: HTMLSelectElement;
  readonly colormapSelect: HTMLSelectElement;
  readonly cancelButton: HTMLButtonElement;
  readonly exportButton: HTMLButtonElement;

  constructor(actions: ToolbarActions) {
    const chooseImage = el('button', { type: 'button', class: 'button', 'data-action': 'chooseImage' }, ['Change Image…']);
    chooseImage.addEventListener('click', () => actions.chooseImage());
    const chooseLayers = el('button', { type: 'button', class: 'button secondary', 'data-action': 'chooseLayers' }, ['Layers…']);
    chooseLayers.addEventListener('click', () => actions.chooseLayers());

    this.preprocessSelect = el(
      'select',
      { id: 'preprocess-select', class: 'select', 'data-action': 'setPreprocess' },
      PREPROCESS_MODES.map((mode) => el('option', { value: mode }, [PREPROCESS_LABELS[mode]])),
    );
    this.preprocessSelect.addEventListener('change', () => {
      const mode = PREPROCESS_MODES.find((candidate) => candidate === this.preprocessSelect.value);
      if (mode !== undefined) actions.setPreprocess(mode);
    });
    const preprocess = el('span', { class: 'toolbar-field' }, [
      el('label', { for: 'preprocess-select' }, ['Preprocess']),
      this.preprocessSelect,
    ]);

    this.colormapSelect = el(
      'select',
      { id: 'colormap-select', class: 'select', 'data-action': 'setColormap' },
      COLORMAP_NAMES.map((name) => el('option', { value: name }, [name])),
    );
    this.colormapSelect.addEventListener('change', () => {
      const colormap = COLORMAP_NAMES.find((candidate) => candidate === this.colormapSelect.value);
      if (colormap !== undefined) actions.setColormap(colormap);
    });
    const colormap = el('span', { class: 'toolbar-field' }, [el('label', { for: 'colormap-select' }, ['Colormap']), this.colormapSelect]);

    this.cancelButton = el('button', { type: 'button', class: 'button secondary', 'data-action': 'cancelRun' }, ['Cancel']);
    this.cancelButton.hidden = true;
    this.cancelButton.addEventListener('click', () => {
      this.cancelButton.disabled = true;
      this.cancelButton.textContent = 'Cancelling…';
      actions.cancelRun();
    });

    this.exportButton = el(
      'button',
      { type: 'button', class: 'button secondary', 'data-action': 'exportActivations', title: 'Save each layer’s grid as a PNG in a folder you pick' },
      ['Export…'],
    );
    this.exportButton.addEventListener('click', () => actions.exportGrids());

    this.element = el('div', { class: 'toolbar', role: 'toolbar', 'aria-label': 'Run settings' }, [
      chooseImage,
      chooseLayers,
      preprocess,
      colormap,
      this.cancelButton,
      this.exportButton,
    ]);
    this.setEnabled(false);
  }

  /** The toolbar acts on a session: disabled until the first one arrives. */
  setEnabled(enabled: boolean): void {
    for (const control of this.element.querySelectorAll<HTMLButtonElement | HTMLSelectElement>('button, select')) {
      if (control !== this.cancelButton && control !== this.exportButton) control.disabled = !enabled;
    }
    if (!enabled) this.setExportable(false);
  }

  /** Export works once a grid has been drawn and no run is in progress. */
  setExportable(exportable: boolean): void {
    this.exportButton.disabled = !exportable;
  }

  setColormap(colormap: ColormapName): void {
    this.colormapSelect.value = colormap;
  }

  setPreprocess(mode: PreprocessMode): void {
    this.preprocessSelect.value = mode;
  }

  /** Shows Cancel only while a run is in progress. */
  setRunning(running: boolean): void {
    this.cancelButton.hidden = !running;
    this.cancelButton.disabled = false;
    this.cancelButton.textContent = 'Cancel';
  }
}
