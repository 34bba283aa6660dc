// What every Convscope panel shares: the webview (strict CSP, one bundle, a view kind), what it
// shows (its target, whose model never changes), one run at a time with VS Code progress and
// cancellation, what the run waits behind while its engine job is queued, the time a long run has
// left, failures reported once, and the latest run kept as the messages that drew it, replayed when
// a hidden or reloaded webview says `ready`.
import * as vscode from 'vscode';
import type { HostToWebviewMessage, PanelViewKind, RunStatus, WebviewToHostMessage } from '../../shared/protocol';
import { EngineError, type EngineClient } from '../engineClient';
import { TimeLeftEstimate } from '../engineTimeLeft';
import type { ConvscopeSettings } from '../settings';
import { routeRunPanelMessage } from './panelMessages';
import { renderPanelHtml, webviewRoot } from './panelHtml';

export interface PanelServices {
  engine: EngineClient;
  extensionUri: vscode.Uri;
  settings(): ConvscopeSettings;
  log: vscode.LogOutputChannel;
}

export type RunFailure = { state: 'failed'; message: string; file?: string };
export type RunCancelled = { state: 'cancelled' };

/** Handed to a run's body: everything it posts goes into the replayable snapshot. */
export interface ActiveRun {
  readonly runId: number;
  readonly signal: AbortSignal;
  /** False once a newer run has started: the body's late messages are dropped. */
  isCurrent(): boolean;
  post(message: HostToWebviewMessage): void;
  status(status: RunStatus): void;
  /** Reports engine progress both in VS Code's notification and in the panel, with the time left once the pace is known. */
  progress(done: number, total: number, unit: string, message: string): void;
}

/** What a panel shows: always of one model; the rest (image, layer, settings) changes with its runs. */
export interface PanelTarget {
  modelPath: string;
}

/** Changes a run may make to a panel's target: anything but its model. */
export type TargetChanges<Target extends PanelTarget> = Partial<Omit<Target, 'modelPath'>>;

export abstract class RunPanel<Target extends PanelTarget = PanelTarget, Outcome = unknown> implements vscode.Disposable {
  readonly modelPath: string;
  private runId = 0;
  private currentRun: AbortController | undefined;
  /** The latest run's messages, session first; only its last status is kept. */
  private snapshot: HostToWebviewMessage[] = [];
  private disposed = false;
  private readonly disposables: vscode.Disposable[] = [];
  private readonly disposeEmitter = new vscode.EventEmitter<void>();
  readonly onDidDispose = this.disposeEmitter.event;
  /** Where a run's progress shows: a cancellable notification unless a panel kind says otherwise. */
  protected progressLocation: vscode.ProgressLocation | { viewId: string } = vscode.ProgressLocation.Notification;

  protected constructor(
    readonly panel: vscode.WebviewPanel,
    protected readonly services: PanelServices,
    readonly view: PanelViewKind,
    protected target: Target,
  ) {
    this.modelPath = target.modelPath;
    panel.webview.options = { enableScripts: true, localResourceRoots: [webviewRoot(services.extensionUri)] };
    panel.webview.html = renderPanelHtml(panel.webview, services.extensionUri, view);
    panel.iconPath = vscode.Uri.joinPath(services.extensionUri, 'media', 'convscope.svg');
    this.disposables.push(
      panel.webview.onDidReceiveMessage((message: unknown) => this.receive(message)),
      panel.onDidDispose(() => this.dispose()),
    );
  }

  reveal(): void {
    this.panel.reveal(undefined, false);
  }

  cancel(): void {
    this.currentRun?.abort();
  }

  get currentRunId(): number {
    return this.runId;
  }

  get currentTarget(): Readonly<Target> {
    return this.target;
  }

  /** Runs with the given changes to the target (none: again, e.g. after a setting changed); a run still going is cancelled first. */
  run(changes: TargetChanges<Target> = {}): Promise<Outcome> {
    this.target = { ...this.target, ...changes, modelPath: this.modelPath };
    return this.runTarget();
  }

  /** Runs the panel's job on `this.target` (through `startRun`). */
  protected abstract runTarget(): Promise<Outcome>;

  /** Handles the view's own messages (everything but `ready` and `cancelRun`). */
  protected abstract onViewMessage(message: WebviewToHostMessage): Promise<void>;

  /**
   * Runs `body` as this panel's only run: a previous one is cancelled, VS Code shows a cancellable
   * notification, engine failures become a failed status, an error message and a log entry.
   */
  protected async startRun<T>(title: string, body: (run: ActiveRun) => Promise<T>): Promise<T | RunFailure | RunCancelled> {
    this.currentRun?.abort();
    const runId = ++this.runId;
    const abort = new AbortController();
    this.currentRun = abort;
    this.snapshot = [];
    const isCurrent = () => runId === this.runId && !this.disposed;
    return vscode.window.withProgress({ location: this.progressLocation, title, cancellable: true }, async (notification, token) => {
      token.onCancellationRequested(() => abort.abort());
      let reportedFraction = 0;
      let lastProgress = { done: 0, total: 0, unit: '' };
      const timeLeft = new TimeLeftEstimate();
      const run: ActiveRun = {
        runId,
        signal: abort.signal,
        isCurrent,
        post: (message) => {
          if (isCurrent()) this.record(message);
        },
        status: (status) => {
          if (isCurrent()) this.record({ type: 'status', runId, status });
        },
        progress: (done, total, unit, progressMessage) => {
          if (!isCurrent()) return;
          const left = timeLeft.report(done, total, Date.now());
          const message = [progressMessage, left].filter((part) => part !== undefined && part !== '').join(' · ');
          const fraction = total > 0 ? done / total : 0;
          notification.report({ message, increment: Math.max(0, fraction - reportedFraction) * 100 });
          reportedFraction = Math.max(reportedFraction, fraction);
          lastProgress = { done, total, unit };
          this.record({ type: 'status', runId, status: { state: 'running', done, total, unit, message } });
        },
      };
      // While the run's engine job is queued behind another: say which (the panel offers Cancel).
      const waiting = this.services.engine.onJobWaiting(abort.signal, (wait) => {
        if (!isCurrent()) return;
        const message = wait ? `Waiting for ${wait.behind} to finish` : 'Starting…';
        notification.report({ message });
        this.record({ type: 'status', runId, status: wait ? { state: 'waiting', behind: wait.behind } : { state: 'running', done: 0, total: 0, unit: '', message } });
      });
      try {
        return await body(run);
      } catch (error) {
        if (error instanceof EngineError && error.kind === 'cancelled') {
          run.status({ state: 'cancelled', ...lastProgress });
          return { state: 'cancelled' } as const;
        }
        return this.reportFailure(run, error);
      } finally {
        waiting.dispose();
        if (this.currentRun === abort) this.currentRun = undefined;
      }
    });
  }

  private reportFailure(run: ActiveRun, error: unknown): RunFailure {
    const message = error instanceof Error ? error.message : String(error);
    this.services.log.error(error instanceof EngineError && error.workerStack ? error.workerStack : error instanceof Error ? (error.stack ?? message) : message);
    run.status({ state: 'failed', message });
    if (run.isCurrent()) {
      const showLog = 'Show Log';
      void vscode.window.showErrorMessage(`Convscope: ${message}`, showLog).then((choice) => {
        if (choice === showLog) this.services.log.show(true);
      });
    }
    return { state: 'failed', message, file: error instanceof EngineError ? error.file : undefined };
  }

  private record(message: HostToWebviewMessage): void {
    if (message.type === 'status') this.snapshot = this.snapshot.filter((kept) => kept.type !== 'status');
    this.snapshot.push(message);
    void this.panel.webview.postMessage(message);
  }

  /** Sends a message that is not part of the run's picture (answers to requests). */
  protected send(message: HostToWebviewMessage): void {
    void this.panel.webview.postMessage(message);
  }

  private async receive(data: unknown): Promise<void> {
    try {
      const routed = routeRunPanelMessage(data, this.runId);
      switch (routed.route) {
        case 'replaySnapshot':
          for (const kept of this.snapshot) void this.panel.webview.postMessage(kept);
          return;
        case 'cancelRun':
          this.cancel();
          return;
        case 'toView':
          await this.onViewMessage(routed.message);
          return;
        case 'ignore':
          this.services.log.debug(`The ${this.view} panel ignored a message: ${routed.reason}`);
          return;
      }
    } catch (error) {
      this.services.log.error(error instanceof Error ? (error.stack ?? error.message) : String(error));
      void vscode.window.showErrorMessage(`Convscope: ${error instanceof Error ? error.message : String(error)}`);
    }
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.currentRun?.abort();
    this.disposeEmitter.fire();
    this.disposeEmitter.dispose();
    for (const disposable of this.disposables.splice(0)) disposable.dispose();
    this.panel.dispose();
  }
}
