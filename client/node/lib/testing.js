// SPDX-License-Identifier: MIT
'use strict'
// The core of the test-runner helpers (Jest, Vitest, node:test): a run's
// tables, declared once in a config file, created ephemeral in one
// namespace per worker so that parallel workers and parallel runs never
// share a table. A run holds one daemon session: when its process dies,
// even by SIGKILL, the daemon deletes the tables after its grace period.
const fs = require('node:fs')
const path = require('node:path')
const crypto = require('node:crypto')
const { DynamoDBClient } = require('./client')
const { modelInput } = require('./definition')

const CONFIG_NAMES = ['dyntable.config.cjs', 'dyntable.config.js', 'dyntable.config.json']

// Loads { tables: [...] } from $DYNTABLE_CONFIG or dyntable.config.* in dir.
// A table is a CreateTableInput (has TableName), a model (docs/MODEL.md:
// has attributes), or the path of a JSON file holding either.
function loadConfig (dir = process.cwd()) {
  const file = process.env.DYNTABLE_CONFIG
    ? path.resolve(dir, process.env.DYNTABLE_CONFIG)
    : CONFIG_NAMES.map((n) => path.join(dir, n)).find((f) => fs.existsSync(f))
  if (!file) throw new Error(`dyntable: no ${CONFIG_NAMES.join(' / ')} in ${dir}, and DYNTABLE_CONFIG is not set`)
  const cfg = require(file)
  const tables = (cfg.tables ?? []).map((t) => typeof t === 'string' ? JSON.parse(fs.readFileSync(path.resolve(path.dirname(file), t), 'utf8')) : t)
  return { ...cfg, tables, file }
}

// The CreateTableInput of a declared table.
function tableInput (t) {
  return t.attributes ? modelInput(t) : t
}

// A run's namespace prefix: $DYNTABLE_RUN_ID, else $DYNTABLE_NAMESPACE (a
// CI job's) plus a random part. Namespaces are 1-64 of [a-zA-Z0-9_-].
function runPrefix () {
  if (process.env.DYNTABLE_RUN_ID) return process.env.DYNTABLE_RUN_ID
  const job = (process.env.DYNTABLE_NAMESPACE || 'run').slice(0, 40)
  return `${job}-${crypto.randomBytes(4).toString('hex')}`
}

const workerNamespace = (prefix, worker) => `${prefix}-w${worker}`

// DynamoDB's name of table `logical` in namespace ns.
const physicalName = (ns, logical) => `${ns}.${logical}`

// The tables of one namespace on one connection.
class TableSet {
  constructor (client, logicalNames) {
    this.client = client
    this.logical = logicalNames
  }

  get namespace () { return this.client.namespace }

  // { logical: physical } for the SDK's data calls.
  get names () {
    return Object.fromEntries(this.logical.map((n) => [n, physicalName(this.namespace, n)]))
  }

  // Connects (joining `session` when given) and creates every table
  // ephemeral, ACTIVE with its indexes, all at once.
  static async create ({ tables, namespace, socket, session, timeoutSeconds = 60, signal }) {
    const client = new DynamoDBClient({ socket, namespace, session, clientName: `dyntable-node testing ${namespace}` })
    try {
      const inputs = tables.map(tableInput)
      await Promise.all(inputs.map((input) =>
        client.createTableFromInput(input, { ephemeral: true, wait: true, timeoutSeconds, signal })))
      return new TableSet(client, inputs.map((i) => i.TableName))
    } catch (e) {
      await client.close()
      throw e
    }
  }

  // Deletes the tables (waiting until they are gone) and closes.
  async destroy ({ timeoutSeconds = 60 } = {}) {
    try {
      await Promise.all(this.logical.map((n) => this.client.deleteTable(n, { wait: true, timeoutSeconds })))
    } finally {
      await this.client.close()
    }
  }
}

// A run: one TableSet per worker 1..workers, all in one session.
async function setupRun ({ tables, workers = 1, prefix = runPrefix(), socket, timeoutSeconds }) {
  const first = await TableSet.create({ tables, namespace: workerNamespace(prefix, 1), socket, timeoutSeconds })
  const sets = [first]
  try {
    const rest = Array.from({ length: workers - 1 }, (_, i) => TableSet.create({
      tables, namespace: workerNamespace(prefix, i + 2), socket, session: first.client.session, timeoutSeconds
    }))
    const settled = await Promise.allSettled(rest)
    for (const s of settled) if (s.status === 'fulfilled') sets.push(s.value)
    const failed = settled.find((s) => s.status === 'rejected')
    if (failed) throw failed.reason
  } catch (e) {
    await teardownRun({ sets }).catch(() => {})
    throw e
  }
  return { prefix, workers, sets, logical: first.logical }
}

async function teardownRun (run) {
  // Every set's tables, then every connection; the session ends with the last.
  const results = await Promise.allSettled(run.sets.map((s) => s.destroy()))
  const failed = results.find((r) => r.status === 'rejected')
  if (failed) throw failed.reason
}

module.exports = { loadConfig, tableInput, runPrefix, workerNamespace, physicalName, TableSet, setupRun, teardownRun }
