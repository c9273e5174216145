// SPDX-License-Identifier: MIT
import { expect } from 'vitest'
import { test } from 'dyntable/vitest'
import { DynamoDBClient } from 'dyntable'

test('file 1: the worker\'s table exists, ACTIVE with its index', async ({ tables }) => {
  expect(tables.things).toMatch(new RegExp('-w' + process.env.VITEST_POOL_ID + '\\.things$'))
  const c = new DynamoDBClient({ namespace: '' })
  const d = await c.describeTable(tables.things)
  await c.close()
  expect(d.TableStatus).toBe('ACTIVE')
  expect(d.GlobalSecondaryIndexes[0].IndexStatus).toBe('ACTIVE')
})
