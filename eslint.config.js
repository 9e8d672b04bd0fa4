// @ts-check
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  {
    ignores: [
      'dist/**',
      'node_modules/**',
      'native/build/**',
      'bench/node_modules/**',
      'coverage/**',
      'tmp/**',
      'runs/**',
      'playground/dist/**',
      'test-artifacts/**',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: {
      globals: { console: 'readonly', process: 'readonly', Buffer: 'readonly', URL: 'readonly' },
    },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/no-explicit-any': 'error',
      'no-constant-condition': ['error', { checkLoops: false }],
    },
  },
  {
    // Formats do not lean on each other (ARCHITECTURE.md): the TF.js importers build Stride layers
    // and format-neutral ones (io/graph-op.ts), never the ONNX format's internals.
    files: ['src/io/tfjs/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['**/onnx/*'],
              message: 'TF.js import must not use ONNX internals (use io/graph-op.ts or a Stride layer)',
            },
          ],
        },
      ],
    },
  },
);
