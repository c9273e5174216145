// SPDX-License-Identifier: MIT
// Each worker has its own "users" and "orders": a test may count the whole
// table and find only what it wrote, whatever runs in parallel.
const { PutItemCommand, QueryCommand, ScanCommand, DeleteItemCommand } = require('@aws-sdk/client-dynamodb')
const { tableName } = require('dyntable/jest')
const ddb = require('./ddb')

const users = tableName('users')
const orders = tableName('orders')

afterEach(async () => {
  const all = await ddb.send(new ScanCommand({ TableName: users }))
  for (const it of all.Items) await ddb.send(new DeleteItemCommand({ TableName: users, Key: { pk: it.pk, sk: it.sk } }))
})

test('file 2: the worker\'s own table, indexes ACTIVE', async () => {
  expect(users).toMatch(new RegExp('-w' + process.env.JEST_WORKER_ID + '\\.users$'))
  for (let i = 0; i < 5; i++) {
    await ddb.send(new PutItemCommand({
      TableName: users,
      Item: { pk: { S: 'u2' }, sk: { N: String(i) }, email: { S: 'u2@example.com' }, created: { N: String(100 + i) } }
    }))
  }
  const byEmail = await ddb.send(new QueryCommand({
    TableName: users, IndexName: 'by-email',
    KeyConditionExpression: 'email = :e', ExpressionAttributeValues: { ':e': { S: 'u2@example.com' } }
  }))
  expect(byEmail.Count).toBe(5)
  const all = await ddb.send(new ScanCommand({ TableName: users }))
  expect(all.Count).toBe(5) // nobody else's items: no race between files
})

test('file 2: orders', async () => {
  await ddb.send(new PutItemCommand({ TableName: orders, Item: { id: { S: 'o2-' + Date.now() } } }))
  const all = await ddb.send(new ScanCommand({ TableName: orders }))
  expect(all.Count).toBeGreaterThanOrEqual(1)
})
