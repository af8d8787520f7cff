import {defineConfig} from 'vitest/config';

export default defineConfig({
  test: {
    environment: 'node',
    include: ['test/**/*.test.{ts,tsx}'],
    setupFiles: ['test/setup.ts'],
    // One set of real test servers for the whole run (skipped where this machine cannot make them).
    globalSetup: ['test/harness/global-setup.ts'],
    restoreMocks: true,
    testTimeout: 20_000,
    hookTimeout: 600_000,
  },
});
