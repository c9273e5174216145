// SPDX-License-Identifier: MIT
'use strict'
// The test-runner core and the node:test helper: ten runs at once never
// collide; useTables() gives this file tables of its own.
const { test, describe } = require('node:test')
const assert = require('node:assert/strict')
const { DynamoDBClient } = require('..')
const { setupRun, teardownRun } = require('../lib/testing')
const { useTables } = require('../node-test')
const { workerTables } = require('../lib/worker')

const tables = [
  { table: 'users', attributes: { pk: 'S', email: 'S' }, partition_key: 'pk', indexes: [{ name: 'by-email', type: 'global', partition_key: 'email' }] },
  { TableName: 'orders', AttributeDefinitions: [{ AttributeName: 'id', AttributeType: 'S' }], KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }], BillingMode: 'PAY_PER_REQUEST' }
]

test('ten runs of 4 workers at once, same logical names: 80 distinct tables, all ACTIVE; none left after', async (t) => {
  if (!process.env.DYNTABLE_SOCKET) {
    if (process.env.DYNTABLE_NODE_E2E === '1') throw new Error('DYNTABLE_SOCKET is not set')
    return t.skip('no daemon: run under tests/e2e/harness.sh')
  }
  const runs = await Promise.all(Array.from({ length: 10 }, () => setupRun({ tables, workers: 4 })))
  const admin = new DynamoDBClient({ namespace: '' })
  t.after(() => admin.close())
  const names = runs.flatMap((r) => [1, 2, 3, 4].flatMap((w) =>
    Object.values(workerTables(w, { prefix: r.prefix, workers: r.workers, logical: r.logical }))))
  assert.equal(new Set(names).size, 80)
  const all = new Set(await admin.listTables({ all: true }))
  for (const n of names) assert.ok(all.has(n), `${n} exists`)
  for (const n of names.slice(0, 8)) assert.equal((await admin.describeTable(n)).TableStatus, 'ACTIVE')
  await Promise.all(runs.map(teardownRun))
  const after = new Set(await admin.listTables({ all: true }))
  assert.deepEqual(names.filter((n) => after.has(n)), [])
})

describe('node:test helper', { skip: !process.env.DYNTABLE_SOCKET && 'no daemon: run under tests/e2e/harness.sh' }, () => {
  const t = useTables({ tables })
  test('before() made this file\'s tables, ACTIVE, in a namespace of its own', async () => {
    assert.match(t.tableName('users'), new RegExp(`-p${process.pid}-w1\\.users$`))
    const c = new DynamoDBClient({ namespace: '' })
    try {
      const d = await c.describeTable(t.tableName('users'))
      assert.equal(d.TableStatus, 'ACTIVE')
      assert.equal(d.GlobalSecondaryIndexes[0].IndexStatus, 'ACTIVE')
      assert.equal(await c.tableExists(t.names.orders), true)
    } finally {
      await c.close()
    }
  })
})
