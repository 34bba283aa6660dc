// A stand-in for the `vscode` module, for unit tests of host code that only reads settings. It is
// registered in Node's module cache under the name `vscode` before the code under test loads.
import Module from 'node:module';

const configuration = new Map<string, unknown>();

const fakeVscode = {
  workspace: {
    getConfiguration: (section: string) => ({
      get: <T>(key: string): T | undefined => configuration.get(`${section}.${key}`) as T | undefined,
    }),
  },
};

type ModuleInternals = { _resolveFilename(request: string, ...rest: unknown[]): string };
const internals = Module as unknown as ModuleInternals;
const resolveFilename = internals._resolveFilename;
internals._resolveFilename = function (request: string, ...rest: unknown[]) {
  return request === 'vscode' ? 'vscode' : resolveFilename.call(this, request, ...rest);
};
require.cache.vscode = { id: 'vscode', filename: 'vscode', loaded: true, exports: fakeVscode } as NodeJS.Module;

/** Sets the user's settings (full keys, e.g. `convscope.filters.preset`); the rest read as unset. */
export function setConfiguration(values: Record<string, unknown>): void {
  configuration.clear();
  for (const [key, value] of Object.entries(values)) configuration.set(key, value);
}
