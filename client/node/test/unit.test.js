// SPDX-License-Identifier: MIT
'use strict'
// Pure pieces: definitions shaped into CreateTableInput, error classes.
const { test } = require('node:test')
const assert = require('node:assert/strict')
const dyntable = require('..')
const { createTableInput, defineModel, InvalidError, DyntableError } = dyntable
const { fromReply, CODES } = require('../lib/errors')

test('defaults are libdyntable\'s: on demand, no SSE, no class, nothing else', () => {
  assert.deepEqual(createTableInput('users', { partitionKey: ['pk', 'string'] }), {
    AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
    TableName: 'users',
    KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
    BillingMode: 'PAY_PER_REQUEST'
  })
})

test('PROVISIONED: 5/5 unless given; each GSI gets the table\'s unless it sets its own', () => {
  const t = createTableInput('t', {
    partitionKey: ['pk', 'S'],
    billingMode: 'PROVISIONED',
    readCapacity: 7,
    globalSecondaryIndexes: [
      { name: 'a', partitionKey: ['x', 'N'] },
      { name: 'b', partitionKey: [['y', 'S'], ['z', 'B']], sortKey: ['x', 'N'], writeCapacity: 2, projection: ['q'] }
    ]
  })
  assert.deepEqual(t.ProvisionedThroughput, { ReadCapacityUnits: 7, WriteCapacityUnits: 5 })
  assert.deepEqual(t.GlobalSecondaryIndexes.map((g) => g.ProvisionedThroughput),
    [{ ReadCapacityUnits: 7, WriteCapacityUnits: 5 }, { ReadCapacityUnits: 7, WriteCapacityUnits: 2 }])
  assert.deepEqual(t.GlobalSecondaryIndexes[1].KeySchema.map((k) => k.KeyType), ['HASH', 'HASH', 'RANGE'])
  assert.deepEqual(t.GlobalSecondaryIndexes[1].Projection, { ProjectionType: 'INCLUDE', NonKeyAttributes: ['q'] })
  assert.deepEqual(t.AttributeDefinitions.map((a) => a.AttributeName), ['pk', 'x', 'y', 'z'])
})

test('encryption: AWS_OWNED sends nothing; AWS_MANAGED and CUSTOMER_MANAGED send KMS', () => {
  const base = { partitionKey: ['pk', 'S'] }
  assert.equal(createTableInput('t', { ...base, encryption: 'AWS_OWNED' }).SSESpecification, undefined)
  assert.deepEqual(createTableInput('t', { ...base, encryption: 'AWS_MANAGED' }).SSESpecification, { Enabled: true, SSEType: 'KMS' })
  assert.deepEqual(createTableInput('t', { ...base, encryption: 'CUSTOMER_MANAGED', kmsKeyId: 'alias/k' }).SSESpecification,
    { Enabled: true, SSEType: 'KMS', KMSMasterKeyId: 'alias/k' })
  // Not checked here: the daemon refuses a key without CUSTOMER_MANAGED.
  assert.deepEqual(createTableInput('t', { ...base, kmsKeyId: 'k' }).SSESpecification, { KMSMasterKeyId: 'k' })
  assert.throws(() => createTableInput('t', { ...base, encryption: 'ROT13' }), InvalidError)
})

test('a key attribute used with two types is refused, naming both places', () => {
  assert.throws(() => createTableInput('t', {
    partitionKey: ['pk', 'S'], globalSecondaryIndexes: [{ name: 'g', partitionKey: ['pk', 'N'] }]
  }), { name: 'InvalidError', message: /globalSecondaryIndexes\[0\]\.partitionKey\[0\]: 'pk' is N here but S in partitionKey/ })
})

test('the model of docs/MODEL.md derives exactly the request shown there', () => {
  const m = defineModel({
    table: 'users',
    attributes: { pk: 'S', sk: 'N', email: 'S', created: 'N', name: 'S' },
    partition_key: 'pk',
    sort_key: 'sk',
    indexes: [
      { name: 'by-email', type: 'global', partition_key: 'email', sort_key: 'created', projection: 'ALL' },
      { name: 'by-created', type: 'local', sort_key: 'created', projection: ['email', 'name'] }
    ]
  })
  assert.deepEqual(m.toCreateTableInput(), {
    AttributeDefinitions: [
      { AttributeName: 'pk', AttributeType: 'S' }, { AttributeName: 'sk', AttributeType: 'N' },
      { AttributeName: 'email', AttributeType: 'S' }, { AttributeName: 'created', AttributeType: 'N' }
    ],
    TableName: 'users',
    KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }, { AttributeName: 'sk', KeyType: 'RANGE' }],
    LocalSecondaryIndexes: [{
      IndexName: 'by-created',
      KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }, { AttributeName: 'created', KeyType: 'RANGE' }],
      Projection: { ProjectionType: 'INCLUDE', NonKeyAttributes: ['email', 'name'] }
    }],
    GlobalSecondaryIndexes: [{
      IndexName: 'by-email',
      KeySchema: [{ AttributeName: 'email', KeyType: 'HASH' }, { AttributeName: 'created', KeyType: 'RANGE' }],
      Projection: { ProjectionType: 'ALL' }
    }],
    BillingMode: 'PAY_PER_REQUEST'
  })
  assert.equal(m.toCreateTableInput({ tableName: 'other' }).TableName, 'other')
  assert.throws(() => defineModel({ attributes: {}, partitionKey: 'nope' }).toCreateTableInput(),
    { name: 'InvalidError', message: /partition_key: 'nope' is not an attribute of the model/ })
})

test('one class per protocol error code, with code, number and DynamoDB\'s type', () => {
  assert.equal(CODES.length, 13)
  const seen = new Set()
  for (const [number, code, name] of CODES) {
    const e = fromReply({ code: number, name: code, message: `m${number}`, aws_type: 'SomeException' })
    assert.ok(e instanceof dyntable[name], name)
    assert.ok(e instanceof DyntableError)
    assert.equal(e.name, name)
    assert.equal(e.code, code)
    assert.equal(e.number, number)
    assert.equal(e.message, `m${number}`)
    assert.equal(e.awsType, 'SomeException')
    seen.add(dyntable[name])
  }
  assert.equal(seen.size, 13)
  const unknown = fromReply({ code: 99, name: 'NEWER', message: 'from a newer daemon' })
  assert.equal(unknown.constructor, DyntableError)
  assert.equal(unknown.code, 'NEWER')
})

test('index.d.ts declares exactly what lib/index.js exports (test/types/usage.mts holds the list tsc checks)', () => {
  const usage = require('node:fs').readFileSync(require.resolve('./types/usage.mts'), 'utf8')
  const list = usage.match(/const runtimeExports = \[([^\]]*)\]/)
  assert.ok(list, 'usage.mts has its runtimeExports list')
  const declared = [...list[1].matchAll(/'([^']+)'/g)].map((m) => m[1]).sort()
  assert.deepEqual(Object.keys(dyntable).sort(), declared)
})
