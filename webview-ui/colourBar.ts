// A colour bar: the colormap as a CSS gradient between two labelled values (the colours are data,
// not theme: they come from the colormap tables the renderer uses).
import type { ColormapName } from '../src/shared/types';
import { colormapCssGradient } from '../src/shared/colormaps';
import { el } from './dom';
import { formatValue } from './format';

const COLOUR_BAR_STOPS = 32;

export function colourBar(colormap: ColormapName, min: number, max: number, minLabel = formatValue(min), maxLabel = formatValue(max)): HTMLElement {
  const gradient = el('div', { class: 'colorbar-gradient', role: 'img', 'aria-label': `Colour scale ${colormap}, from ${minLabel} to ${maxLabel}` });
  gradient.style.backgroundImage = colourBarGradient(colormap);
  return el('div', { class: 'colorbar' }, [
    gradient,
    el('div', { class: 'colorbar-labels' }, [el('span', { class: 'colorbar-min' }, [minLabel]), el('span', { class: 'colorbar-max' }, [maxLabel])]),
  ]);
}

/** The colour bar's CSS gradient; empty (no bar colours) for a colormap name this build does not know. */
function colourBarGradient(colormap: ColormapName): string {
  try {
    return colormapCssGradient(colormap, COLOUR_BAR_STOPS);
  } catch {
    return '';
  }
}
