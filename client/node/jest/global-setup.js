// SPDX-License-Identifier: MIT
'use strict'
// Jest globalSetup: creates the tables of dyntable.config.* (in the
// project's rootDir) once per worker (1..maxWorkers), ephemeral, ACTIVE,
// before any test starts. Workers learn the names through the environment
// (globalSetup runs in Jest's parent process, before the workers start).
const { loadConfig, setupRun } = require('../lib/testing')

module.exports = async function dyntableGlobalSetup (globalConfig, projectConfig) {
  const cfg = loadConfig(projectConfig?.rootDir ?? globalConfig.rootDir)
  const run = await setupRun({ tables: cfg.tables, workers: Math.max(1, globalConfig.maxWorkers || 1), socket: cfg.socket })
  globalThis.__dyntableRun = run // read by globalTeardown, same process
  process.env.DYNTABLE_TEST_PREFIX = run.prefix
  process.env.DYNTABLE_TEST_WORKERS = String(run.workers)
  process.env.DYNTABLE_TEST_TABLES = JSON.stringify(run.logical)
}
