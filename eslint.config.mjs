// Lint rules for every TypeScript file in the project; type checking is `tsc --noEmit`.
import tseslint from 'typescript-eslint';

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
    // The engine, renderer and worker run outside VS Code: they must never import it.
    files: ['src/engine/**/*.ts', 'src/render/**/*.ts', 'src/worker/**/*.ts', 'src/shared/**/*.ts', 'src/cli/**/*.ts', 'webview-ui/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { paths: [{ name: 'vscode', message: 'Only src/host and src/extension.ts may use the vscode API.' }] }],
    },
  },
);
