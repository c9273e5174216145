// SPDX-License-Identifier: MIT
'use strict'
// In a Jest test file: this worker's tables (JEST_WORKER_ID picks the
// namespace). tableName('users') is e.g. "run-1a2b3c4d-w3.users".
const { workerTables } = require('../lib/worker')

const tables = () => workerTables(process.env.JEST_WORKER_ID || '1')
function tableName (logical) {
  const t = tables()
  if (!Object.hasOwn(t, logical)) throw new Error(`dyntable: no table '${logical}' in dyntable.config (has ${Object.keys(t).join(', ')})`)
  return t[logical]
}

module.exports = { tables, tableName }
