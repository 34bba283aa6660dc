// A map's faithfulness beside it: two small plots (the class score as the most relevant pixels are
// deleted, and as they are put back into a blurred image), the map's curve drawn over those of a
// random map and of the image's edges, and the three numbers with the two baselines' values.
import type { FaithfulnessMeasures, FaithfulnessSummary } from '../src/shared/types';
import { el } from './dom';

const SVG_NS = 'http://www.w3.org/2000/svg';
const PLOT_WIDTH = 96;
const PLOT_HEIGHT = 48;

type Curve = FaithfulnessMeasures['deletion'];

function svg<K extends keyof SVGElementTagNameMap>(name: K, attributes: Record<string, string | number>): SVGElementTagNameMap[K] {
  const element = document.createElementNS(SVG_NS, name);
  for (const [key, value] of Object.entries(attributes)) element.setAttribute(key, String(value));
  return element;
}

/** One curve per map, on one scale: fractions 0..1 across, scores from 0 to the highest of the three up. */
function plot(title: string, curves: { curve: Curve; className: string }[]): SVGSVGElement {
  const top = Math.max(1e-9, ...curves.flatMap(({ curve }) => curve.scores));
  const chart = svg('svg', { class: 'faith-plot', viewBox: `0 0 ${PLOT_WIDTH} ${PLOT_HEIGHT}`, width: PLOT_WIDTH, height: PLOT_HEIGHT, role: 'img', 'aria-label': title });
  chart.appendChild(svg('title', {})).textContent = title;
  chart.appendChild(svg('rect', { class: 'faith-plot-frame', x: 0.5, y: 0.5, width: PLOT_WIDTH - 1, height: PLOT_HEIGHT - 1 }));
  for (const { curve, className } of curves) {
    const points = curve.fractions.map((fraction, i) => `${(fraction * (PLOT_WIDTH - 2) + 1).toFixed(1)},${(PLOT_HEIGHT - 1 - (Math.max(0, curve.scores[i]) / top) * (PLOT_HEIGHT - 2)).toFixed(1)}`);
    chart.appendChild(svg('polyline', { class: `faith-curve ${className}`, points: points.join(' ') }));
  }
  return chart;
}

const format = (value: number) => value.toFixed(3);

/** "0.123 ✓" when the map beats both baselines on this measure, "0.123 ✗" otherwise. */
function measureLine(name: string, better: string, value: number, random: number, edges: number, beatsBoth: boolean): HTMLElement {
  return el('li', { class: beatsBoth ? 'faith-better' : 'faith-worse', 'data-measure': name }, [
    `${name} ${format(value)} ${beatsBoth ? '✓' : '✗'}`,
    el('span', { class: 'faith-baselines' }, [` (${better}; random ${format(random)}, edges ${format(edges)})`]),
  ]);
}

export function faithfulnessBlock(summary: FaithfulnessSummary): HTMLElement {
  const { map, random, edges, beatsRandom, beatsEdges } = summary;
  const curves = (pick: (measures: FaithfulnessMeasures) => Curve) => [
    { curve: pick(random), className: 'faith-random' },
    { curve: pick(edges), className: 'faith-edges' },
    { curve: pick(map), className: 'faith-map' },
  ];
  return el('div', { class: 'faithfulness', 'aria-label': 'Faithfulness' }, [
    el('div', { class: 'faith-plots' }, [
      plot('Deletion: the class score as the most relevant pixels are deleted (lower is better)', curves((m) => m.deletion)),
      plot('Insertion: the class score as the most relevant pixels are put back (higher is better)', curves((m) => m.insertion)),
    ]),
    el('ul', { class: 'faith-measures' }, [
      measureLine('deletion AUC', 'lower is better', map.deletion.auc, random.deletion.auc, edges.deletion.auc, beatsRandom.deletion && beatsEdges.deletion),
      measureLine('insertion AUC', 'higher is better', map.insertion.auc, random.insertion.auc, edges.insertion.auc, beatsRandom.insertion && beatsEdges.insertion),
      measureLine('ROAD gap', 'higher is better', map.roadGap, random.roadGap, edges.roadGap, beatsRandom.road && beatsEdges.road),
    ]),
    el('p', { class: 'faith-legend' }, [
      el('span', { class: 'faith-key faith-map' }, ['— this map']),
      el('span', { class: 'faith-key faith-random' }, [' — random']),
      el('span', { class: 'faith-key faith-edges' }, [' — edges']),
    ]),
  ]);
}
