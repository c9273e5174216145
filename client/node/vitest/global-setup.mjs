// SPDX-License-Identifier: MIT
// Vitest globalSetup: the tables of dyntable.config.* (in the project's
// root) once per worker (1..maxWorkers), ephemeral, ACTIVE, before the
// tests; the `tables` fixture of dyntable/vitest gives a test its worker's.
import { createRequire } from 'node:module'
import os from 'node:os'
const require = createRequire(import.meta.url)
const { loadConfig, setupRun, teardownRun } = require('../lib/testing.js')

export default async function setup (project) {
  const config = project.config ?? {}
  const cfg = loadConfig(config.root)
  const workers = Math.max(1, Number(project.globalConfig?.maxWorkers ?? config.maxWorkers ?? os.availableParallelism()))
  const run = await setupRun({ tables: cfg.tables, workers, socket: cfg.socket })
  project.provide('dyntable', { prefix: run.prefix, workers: run.workers, logical: run.logical })
  return () => teardownRun(run)
}
