// @ts-check
import eslint from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/', 'node_modules/', 'models/', 'coverage/', 'jest.config.js'] },
  eslint.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  {
    // Plugins reach the server only through the SDK: they must stay free of HTTP and Nest code.
    files: ['plugins/**/*.ts'],
    ignores: ['plugins/sdk/**'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [{ group: ['**/src/**', '@nestjs/*', 'express'], message: 'Plugins import only from plugins/sdk.' }] }],
    },
  },
  {
    // The HTTP layer never imports a plugin; it goes through the engine's registry.
    files: ['src/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [{ group: ['**/plugins/*', '!**/plugins/sdk'], message: 'src/ reaches plugins only through the engine registry.' }] }],
    },
  },
);
