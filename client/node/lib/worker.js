'use strict'
// In a test worker: the physical names of the run's tables for this
// worker, from what the global set-up put in the environment. Pure: no
// connection to the daemon is needed to use the tables.
const { workerNamespace, physicalName } = require('./testing')

function workerTables (workerId) {
  const prefix = process.env.DYNTABLE_TEST_PREFIX
  if (!prefix) throw new Error('dyntable: no tables: is the global set-up configured (Jest preset "dyntable", or dyntable/vitest/global-setup)?')
  const id = Number(workerId)
  const workers = Number(process.env.DYNTABLE_TEST_WORKERS)
  if (!(id >= 1 && id <= workers)) throw new Error(`dyntable: worker ${workerId} has no tables (the set-up made them for workers 1..${workers})`)
  const ns = workerNamespace(prefix, id)
  return Object.fromEntries(JSON.parse(process.env.DYNTABLE_TEST_TABLES).map((n) => [n, physicalName(ns, n)]))
}

module.exports = { workerTables }
