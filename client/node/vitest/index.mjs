// SPDX-License-Identifier: MIT
// Vitest: `test` with a `tables` fixture ({ logical: physical } for this
// worker, picked by VITEST_POOL_ID), and the fixture alone for your own
// test.extend.
import { test as base, inject } from 'vitest'
import { createRequire } from 'node:module'
const require = createRequire(import.meta.url)
const { workerTables } = require('../lib/worker.js')

export const tablesFixture = async ({}, use) => { // eslint-disable-line no-empty-pattern
  await use(workerTables(process.env.VITEST_POOL_ID || '1', inject('dyntable')))
}
export const test = base.extend({ tables: tablesFixture })
