// ESLint flat config. The pure core (src/core) may not import frameworks, databases or the file
// system, and may not read the wall clock: time is passed in.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'data/**', 'coverage/**', 'bin/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: {
      globals: {
        process: 'readonly',
        console: 'readonly',
        setImmediate: 'readonly',
        setTimeout: 'readonly',
        URL: 'readonly',
      },
    },
    rules: {
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_' },
      ],
    },
  },
  {
    // The web interface: plain ES modules run by the browser.
    files: ['web/**/*.js'],
    languageOptions: {
      globals: Object.fromEntries(
        [
          'window',
          'document',
          'location',
          'history',
          'sessionStorage',
          'fetch',
          'crypto',
          'Node',
          'Blob',
          'URL',
          'URLSearchParams',
          'Intl',
          'setTimeout',
        ].map((name) => [name, 'readonly']),
      ),
    },
  },
  {
    files: ['src/core/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            { group: ['@nestjs/*'], message: 'The core is pure: no NestJS.' },
            {
              group: ['typeorm', 'pg', 'better-sqlite3'],
              message: 'The core is pure: no database.',
            },
            {
              group: ['node:fs', 'fs', 'node:fs/*', 'fs/*', 'express', 'node:http'],
              message: 'The core is pure: no I/O.',
            },
          ],
        },
      ],
      'no-restricted-syntax': [
        'error',
        {
          selector: "NewExpression[callee.name='Date'][arguments.length=0]",
          message: 'Time is passed in: no new Date() in the core.',
        },
        {
          selector: "CallExpression[callee.object.name='Date'][callee.property.name='now']",
          message: 'Time is passed in: no Date.now() in the core.',
        },
        {
          selector: "CallExpression[callee.name='setTimeout']",
          message: 'Deadlines are rows, not timers.',
        },
      ],
    },
  },
);
