// Lint rules that carry meaning (see ../shared/style.md): node: imports, no process.exit outside the CLI,
// one timer module for session timeouts.
import js from '@eslint/js';
import globals from 'globals';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'web/dist/**', 'coverage/**', '.scratch/**', 'bench/results/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { ...globals.node } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
      'no-restricted-imports': ['error', {
        patterns: [{ regex: '^(assert|buffer|child_process|crypto|dns|events|fs|http|https|net|os|path|readline|stream|timers|tls|url|util|zlib|worker_threads|perf_hooks|diagnostics_channel|async_hooks)(/.*)?$', message: 'Import Node built-ins with the node: prefix.' }],
      }],
    },
  },
  {
    // The web UI runs in the browser; it reaches the server's code through `import type` only.
    files: ['web/**/*.{ts,tsx}'],
    languageOptions: { globals: { ...globals.browser } },
    rules: {
      'no-restricted-imports': ['error', {
        patterns: [{ regex: '^\\.\\./(\\.\\./)+src/', allowTypeImports: true, message: 'The UI imports the server\'s modules as types only (import type).' }],
      }],
    },
  },
  {
    files: ['src/**/*.ts'],
    ignores: ['src/cli/**'],
    rules: {
      'no-restricted-properties': ['error', { object: 'process', property: 'exit', message: 'Only the CLI may end the process.' }],
    },
  },
  {
    // Session expiry runs on one timer (the TimeoutQueue); only a waiting request's queue timeout has its own.
    // The Redis store's expiry authority is Redis itself; its timers renew leases and sweep Redis's index.
    files: ['src/session/**/*.ts', 'src/store/**/*.ts'],
    ignores: ['src/session/timeout-queue.ts', 'src/session/session-queue.ts', 'src/store/redis-store.ts'],
    rules: {
      'no-restricted-globals': ['error',
        { name: 'setTimeout', message: 'Session timeouts go through the TimeoutQueue (src/session/timeout-queue.ts).' },
        { name: 'setInterval', message: 'Session timeouts go through the TimeoutQueue (src/session/timeout-queue.ts).' }],
    },
  },
);
