// `npm run test:vscode`: the *.vscode.test.ts suites inside a real VS Code downloaded by
// @vscode/test-electron. Where VS Code cannot be downloaded (no access to its update service),
// it says so and skips: `npm run test:e2e` covers the same scenarios in code-server there.
import { downloadAndUnzipVSCode, runTests } from '@vscode/test-electron';
import * as esbuild from 'esbuild';
import { mkdtemp, cp } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

const root = path.resolve(__dirname, '..', '..');
const bundleDir = path.join(root, 'out', 'test-vscode');

async function bundleSuite(): Promise<string> {
  await esbuild.build({
    entryPoints: { index: path.join(__dirname, 'suiteIndex.ts') },
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    outdir: bundleDir,
    external: ['vscode', 'mocha'],
    logLevel: 'warning',
  });
  return path.join(bundleDir, 'index.js');
}

async function main(): Promise<void> {
  let vscodeExecutablePath: string;
  try {
    vscodeExecutablePath = await downloadAndUnzipVSCode({ version: 'stable', timeout: 30_000 });
  } catch (error) {
    console.log(`test:vscode skipped: VS Code could not be downloaded here (${(error as Error).message.split('\n')[0]}).`);
    console.log('The same scenarios run in code-server with `npm run test:e2e`.');
    return;
  }
  const workspace = await mkdtemp(path.join(os.tmpdir(), 'convscope-vscode-test-'));
  await cp(path.join(root, 'examples', 'shapes'), path.join(workspace, 'shapes'), { recursive: true });
  await runTests({
    vscodeExecutablePath,
    extensionDevelopmentPath: root,
    extensionTestsPath: await bundleSuite(),
    launchArgs: [workspace, '--disable-extensions', '--disable-workspace-trust'],
  });
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
