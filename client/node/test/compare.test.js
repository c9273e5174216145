// SPDX-License-Identifier: MIT
'use strict'
// The CreateTable bodies that reach DynamoDB (the proxy's log) for one
// definition made through this client and through dyntablectl (libdyntable)
// are equal, but for the table name: GSI + LSI + PROVISIONED, and a model.
const { test } = require('node:test')
const assert = require('node:assert/strict')
const fs = require('node:fs')
const path = require('node:path')
const { execFileSync } = require('node:child_process')
const { DynamoDBClient, defineModel } = require('..')
const { daemon, need, uniq, requests } = require('./support')

function createTableBody (fullName) {
  const r = requests().filter((x) => /CreateTable$/.test(x.target) && x.body?.TableName === fullName)
  assert.equal(r.length, 1, `one CreateTable of ${fullName} in the log`)
  const { TableName, ...rest } = r[0].body
  return rest
}

test('GSI + LSI + PROVISIONED: the same CreateTable body as libdyntable', async (t) => {
  const socket = daemon(t)
  if (!socket) return
  const ctl = need('DYNTABLE_TEST_CTL')
  const [nsNode, nsCtl] = [uniq('node'), uniq('ctl')]
  const c = new DynamoDBClient({ socket, namespace: nsNode })
  t.after(() => c.close())
  await c.createTable('orders', {
    partitionKey: ['pk', 'S'],
    sortKey: ['sk', 'N'],
    billingMode: 'PROVISIONED',
    readCapacity: 7,
    writeCapacity: 3,
    globalSecondaryIndexes: [
      { name: 'by-email', partitionKey: ['email', 'S'], sortKey: ['created', 'N'], projection: ['name', 'age'] },
      { name: 'by-status', partitionKey: ['status', 'S'], projection: 'KEYS_ONLY', readCapacity: 2, writeCapacity: 1 }
    ],
    localSecondaryIndexes: [{ name: 'by-created', sortKey: ['created', 'N'], projection: 'KEYS_ONLY' }],
    tableClass: 'STANDARD_INFREQUENT_ACCESS',
    stream: 'NEW_AND_OLD_IMAGES',
    tags: { team: 'web', env: '' },
    wait: true
  })
  execFileSync(ctl, ['--socket', socket, '--namespace', nsCtl, 'create', 'orders', '--pk', 'pk:S', '--sk', 'sk:N',
    '--billing-mode', 'PROVISIONED', '--rcu', '7', '--wcu', '3',
    '--gsi', 'name=by-email,pk=email:S,sk=created:N,projection=INCLUDE:name+age',
    '--gsi', 'name=by-status,pk=status:S,projection=KEYS_ONLY,rcu=2,wcu=1',
    '--lsi', 'name=by-created,sk=created:N,projection=KEYS_ONLY',
    '--table-class', 'STANDARD_INFREQUENT_ACCESS', '--stream', 'NEW_AND_OLD_IMAGES',
    '--tag', 'team=web', '--tag', 'env=', '--wait'], { stdio: ['ignore', 'ignore', 'inherit'] })
  const body = createTableBody(`${nsNode}.orders`)
  assert.deepEqual(body, createTableBody(`${nsCtl}.orders`))
  assert.equal(body.GlobalSecondaryIndexes.length, 2)
  assert.equal(body.LocalSecondaryIndexes.length, 1)
  assert.deepEqual(body.GlobalSecondaryIndexes[0].ProvisionedThroughput, { ReadCapacityUnits: 7, WriteCapacityUnits: 3 })
})

test('a model: the same CreateTable body as dyntablectl create --model', async (t) => {
  const socket = daemon(t)
  if (!socket) return
  const ctl = need('DYNTABLE_TEST_CTL')
  const [nsNode, nsCtl] = [uniq('mnode'), uniq('mctl')]
  const decl = {
    table: 'users',
    attributes: { pk: 'S', sk: 'N', email: 'S', created: 'N', country: 'S', city: 'S', name: 'S' },
    partition_key: 'pk',
    sort_key: 'sk',
    indexes: [
      { name: 'by-email', type: 'global', partition_key: 'email', sort_key: 'created', projection: 'ALL' },
      { name: 'by-created', type: 'local', sort_key: 'created', projection: ['email', 'name'] },
      { name: 'by-place', type: 'global', partition_key: 'country', sort_key: 'city', projection: 'KEYS_ONLY', read_capacity: 2, write_capacity: 1 }
    ]
  }
  const file = path.join(need('DYNTABLE_TEST_DIR'), `${nsCtl}.json`)
  fs.writeFileSync(file, JSON.stringify(decl))
  const c = new DynamoDBClient({ socket, namespace: nsNode })
  t.after(() => c.close())
  await defineModel(decl).createTable(c, { billingMode: 'PROVISIONED', encryption: 'AWS_MANAGED', deletionProtection: true })
  execFileSync(ctl, ['--socket', socket, '--namespace', nsCtl, 'create', '--model', file,
    '--billing-mode', 'PROVISIONED', '--encryption', 'AWS_MANAGED', '--deletion-protection'], { stdio: ['ignore', 'ignore', 'inherit'] })
  assert.deepEqual(createTableBody(`${nsNode}.users`), createTableBody(`${nsCtl}.users`))
})
