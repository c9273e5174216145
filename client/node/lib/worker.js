// SPDX-License-Identifier: MIT
'use strict'
// In a test worker: the physical names of the run's tables for this
// worker, from what the global set-up passed on (the environment for Jest,
// provide/inject for Vitest). Pure: no connection to the daemon needed.
const { workerNamespace, physicalName } = require('./testing')

function fromEnv () {
  const prefix = process.env.DYNTABLE_TEST_PREFIX
  if (!prefix) throw new Error('dyntable: no tables: is the global set-up configured (Jest preset "dyntable", or dyntable/vitest/global-setup)?')
  return { prefix, workers: Number(process.env.DYNTABLE_TEST_WORKERS), logical: JSON.parse(process.env.DYNTABLE_TEST_TABLES) }
}

function workerTables (workerId, run = fromEnv()) {
  const id = Number(workerId)
  if (!(id >= 1 && id <= run.workers)) throw new Error(`dyntable: worker ${workerId} has no tables (the set-up made them for workers 1..${run.workers})`)
  const ns = workerNamespace(run.prefix, id)
  return Object.fromEntries(run.logical.map((n) => [n, physicalName(ns, n)]))
}

module.exports = { workerTables }
