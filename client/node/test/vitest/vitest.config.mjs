// SPDX-License-Identifier: MIT
import { defineConfig } from 'vitest/config'

export default defineConfig({
  test: {
    globalSetup: ['dyntable/vitest/global-setup'],
    include: ['test/**/*.test.mjs'],
    maxWorkers: 2
  }
})
