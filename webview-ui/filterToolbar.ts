// The filter-pattern panel's toolbar: the preset switch (Lucid-style `lucid`, the study notes'
// `chollet` or the cleaner `clear`), Example Images… (the folder whose crops show what excites each
// filter), Cancel while a run is in progress, and Export Grid once the grid is complete.
import { FILTER_PATTERN_PRESETS, type FilterPatternPreset } from '../src/shared/types';
import { el } from './dom';

export interface FilterToolbarActions {
  setPreset(preset: FilterPatternPreset): void;
  cancelRun(): void;
  exportGrid(): void;
  chooseExampleFolder(): void;
}

const PRESET_TITLES: Readonly<Record<FilterPatternPreset, string>> = {
  lucid: 'Feature visualisation as Lucid does it: a Fourier-space image optimised by Adam under jitter, scale and rotation',
  chollet: 'The study notes’ plain gradient ascent from gray noise',
  clear: 'Jitter, octaves and smoothing for more recognisable patterns',
};

export class FilterToolbar {
  readonly element: HTMLElement;
  readonly presetButtons: ReadonlyMap<FilterPatternPreset, HTMLButtonElement>;
  readonly cancelButton: HTMLButtonElement;
  readonly exportButton: HTMLButtonElement;
  readonly exampleFolderButton: HTMLButtonElement;
  private enabled = false;

  constructor(private readonly actions: FilterToolbarActions) {
    const buttons = new Map<FilterPatternPreset, HTMLButtonElement>();
    for (const preset of FILTER_PATTERN_PRESETS) {
      const button = el(
        'button',
        { type: 'button', class: 'button secondary toggle', 'data-preset': preset, 'aria-pressed': 'false', title: PRESET_TITLES[preset] },
        [preset],
      );
      button.addEventListener('click', () => {
        if (button.getAttribute('aria-pressed') === 'true') return;
        this.setPreset(preset);
        this.actions.setPreset(preset);
      });
      buttons.set(preset, button);
    }
    this.presetButtons = buttons;
    const presetLabel = el('span', { class: 'toolbar-label', id: 'filter-preset-label' }, ['Preset']);
    const presetGroup = el('span', { class: 'toolbar-field segmented', role: 'group', 'aria-labelledby': 'filter-preset-label' }, [
      presetLabel,
      ...buttons.values(),
    ]);

    this.cancelButton = el('button', { type: 'button', class: 'button secondary', 'data-action': 'cancelRun' }, ['Cancel']);
    this.cancelButton.hidden = true;
    this.cancelButton.addEventListener('click', () => {
      this.cancelButton.disabled = true;
      this.cancelButton.textContent = 'Cancelling…';
      this.actions.cancelRun();
    });

    this.exportButton = el('button', { type: 'button', class: 'button', 'data-action': 'exportFilterGrid', title: 'Save the grid as a PNG beside the model, in the study notes’ layout (8 filters to a column)' }, [
      'Export Grid',
    ]);
    this.exportButton.addEventListener('click', () => this.actions.exportGrid());

    this.exampleFolderButton = el(
      'button',
      { type: 'button', class: 'button secondary', 'data-action': 'chooseFilterExampleFolder', title: 'Choose the folder whose images show what excites each filter (default: the workspace’s images)' },
      ['Example Images…'],
    );
    this.exampleFolderButton.addEventListener('click', () => this.actions.chooseExampleFolder());

    this.element = el('div', { class: 'toolbar', role: 'toolbar', 'aria-label': 'Filter pattern settings' }, [
      presetGroup,
      this.exampleFolderButton,
      this.cancelButton,
      this.exportButton,
    ]);
    this.setEnabled(false);
    this.setExportable(false);
  }

  /** The preset buttons act on a session: disabled until the first one arrives. */
  setEnabled(enabled: boolean): void {
    this.enabled = enabled;
    for (const button of this.presetButtons.values()) button.disabled = !enabled;
    this.exampleFolderButton.disabled = !enabled;
  }

  get isEnabled(): boolean {
    return this.enabled;
  }

  setPreset(preset: FilterPatternPreset): void {
    for (const [name, button] of this.presetButtons) button.setAttribute('aria-pressed', String(name === preset));
  }

  /** Shows Cancel only while a run is in progress. */
  setRunning(running: boolean): void {
    this.cancelButton.hidden = !running;
    this.cancelButton.disabled = false;
    this.cancelButton.textContent = 'Cancel';
  }

  /** Export works on a finished grid only. */
  setExportable(exportable: boolean): void {
    this.exportButton.disabled = !exportable;
  }
}
