// Lint: typescript-eslint's recommended rules, and the module boundaries of ARCHITECTURE.md as
// import restrictions, so a change that breaks the one-way data flow fails CI instead of review.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import globals from 'globals';

/** `no-restricted-imports` patterns: what a layer may not import, and why. */
const deny = (groups) => ({
  'no-restricted-imports': ['error', { patterns: groups.map(([group, message]) => ({ group, message })) }],
});

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'bench/corpus/**', 'coverage/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      // non-null assertions and `any` in tests are deliberate; unused names are errors except `_x`
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' },
      ],
      '@typescript-eslint/no-explicit-any': 'off',
      'no-control-regex': 'off',
    },
  },
  {
    files: ['src/sources/**/*.ts'],
    rules: deny([
      [
        ['../engine/*', '../report/*', '../remedy/*', '../cli/*', '../integrations/*', '../api.js', '../index.js'],
        'sources only read: they import nothing from the engine, reports, remedies or the CLI',
      ],
    ]),
  },
  {
    files: ['src/engine/**/*.ts'],
    rules: deny([
      [
        ['../report/*', '../remedy/*', '../cli/*', '../integrations/*', '../api.js', '../index.js'],
        'the engine turns source bytes into findings; reports, remedies and the CLI build on it, not the other way round',
      ],
    ]),
  },
  {
    // the matching core: pure functions of rules and bytes, testable without git
    files: [
      'src/engine/{detect,blob-scan,keyword-filter,edit-regions,regex,compile,findings,entropy,text,units,rule-spec,rule-check,fingerprint,baseline}.ts',
    ],
    rules: deny([
      [
        ['node:child_process', 'child_process', '../sources/git.js', '../sources/history.js', '../sources/messages.js'],
        'matching never spawns git: sources read, the scan orchestration (scan.ts, history-scan.ts, content-pool.ts) connects them',
      ],
      [
        ['../report/*', '../remedy/*', '../cli/*', '../integrations/*', '../api.js', '../index.js'],
        'the engine does not depend on what consumes it',
      ],
    ]),
  },
  {
    files: ['src/report/**/*.ts'],
    rules: deny([
      [
        ['../sources/*', '../remedy/*', '../cli/*', '../integrations/*', 'node:child_process'],
        'reports only format findings',
      ],
    ]),
  },
  {
    files: ['**/*.js', '**/*.mjs', '**/*.cjs'],
    languageOptions: { globals: globals.node },
  },
  {
    // the command's entry point is CommonJS (see bin/package.json): it starts faster than a module
    files: ['bin/*.js'],
    languageOptions: { sourceType: 'commonjs' },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
);
