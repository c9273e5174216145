// SPDX-License-Identifier: MIT
'use strict'
// Every operation against the real daemon and dynalite (tests/e2e/harness.sh).
const { test } = require('node:test')
const assert = require('node:assert/strict')
const { DynamoDBClient, defineModel, NotFoundError, InUseError, InvalidError } = require('..')
const { daemon, uniq } = require('./support')

test('every operation, in a namespace', async (t) => {
  const socket = daemon(t)
  if (!socket) return
  const ns = uniq('ops')
  const c = new DynamoDBClient({ socket, namespace: ns })
  t.after(() => c.close())

  const created = await c.createTable('users', {
    partitionKey: ['pk', 'S'],
    sortKey: ['sk', 'N'],
    globalSecondaryIndexes: [{ name: 'by-email', partitionKey: ['email', 'S'], projection: 'KEYS_ONLY' }],
    tags: { team: 'web' },
    wait: true,
    timeoutSeconds: 30
  })
  assert.equal(created.TableName, 'users', 'the namespace is stripped')
  assert.equal(created.TableStatus, 'ACTIVE')
  assert.equal(created.GlobalSecondaryIndexes[0].IndexStatus, 'ACTIVE', 'wait means the GSIs too')
  assert.match(c.session, /^[0-9a-f]{32}$/)
  assert.equal(c.resumed, false)
  assert.match(c.server, /^dyntabled /)

  assert.equal(await c.tableExists('users'), true)
  assert.equal(await c.tableExists('nobody'), false)
  const d = await c.describeTable('users')
  assert.equal(d.TableName, 'users')
  assert.deepEqual(d.KeySchema, [{ AttributeName: 'pk', KeyType: 'HASH' }, { AttributeName: 'sk', KeyType: 'RANGE' }])
  assert.equal(d.BillingMode ?? d.BillingModeSummary?.BillingMode, 'PAY_PER_REQUEST')
  assert.match(d.TableArn, new RegExp(`table/${ns}\\.users$`), 'ARNs keep DynamoDB\'s name')

  assert.deepEqual(await c.listTables(), ['users'])
  assert.ok((await c.listTables({ all: true })).includes(`${ns}.users`))

  // Created without a wait, then waited for; waits run in the daemon.
  // Without BillingMode a CreateTableInput means PROVISIONED, as to
  // DynamoDB: refused without capacities, provisioned with them.
  const bare = {
    TableName: 'orders',
    AttributeDefinitions: [{ AttributeName: 'id', AttributeType: 'S' }],
    KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }]
  }
  await assert.rejects(c.createTableFromInput(bare), InvalidError)
  const input = JSON.stringify({ ...bare, ProvisionedThroughput: { ReadCapacityUnits: 1, WriteCapacityUnits: 1 } })
  const o = await c.createTableFromInput(input)
  assert.equal(o.BillingModeSummary?.BillingMode ?? 'PROVISIONED', 'PROVISIONED')
  assert.equal(o.TableStatus, 'CREATING', 'the proxy keeps tables CREATING for a while')
  assert.equal((await c.waitForTableActive('orders', { timeoutSeconds: 30 })).TableStatus, 'ACTIVE')
  await assert.rejects(c.createTableFromInput(JSON.parse(input)), InUseError)

  const del = await c.deleteTable('orders')
  assert.equal(del.TableName, 'orders')
  await c.waitForTableDeleted('orders', { timeoutSeconds: 30 })
  assert.equal(await c.tableExists('orders'), false)
  await c.deleteTable('users', { wait: true, timeoutSeconds: 30 })
  await assert.rejects(c.describeTable('users'), NotFoundError)
  assert.deepEqual(await c.listTables(), [])
})

test('the model helper: create, exists, delete', async (t) => {
  const socket = daemon(t)
  if (!socket) return
  const c = new DynamoDBClient({ socket, namespace: uniq('model') })
  t.after(() => c.close())
  const Users = defineModel({
    table: 'users',
    attributes: { pk: 'S', sk: 'N', email: 'S', created: 'N', name: 'S' },
    partition_key: 'pk',
    sort_key: 'sk',
    indexes: [
      { name: 'by-email', type: 'global', partition_key: 'email', sort_key: 'created' },
      { name: 'by-created', type: 'local', sort_key: 'created', projection: ['email', 'name'] }
    ]
  })
  assert.equal(await Users.tableExists(c), false)
  const tbl = await Users.createTable(c, { wait: true })
  assert.equal(tbl.TableStatus, 'ACTIVE')
  assert.equal(tbl.LocalSecondaryIndexes[0].Projection.ProjectionType, 'INCLUDE')
  assert.deepEqual(tbl.AttributeDefinitions.map((a) => a.AttributeName).sort(), ['created', 'email', 'pk', 'sk'])
  assert.equal(await Users.tableExists(c), true)
  await Users.deleteTable(c, { wait: true })
  assert.equal(await Users.tableExists(c), false)
})

test('500 concurrent calls on one client; answers matched by id; list_tables past one page', async (t) => {
  const socket = daemon(t)
  if (!socket) return
  const c = new DynamoDBClient({ socket, namespace: uniq('many') })
  t.after(() => c.close())
  const hello = await c.connect()
  assert.ok(hello.max_inflight < 500, `the daemon allows ${hello.max_inflight} in flight: the client must queue the rest`)
  const names = Array.from({ length: 105 }, (_, i) => `t${String(i).padStart(3, '0')}`)
  const created = await Promise.all(names.map((n) => c.createTable(n, { partitionKey: ['k', 'S'], ephemeral: true })))
  assert.deepEqual(created.map((x) => x.TableName), names)

  const calls = Array.from({ length: 500 }, (_, i) => {
    const n = names[i % names.length]
    if (i % 3 === 0) return c.describeTable(n).then((d) => [n, d.TableName])
    if (i % 3 === 1) return c.tableExists(i % 2 ? n : `${n}-none`).then((e) => [e, !!(i % 2)])
    return c.waitForTableActive(n, { timeoutSeconds: 30 }).then((d) => [n, d.TableName])
  })
  for (const [got, want] of await Promise.all(calls)) assert.equal(got, want)
  const listed = await c.listTables()
  assert.deepEqual([...listed].sort(), names, '105 tables: more than one ListTables page')
  await Promise.all(names.map((n) => c.deleteTable(n)))
})

test('abort: mid-wait, queued, and before the call; the connection stays usable', async (t) => {
  const socket = daemon(t)
  if (!socket) return
  const c = new DynamoDBClient({ socket, namespace: uniq('abort') })
  t.after(() => c.close())
  const ac = new AbortController()
  const started = Date.now()
  const waiting = c.waitForTableActive('never-created', { timeoutSeconds: 60, signal: ac.signal })
  const other = c.waitForTableActive('never-either', { timeoutSeconds: 2 })
  setTimeout(() => ac.abort(), 300)
  await assert.rejects(waiting, { name: 'AbortError' })
  assert.ok(Date.now() - started < 5000, 'the abort ended the wait at once')
  // Other calls on the same connection go on, before and after the abort.
  assert.equal(await c.tableExists('never-created'), false)
  await assert.rejects(other, { code: 'TIMEOUT' })
  const reason = new Error('changed my mind')
  await assert.rejects(c.describeTable('x', { signal: AbortSignal.abort(reason) }), reason)
  // Aborts mid-flight on many calls at once; none breaks the connection.
  const many = Array.from({ length: 50 }, (_, i) => {
    const a = new AbortController()
    const p = c.waitForTableActive(`wait${i}`, { timeoutSeconds: 60, signal: a.signal })
    setTimeout(() => a.abort(), 50 + i)
    return assert.rejects(p, { name: 'AbortError' })
  })
  await Promise.all(many)
  assert.deepEqual(await c.listTables(), [])
})

test('sessions: a second client joins the session; ephemeral tables outlive a closed connection within the grace', async (t) => {
  const socket = daemon(t)
  if (!socket) return
  const ns = uniq('sess')
  const a = new DynamoDBClient({ socket, namespace: ns })
  await a.createTable('eph', { partitionKey: ['k', 'S'], ephemeral: true, wait: true })
  const b = new DynamoDBClient({ socket, namespace: ns, session: a.session })
  t.after(() => b.close())
  await b.connect()
  assert.equal(b.resumed, true)
  assert.equal(b.session, a.session)
  await a.close()
  assert.equal(await b.tableExists('eph'), true, 'the session lives on through b')
  await b.deleteTable('eph', { wait: true })
})

test('protocol 1.2: update_table, TTL, tags (dynalite)', async (t) => {
  const socket = daemon(t)
  if (!socket) return
  const c = new DynamoDBClient({ socket, namespace: uniq('upd') })
  t.after(() => c.close())
  await c.createTable('tbl', { partitionKey: ['pk', 'S'], billingMode: 'PROVISIONED', readCapacity: 1, writeCapacity: 1, wait: true, timeoutSeconds: 30 })
  const d = await c.updateTable('tbl', { TableName: 'tbl', ProvisionedThroughput: { ReadCapacityUnits: 6, WriteCapacityUnits: 2 } }, { wait: true, timeoutSeconds: 30 })
  assert.equal(d.TableStatus, 'ACTIVE')
  assert.equal(d.ProvisionedThroughput.ReadCapacityUnits, 6)
  await assert.rejects(c.updateTable('tbl', {}), /nothing to update/)
  await assert.rejects(c.updateTable('tbl', { TableName: 'x', TableClass: 'STANDARD' }), /not the table updated/)
  await c.tagResource('tbl', { team: 'node', env: 'ci' })
  await c.untagResource('tbl', ['env'])
  assert.deepEqual(await c.listTagsOfResource('tbl'), { team: 'node' })
  assert.equal((await c.describeTimeToLive('tbl')).TimeToLiveStatus, 'DISABLED')
  await assert.rejects(c.updateContinuousBackups('tbl', { enabled: true, recoveryPeriodDays: 36 }), /RecoveryPeriodInDays/)
  await c.deleteTable('tbl', { wait: true, timeoutSeconds: 30 })
})

// Counted requests of op and outcome in the metrics text (0: none yet).
function counted (text, op, outcome) {
  const m = text.match(new RegExp(`^dyntabled_requests_total\\{op="${op}",outcome="${outcome}"\\} (\\d+)$`, 'm'))
  return m ? Number(m[1]) : 0
}

test('metrics: the admin verb (tests run as root); its counters follow the calls', async (t) => {
  const socket = daemon(t)
  if (!socket) return
  const c = new DynamoDBClient({ socket, namespace: uniq('met') })
  t.after(() => c.close())
  const before = await c.metrics()
  assert.match(before.content_type, /^application\/openmetrics-text; version=1\.0\.0/)
  assert.match(before.text, /^# TYPE dyntabled_request_duration_seconds histogram$/m)
  assert.ok(before.text.endsWith('# EOF\n'), 'OpenMetrics ends with # EOF')
  for (let i = 0; i < 2; i++) await assert.rejects(c.describeTable(uniq('none')), NotFoundError)
  const after = (await c.metrics()).text
  // Only this test asks for metrics: exactly one more; the other files of
  // the run may describe missing tables meanwhile: at least two more.
  assert.equal(counted(after, 'metrics', 'OK'), counted(before.text, 'metrics', 'OK') + 1)
  assert.ok(counted(after, 'describe_table', 'NOT_FOUND') >= counted(before.text, 'describe_table', 'NOT_FOUND') + 2)
})
