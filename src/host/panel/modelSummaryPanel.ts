// The model summary panel (the study notes' `model.summary()`): a table of every layer with its
// class, output shape and parameters, and the trainable / non-trainable totals.
import * as vscode from 'vscode';
import path from 'node:path';
import type { BackendName, ModelSummary } from '../../shared/types';
import { RunPanel, type PanelServices, type PanelTarget, type RunCancelled, type RunFailure } from './runPanel';

export const MODEL_SUMMARY_VIEW_TYPE = 'convscope.modelSummary';

export type ModelSummaryOutcome = { state: 'finished'; summary: ModelSummary; backend: BackendName } | RunFailure | RunCancelled;

export interface ModelSummaryPanelServices extends PanelServices {
  /** The model's summary: the sidebar's when it has loaded the model, else read by the engine. */
  loadSummary(modelPath: string, signal: AbortSignal): Promise<ModelSummary>;
}

const formatCount = (count: number) => count.toLocaleString('en-US');

export class ModelSummaryPanel extends RunPanel<PanelTarget, ModelSummaryOutcome> {
  constructor(
    panel: vscode.WebviewPanel,
    private readonly summaryServices: ModelSummaryPanelServices,
    target: PanelTarget,
  ) {
    super(panel, summaryServices, 'summary', target);
    // Reading a summary is quick: the sidebar's progress bar, not a notification.
    this.progressLocation = { viewId: 'convscope.models' };
  }

  protected runTarget(): Promise<ModelSummaryOutcome> {
    const { modelPath } = this;
    this.panel.title = `Summary: ${path.basename(path.dirname(modelPath))}`;
    return this.startRun(`Convscope: summary of ${modelPath}`, async (run) => {
      run.progress(0, 0, '', 'Reading the model');
      const summary = await this.summaryServices.loadSummary(modelPath, run.signal);
      const { backend } = await this.services.engine.start();
      if (run.isCurrent()) this.panel.title = `Summary: ${summary.modelName || path.basename(path.dirname(modelPath))}`;
      run.post({ type: 'summary', runId: run.runId, summary });
      run.status({
        state: 'finished',
        backend,
        timings: [],
        details: [`${summary.layers.length} layers`, `${formatCount(summary.totalParams)} parameters`],
      });
      return { state: 'finished', summary, backend } as const;
    });
  }

  protected async onViewMessage(): Promise<void> {
    // The summary view only asks for what every panel does (ready, cancel).
  }
}
