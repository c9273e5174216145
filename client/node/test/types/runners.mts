// The test-runner helpers' declarations, compiled with usage.mts.
import { tables, tableName } from 'dyntable/jest'
import { useTables, type Tables } from 'dyntable/node-test'

const all: Record<string, string> = tables()
const users: string = tableName('users')
const t: Tables = useTables({ tables: [{ TableName: 'x' }], timeoutSeconds: 10 })
const physical: string = t.tableName('users')
// @ts-expect-error tableName takes the logical name
tableName(1)
void [all, users, physical]

import { test as vtest, tablesFixture } from 'dyntable/vitest'
import setup from 'dyntable/vitest/global-setup'
vtest('uses its tables', ({ tables: t2 }) => { const n: string | undefined = t2.users; void n })
const teardown: Promise<() => Promise<void>> = setup({})
void [tablesFixture, teardown]
