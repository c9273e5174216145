// SPDX-License-Identifier: MIT
'use strict'
// The client: one Unix-socket connection to dyntabled speaking
// proto/PROTOCOL.md 1.0 — length-prefixed msgpack frames, a hello with a
// version check, request ids, many requests in flight, replies in any
// order. Connects on the first call (or connect()); after the connection
// is lost every call fails until connect() is called again, which rejoins
// the same session.
const fs = require('node:fs')
const net = require('node:net')
const { Encoder, Decoder } = require('@msgpack/msgpack')
const errors = require('./errors')
const { createTableInput } = require('./definition')
const { ConnectionError, LimitError, ProtocolError, VersionError, fromReply } = errors

const MAJOR = 1
const MINOR = 2 // proto/PROTOCOL.md: the operations this client sends
const FRAME_MAX = 4 * 1024 * 1024 // DTP_FRAME_MAX: no frame of 1.0 is larger
const ID_MAX = 2 ** 32 - 1
const DEFAULT_SOCKET = '/run/dyntabled/dyntabled.sock'
const VERSION = require('../package.json').version

const encoder = new Encoder({ ignoreUndefined: true })

// A frame: 4-byte big-endian length, then the msgpack map.
function frame (msg) {
  const body = encoder.encode(msg)
  const buf = Buffer.allocUnsafe(4 + body.length)
  buf.writeUInt32BE(body.length, 0)
  buf.set(body, 4)
  return buf
}

// Seconds (the API's unit) to the protocol's timeout_ms; undefined stays so.
function ms (seconds) {
  return seconds === undefined || seconds === null ? undefined : Math.max(0, Math.round(seconds * 1000))
}

function env (name) {
  const v = process.env[name]
  return v === undefined || v === '' ? undefined : v
}


// Without BillingMode a CreateTableInput means PROVISIONED, as it does to
// DynamoDB and the AWS CLI (the protocol's own default is on-demand).
function withBillingMode (input) {
  return input && typeof input === 'object' && input.BillingMode === undefined
    ? { ...input, BillingMode: 'PROVISIONED' }
    : input
}
class DynamoDBClient {
  #path
  #namespace
  #session
  #clientName
  #connectTimeoutMs
  #major
  #sock = null
  #ready = null // Promise of the hello result while connecting or connected
  #hello = null
  #broken = null // why the last connection ended (a ConnectionError...)
  #onFail = null // rejects the connecting #open when the connection ends
  #buf = Buffer.alloc(0)
  #decoder = null
  #pending = new Map() // id -> request sent, awaiting its reply
  #orphans = new Set() // ids of aborted requests the daemon still runs
  #queue = [] // requests not sent yet: before hello, or beyond max_inflight
  #nextId = 1

  // socket: the daemon's socket ($DYNTABLE_SOCKET, else the default);
  // namespace: table "x" is DynamoDB's "<namespace>.x" ($DYNTABLE_NAMESPACE);
  // session: a token from another client's `session`, to join its session
  // ($DYNTABLE_SESSION). "" means none for namespace and session.
  // (protocolMajor exists for the tests of the version check only.)
  constructor ({ socket, namespace, session, clientName, connectTimeoutMs = 5000, protocolMajor = MAJOR } = {}) {
    this.#path = socket || env('DYNTABLE_SOCKET') || DEFAULT_SOCKET
    this.#namespace = namespace ?? env('DYNTABLE_NAMESPACE') ?? ''
    this.#session = session ?? env('DYNTABLE_SESSION') ?? ''
    this.#clientName = clientName || `dyntable-node/${VERSION} node/${process.version}`
    this.#connectTimeoutMs = connectTimeoutMs
    this.#major = protocolMajor
  }

  get socket () { return this.#path }
  get namespace () { return this.#namespace }
  // This connection's session token (after connect): a capability; whoever
  // has it keeps the session's ephemeral tables alive.
  get session () { return this.#hello?.session }
  get resumed () { return this.#hello?.resumed }
  get server () { return this.#hello?.server }
  get connected () { return this.#hello !== null && this.#sock !== null }

  // Connects and says hello; resolves to the hello result. While connected
  // it returns the same promise. After a lost connection it connects anew,
  // presenting this client's session token.
  connect ({ signal } = {}) {
    if (!this.#ready) this.#ready = this.#open()
    if (!signal) return this.#ready
    return abortable(this.#ready, signal)
  }

  // Closes the connection; calls still pending reject with ConnectionError.
  async close () {
    const sock = this.#sock
    this.#ready = null
    if (!sock) return
    const closed = new Promise((resolve) => sock.once('close', resolve))
    this.#fail(new ConnectionError('the client was closed'))
    await closed
  }

  async [Symbol.asyncDispose] () { await this.close() }

  // ---- operations ----------------------------------------------------------

  // Creates table `name`; resolves to its TableDescription. See index.d.ts.
  createTable (name, opts = {}) {
    return this.createTableFromInput(createTableInput(name, opts), opts)
  }

  // Creates a table from a CreateTableInput (what `aws dynamodb
  // create-table --cli-input-json` takes), as an object or JSON text.
  async createTableFromInput (input, { wait, tableOnly, ephemeral, timeoutSeconds, signal } = {}) {
    const table = withBillingMode(typeof input === 'string' ? JSON.parse(input) : input)
    const r = await this.#call('create_table', {
      table, wait, table_only: tableOnly, ephemeral, timeout_ms: ms(timeoutSeconds)
    }, signal)
    return r.table
  }

  async describeTable (name, { signal } = {}) {
    return (await this.#call('describe_table', { name }, signal)).table
  }

  // True when the table exists, whatever its status (CREATING, DELETING...).
  async tableExists (name, { signal } = {}) {
    return (await this.#call('table_exists', { name }, signal)).exists
  }

  // Every table (all pages): the namespace's without the prefix, or with
  // `all` every table of the account as DynamoDB names it.
  async listTables ({ all, signal } = {}) {
    return (await this.#call('list_tables', { all }, signal)).tables
  }

  async deleteTable (name, { wait, timeoutSeconds, signal } = {}) {
    return (await this.#call('delete_table', { name, wait, timeout_ms: ms(timeoutSeconds) }, signal)).table
  }

  async waitForTableActive (name, { timeoutSeconds, tableOnly, signal } = {}) {
    return (await this.#call('wait_table_active', {
      name, timeout_ms: ms(timeoutSeconds), table_only: tableOnly
    }, signal)).table
  }

  async waitForTableDeleted (name, { timeoutSeconds, signal } = {}) {
    await this.#call('wait_table_deleted', { name, timeout_ms: ms(timeoutSeconds) }, signal)
  }

  // Deletes every item and keeps the table (protocol 1.2). Items written
  // meanwhile may survive; force: despite deletion protection.
  async truncateTable (name, { force, signal } = {}) {
    const r = await this.#call('truncate_table', { name, force }, signal)
    return { deleted: r.deleted, elapsedMs: r.elapsed_ms }
  }

  // Leases an empty ACTIVE table of a definition from the daemon's pool of
  // it: a CreateTableInput (object or JSON; TableName ignored) or
  // createTable()'s options (with partitionKey). See index.d.ts.
  async leaseTable (definition, { name, pooledOnly, timeoutSeconds, signal } = {}) {
    let table = typeof definition === 'string' ? JSON.parse(definition) : definition
    table = table && table.partitionKey !== undefined ? createTableInput('leased-table', table) : withBillingMode(table)
    const r = await this.#call('lease_table', {
      table, name, pooled_only: pooledOnly, timeout_ms: ms(timeoutSeconds)
    }, signal)
    return { tableName: r.table_name, name: r.name, pool: r.pool, fresh: r.fresh, table: r.table }
  }

  // Releases a leased table (its logical name or its own): emptied and
  // returned to its pool. Resolves to DynamoDB's name of the table.
  async releaseTable (name, { signal } = {}) {
    return (await this.#call('release_table', { name }, signal)).released
  }

  // The daemon's pools.
  pools ({ signal } = {}) { return this.#call('pools', {}, signal) }

  // Administrators' verbs (PROTOCOL.md §3): the daemon's state; reap; its
  // metrics, { text (OpenMetrics 1.0, ending "# EOF"), content_type }.
  status ({ signal } = {}) { return this.#call('status', {}, signal) }
  reap ({ signal } = {}) { return this.#call('reap', {}, signal) }
  metrics ({ signal } = {}) { return this.#call('metrics', {}, signal) }

  // ---- after CreateTable (protocol 1.2) ------------------------------------

  // Updates a table from an UpdateTableInput (an object or JSON text; its
  // TableName, if any, must be `name`); the daemon checks DynamoDB's rules
  // first. wait: once the table and its indexes are ACTIVE, a created
  // index listed and a deleted one gone.
  async updateTable (name, update, { wait, timeoutSeconds, signal } = {}) {
    const u = typeof update === 'string' ? JSON.parse(update) : { ...update }
    if ('TableName' in u) {
      if (u.TableName !== name) {
        throw new errors.InvalidError(`UpdateTableInput.TableName: not the table updated (${name})`)
      }
      delete u.TableName
    }
    return (await this.#call('update_table', { name, update: u, wait, timeout_ms: ms(timeoutSeconds) }, signal)).table
  }

  // TTL on (or off) for `attribute`: DynamoDB's TimeToLiveSpecification.
  async updateTimeToLive (name, { enabled, attribute, signal } = {}) {
    return (await this.#call('update_time_to_live', {
      name, time_to_live: { Enabled: !!enabled, AttributeName: attribute }
    }, signal)).time_to_live
  }

  async describeTimeToLive (name, { signal } = {}) {
    return (await this.#call('describe_time_to_live', { name }, signal)).time_to_live
  }

  // Tags as { key: value }; the daemon finds the table's ARN.
  async tagResource (name, tags, { signal } = {}) {
    await this.#call('tag_resource', {
      name, tags: Object.entries(tags).map(([Key, Value]) => ({ Key, Value }))
    }, signal)
  }

  async untagResource (name, keys, { signal } = {}) {
    await this.#call('untag_resource', { name, tag_keys: keys }, signal)
  }

  // Every tag (all pages), as { key: value }.
  async listTagsOfResource (name, { signal } = {}) {
    const r = await this.#call('list_tags_of_resource', { name }, signal)
    return Object.fromEntries(r.tags.map((t) => [t.Key, t.Value]))
  }

  // Point-in-time recovery on or off: DynamoDB's ContinuousBackupsDescription.
  async updateContinuousBackups (name, { enabled, recoveryPeriodDays, signal } = {}) {
    const spec = { PointInTimeRecoveryEnabled: !!enabled }
    if (recoveryPeriodDays !== undefined) spec.RecoveryPeriodInDays = recoveryPeriodDays
    return (await this.#call('update_continuous_backups', { name, point_in_time_recovery: spec }, signal)).continuous_backups
  }

  async describeContinuousBackups (name, { signal } = {}) {
    return (await this.#call('describe_continuous_backups', { name }, signal)).continuous_backups
  }

  // ---- the connection -------------------------------------------------------

  async #open () {
    this.#broken = null
    this.#hello = null
    this.#buf = Buffer.alloc(0)
    this.#decoder = new Decoder({ maxStrLength: FRAME_MAX, maxArrayLength: FRAME_MAX, maxMapLength: FRAME_MAX })
    const sock = net.createConnection(this.#path)
    this.#sock = sock
    const failed = new Promise((resolve, reject) => { this.#onFail = reject })
    // Events of a socket this client has replaced since are ignored.
    const mine = (fn) => (arg) => { if (this.#sock === sock) fn(arg) }
    sock.on('data', mine((chunk) => this.#onData(chunk)))
    sock.on('error', mine((e) => this.#fail(e)))
    sock.on('close', mine(() => this.#fail(new ConnectionError(`the connection to dyntabled at ${this.#path} was lost`))))
    const timer = setTimeout(() => this.#fail(new ConnectionError(
      `dyntabled at ${this.#path} did not answer the handshake within ${this.#connectTimeoutMs} ms`)), this.#connectTimeoutMs)
    try {
      const args = { major: this.#major, minor: MINOR, client: this.#clientName }
      if (this.#namespace) args.namespace = this.#namespace
      if (this.#session) args.session = this.#session
      // A daemon that refuses the connection (LIMIT, DENIED, SHUTDOWN)
      // writes why (id 0) and closes at once: the hello may then fail with
      // EPIPE, and #send reads the reason left on the socket.
      await Promise.race([failed, new Promise((resolve) => sock.once('connect', resolve))])
      const hello = await this.#request('hello', args, null, true)
      if (hello.major !== MAJOR) {
        throw new VersionError(`dyntabled speaks protocol ${hello.major}.${hello.minor}; this client speaks ${MAJOR}.${MINOR}`)
      }
      this.#hello = hello
      this.#session = hello.session // a reconnect rejoins this session
      this.#flush()
      return hello
    } catch (e) {
      this.#fail(e)
      throw e
    } finally {
      clearTimeout(timer)
    }
  }

  async #call (op, args, signal) {
    signal?.throwIfAborted()
    if (!this.#ready) {
      if (this.#broken) throw this.#broken // reconnect only when told to
      this.connect().catch(() => {}) // the first call connects
    }
    return this.#request(op, args, signal, false)
  }

  // Queues one request; resolves to its result, rejects with its error.
  #request (op, args, signal, hello) {
    if (!this.#sock) return Promise.reject(this.#broken)
    return new Promise((resolve, reject) => {
      const req = { op, args, resolve, reject, signal, onAbort: null, id: 0 }
      if (signal) {
        req.onAbort = () => this.#abort(req)
        signal.addEventListener('abort', req.onAbort, { once: true })
      }
      if (hello) this.#send(req)
      else this.#queue.push(req)
      this.#flush()
    })
  }

  // Sends queued requests while the daemon's max_inflight allows.
  #flush () {
    if (!this.#hello || !this.#sock) return
    while (this.#queue.length && this.#pending.size + this.#orphans.size < this.#hello.max_inflight) {
      this.#send(this.#queue.shift())
    }
  }

  #send (req) {
    do {
      req.id = this.#nextId
      this.#nextId = this.#nextId === ID_MAX ? 1 : this.#nextId + 1
    } while (this.#pending.has(req.id) || this.#orphans.has(req.id))
    const buf = frame({ id: req.id, op: req.op, args: req.args })
    const max = this.#hello ? this.#hello.max_frame : FRAME_MAX
    if (buf.length - 4 > max) {
      this.#settle(req, new LimitError(`${req.op}: a request of ${buf.length - 4} bytes is larger than the daemon accepts (max_frame ${max})`))
      return
    }
    this.#pending.set(req.id, req)
    const sock = this.#sock
    sock.ref() // keep the process alive while answers are due
    if (this.#hello) {
      sock.write(buf)
    } else {
      // A failed write destroys the socket right after this callback, and
      // with it what the daemon wrote and Node has not read yet: read it
      // now, so that a refusal is reported as what it is.
      sock.write(buf, (e) => { if (e && this.#sock === sock) this.#readRefusal(sock) })
    }
  }

  // Reads (without waiting) what the daemon left on sock before closing
  // it, and handles it as received: the id-0 error of a refused connection.
  #readRefusal (sock) {
    const fd = sock._handle?.fd
    if (typeof fd !== 'number' || fd < 0) return
    const chunk = Buffer.allocUnsafe(64 * 1024)
    for (let total = 0; total < FRAME_MAX && this.#sock === sock;) {
      let n
      try {
        n = fs.readSync(fd, chunk, 0, chunk.length, null)
      } catch {
        return // EAGAIN (nothing there), ECONNRESET once read: the write's error stands
      }
      if (n === 0) return
      total += n
      this.#onData(Buffer.from(chunk.subarray(0, n)))
    }
  }

  #abort (req) {
    const i = this.#queue.indexOf(req)
    if (i >= 0) {
      this.#queue.splice(i, 1)
    } else if (this.#pending.get(req.id) === req) {
      // The daemon has no cancel: its reply will come and be dropped.
      this.#pending.delete(req.id)
      this.#orphans.add(req.id)
    }
    this.#settle(req, req.signal.reason)
  }

  #settle (req, err, result) {
    if (req.onAbort) req.signal.removeEventListener('abort', req.onAbort)
    if (err) req.reject(err)
    else req.resolve(result)
  }

  #onData (chunk) {
    let buf = this.#buf.length ? Buffer.concat([this.#buf, chunk]) : chunk
    const limit = this.#hello ? this.#hello.protocol_frame_max || FRAME_MAX : FRAME_MAX
    while (buf.length >= 4) {
      const n = buf.readUInt32BE(0)
      if (n === 0 || n > limit) {
        this.#fail(new ProtocolError(`dyntabled sent a frame of ${n} bytes (limit ${limit})`))
        return
      }
      if (buf.length < 4 + n) break
      const body = buf.subarray(4, 4 + n)
      buf = buf.subarray(4 + n)
      let msg
      try {
        msg = this.#decoder.decode(body)
      } catch (e) {
        this.#fail(new ProtocolError(`dyntabled sent malformed msgpack: ${e.message}`))
        return
      }
      this.#onMessage(msg)
      if (!this.#sock) return
    }
    this.#buf = buf
  }

  #onMessage (msg) {
    if (msg === null || typeof msg !== 'object' || typeof msg.id !== 'number' || typeof msg.ok !== 'boolean') {
      this.#fail(new ProtocolError('dyntabled sent a reply that is not {id, ok, ...}'))
      return
    }
    const err = msg.ok ? null : fromReply(msg.error)
    if (msg.id === 0) { // a connection error: the daemon closes
      this.#fail(err || new ProtocolError('dyntabled sent a reply with id 0'))
      return
    }
    const req = this.#pending.get(msg.id)
    if (req) {
      this.#pending.delete(msg.id)
    } else if (!this.#orphans.delete(msg.id)) {
      this.#fail(new ProtocolError(`dyntabled answered id ${msg.id}, which is not in flight`))
      return
    }
    if (this.#pending.size === 0) this.#sock.unref() // idle: let the process exit
    if (req) this.#settle(req, err, msg.result ?? {})
    this.#flush()
  }

  // Ends the connection: every request in flight or queued rejects with err.
  #fail (err) {
    const sock = this.#sock
    if (!sock) return
    if (!(err instanceof errors.DyntableError)) err = unreachable(this.#path, err, !this.#hello)
    this.#sock = null
    this.#ready = null
    this.#broken = err
    this.#onFail(err)
    sock.destroy()
    const reqs = [...this.#pending.values(), ...this.#queue]
    this.#pending.clear()
    this.#orphans.clear()
    this.#queue = []
    for (const req of reqs) this.#settle(req, err)
  }
}

// A socket error as a ConnectionError that says what to do.
function unreachable (path, e, handshake) {
  let msg = `cannot reach dyntabled at ${path}: ${e.code || e.message}`
  if (['ENOENT', 'ECONNREFUSED', 'ENOTDIR'].includes(e.code)) {
    msg += `; is dyntabled running? Start it (dyntabled --socket ${path}) or set DYNTABLE_SOCKET to its socket`
  } else if (handshake && ['EPIPE', 'ECONNRESET'].includes(e.code)) {
    // It closed the connection without saying why (a refusal's reply
    // is read: #readRefusal).
    msg = `dyntabled at ${path} closed the connection during the handshake (${e.code}); its log says why`
  } else if (!handshake) {
    msg = `the connection to dyntabled at ${path} failed: ${e.code || e.message}`
  }
  const err = new ConnectionError(msg, { cause: e })
  if (e.code) err.syscallCode = e.code
  return err
}

// p, or the signal's reason once it aborts (p goes on).
function abortable (p, signal) {
  if (signal.aborted) return Promise.reject(signal.reason)
  return new Promise((resolve, reject) => {
    const onAbort = () => reject(signal.reason)
    signal.addEventListener('abort', onAbort, { once: true })
    p.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort))
  })
}

module.exports = { DynamoDBClient, DEFAULT_SOCKET, PROTOCOL_VERSION: `${MAJOR}.${MINOR}` }
