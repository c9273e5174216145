// SPDX-License-Identifier: MIT
// Node client vs @aws-sdk/client-dynamodb, on the same dynalite in the same
// run (not in CI). Run it under the e2e harness from the repository root:
//
//   bash tests/e2e/harness.sh build/daemon/dyntabled -- node bench/node/bench.mjs
//
// 1. DescribeTable: median and p90 latency of N sequential calls, the
//    client through dyntabled (and the harness's signature-checking proxy)
//    vs the SDK straight to dynalite.
// 2. Set-up of the Jest preset's tables (2 tables, one with a GSI and an
//    LSI, for 4 workers: 8 tables) vs the SDK's CreateTable plus
//    waitUntilTableExists, with the waiter's default delays and with
//    minDelay 1 s. Tables stay CREATING 500 ms ($DYNTABLE_TEST_CREATE_MS).
import { createRequire } from 'node:module'
const require = createRequire(new URL('../../client/node/package.json', import.meta.url))
const { DynamoDBClient } = require('./lib/index.js')
const { setupRun, teardownRun, tableInput } = require('./lib/testing.js')
const sdk = require('@aws-sdk/client-dynamodb')

const N = Number(process.env.BENCH_N || 500)
const endpoint = process.env.DYNTABLE_TEST_DYNALITE_URL
if (!endpoint || !process.env.DYNTABLE_SOCKET) throw new Error('run under tests/e2e/harness.sh')
process.env.AWS_SDK_JS_SUPPRESS_NODE_DEPRECATION_WARNING = '1'
const ddb = new sdk.DynamoDBClient({ endpoint, region: 'us-east-1', credentials: { accessKeyId: 'x', secretAccessKey: 'x' } })
const c = new DynamoDBClient({ namespace: '' })

const pct = (xs, p) => { const s = [...xs].sort((a, b) => a - b); return s[Math.min(s.length - 1, Math.floor(p * s.length))] }
const fmt = (x) => `${x.toFixed(3)} ms`
async function timeEach (fn) {
  for (let i = 0; i < 50; i++) await fn() // warm-up
  const t = []
  for (let i = 0; i < N; i++) {
    const s = process.hrtime.bigint()
    await fn()
    t.push(Number(process.hrtime.bigint() - s) / 1e6)
  }
  return t
}

await c.createTable('bench-describe', { partitionKey: ['pk', 'S'], wait: true })
const viaDaemon = await timeEach(() => c.describeTable('bench-describe'))
const viaSdk = await timeEach(() => ddb.send(new sdk.DescribeTableCommand({ TableName: 'bench-describe' })))
console.log(`DescribeTable, ${N} sequential calls each:`)
console.log(`  dyntable (daemon + proxy): median ${fmt(pct(viaDaemon, 0.5))}, p90 ${fmt(pct(viaDaemon, 0.9))}`)
console.log(`  @aws-sdk/client-dynamodb (direct): median ${fmt(pct(viaSdk, 0.5))}, p90 ${fmt(pct(viaSdk, 0.9))}`)
await c.deleteTable('bench-describe', { wait: true })

const tables = [
  { table: 'users', attributes: { pk: 'S', sk: 'N', email: 'S', created: 'N' }, partition_key: 'pk', sort_key: 'sk',
    indexes: [{ name: 'by-email', type: 'global', partition_key: 'email', sort_key: 'created' },
      { name: 'by-created', type: 'local', sort_key: 'created', projection: 'KEYS_ONLY' }] },
  { TableName: 'orders', AttributeDefinitions: [{ AttributeName: 'id', AttributeType: 'S' }], KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }] }
]
let s = Date.now()
const run = await setupRun({ tables, workers: 4 })
const preset = Date.now() - s
await teardownRun(run)

async function sdkSetup (prefix, waiterOpts) {
  const inputs = [1, 2, 3, 4].flatMap((w) => tables.map((t) => {
    const i = tableInput(t)
    return { ...i, TableName: `${prefix}-w${w}.${i.TableName}`, BillingMode: 'PAY_PER_REQUEST' }
  }))
  const s = Date.now()
  await Promise.all(inputs.map(async (i) => {
    await ddb.send(new sdk.CreateTableCommand(i))
    await sdk.waitUntilTableExists({ client: ddb, maxWaitTime: 120, ...waiterOpts }, { TableName: i.TableName })
  }))
  const ms = Date.now() - s
  await Promise.all(inputs.map((i) => ddb.send(new sdk.DeleteTableCommand({ TableName: i.TableName }))))
  return ms
}
const sdkDefault = await sdkSetup('sdkdef', {})
const sdkFast = await sdkSetup('sdkfast', { minDelay: 1, maxDelay: 1 })
console.log('Set-up of 8 tables (2 per worker, 4 workers; CREATING lasts 500 ms):')
console.log(`  dyntable Jest preset (setupRun): ${preset} ms`)
console.log(`  SDK CreateTable + waitUntilTableExists (default delays): ${sdkDefault} ms`)
console.log(`  SDK CreateTable + waitUntilTableExists (minDelay 1 s): ${sdkFast} ms`)
await c.close()
