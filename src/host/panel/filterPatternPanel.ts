// The filter-pattern panel: the image each filter of a convolution layer responds to most, by
// gradient ascent, tiles streaming in as their batch finishes; one filter alone, or a grid.
import * as vscode from 'vscode';
import path from 'node:path';
import type { FilterPatternImage, FilterPatternParameters, FilterPatternPreset, FilterPatternRunInfo } from '../../shared/types';
import type { FilterPanelSession, RunStatus, WebviewToHostMessage } from '../../shared/protocol';
import { modelContentHash } from '../../files/modelContentHash';
import { filterRunKey, type CachedFilterRun, type FilterPatternCache } from './filterPatternCache';
import { RunPanel, type ActiveRun, type PanelServices, type PanelTarget, type RunCancelled, type RunFailure } from './runPanel';
import { writeNewFile } from './exportFiles';
import { filterPatternActionFor } from './panelMessages';
import { DEFAULT_FILTER_EXAMPLE_COUNT, DEFAULT_FILTER_PATTERN_PARAMETERS } from '../../shared/defaults';
import { filterExampleImages, imageSetStamp } from './filterExampleImages';

export const FILTER_PATTERNS_VIEW_TYPE = 'convscope.filterPatterns';

export interface FilterPatternTarget extends PanelTarget {
  layerName: string;
  /** Filter indices; omitted: the first 64 (the study notes' grid). */
  filters?: number[];
  preset: FilterPatternPreset;
}

export type FilterPatternOutcome = { state: 'finished'; info: FilterPatternRunInfo; tiles: FilterPatternImage[] } | RunFailure | RunCancelled;

export interface FilterPatternPanelServices extends PanelServices {
  filterCache: FilterPatternCache;
}

export class FilterPatternPanel extends RunPanel<FilterPatternTarget, FilterPatternOutcome> {
  private lastGridPng: Uint8Array | undefined;
  /** The folder whose images show what excites each filter; undefined: the workspace's images. */
  private exampleFolder: string | undefined;

  constructor(
    panel: vscode.WebviewPanel,
    private readonly filterServices: FilterPatternPanelServices,
    target: FilterPatternTarget,
  ) {
    super(panel, filterServices, 'filters', target);
  }

  protected runTarget(): Promise<FilterPatternOutcome> {
    const { modelPath, layerName, filters, preset } = this.target;
    const { filters: filterSettings, limits, preprocess } = this.services.settings();
    const single = filters?.length === 1;
    this.panel.title = single ? `Filter ${filters[0]}: ${layerName}` : `Filters: ${layerName}`;
    this.lastGridPng = undefined;
    const parameters: FilterPatternParameters = {
      ...DEFAULT_FILTER_PATTERN_PARAMETERS,
      steps: filterSettings.steps,
      stepSize: filterSettings.stepSize,
      seed: filterSettings.seed,
      preset,
      // The study notes: 150 px for one filter, 64 px for the grid.
      size: single ? filterSettings.singleSize : filterSettings.gridSize,
    };
    const cache = this.filterServices.filterCache;
    const title = `Convscope: filter patterns of ${layerName} (${preset})`;
    return this.startRun(title, async (run) => {
      // The same images give each pattern's crops and its comparison with real images.
      const examples = await filterExampleImages(modelPath, this.exampleFolder);
      parameters.realImages = examples.images;
      const exampleSource = examples.images.length > 0 ? { description: examples.description, imageCount: examples.images.length } : undefined;
      const key = cache.enabled ? filterRunKey(await modelContentHash(modelPath), layerName, filters, parameters, preprocess, await imageSetStamp(examples.images)) : undefined;
      const cached = key ? await cache.get(key) : undefined;
      if (cached) return this.showCached(run, cached);

      const tiles: FilterPatternImage[] = [];
      let session: FilterPanelSession | undefined;
      const result = await this.services.engine.runFilterPatterns(
        {
          modelPath,
          layerName,
          filters,
          parameters,
          preprocess,
          limits: { model: limits.model },
          ...(exampleSource ? { examples: { images: examples.images, top: DEFAULT_FILTER_EXAMPLE_COUNT } } : {}),
        },
        {
          onStarted: ({ summary, plan, grid, preprocess }) => {
            session = {
              runId: run.runId,
              modelPath,
              modelName: summary.modelName,
              layerIndex: plan.layerIndex,
              layerName: plan.layerName,
              filterCount: plan.filterCount,
              filters: plan.filters,
              grid,
              parameters,
              preprocess,
              ...(exampleSource ? { exampleSource } : {}),
            };
            run.post({ type: 'filterSession', session });
          },
          onTile: (tile) => {
            tiles.push(tile);
            run.post({ type: 'filterTile', runId: run.runId, tile });
          },
          onProgress: (done, total, message) => run.progress(done, total, 'steps', message),
        },
        run.signal,
      );
      if (run.isCurrent()) this.lastGridPng = result.grid.png;
      run.status(finishedStatus(result.info, tiles.length, false));
      if (key && session) {
        const { runId: _runId, ...kept } = session;
        await cache.put(key, { session: kept, tiles, info: result.info, gridPng: result.grid.png }).catch((error: unknown) => {
          this.services.log.warn(`Could not cache the filter patterns of ${layerName}: ${error instanceof Error ? error.message : String(error)}`);
        });
      }
      return { state: 'finished', info: result.info, tiles } as const;
    });
  }

  /** Replays a cached run as if it had just been computed. */
  private showCached(run: ActiveRun, cached: CachedFilterRun): FilterPatternOutcome {
    run.post({ type: 'filterSession', session: { ...cached.session, runId: run.runId } });
    for (const tile of cached.tiles) run.post({ type: 'filterTile', runId: run.runId, tile });
    run.status(finishedStatus(cached.info, cached.tiles.length, true));
    if (run.isCurrent()) this.lastGridPng = cached.gridPng;
    return { state: 'finished', info: cached.info, tiles: cached.tiles };
  }

  protected async onViewMessage(message: WebviewToHostMessage): Promise<void> {
    const action = filterPatternActionFor(message);
    if (action?.action === 'rerun') await this.run(action.change);
    else if (action?.action === 'export') await this.exportGrid();
    else if (action?.action === 'chooseExampleFolder') await this.chooseExampleFolder();
  }

  /** Asks for the folder whose images show what excites each filter, then runs again with them. */
  private async chooseExampleFolder(): Promise<void> {
    const uris = await vscode.window.showOpenDialog({
      title: 'Images that show what excites each filter',
      canSelectFiles: false,
      canSelectFolders: true,
      canSelectMany: false,
      ...(this.exampleFolder ? { defaultUri: vscode.Uri.file(this.exampleFolder) } : {}),
    });
    const folder = uris?.[0]?.fsPath;
    if (!folder) return;
    this.exampleFolder = folder;
    await this.run();
  }

  private async exportGrid(): Promise<void> {
    if (!this.lastGridPng) return;
    const { modelPath, layerName, preset } = this.target;
    const file = await writeNewFile(path.dirname(modelPath), `${layerName.replace(/[^A-Za-z0-9._-]+/g, '_')}-filters-${preset}.png`, this.lastGridPng);
    const reveal = 'Reveal in Explorer';
    const choice = await vscode.window.showInformationMessage(`Convscope: saved the filter grid as ${path.basename(file)}`, reveal);
    if (choice === reveal) await vscode.commands.executeCommand('revealInExplorer', vscode.Uri.file(file));
  }
}

function finishedStatus(info: FilterPatternRunInfo, tileCount: number, fromCache: boolean): RunStatus {
  const { timings, parameters } = info;
  return {
    state: 'finished',
    backend: info.backend,
    timings: fromCache
      ? []
      : [
          { label: 'optimise', ms: timings.optimizeMs },
          { label: 'render', ms: timings.renderMs },
          { label: 'model load', ms: timings.loadModelMs },
        ],
    details: [
      ...(fromCache ? ['from the cache'] : []),
      `${tileCount} filters`,
      `${parameters.size} px`,
      `${parameters.steps} steps`,
      `${info.batchSize} at a time`,
      `preprocess ${info.preprocess}`,
    ],
  };
}
