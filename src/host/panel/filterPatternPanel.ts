// The filter-pattern panel: the image each filter of a convolution layer responds to most, by
// gradient ascent, tiles streaming in as their batch finishes; one filter alone, or a grid.
import * as vscode from 'vscode';
import path from 'node:path';
import { DEFAULT_FILTER_PATTERN_PARAMETERS } from '../../engine/filterPatterns';
import type { FilterPatternImage, FilterPatternPreset, FilterPatternRunInfo } from '../../engine/types';
import type { WebviewToHostMessage } from '../../shared/protocol';
import { RunPanel, type PanelServices, type RunCancelled, type RunFailure } from './runPanel';
import { writeNewFile } from './exportFiles';
import { filterPatternActionFor } from './panelMessages';

export const FILTER_PATTERNS_VIEW_TYPE = 'convscope.filterPatterns';

export interface FilterPatternTarget {
  modelPath: string;
  layerName: string;
  /** Filter indices; omitted: the first 64 (the study notes' grid). */
  filters?: number[];
  preset: FilterPatternPreset;
}

export type FilterPatternOutcome = { state: 'finished'; info: FilterPatternRunInfo; tiles: FilterPatternImage[] } | RunFailure | RunCancelled;

export class FilterPatternPanel extends RunPanel {
  private lastGridPng: Uint8Array | undefined;

  constructor(
    panel: vscode.WebviewPanel,
    services: PanelServices,
    private target: FilterPatternTarget,
  ) {
    super(panel, services, 'filters', target.modelPath);
  }

  static create(services: PanelServices, target: FilterPatternTarget): FilterPatternPanel {
    return new FilterPatternPanel(RunPanel.createWebviewPanel(FILTER_PATTERNS_VIEW_TYPE, 'Convscope', services), services, target);
  }

  get currentTarget(): Readonly<FilterPatternTarget> {
    return this.target;
  }

  run(changes: Partial<FilterPatternTarget> = {}): Promise<FilterPatternOutcome> {
    this.target = { ...this.target, ...changes };
    const { modelPath, layerName, filters, preset } = this.target;
    const settings = this.services.settings();
    const single = filters?.length === 1;
    this.panel.title = single ? `Filter ${filters[0]}: ${layerName}` : `Filters: ${layerName}`;
    this.lastGridPng = undefined;
    const parameters = {
      ...DEFAULT_FILTER_PATTERN_PARAMETERS,
      ...settings.filters,
      preset,
      // The study notes: 150 px for one filter, 64 px for the grid.
      size: single ? settings.filters.singleSize : settings.filters.gridSize,
    };
    const title = `Convscope: filter patterns of ${layerName} (${preset})`;
    return this.startRun(title, async (run) => {
      const tiles: FilterPatternImage[] = [];
      const result = await this.services.engine.runFilterPatterns(
        { modelPath, layerName, filters, parameters, limits: { model: settings.limits.model } },
        {
          onStarted: ({ summary, plan, grid, preprocess }) =>
            run.post({
              type: 'filterSession',
              session: {
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
              },
            }),
          onTile: (tile) => {
            tiles.push(tile);
            run.post({ type: 'filterTile', runId: run.runId, tile });
          },
          onProgress: (done, total, message) => run.progress(done, total, 'steps', message),
        },
        run.signal,
      );
      if (run.isCurrent()) this.lastGridPng = result.grid.png;
      const { timings } = result.info;
      run.status({
        state: 'finished',
        backend: result.info.backend,
        timings: [
          { label: 'optimise', ms: timings.optimizeMs },
          { label: 'render', ms: timings.renderMs },
          { label: 'model load', ms: timings.loadModelMs },
        ],
        details: [`${tiles.length} filters`, `${parameters.size} px`, `${parameters.steps} steps`, `${result.info.batchSize} at a time`, `preprocess ${result.info.preprocess}`],
      });
      return { state: 'finished', info: result.info, tiles } as const;
    });
  }

  protected async onViewMessage(message: WebviewToHostMessage): Promise<void> {
    const action = filterPatternActionFor(message);
    if (action?.action === 'rerun') await this.run(action.change);
    else if (action?.action === 'export') await this.exportGrid();
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
