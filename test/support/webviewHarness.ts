// Loads the real webview bundle (built with esbuild, as esbuild.mjs builds it) into jsdom, the way
// the host's HTML does, with a fake `acquireVsCodeApi` and fake object URLs.
import assert from 'node:assert/strict';
import path from 'node:path';
import vm from 'node:vm';
import * as esbuild from 'esbuild';
import { JSDOM, VirtualConsole, type DOMWindow } from 'jsdom';
import type { HostToWebviewMessage } from '../../src/shared/protocol';
import { REPO_ROOT } from './engineFixtures';

export const HOSTILE_NAME = '<img src=x onerror=alert(1)>';

export async function buildWebviewBundle(): Promise<string> {
  const result = await esbuild.build({
    entryPoints: [path.join(REPO_ROOT, 'webview-ui', 'main.ts')],
    bundle: true,
    write: false,
    format: 'iife',
    platform: 'browser',
    target: 'es2022',
    logLevel: 'silent',
  });
  return result.outputFiles[0].text;
}

export interface WebviewPage {
  window: DOMWindow;
  document: Document;
  /** Messages the webview posted to the host (as plain JSON). */
  posted: Record<string, unknown>[];
  /** Every state passed to `vscode.setState`. */
  states: unknown[];
  /** Blobs given to `URL.createObjectURL`, by URL. */
  blobs: Map<string, Blob>;
  revoked: string[];
  /** Errors the page logged or threw. */
  errors: string[];
  acquireCount(): number;
  send(message: HostToWebviewMessage): void;
  $<T extends Element = HTMLElement>(selector: string): T;
  $$<T extends Element = HTMLElement>(selector: string): T[];
}

/**
 * `view` becomes `<div id="app" data-view=…>` (none: no attribute); `initialState` is what VS Code
 * kept from before a reload (checked by the page, so any value).
 */
export function loadWebview(bundle: string, options: { view?: string; initialState?: unknown } = {}): WebviewPage {
  const errors: string[] = [];
  const virtualConsole = new VirtualConsole();
  virtualConsole.on('error', (...args: unknown[]) => errors.push(args.map(String).join(' ')));
  virtualConsole.on('jsdomError', (error: Error) => errors.push(String(error.stack ?? error)));
  const app = options.view === undefined ? '<div id="app"></div>' : `<div id="app" data-view="${options.view}"></div>`;
  const dom = new JSDOM(`<!DOCTYPE html><html><head><meta charset="utf-8"></head><body>${app}</body></html>`, {
    runScripts: 'outside-only',
    pretendToBeVisual: true,
    url: 'https://webview.test/index.html',
    virtualConsole,
  });
  const window = dom.window;

  const posted: Record<string, unknown>[] = [];
  const states: unknown[] = [];
  let state: unknown = options.initialState;
  let acquired = 0;
  (window as unknown as Record<string, unknown>).acquireVsCodeApi = () => {
    acquired++;
    return {
      postMessage: (message: unknown) => posted.push(JSON.parse(JSON.stringify(message)) as Record<string, unknown>),
      getState: () => state,
      setState: (next: unknown) => {
        state = JSON.parse(JSON.stringify(next));
        states.push(state);
        return next;
      },
    };
  };

  const blobs = new Map<string, Blob>();
  const revoked: string[] = [];
  let urlCount = 0;
  window.URL.createObjectURL = (blob: Blob) => {
    const url = `blob:https://webview.test/${++urlCount}`;
    blobs.set(url, blob);
    return url;
  };
  window.URL.revokeObjectURL = (url: string) => {
    revoked.push(url);
  };

  new vm.Script(bundle, { filename: 'dist/webview/main.js' }).runInContext(dom.getInternalVMContext());

  const document = window.document;
  return {
    window,
    document,
    posted,
    states,
    blobs,
    revoked,
    errors,
    acquireCount: () => acquired,
    send: (message) => window.dispatchEvent(new window.MessageEvent('message', { data: message })),
    $<T extends Element = HTMLElement>(selector: string): T {
      const found = document.querySelector<T>(selector);
      assert.ok(found, `no element matches ${selector}`);
      return found;
    },
    $$: <T extends Element = HTMLElement>(selector: string) => [...document.querySelectorAll<T>(selector)],
  };
}

/** Bytes that start like a PNG: the webview only wraps them in a Blob. */
export function fakePng(length = 16): Uint8Array {
  const bytes = new Uint8Array(length);
  bytes.set([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  return bytes;
}
