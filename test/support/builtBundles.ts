import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { REPO_ROOT } from './engineFixtures';

export const CLI_PATH = path.join(REPO_ROOT, 'dist', 'cli.js');
export const WORKER_PATH = path.join(REPO_ROOT, 'dist', 'worker.js');
export const BUILT_WASM_DIRECTORY = path.join(REPO_ROOT, 'dist', 'wasm');

/** Tests of the CLI and the worker run the bundles users run; `npm test` builds them first. */
export function ensureBuilt(): void {
  if (!existsSync(CLI_PATH) || !existsSync(WORKER_PATH) || !existsSync(BUILT_WASM_DIRECTORY)) {
    execFileSync(process.execPath, ['esbuild.mjs'], { cwd: REPO_ROOT, stdio: 'ignore' });
  }
}
