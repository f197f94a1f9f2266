import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.{ts,tsx}'],
    // Worker threads start from dist/ (rebuilt first if a source is newer): see the file.
    globalSetup: ['test/setup/built-workers.ts'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    // Stress tests start many threads: on a 2-core machine, running test files one after
    // another keeps their timing-sensitive checks honest.
    fileParallelism: false,
  },
});
