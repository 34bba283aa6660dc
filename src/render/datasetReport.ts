// The dataset report: one HTML file that opens in a browser without a server and without script:
// accuracy, the confusion matrix (each cell links to its images), the mean heatmap of each class's
// errors, the errors whose evidence lies furthest from the centre first, and a gallery. Images are
// data URIs; every text from a file (paths, class names) is escaped.
import type { DatasetImageResult, DatasetRunSummary } from '../shared/types';

export interface DatasetReportInput {
  summary: DatasetRunSummary;
  results: readonly DatasetImageResult[];
  /** A cache file name → its data URI (absent: not shown). */
  imageUri(name: string | undefined): string | undefined;
  /** The most images shown in the gallery (errors are always shown). */
  galleryLimit: number;
}

const REPORT_STYLE = `body { font: 14px/1.45 system-ui, sans-serif; margin: 24px; color: #1f2328; background: #fff; }
h1 { font-size: 20px; margin: 0 0 4px; } h2 { font-size: 16px; margin-top: 28px; border-bottom: 1px solid #d0d7de; } h3 { font-size: 14px; }
.stats { display: flex; gap: 24px; flex-wrap: wrap; margin: 12px 0; } .stat b { display: block; font-size: 22px; }
table.confusion { border-collapse: collapse; } .confusion th, .confusion td { border: 1px solid #d0d7de; padding: 6px 10px; text-align: center; }
.confusion a { color: inherit; font-weight: 600; }
.grid { display: flex; flex-wrap: wrap; gap: 10px; } .card { margin: 0; width: 280px; border: 1px solid #d0d7de; border-radius: 6px; padding: 6px; }
.card.wrong { border-color: #da3633; } .pair { display: flex; gap: 4px; } .pic { display: inline-block; width: 128px; height: 128px; background: #f6f8fa center / contain no-repeat; }
.card figcaption { font-size: 12px; word-break: break-all; } .means { display: flex; gap: 16px; flex-wrap: wrap; } .mean { margin: 0; text-align: center; }
.cell:target { outline: 2px solid #0969da; outline-offset: 4px; } code { font-size: 12px; }`;

const escapeHtml = (text: string) => text.replace(/[&<>"']/g, (char) => `&#${char.charCodeAt(0)};`);
const percent = (value: number | undefined) => (value === undefined ? '–' : `${(100 * value).toFixed(1)}%`);

/** Errors first by how far from the centre their evidence lies (see evidenceLocation.ts), ties by confidence. */
export function errorsByEvidenceOffCentre(results: readonly DatasetImageResult[]): DatasetImageResult[] {
  return results.filter((result) => result.correct === false).sort((a, b) => (b.offCentre ?? 0) - (a.offCentre ?? 0) || b.confidence - a.confidence);
}

export function renderDatasetReport({ summary, results, imageUri, galleryLimit }: DatasetReportInput): string {
  // Each image is inlined once, as a CSS class's background, however many sections show it.
  const pictureClasses = new Map<string, string>();
  const picture = (file: string | undefined, label: string) => {
    const uri = imageUri(file);
    if (file === undefined || uri === undefined) return '';
    const known = pictureClasses.get(uri) ?? `p${pictureClasses.size}`;
    pictureClasses.set(uri, known);
    return `<span class="pic ${known}" role="img" aria-label="${escapeHtml(label)}"></span>`;
  };
  const name = (index: number | undefined) => (index === undefined ? '–' : escapeHtml(summary.classNames[index] ?? String(index)));
  const errors = errorsByEvidenceOffCentre(results);
  const card = (result: DatasetImageResult, withHeatmap: boolean) => {
    const verdict = result.correct === undefined ? 'unlabelled' : result.correct ? 'correct' : 'wrong';
    return `<figure class="card ${verdict}">
  <div class="pair">${picture(result.thumbnail, result.relativePath)}${withHeatmap ? picture(result.heatmapOverlay, `Grad-CAM of ${summary.classNames[result.predictedClass] ?? result.predictedClass}`) : ''}</div>
  <figcaption><code>${escapeHtml(result.relativePath)}</code><br>${result.trueClass !== undefined ? `${name(result.trueClass)} → ` : ''}<b>${name(result.predictedClass)}</b> ${percent(result.confidence)}${
    result.offCentre !== undefined ? `<br>off-centre ${percent(result.offCentre)} · border ${percent(result.onBorder)}` : ''
  }</figcaption>
</figure>`;
  };
  const classCount = summary.classNames.length;
  const maxCell = Math.max(1, ...summary.confusion.flat());
  const cellId = (t: number, p: number) => `cell-${t}-${p}`;
  const matrix = `<table class="confusion">
<thead><tr><th>true ↓ / predicted →</th>${summary.classNames.map((_, p) => `<th>${name(p)}</th>`).join('')}<th>recall</th></tr></thead>
<tbody>${summary.confusion
    .map((row, t) => {
      const total = row.reduce((sum, count) => sum + count, 0);
      const cells = row
        .map((count, p) => {
          const shade = `style="background: rgba(${t === p ? '46, 160, 67' : '218, 54, 51'}, ${(0.08 + 0.6 * (count / maxCell)).toFixed(2)})"`;
          return `<td ${shade}>${count > 0 ? `<a href="#${cellId(t, p)}">${count}</a>` : '0'}</td>`;
        })
        .join('');
      return `<tr><th>${name(t)}</th>${cells}<td>${total ? percent(row[t] / total) : '–'}</td></tr>`;
    })
    .join('\n')}</tbody>
</table>`;
  const cellSections = summary.confusion
    .flatMap((row, t) =>
      row.map((count, p) => {
        if (count === 0) return '';
        const members = results.filter((result) => result.trueClass === t && result.predictedClass === p);
        const shown = members.slice(0, galleryLimit);
        return `<section id="${cellId(t, p)}" class="cell"><h3>True ${name(t)}, predicted ${name(p)}: ${count}</h3><div class="grid">${shown.map((result) => card(result, t !== p)).join('\n')}</div>${
          members.length > shown.length ? `<p>${members.length - shown.length} more in predictions.csv</p>` : ''
        }</section>`;
      }),
    )
    .join('\n');
  const means = summary.meanErrorHeatmaps
    .map((mean) => {
      return `<figure class="mean">${picture(mean.png, `mean error heatmap of ${summary.classNames[mean.classIndex] ?? mean.classIndex}`)}<figcaption>${name(mean.classIndex)}: mean of ${mean.errorCount} error${mean.errorCount === 1 ? '' : 's'}</figcaption></figure>`;
    })
    .join('\n');
  const gallery = [...results].sort((a, b) => Number(a.correct !== false) - Number(b.correct !== false) || a.confidence - b.confidence).slice(0, Math.max(galleryLimit, errors.length));
  const skipped = summary.skipped.map((skip) => `<li><code>${escapeHtml(skip.relativePath)}</code>: ${escapeHtml(skip.reason)}</li>`).join('\n');
  const mappingRows = Object.entries(summary.mapping.folderToClass)
    .map(([folder, index]) => `<li><code>${escapeHtml(folder)}/</code> → ${name(index)} (${summary.mapping.how[folder] === 'sortedOrder' ? 'sorted folder order, as flow_from_directory' : summary.mapping.how[folder] === 'given' ? 'as given' : 'by class name'})</li>`)
    .concat(summary.mapping.unmapped.map((folder) => `<li><code>${escapeHtml(folder)}/</code>: no class (its images are not scored)</li>`))
    .join('\n');

  const body = `<h1>Dataset report</h1>
<div>Model <code>${escapeHtml(summary.modelPath)}</code><br>Folder <code>${escapeHtml(summary.folder)}</code></div>
<div class="stats">
<div class="stat"><b id="accuracy">${percent(summary.accuracy)}</b>accuracy (${summary.correctCount} of ${summary.labelledCount} labelled images)</div>
<div class="stat"><b>${summary.imageCount}</b>images found</div>
<div class="stat"><b>${errors.length}</b>errors</div>
<div class="stat"><b>${summary.skipped.length}</b>unreadable, skipped</div>
<div class="stat"><b>${summary.imagesPerSecond.toFixed(1)}</b>images per second</div>
</div>
${mappingRows ? `<h2>Folders and classes</h2><ul>${mappingRows}</ul>` : '<p>The folder has no class subfolders: predictions only, no accuracy.</p>'}
${summary.labelledCount > 0 ? `<h2>Confusion matrix</h2>\n${matrix}\n<p>Each count links to its images.</p>` : ''}
${means ? `<h2>Where it looks when it is wrong</h2><p>The mean Grad-CAM heatmap (of the class predicted) over each true class's misclassified images${summary.heatmapLayer ? `, at ${escapeHtml(summary.heatmapLayer)}` : ''}.</p><div class="means">${means}</div>` : ''}
${errors.length ? `<h2 id="errors">Errors, evidence furthest from the centre first</h2><p><i>Off-centre</i>: the share of the heatmap outside the middle half of the image's height and width; <i>border</i>: the share in its outer eighth on each side.</p><div class="grid">${errors.map((result) => card(result, true)).join('\n')}</div>` : ''}
${cellSections ? `<h2>Images by confusion cell</h2>\n${cellSections}` : ''}
<h2>Gallery</h2><p>${gallery.length} of ${results.length} images: errors first, then the least confident.</p><div class="grid">${gallery.map((result) => card(result, false)).join('\n')}</div>
${skipped ? `<h2>Unreadable images, skipped</h2><ul>${skipped}</ul>` : ''}
<p><small>${classCount} classes · written by convscope</small></p>`;
  const pictures = [...pictureClasses].map(([uri, className]) => `.${className} { background-image: url("${uri}"); }`).join('\n');
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Convscope dataset report: ${escapeHtml(summary.folder)}</title>
<style>
${REPORT_STYLE}
${pictures}
</style>
</head>
<body>
${body}
</body>
</html>
`;
}
