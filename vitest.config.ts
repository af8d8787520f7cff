import {defineConfig} from 'vitest/config';

export default defineConfig({
  test: {
    environment: 'node',
    include: ['test/**/*.test.{ts,tsx}'],
    setupFiles: ['test/setup.ts'],
    restoreMocks: true,
    testTimeout: 20_000,
    hookTimeout: 600_000,
    // Integration tests share one set of real test servers; they run in one worker, in order.
    fileParallelism: true,
  },
});
