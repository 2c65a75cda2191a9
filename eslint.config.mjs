import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import prettier from 'eslint-config-prettier';

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'coverage/**', '*.js', '*.mjs'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  prettier,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  {
    // The domain is pure: no framework, database, rxjs or clock-bearing infrastructure imports.
    files: ['src/domain/**/*.ts'],
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            { group: ['@nestjs/*', 'rxjs', 'rxjs/*', 'better-sqlite3', '@eventstore/*', 'fastify', 'node:*', 'fs', 'path'], message: 'src/domain must stay pure (DESIGN.md).' },
            { group: ['../event-store/*', '../http/*', '../application/*', '../read-model/*', '../config/*'], message: 'src/domain must not depend on outer layers.' },
          ],
        },
      ],
    },
  },
);
