import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import reactHooks from 'eslint-plugin-react-hooks';
import globals from 'globals';

export default tseslint.config(
  {ignores: ['dist/**', 'node_modules/**', 'coverage/**']},
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.{ts,tsx}'],
    languageOptions: {globals: {...globals.node}},
    plugins: {'react-hooks': reactHooks},
    rules: {
      ...reactHooks.configs.recommended.rules,
      'no-console': 'error',
      eqeqeq: ['error', 'always', {null: 'ignore'}],
      'prefer-const': 'error',
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': ['error', {argsIgnorePattern: '^_', varsIgnorePattern: '^_'}],
    },
  },
  {
    // Logic stays out of Ink: nothing outside source/ui and the CLI entry may import ink or react.
    files: ['source/**/*.ts'],
    ignores: ['source/ui/**'],
    rules: {
      'no-restricted-imports': ['error', {paths: ['ink', 'react', 'ink-select-input']}],
    },
  },
  {
    files: ['test/**/*.{ts,tsx,mjs}'],
    languageOptions: {globals: {...globals.node}},
    rules: {'no-console': 'off'},
  },
);
