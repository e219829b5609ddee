// Type-aware lint for src, test and bench. Layering itself is checked by test/docs/architecture.test.ts
// against ARCHITECTURE.md; this adds what a folder table cannot say.
import js from '@eslint/js';
import { createTypeScriptImportResolver } from 'eslint-import-resolver-typescript';
import importX from 'eslint-plugin-import-x';
import tseslint from 'typescript-eslint';

// Modules bundled into Temporal's workflow sandbox are deterministic: as values they may import only
// each other and Temporal's workflow-side packages (no I/O, clocks or Node APIs); anything else as a type.
const TEMPORAL = '@temporalio/(?:workflow|common)(?:/|$)';
const sandboxImports = (relative) => ({
  '@typescript-eslint/no-restricted-imports': [
    'error',
    {
      patterns: [
        {
          regex: `^(?!${relative}|${TEMPORAL})`,
          allowTypeImports: true,
          message:
            'Workflow code may import as values only workflow-safe modules (src/workflows, src/contracts, src/errors, @temporalio/workflow, @temporalio/common); import anything else as a type.',
        },
      ],
    },
  ],
});

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'coverage/**', '**/*.js', '**/*.mjs', '**/*.cjs'] },
  js.configs.recommended,
  tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    plugins: { 'import-x': importX },
    settings: { 'import-x/resolver-next': [createTypeScriptImportResolver()] },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': ['error', { checksVoidReturn: { arguments: false, attributes: false } }],
      '@typescript-eslint/await-thenable': 'error',
      // `typeof import('x')` types the lazily required modules below.
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports', disallowTypeAnnotations: false }],
      // Loaded on first use, each for a reason its call site gives (startup time, optional SDKs, a CommonJS build).
      '@typescript-eslint/no-require-imports': [
        'error',
        { allow: ['^\\./stack-commands$', '^@qdrant/js-client-rest$', '^@temporalio/interceptors-opentelemetry$', '^dd-trace$'] },
      ],
      '@typescript-eslint/no-import-type-side-effects': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'import-x/no-cycle': 'error',
      'import-x/no-duplicates': ['error', { 'prefer-inline': true }],
    },
  },
  {
    // A value typed `any` (an untyped query row, JSON.parse) must be checked or typed before src/ uses it.
    files: ['src/**/*.ts'],
    rules: {
      '@typescript-eslint/no-unsafe-argument': 'error',
      '@typescript-eslint/no-unsafe-assignment': 'error',
      '@typescript-eslint/no-unsafe-call': 'error',
      '@typescript-eslint/no-unsafe-member-access': 'error',
      '@typescript-eslint/no-unsafe-return': 'error',
      '@typescript-eslint/no-unsafe-enum-comparison': 'error',
    },
  },
  {
    // Tests read the API's JSON answers untyped; what they assert about those answers is the check.
    files: ['test/**/*.ts'],
    rules: { '@typescript-eslint/no-explicit-any': 'off' },
  },
  {
    files: ['src/workflows/**/*.ts', 'src/contracts/**/*.ts'],
    rules: sandboxImports('\\./|\\.\\./(?:workflows|contracts)/|\\.\\./errors$'),
  },
  { files: ['src/errors.ts'], rules: sandboxImports('\\./contracts/') },
  // Bundled with the workflows as their interceptors module.
  { files: ['src/telemetry/workflow-interceptors.ts'], rules: sandboxImports('(?!)') },
);
