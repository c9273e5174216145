// Compiled by `tsc -p test/types` (ctest node.types), never run: the
// declarations in index.d.ts must accept what the README shows and refuse
// what the implementation refuses. Each @ts-expect-error line fails the
// build if the declarations become loose enough to accept it.
import * as dt from 'dyntable'
import {
  DynamoDBClient, Model, defineModel, createTableInput, DyntableError,
  NotFoundError, ConnectionError, DEFAULT_SOCKET, PROTOCOL_VERSION,
  type TableDescription, type CreateTableInput, type Hello
} from 'dyntable'

// Every runtime export is declared, and nothing more: test/unit.test.js
// checks this same list against lib/index.js at run time.
type Declared = keyof typeof dt
const runtimeExports = [
  'AwsError', 'ConnectionError', 'CredentialsError', 'DEFAULT_SOCKET', 'DeniedError',
  'DynamoDBClient', 'DyntableError', 'InUseError', 'InternalError', 'InvalidError',
  'LimitError', 'Model', 'NotFoundError', 'PROTOCOL_VERSION', 'ProtocolError',
  'ShutdownError', 'TimeoutError', 'UpstreamError', 'VersionError', 'createTableInput',
  'defineModel'
] as const satisfies readonly Declared[]
type Missing = Exclude<Declared, (typeof runtimeExports)[number] | 'default'>
const noneMissing: [Missing] extends [never] ? true : Missing = true
void noneMissing

async function main (): Promise<void> {
  const socket: string = DEFAULT_SOCKET
  const version: string = PROTOCOL_VERSION
  await using client = new DynamoDBClient({ socket, namespace: 'ci', connectTimeoutMs: 100 })
  const hello: Hello = await client.connect({ signal: AbortSignal.timeout(1000) })
  const major: number = hello.major

  const t: TableDescription = await client.createTable('users', {
    partitionKey: ['id', 'S'],
    sortKey: ['ts', 'N'],
    globalSecondaryIndexes: [{ name: 'by_email', partitionKey: ['email', 'S'], projection: ['a', 'b'] }],
    localSecondaryIndexes: [{ name: 'by_n', sortKey: ['n', 'N'] }],
    billingMode: 'PROVISIONED', readCapacity: 1, writeCapacity: 1,
    tableClass: 'STANDARD_INFREQUENT_ACCESS', encryption: 'AWS_MANAGED',
    tags: { team: 'x' }, stream: 'NEW_IMAGE', deletionProtection: false,
    wait: true, timeoutSeconds: 30, ephemeral: true
  })
  const status: string = t.TableStatus
  const input: CreateTableInput = createTableInput('x', { partitionKey: ['pk', 'S'] })
  await client.createTableFromInput(input, { wait: true })
  await client.createTableFromInput(JSON.stringify(input))
  const exists: boolean = await client.tableExists('users')
  const names: string[] = await client.listTables({ all: true })
  await client.waitForTableActive('users', { tableOnly: true, timeoutSeconds: 5 })
  await client.deleteTable('users', { wait: true })
  await client.waitForTableDeleted('users')
  const reaped = await client.reap()
  const deleted: string[] = reaped.deleted
  const { text: metricsText, content_type: metricsType } = await client.metrics({ signal: AbortSignal.timeout(1000) })

  const model: Model = defineModel({
    table: 'orders', attributes: { id: 'S', at: 'N' }, partition_key: 'id', sortKey: 'at',
    indexes: [{ name: 'g', type: 'global', partitionKey: 'at' }]
  })
  await model.createTable(client, { tableName: 'orders2', wait: true })
  const modelInput: CreateTableInput = model.toCreateTableInput({ billingMode: 'PAY_PER_REQUEST' })

  try { await client.describeTable('nope') } catch (e) {
    if (e instanceof NotFoundError) { const code: string = e.code; const n: number = e.number; void code; void n }
    if (e instanceof ConnectionError && e instanceof DyntableError) { const aws: string | undefined = e.awsType; void aws }
  }

  // @ts-expect-error a key is a [name, type] pair
  await client.createTable('bad', { partitionKey: 'id' })
  // @ts-expect-error billing modes are DynamoDB's two
  await client.createTable('bad', { partitionKey: ['id', 'S'], billingMode: 'ON_DEMAND' })
  // @ts-expect-error createTable needs its keys
  await client.createTable('bad', {})
  // @ts-expect-error exists answers a boolean
  const notString: string = await client.tableExists('users')

  void [version, major, status, exists, names, deleted, metricsText, metricsType, modelInput, notString]
}
void main
