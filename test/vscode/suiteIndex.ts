// Runs inside the VS Code extension host: mocha over the bundled *.vscode.test.ts suites.
import Mocha from 'mocha';

export function run(): Promise<void> {
  const mocha = new Mocha({ ui: 'bdd', timeout: 120_000, color: true });
  // Defines describe/it on the global object before the suites are loaded (esbuild inlines them
  // as modules that run at this require).
  mocha.suite.emit('pre-require', globalThis, 'extension.vscode.test', mocha);
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  require('./extension.vscode.test');
  return new Promise((resolve, reject) => {
    mocha.run((failures) => (failures > 0 ? reject(new Error(`${failures} tests failed`)) : resolve()));
  });
}
