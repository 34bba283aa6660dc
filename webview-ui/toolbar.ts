// The panel's toolbar: change the image, choose layers, pick the preprocessing, cancel a run.
import { PREPROCESS_MODES, type PreprocessMode } from '../src/engine/types';
import { el } from './dom';
import { PREPROCESS_LABELS } from './format';

export interface ToolbarActions {
  chooseImage(): void;
  chooseLayers(): void;
  setPreprocess(mode: PreprocessMode): void;
  cancelRun(): void;
}

export class Toolbar {
  readonly element: HTMLElement;
  readonly preprocessSelect: HTMLSelectElement;
  readonly cancelButton: HTMLButtonElement;

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

    this.cancelButton = el('button', { type: 'button', class: 'button secondary', 'data-action': 'cancelRun' }, ['Cancel']);
    this.cancelButton.hidden = true;
    this.cancelButton.addEventListener('click', () => {
      this.cancelButton.disabled = true;
      this.cancelButton.textContent = 'Cancelling…';
      actions.cancelRun();
    });

    this.element = el('div', { class: 'toolbar', role: 'toolbar', 'aria-label': 'Run settings' }, [
      chooseImage,
      chooseLayers,
      preprocess,
      this.cancelButton,
    ]);
    this.setEnabled(false);
  }

  /** The toolbar acts on a session: disabled until the first one arrives. */
  setEnabled(enabled: boolean): void {
    for (const control of this.element.querySelectorAll<HTMLButtonElement | HTMLSelectElement>('button, select')) {
      if (control !== this.cancelButton) control.disabled = !enabled;
    }
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
