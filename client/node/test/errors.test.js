// SPDX-License-Identifier: MIT
'use strict'
// Every error class from a real daemon (the harness's, and daemons of this
// file's own against the same proxy), and a daemon killed mid-call. Runs
// alone in its harness (ctest node.errors): it injects faults into the
// proxy that every daemon goes through.
const { test } = require('node:test')
const assert = require('node:assert/strict')
const fs = require('node:fs')
const { spawnSync } = require('node:child_process')
const path = require('node:path')
const d = require('..')
const { DynamoDBClient } = d
const { daemon, uniq, requests, startDaemon, faults } = require('./support')

const def = { partitionKey: ['pk', 'S'] }

// Runs `expr` (a call on client c) in a node process as nobody, on a copy
// of this package nobody can read; returns what the call rejected with.
function asNobody (socket, expr) {
  const pub = fs.mkdtempSync('/tmp/dyntable-node-pub-')
  const root = path.join(__dirname, '..')
  fs.cpSync(path.join(root, 'lib'), path.join(pub, 'lib'), { recursive: true })
  fs.cpSync(path.join(root, 'package.json'), path.join(pub, 'package.json'))
  fs.cpSync(path.join(root, 'node_modules', '@msgpack'), path.join(pub, 'node_modules', '@msgpack'), { recursive: true })
  fs.chmodSync(pub, 0o755)
  fs.chmodSync(path.dirname(socket), 0o755)
  const code = `const d = require(${JSON.stringify(pub + '/lib/index.js')});
    const c = new d.DynamoDBClient({ socket: ${JSON.stringify(socket)} });
    ${expr}.then(() => ({ resolved: true }), (e) => ({ name: e.name, code: e.code, instance: e instanceof d.DeniedError }))
      .then((r) => { console.log(JSON.stringify(r)); return c.close() })`
  const r = spawnSync('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', process.execPath, '-e', code], { encoding: 'utf8' })
  fs.rmSync(pub, { recursive: true, force: true })
  if (r.status !== 0) throw new Error(`the client as nobody failed: ${r.stderr || r.error}`)
  return JSON.parse(r.stdout)
}

test('ConnectionError with a hint when the daemon cannot be reached', async () => {
  const socket = path.join(fs.mkdtempSync('/tmp/dyntable-node-'), 'none.sock')
  const c = new DynamoDBClient({ socket })
  const err = await c.describeTable('users').catch((e) => e)
  assert.ok(err instanceof d.ConnectionError, String(err))
  assert.equal(err.code, 'CONNECTION')
  assert.match(err.message, /cannot reach dyntabled at .*none\.sock: ENOENT; is dyntabled running\? .*set DYNTABLE_SOCKET/)
  // No reconnect behind the caller's back: the next call fails the same way.
  await assert.rejects(c.listTables(), d.ConnectionError)
  await assert.rejects(c.connect(), d.ConnectionError)
})

test('the harness daemon: INVALID, NOT_FOUND, IN_USE, TIMEOUT, PROTOCOL, VERSION', async (t) => {
  const socket = daemon(t)
  if (!socket) return
  const ns = uniq('err')
  const c = new DynamoDBClient({ socket, namespace: ns })
  t.after(() => c.close())

  const invalid = await c.createTable('bad', { ...def, localSecondaryIndexes: [{ name: 'lsi', sortKey: ['x', 'S'] }] }).catch((e) => e)
  assert.ok(invalid instanceof d.InvalidError, String(invalid))
  assert.match(invalid.message, /LocalSecondaryIndexes/)
  assert.ok(!requests().some((r) => r.body?.TableName === `${ns}.bad`), 'refused before any request to DynamoDB')

  const nf = await c.describeTable('missing').catch((e) => e)
  assert.ok(nf instanceof d.NotFoundError, String(nf))
  assert.equal(nf.awsType, 'ResourceNotFoundException')
  assert.match(nf.message, /not found/)

  await c.createTable('dup', { ...def, ephemeral: true })
  const inUse = await c.createTable('dup', def).catch((e) => e)
  assert.ok(inUse instanceof d.InUseError, String(inUse))
  assert.equal(inUse.awsType, 'ResourceInUseException')

  const started = Date.now()
  const to = await c.waitForTableActive('never', { timeoutSeconds: 0.3 }).catch((e) => e)
  assert.ok(to instanceof d.TimeoutError, String(to))
  assert.ok(Date.now() - started < 5000)

  // Nesting deeper than the protocol's 32 containers: the daemon answers
  // with a connection error (id 0) and closes; every call then fails until
  // connect() is called again, which rejoins the same session.
  let deep = 'x'
  for (let i = 0; i < 40; i++) deep = [deep]
  const pending = c.waitForTableActive('never', { timeoutSeconds: 30 })
  const proto = await c.createTableFromInput({ TableName: 'deep', Tags: deep }).catch((e) => e)
  assert.ok(proto instanceof d.ProtocolError, String(proto))
  assert.equal(await pending.catch((e) => e), proto, 'the wait in flight rejects with the same error')
  await assert.rejects(c.listTables(), d.ProtocolError)
  const session = c.session
  await c.connect()
  assert.equal(c.resumed, true)
  assert.equal(c.session, session)
  assert.equal(await c.tableExists('dup'), true)

  const v = new DynamoDBClient({ socket, protocolMajor: 2 })
  const ver = await v.listTables().catch((e) => e)
  assert.ok(ver instanceof d.VersionError, String(ver))
})

test('daemons of our own: DENIED, AWS, UPSTREAM, LIMIT, SHUTDOWN, CREDENTIALS', async (t) => {
  if (!daemon(t)) return
  const conf = path.join(fs.mkdtempSync(path.join(process.env.DYNTABLE_TEST_DIR, 'conf-')), 'd.conf')
  fs.writeFileSync(conf, '[daemon]\nsocket-mode = 0666\n[access]\nallow-users = root, nobody\n[user nobody]\ntable-prefixes = ci-\n')
  const aux = await startDaemon(['--config', conf, '--max-clients', '2', '--max-attempts', '1', '--max-frame', '4096'])
  t.after(() => aux.stop('SIGKILL'))
  const c = new DynamoDBClient({ socket: aux.socket })

  await t.test('DENIED: a client of another uid (nobody, through setpriv) outside its table prefixes', async (t) => {
    if (process.getuid() !== 0) return t.skip('needs root to run a client as nobody')
    const out = asNobody(aux.socket, `c.createTable('prod-${process.pid}', { partitionKey: ['pk', 'S'] })`)
    assert.deepEqual(out, { name: 'DeniedError', code: 'DENIED', instance: true }, JSON.stringify(out))
  })

  // dynalite 4.0.0 predates multi-attribute GSI keys: DynamoDB's own
  // ValidationException, which the daemon passes on as AWS.
  const aws = await c.createTable('ci-multi', {
    ...def, globalSecondaryIndexes: [{ name: 'by-abc', partitionKey: [['a', 'S'], ['b', 'S']], sortKey: [['c', 'N'], ['e', 'N']] }]
  }).catch((e) => e)
  assert.ok(aws instanceof d.AwsError, String(aws))
  assert.equal(aws.awsType, 'ValidationException')

  await faults([{ target: 'DescribeTable', action: 'reset' }])
  const up = await c.describeTable('ci-x').catch((e) => e)
  await faults([])
  assert.ok(up instanceof d.UpstreamError, String(up))

  // Too many clients. This test runs as root or as the daemon's own user,
  // who get CONN_ADMIN_RESERVE (16) connections beyond --max-clients; the
  // next is refused: LIMIT (id 0) as soon as it is accepted, and the socket
  // closed at once. The client reads why even when its hello could not be
  // written (EPIPE, most of the time), so every refusal is a LimitError.
  const held = []
  let refused
  while (!refused && held.length < 1 + 16 + 1) {
    const x = new DynamoDBClient({ socket: aux.socket })
    refused = await x.connect().then(() => { held.push(x) }, (e) => e)
  }
  assert.ok(refused instanceof d.LimitError, String(refused))
  assert.match(refused.message, /too many clients \(limit 2: dyntabled --max-clients\)/)
  assert.equal(1 + held.length, 2 + 16, 'admitted: --max-clients 2, then 16 more for an admin')
  for (let i = 0; i < 20; i++) {
    const again = await new DynamoDBClient({ socket: aux.socket }).listTables().catch((e) => e)
    assert.ok(again instanceof d.LimitError, `refusal ${i}: ${again}`)
  }
  await Promise.all(held.map((x) => x.close()))
  // The daemon's --max-frame, announced in hello, is enforced by the client.
  const big = await c.createTable('ci-big', { ...def, tags: { big: 'x'.repeat(256), ...Object.fromEntries(Array.from({ length: 40 }, (_, i) => [`k${i}`, 'v'.repeat(200)])) } }).catch((e) => e)
  assert.ok(big instanceof d.LimitError, String(big))
  assert.match(big.message, /max_frame 4096/)
  assert.equal(await c.tableExists('ci-big'), false, 'the connection is still usable')

  const wait = c.waitForTableActive('ci-never', { timeoutSeconds: 30 }).catch((e) => e)
  await new Promise((resolve) => setTimeout(resolve, 200))
  aux.proc.kill('SIGTERM')
  const shut = await wait
  assert.ok(shut instanceof d.ShutdownError, String(shut))
  assert.deepEqual(await aux.exited, { code: 0, signal: null })

  const nocreds = await startDaemon([], { creds: false })
  t.after(() => nocreds.stop('SIGKILL'))
  const n = new DynamoDBClient({ socket: nocreds.socket })
  t.after(() => n.close())
  const cred = await n.describeTable('users').catch((e) => e)
  assert.ok(cred instanceof d.CredentialsError, String(cred))
})

test('daemon killed mid-call: every pending promise rejects, none hangs', async (t) => {
  if (!daemon(t)) return
  const aux = await startDaemon()
  t.after(() => aux.stop('SIGKILL'))
  const c = new DynamoDBClient({ socket: aux.socket, namespace: uniq('kill') })
  await c.connect()
  const calls = [
    ...Array.from({ length: 300 }, (_, i) => c.waitForTableActive(`never-${i}`, { timeoutSeconds: 60 })),
    c.createTable('slow', { ...def, wait: true, ephemeral: true }),
    c.waitForTableDeleted('anything', { timeoutSeconds: 60 })
  ]
  await new Promise((resolve) => setTimeout(resolve, 300))
  aux.proc.kill('SIGKILL')
  let timer
  const hang = new Promise((resolve) => { timer = setTimeout(() => resolve('hang'), 5000) })
  const outcome = await Promise.race([Promise.allSettled(calls), hang])
  clearTimeout(timer)
  assert.notEqual(outcome, 'hang', 'a pending call did not settle within 5 s of the kill')
  assert.equal(outcome.length, calls.length)
  for (const o of outcome) {
    assert.equal(o.status, 'rejected')
    assert.ok(o.reason instanceof d.ConnectionError, String(o.reason))
  }
  await assert.rejects(c.listTables(), d.ConnectionError)
})
