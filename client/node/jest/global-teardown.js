// SPDX-License-Identifier: MIT
'use strict'
// Jest globalTeardown: deletes the run's tables and ends its session.
const { teardownRun } = require('../lib/testing')

module.exports = async function dyntableGlobalTeardown () {
  const run = globalThis.__dyntableRun
  if (!run) return
  globalThis.__dyntableRun = undefined
  await teardownRun(run)
}
