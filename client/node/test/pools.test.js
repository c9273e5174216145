// SPDX-License-Identifier: MIT
'use strict'
// truncateTable, leaseTable, releaseTable, pools against the real daemon and
// dynalite (tests/e2e/harness.sh); items written and counted straight in
// dynalite, which checks that a signature is there, not that it is right.
const { test } = require('node:test')
const assert = require('node:assert/strict')
const { DynamoDBClient, NotFoundError } = require('..')
const { daemon, need, requests, uniq } = require('./support')

async function direct (op, body) {
  const res = await fetch(need('DYNTABLE_TEST_DYNALITE_URL'), {
    method: 'POST',
    headers: {
      'X-Amz-Target': `DynamoDB_20120810.${op}`,
      'Content-Type': 'application/x-amz-json-1.0',
      'X-Amz-Date': '20250101T000000Z',
      Authorization: 'AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20250101/us-east-1/dynamodb/aws4_request, ' +
        'SignedHeaders=host;x-amz-date;x-amz-target, Signature=00'
    },
    body: JSON.stringify(body)
  })
  assert.equal(res.status, 200, `${op}: HTTP ${res.status}`)
  return res.json()
}

async function fill (table, n) {
  for (let i = 0; i < n; i += 25) {
    const reqs = []
    for (let j = i; j < Math.min(n, i + 25); j++) reqs.push({ PutRequest: { Item: { pk: { S: `k${j}` } } } })
    await direct('BatchWriteItem', { RequestItems: { [table]: reqs } })
  }
}

const count = async (table) => (await direct('Scan', { TableName: table, Select: 'COUNT' })).Count

test('truncateTable', async (t) => {
  const socket = daemon(t)
  if (!socket) return
  const c = new DynamoDBClient({ socket, namespace: '' })
  t.after(() => c.close())
  const name = uniq('tr')
  await c.createTable(name, { partitionKey: ['pk', 'S'], wait: true })
  await fill(name, 40)
  const r = await c.truncateTable(name)
  assert.equal(r.deleted, 40)
  assert.equal(typeof r.elapsedMs, 'number')
  assert.equal(await count(name), 0)
  assert.ok(requests().some((e) => e.target.endsWith('.BatchWriteItem') && e.body.RequestItems[name]))
  await assert.rejects(c.truncateTable(uniq('missing')), NotFoundError)
  await c.deleteTable(name)
})

test('leaseTable, releaseTable, pools', async (t) => {
  const socket = daemon(t)
  if (!socket) return
  const c = new DynamoDBClient({ socket, namespace: uniq('ns') })
  t.after(() => c.close())
  const opts = { partitionKey: ['pk', 'S'], globalSecondaryIndexes: [{ name: 'by-g', partitionKey: ['g', 'S'] }] }
  const lease = await c.leaseTable(opts, { name: 'mine', timeoutSeconds: 60 })
  assert.match(lease.tableName, /^dyntable-pool-/)
  assert.equal(lease.name, 'mine')
  assert.equal(lease.table.TableStatus, 'ACTIVE')
  assert.equal((await c.describeTable('mine')).TableName, lease.tableName, 'the logical name stands for it')
  await fill(lease.tableName, 10)
  assert.ok((await c.pools()).leased >= 1)
  assert.equal(await c.releaseTable('mine'), lease.tableName)
  await assert.rejects(c.releaseTable('mine'), NotFoundError)
  // From the learnt pool, empty, by a CreateTableInput written otherwise.
  const again = await c.leaseTable(JSON.stringify({
    KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
    AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }, { AttributeName: 'g', AttributeType: 'S' }],
    GlobalSecondaryIndexes: [{ IndexName: 'by-g', KeySchema: [{ AttributeName: 'g', KeyType: 'HASH' }], Projection: { ProjectionType: 'ALL' } }],
    BillingMode: 'PAY_PER_REQUEST'
  }), { pooledOnly: true, name: 'again', timeoutSeconds: 60 })
  assert.equal(await count(again.tableName), 0)
  await c.releaseTable('again')
  await assert.rejects(c.leaseTable({ partitionKey: ['zz', 'N'] }, { pooledOnly: true }), NotFoundError)
})
