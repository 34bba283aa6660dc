// `npm run demo`: the main job on the example model, as a user runs it from the command line.
// Runs `convscope activations` on each sample image and writes out/index.html showing the grids.
import { spawnSync } from 'node:child_process';
import { readFile, readdir, writeFile, mkdir } from 'node:fs/promises';
import path from 'node:path';

const root = path.resolve(__dirname, '..');
const exampleFolder = path.join(root, 'examples', 'shapes');
const outFolder = path.join(root, 'out');
const cli = path.join(root, 'dist', 'cli.js');

interface LayerResult {
  layerName: string;
  className: string;
  shape: number[];
  stats: { min: number; max: number; mean: number; deadChannelCount: number; channelCount: number };
  png: string;
}

interface RunResult {
  backend: string;
  preprocess: string;
  timings: { forwardMs: number; renderMs: number };
  layers: LayerResult[];
}

const escapeHtml = (text: string) => text.replace(/[&<>"']/g, (char) => `&#${char.charCodeAt(0)};`);

function renderRun(image: string, run: RunResult): string {
  const layers = run.layers
    .map((layer) => {
      const { stats } = layer;
      const dead = `${stats.deadChannelCount} of ${stats.channelCount} channels dead`;
      return `<section><h3>${escapeHtml(layer.layerName)} <small>${escapeHtml(layer.className)} · ${layer.shape.join(' × ')}</small></h3>
<p>min ${stats.min.toFixed(3)} · max ${stats.max.toFixed(3)} · mean ${stats.mean.toFixed(3)} · ${dead}</p>
<img src="${escapeHtml(`${path.parse(image).name}/${layer.png}`)}" alt="Activation grid of ${escapeHtml(layer.layerName)}"></section>`;
    })
    .join('\n');
  return `<article><h2><img class="input" src="${escapeHtml(`../examples/shapes/${image}`)}" alt=""> ${escapeHtml(image)}</h2>
<p>${escapeHtml(run.backend)} backend · preprocess ${escapeHtml(run.preprocess)} · forward ${run.timings.forwardMs.toFixed(0)} ms · render ${run.timings.renderMs.toFixed(0)} ms</p>
${layers}</article>`;
}

async function main(): Promise<void> {
  const images = (await readdir(exampleFolder)).filter((name) => name.endsWith('.png')).sort();
  await mkdir(outFolder, { recursive: true });
  const articles: string[] = [];
  for (const image of images) {
    const out = path.join(outFolder, path.parse(image).name);
    const run = spawnSync(process.execPath, [cli, 'activations', path.join(exampleFolder, 'model.json'), path.join(exampleFolder, image), '--out', out], { stdio: 'inherit' });
    if (run.status !== 0) throw new Error(`convscope activations failed on ${image} (exit ${run.status})`);
    articles.push(renderRun(image, JSON.parse(await readFile(path.join(out, 'result.json'), 'utf8')) as RunResult));
  }
  const html = `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Convscope demo: intermediate activations</title>
<style>
body { font: 14px system-ui, sans-serif; margin: 2em; background: Canvas; color: CanvasText; }
section img { image-rendering: pixelated; max-width: 100%; min-width: 480px; }
img.input { width: 64px; vertical-align: middle; image-rendering: pixelated; }
small { opacity: 0.7; font-weight: normal; }
</style></head>
<body><h1>Intermediate activations of the example shapes model</h1>
<p>Every channel of the first layers, 16 per row, each normalised as <code>(x − mean) / std × 64 + 128</code> and coloured with viridis.</p>
${articles.join('\n')}
</body></html>
`;
  await writeFile(path.join(outFolder, 'index.html'), html);
  console.log(`\nOpen ${path.join(outFolder, 'index.html')} to see the grids.`);
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exitCode = 1;
});
