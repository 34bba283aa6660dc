// Lint rules for every TypeScript file in the project; type checking is `tsc --noEmit`.
// The import rules below are the architecture's walls (see ARCHITECTURE.md): each layer names
// what it must not import.
import tseslint from 'typescript-eslint';

const ENGINE_PACKAGES = ['@tensorflow/*', 'sharp', 'h5wasm', 'fflate'];

/** `no-restricted-imports` forbidding the given path patterns (gitignore style), with the reason. */
function forbid(message, patterns, paths = []) {
  return {
    'no-restricted-imports': [
      'error',
      {
        paths: paths.map((name) => ({ name, message })),
        patterns: [{ group: patterns, message }],
      },
    ],
  };
}

const layerOf = (folder) => [`**/${folder}`, `**/${folder}/**`];

export default tseslint.config(
  { ignores: ['node_modules/', 'dist/', 'out/', 'test-results/', '.vscode-test/', '.e2e-cache/', 'examples/'] },
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', ignoreRestSiblings: true }],
      'no-eval': 'error',
      'no-implied-eval': 'error',
      eqeqeq: ['error', 'always', { null: 'ignore' }],
      'prefer-const': 'error',
    },
  },
  {
    // The wire contract: plain data and pure functions that the host, the webview and the engine share.
    files: ['src/shared/**/*.ts'],
    rules: forbid('src/shared is imported by the webview: it may import only src/shared.', ['../*', 'node:*', ...ENGINE_PACKAGES], ['vscode']),
  },
  {
    files: ['src/render/**/*.ts'],
    rules: forbid('src/render is pure pixel work: it may import src/shared and sharp (PNG) only.', [...layerOf('engine'), ...layerOf('jobs'), ...layerOf('worker'), ...layerOf('host'), ...layerOf('cli'), '@tensorflow/*'], ['vscode']),
  },
  {
    files: ['src/engine/**/*.ts', 'src/files/**/*.ts'],
    rules: forbid('The engine runs in the worker and the CLI: it never imports the layers above it or VS Code.', [...layerOf('jobs'), ...layerOf('worker'), ...layerOf('host'), ...layerOf('cli'), ...layerOf('render')], ['vscode']),
  },
  {
    files: ['src/jobs/**/*.ts', 'src/worker/**/*.ts', 'src/cli/**/*.ts'],
    rules: forbid('Jobs, the worker and the CLI run outside VS Code: only src/host and src/extension.ts use the vscode API.', [...layerOf('host')], ['vscode']),
  },
  {
    // The extension host never loads the engine: that is the worker's job (dist/extension.js stays small).
    files: ['src/host/**/*.ts', 'src/extension.ts'],
    rules: forbid('The extension host imports only src/shared, src/files and its own code; the engine runs in the worker.', [...layerOf('engine'), ...layerOf('jobs'), ...layerOf('render'), ...layerOf('worker'), ...layerOf('cli'), ...ENGINE_PACKAGES]),
  },
  {
    files: ['webview-ui/**/*.ts'],
    rules: forbid('The webview imports only webview-ui and src/shared.', ['../src/*', '!../src/shared', 'node:*', ...ENGINE_PACKAGES], ['vscode']),
  },
);
