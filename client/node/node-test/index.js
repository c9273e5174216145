// SPDX-License-Identifier: MIT
'use strict'
// node:test: useTables() registers a before() that creates the tables of
// dyntable.config.* (or opts.tables) in a namespace of this process's own
// (node --test runs each file in its own process) and an after() that
// deletes them. The tables are ephemeral: a killed run loses them too.
const { before, after } = require('node:test')
const { loadConfig, setupRun, teardownRun, runPrefix } = require('../lib/testing')

function useTables ({ tables, dir, socket, timeoutSeconds } = {}) {
  let run = null
  const state = {
    get names () {
      if (!run) throw new Error('dyntable: the tables exist only from before() on')
      return run.sets[0].names
    },
    tableName (logical) {
      const n = state.names[logical]
      if (!n) throw new Error(`dyntable: no table '${logical}'`)
      return n
    }
  }
  before(async () => {
    const list = tables ?? loadConfig(dir).tables
    run = await setupRun({ tables: list, workers: 1, prefix: `${runPrefix()}-p${process.pid}`, socket, timeoutSeconds })
  })
  after(async () => { if (run) await teardownRun(run) })
  return state
}

module.exports = { useTables }
