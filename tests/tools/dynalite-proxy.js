#!/usr/bin/env node
// SPDX-License-Identifier: MIT
// dynalite behind a loopback proxy, for dyntable's end-to-end tests.
//
// One process runs:
//   - dynalite (a DynamoDB implementation), in memory, on 127.0.0.1:0;
//   - a proxy on 127.0.0.1:0 that forwards every request to dynalite and
//     * verifies its AWS SigV4 signature on its own (node crypto, nothing
//       shared with the daemon's signer); a request that fails is answered
//       400 InvalidSignatureException, as DynamoDB would, and not forwarded,
//     * records one JSON line per request to --log:
//       {"t": ms since start, "target": X-Amz-Target, "body": parsed JSON,
//        "akid": the access key id signed with, "region": the signing region,
//        "sig_ok": bool, "sig_error": "..." (when not ok),
//        "stale_ms": N (when signed with keys of a --keys stream that had
//        newer keys for more than 2 s),
//        "fault": action (when one was injected), "status": HTTP status
//        sent back (null for a reset)}
//       The line is written before the answer goes back, so a client that
//       has its answer can read the line.
//     * injects faults set through the control server;
//   - a control server on 127.0.0.1:0:
//       POST /faults  body: JSON array of rules, replacing the current ones:
//                     {"target": "DescribeTable" | "*",
//                      "action": "status500" | "throttle" | "limit_exceeded"
//                                | "reset" | "delay" | a lie below,
//                      "ms": N (delay; for the others, a wait first),
//                      "count": N (absent: forever)}
//                     The lies (issue 11), an endpoint misbehaving on purpose:
//                       echo_headers      400 IncompleteSignatureException
//                                         whose message quotes the request's
//                                         Authorization and token headers
//                       paginate_forever  ListTables: one name and a new,
//                                         ever greater LastEvaluatedTableName
//                       paginate_repeat   ListTables: the same token each time
//                       garbage           200 with a body that is not JSON
//                       wrong_types       dynalite's answer with
//                                         Table.TableStatus made a number
//                       truncated         headers promise more than is sent,
//                                         then the connection is closed
//                       too_large         200 with a 9 MiB JSON body
//                     and the partial answers of a busy table (issue 15):
//                       unprocessed       BatchWriteItem: only the first
//                                         half of each table's requests
//                                         goes to dynalite, the rest comes
//                                         back as UnprocessedItems
//                       protected         dynalite's answer with
//                                         Table.DeletionProtectionEnabled
//                                         true (dynalite ignores it)
//                     A request takes the first rule that matches its target
//                     and has count left.
//       GET /faults   the rules, with the counts left
//       GET /stats    {"total": N, "sig_bad": N, "targets": {Op: N},
//                      "faults": {Op: N}}  (Op: the target without its
//                      "DynamoDB_20120810." prefix; rules take either)
//       POST /reset   clears the rules and the stats (not the log, not the
//                     tables)
//
// Once all three listen, writes {"dynalite": port, "proxy": port,
// "control": port} to --state (atomically: write, then rename).
//
// Options: --state FILE --log FILE --secret S [--region R[,R...]]
//          [--access-key K] [--token T] [--keys FILE] [--create-ms N]
//          [--delete-ms N] [--update-ms N] [--upstream-port N]
// --upstream-port N: forward to another DynamoDB implementation already
// listening on 127.0.0.1:N (moto_server, for what dynalite lacks: issue
// 16) instead of starting dynalite; "dynalite" in --state is then N.
// With --access-key or --token, the credential's key id and the
// X-Amz-Security-Token header must also be exactly those. --region may list
// several accepted signing regions.
// --keys FILE adds more valid keys: JSON lines {"access_key", "secret",
// "token" (null or absent: none), "expires" (ms since the epoch, optional),
// "issued" (ms, optional), "stream" (optional)}, re-read whenever the file
// changes (tests/tools/aws-standins.js and the tests append to it). A
// request signed with keys past their "expires" fails as
// ExpiredTokenException would.
// Exits 0 on SIGTERM or SIGINT, and when its parent process goes away.
// Binds loopback only.
//
// Setup: `npm ci --prefix tests/tools` installs dynalite 4.0.0 exactly as
// package-lock.json pins it. dynalite loads classic-level (LevelDB, native)
// even when in memory; its prebuilt linux-x64 binary ships in the package,
// so its install script (node-gyp-build: build from source when no
// prebuild fits) is not needed, and package.json's allowScripts denies it
// explicitly: npm 11 then installs without running it or warning.
'use strict'

const crypto = require('crypto')
const fs = require('fs')
const http = require('http')

const HOST = '127.0.0.1'
const START = Date.now()

function parseArgs (argv) {
  const opts = { region: 'us-east-1', createMs: 500, deleteMs: 500, updateMs: 500 }
  const names = {
    '--state': 'state', '--log': 'log', '--secret': 'secret', '--region': 'region',
    '--access-key': 'accessKey', '--token': 'token', '--keys': 'keys', '--create-ms': 'createMs',
    '--delete-ms': 'deleteMs', '--update-ms': 'updateMs', '--upstream-port': 'upstreamPort'
  }
  for (let i = 0; i < argv.length; i++) {
    const key = names[argv[i]]
    if (!key || i + 1 >= argv.length) usage(`bad argument: ${argv[i]}`)
    opts[key] = argv[++i]
  }
  if (opts.upstreamPort !== undefined) {
    opts.upstreamPort = Number(opts.upstreamPort)
    if (!Number.isInteger(opts.upstreamPort) || opts.upstreamPort < 1 || opts.upstreamPort > 65535) usage('bad upstreamPort')
  }
  for (const k of ['createMs', 'deleteMs', 'updateMs']) {
    opts[k] = Number(opts[k])
    if (!Number.isInteger(opts[k]) || opts[k] < 0) usage(`bad ${k}`)
  }
  if (!opts.state || !opts.log || !opts.secret) usage('--state, --log and --secret are required')
  return opts
}

function usage (msg) {
  process.stderr.write(`dynalite-proxy: ${msg}\nusage: dynalite-proxy.js --state FILE --log FILE --secret S ` +
    '[--region R[,R...]] [--access-key K] [--token T] [--keys FILE] [--create-ms N] [--delete-ms N] ' +
    '[--update-ms N] [--upstream-port N]\n')
  process.exit(2)
}

const opts = parseArgs(process.argv.slice(2))
const regions = new Set(opts.region.split(','))

// ---- more keys (--keys) ----------------------------------------------------

let keysStamp = ''
let keys = new Map() // access key id -> {akid, secret, token, expires, issued, stream}
let newest = new Map() // stream -> the record issued last

function loadKeys () {
  if (!opts.keys) return
  let st
  try {
    st = fs.statSync(opts.keys)
  } catch (e) {
    return
  }
  const stamp = `${st.size}/${st.mtimeMs}`
  if (stamp === keysStamp) return
  const fresh = new Map()
  const last = new Map()
  for (const line of fs.readFileSync(opts.keys, 'utf8').split('\n')) {
    if (!line.trim()) continue
    let k
    try {
      k = JSON.parse(line)
    } catch (e) {
      continue // a line being written
    }
    const rec = { akid: k.access_key, secret: k.secret, token: k.token || null, expires: k.expires, issued: k.issued, stream: k.stream }
    fresh.set(k.access_key, rec)
    if (rec.stream && rec.issued !== undefined && (!last.has(rec.stream) || last.get(rec.stream).issued <= rec.issued)) {
      last.set(rec.stream, rec)
    }
  }
  keys = fresh
  newest = last
  keysStamp = stamp
}

// ---- SigV4 verification ----------------------------------------------------

const sha256 = (data) => crypto.createHash('sha256').update(data).digest('hex')
const hmac = (key, data) => crypto.createHmac('sha256', key).update(data).digest()

// RFC 3986 encoding as SigV4 wants it: everything but A-Za-z0-9-._~ as %XX.
function uriEncode (s) {
  return encodeURIComponent(s).replace(/[!'()*]/g, (c) => '%' + c.charCodeAt(0).toString(16).toUpperCase())
}

function canonicalUri (p) {
  return p.split('/').map((seg) => uriEncode(decodeURIComponent(seg))).join('/') || '/'
}

function canonicalQuery (q) {
  if (!q) return ''
  return q.split('&').filter(Boolean).map((kv) => {
    const i = kv.indexOf('=')
    const k = i < 0 ? kv : kv.slice(0, i)
    const v = i < 0 ? '' : kv.slice(i + 1)
    return [uriEncode(decodeURIComponent(k)), uriEncode(decodeURIComponent(v))]
  }).sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : 0))
    .map(([k, v]) => `${k}=${v}`).join('&')
}

// Header name (lower case) -> canonical value: each value trimmed, inner
// runs of spaces collapsed, repeated headers joined with ",".
function headerMap (rawHeaders) {
  const m = new Map()
  for (let i = 0; i < rawHeaders.length; i += 2) {
    const name = rawHeaders[i].toLowerCase()
    const value = rawHeaders[i + 1].trim().replace(/\s+/g, ' ')
    m.set(name, m.has(name) ? `${m.get(name)},${value}` : value)
  }
  return m
}

// Returns null when the signature is good, else why not. Notes the key id,
// the region and staleness in entry.
function verifySigV4 (req, body, entry) {
  const headers = headerMap(req.rawHeaders)
  const auth = headers.get('authorization')
  if (!auth) return 'no Authorization header'
  const m = /^AWS4-HMAC-SHA256 Credential=([^,]+), ?SignedHeaders=([^,]+), ?Signature=([0-9a-f]{64})$/.exec(auth)
  if (!m) return `malformed Authorization: ${auth.replace(/Signature=.*/, 'Signature=...')}`
  const [, credential, signedHeadersStr, signature] = m
  const scope = credential.split('/')
  if (scope.length !== 5 || scope[4] !== 'aws4_request') return `bad credential scope: ${credential}`
  const [akid, date, region, service] = scope
  entry.akid = akid
  entry.region = region
  loadKeys()
  let rec = keys.get(akid)
  if (!rec && (!opts.accessKey || akid === opts.accessKey)) rec = { secret: opts.secret, token: opts.token }
  if (!rec) return `unexpected access key id: ${akid}`
  if (service !== 'dynamodb') return `service is ${service}, not dynamodb`
  if (!regions.has(region)) return `region is ${region}, not ${opts.region}`
  if (rec.expires !== undefined && Date.now() >= rec.expires) {
    return `ExpiredToken: keys ${akid} expired ${Date.now() - rec.expires} ms ago`
  }
  const latest = rec.stream ? newest.get(rec.stream) : undefined
  if (latest && latest.akid !== akid && Date.now() - latest.issued > 2000) entry.stale_ms = Date.now() - latest.issued

  const amzDate = headers.get('x-amz-date')
  if (!amzDate || !/^\d{8}T\d{6}Z$/.test(amzDate)) return `bad or missing X-Amz-Date: ${amzDate}`
  if (amzDate.slice(0, 8) !== date) return `credential date ${date} differs from X-Amz-Date ${amzDate}`
  const when = Date.UTC(+amzDate.slice(0, 4), +amzDate.slice(4, 6) - 1, +amzDate.slice(6, 8),
    +amzDate.slice(9, 11), +amzDate.slice(11, 13), +amzDate.slice(13, 15))
  if (Math.abs(Date.now() - when) > 5 * 60 * 1000) return `X-Amz-Date ${amzDate} is more than 5 minutes off`

  const signed = signedHeadersStr.split(';')
  if (signed.join(';') !== [...new Set(signed)].sort().join(';') || signed.some((h) => h !== h.toLowerCase())) {
    return `SignedHeaders not sorted, unique and lower case: ${signedHeadersStr}`
  }
  const required = ['host', 'x-amz-date', 'x-amz-target', ...[...headers.keys()].filter((h) => h.startsWith('x-amz-'))]
  for (const h of required) {
    if (!signed.includes(h)) return `header ${h} is not signed`
  }
  for (const h of signed) {
    if (!headers.has(h)) return `signed header ${h} is not in the request`
  }
  if (rec.token !== undefined && rec.token !== null && headers.get('x-amz-security-token') !== rec.token) {
    return 'X-Amz-Security-Token missing or not the expected token'
  }
  if (rec.token === null && headers.has('x-amz-security-token')) return 'unexpected X-Amz-Security-Token'
  const bodyHash = sha256(body)
  const declared = headers.get('x-amz-content-sha256')
  if (declared !== undefined && declared !== bodyHash) return 'X-Amz-Content-Sha256 does not match the body'

  const url = new URL(req.url, 'http://placeholder')
  const canonical = [
    req.method,
    canonicalUri(url.pathname),
    canonicalQuery(url.search.slice(1)),
    signed.map((h) => `${h}:${headers.get(h)}\n`).join(''),
    signedHeadersStr,
    bodyHash
  ].join('\n')
  const stringToSign = ['AWS4-HMAC-SHA256', amzDate, `${date}/${region}/${service}/aws4_request`, sha256(canonical)].join('\n')
  let key = hmac('AWS4' + rec.secret, date)
  key = hmac(key, region)
  key = hmac(key, service)
  key = hmac(key, 'aws4_request')
  const expected = hmac(key, stringToSign)
  if (!crypto.timingSafeEqual(expected, Buffer.from(signature, 'hex'))) return 'signature mismatch'
  return null
}

// ---- faults and stats ------------------------------------------------------

const ACTIONS = new Set(['status500', 'throttle', 'limit_exceeded', 'reset', 'delay',
  'echo_headers', 'paginate_forever', 'paginate_repeat', 'garbage', 'wrong_types', 'truncated', 'too_large',
  'unprocessed', 'protected'])
let pageSerial = 0

// The answer of a lie (see the top), or null when the action is not one.
async function lieAnswer (action, req, body, dynalitePort) {
  switch (action) {
    case 'echo_headers':
      return errorAnswer(400, {
        __type: 'com.amazon.coral.service#IncompleteSignatureException',
        message: `Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header. ` +
          `Authorization=${req.headers.authorization} X-Amz-Security-Token=${req.headers['x-amz-security-token'] || ''}`
      })
    case 'paginate_forever':
      pageSerial++
      return jsonAnswer({ TableNames: [`loop-${String(pageSerial).padStart(9, '0')}`],
        LastEvaluatedTableName: `loop-${String(pageSerial).padStart(9, '0')}` })
    case 'paginate_repeat':
      return jsonAnswer({ TableNames: ['loop'], LastEvaluatedTableName: 'loop' })
    case 'garbage':
      return { status: 200, headers: { 'Content-Type': 'application/x-amz-json-1.0' }, body: Buffer.from('<html>502 Bad Gateway</html>') }
    case 'too_large':
      return jsonAnswer({ TableNames: [], Padding: 'x'.repeat(9 << 20) })
    case 'wrong_types': {
      const answer = await forward(req, body, dynalitePort)
      const doc = JSON.parse(answer.body.toString('utf8'))
      if (doc.Table) doc.Table.TableStatus = 42
      return jsonAnswer(doc) // without dynalite's x-amz-crc32, now wrong
    }
    case 'protected': {
      const answer = await forward(req, body, dynalitePort)
      const doc = JSON.parse(answer.body.toString('utf8'))
      if (doc.Table) doc.Table.DeletionProtectionEnabled = true
      return answer.status === 200 ? jsonAnswer(doc) : answer
    }
    case 'unprocessed': {
      const doc = JSON.parse(body.toString('utf8'))
      const sent = {}
      const left = {}
      for (const [table, reqs] of Object.entries(doc.RequestItems || {})) {
        const half = Math.ceil(reqs.length / 2)
        sent[table] = reqs.slice(0, half)
        if (reqs.length > half) left[table] = reqs.slice(half)
      }
      const answer = await forward(req, Buffer.from(JSON.stringify({ ...doc, RequestItems: sent })), dynalitePort)
      if (answer.status !== 200) return answer
      return jsonAnswer({ UnprocessedItems: left })
    }
    default:
      return null
  }
}

function jsonAnswer (obj) {
  return { status: 200, headers: { 'Content-Type': 'application/x-amz-json-1.0' }, body: Buffer.from(JSON.stringify(obj)) }
}
const ERROR_BODIES = {
  status500: [500, { __type: 'com.amazonaws.dynamodb.v20120810#InternalServerError', message: 'Internal server error' }],
  throttle: [400, { __type: 'com.amazon.coral.availability#ThrottlingException', message: 'Rate exceeded' }],
  limit_exceeded: [400, {
    __type: 'com.amazonaws.dynamodb.v20120810#LimitExceededException',
    message: 'Too many operations for a given subscriber.'
  }]
}

let rules = []
let stats

function resetStats () {
  stats = { total: 0, sig_bad: 0, targets: {}, faults: {} }
}
resetStats()

function parseRules (text) {
  const list = JSON.parse(text)
  if (!Array.isArray(list)) throw new Error('expected a JSON array of rules')
  return list.map((r) => {
    if (typeof r !== 'object' || r === null) throw new Error('a rule must be an object')
    if (typeof r.target !== 'string') throw new Error('rule.target must be a string')
    if (!ACTIONS.has(r.action)) throw new Error(`unknown action: ${r.action}`)
    if (r.action === 'delay' && !(Number.isInteger(r.ms) && r.ms >= 0)) throw new Error('delay needs ms >= 0')
    if (r.ms !== undefined && !(Number.isInteger(r.ms) && r.ms >= 0)) throw new Error('ms must be an integer >= 0')
    if (r.count !== undefined && !(Number.isInteger(r.count) && r.count >= 0)) throw new Error('count must be an integer >= 0')
    return { target: r.target, action: r.action, ms: r.ms, count: r.count }
  })
}

function takeFault (op, target) {
  for (const r of rules) {
    if ((r.target === '*' || r.target === op || r.target === target) && (r.count === undefined || r.count > 0)) {
      if (r.count !== undefined) r.count--
      return r
    }
  }
  return null
}

// ---- servers ---------------------------------------------------------------

const logFd = fs.openSync(opts.log, 'a')
const upstreamAgent = new http.Agent({ keepAlive: true })
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'transfer-encoding', 'expect', 'upgrade',
  'proxy-connection', 'te', 'trailer', 'content-length'])

function readBody (stream) {
  return new Promise((resolve, reject) => {
    const chunks = []
    stream.on('data', (c) => chunks.push(c))
    stream.on('end', () => resolve(Buffer.concat(chunks)))
    stream.on('error', reject)
  })
}

function copyHeaders (raw) {
  const out = {}
  for (let i = 0; i < raw.length; i += 2) {
    if (!HOP_BY_HOP.has(raw[i].toLowerCase())) out[raw[i]] = raw[i + 1]
  }
  return out
}

function forward (req, body, dynalitePort) {
  return new Promise((resolve, reject) => {
    const headers = copyHeaders(req.rawHeaders)
    headers['Content-Length'] = body.length
    const up = http.request({ host: HOST, port: dynalitePort, method: req.method, path: req.url, headers, agent: upstreamAgent },
      async (res) => {
        try {
          resolve({ status: res.statusCode, headers: copyHeaders(res.rawHeaders), body: await readBody(res) })
        } catch (e) { reject(e) }
      })
    up.on('error', reject)
    up.end(body)
  })
}

async function handleProxy (req, res, dynalitePort) {
  const body = await readBody(req)
  const target = req.headers['x-amz-target'] || null
  const entry = { t: Date.now() - START, target, body: null }
  try {
    entry.body = JSON.parse(body.toString('utf8'))
  } catch (e) {
    entry.body = body.toString('utf8')
    entry.body_error = e.message
  }
  const sigError = verifySigV4(req, body, entry)
  entry.sig_ok = sigError === null
  if (sigError) entry.sig_error = sigError

  stats.total++
  if (sigError) stats.sig_bad++
  const op = target ? target.replace(/^.*\./, '') : '(none)'
  stats.targets[op] = (stats.targets[op] || 0) + 1

  const fault = sigError ? null : takeFault(op, target)
  if (fault) {
    entry.fault = fault.action
    stats.faults[op] = (stats.faults[op] || 0) + 1
  }

  let answer
  // "ms" on a rule other than delay: wait that long, then misbehave.
  if (fault && fault.action !== 'delay' && fault.ms) await new Promise((resolve) => setTimeout(resolve, fault.ms))
  if (sigError) {
    answer = errorAnswer(400, { __type: 'com.amazon.coral.service#InvalidSignatureException', message: sigError })
  } else if (fault && fault.action === 'reset') {
    entry.status = null
    writeLog(entry)
    req.socket.destroy()
    return
  } else if (fault && fault.action === 'truncated') {
    entry.status = 200
    writeLog(entry)
    res.writeHead(200, { 'Content-Type': 'application/x-amz-json-1.0', 'Content-Length': 1000 })
    res.write('{"Table": {"TableName"')
    setTimeout(() => req.socket.destroy(), 50)
    return
  } else if (fault && ERROR_BODIES[fault.action]) {
    answer = errorAnswer(...ERROR_BODIES[fault.action])
  } else if (fault && (answer = await lieAnswer(fault.action, req, body, dynalitePort)) !== null) {
    // answered by the lie
  } else {
    if (fault && fault.action === 'delay') await new Promise((resolve) => setTimeout(resolve, fault.ms))
    answer = await forward(req, body, dynalitePort)
  }
  entry.status = answer.status
  writeLog(entry)
  answer.headers['Content-Length'] = answer.body.length
  res.writeHead(answer.status, answer.headers)
  res.end(answer.body)
}

function errorAnswer (status, obj) {
  return {
    status,
    headers: { 'Content-Type': 'application/x-amz-json-1.0', 'x-amzn-RequestId': crypto.randomUUID() },
    body: Buffer.from(JSON.stringify(obj))
  }
}

function writeLog (entry) {
  fs.writeSync(logFd, JSON.stringify(entry) + '\n')
}

function sendJson (res, status, obj) {
  const text = JSON.stringify(obj) + '\n'
  res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text) })
  res.end(text)
}

async function handleControl (req, res) {
  const body = (await readBody(req)).toString('utf8')
  const route = `${req.method} ${req.url}`
  if (route === 'POST /faults') {
    try {
      rules = parseRules(body)
    } catch (e) {
      return sendJson(res, 400, { error: e.message })
    }
    return sendJson(res, 200, { rules })
  }
  if (route === 'GET /faults') return sendJson(res, 200, { rules })
  if (route === 'GET /stats') return sendJson(res, 200, stats)
  if (route === 'POST /reset') {
    rules = []
    resetStats()
    return sendJson(res, 200, { ok: true })
  }
  return sendJson(res, 404, { error: `no route ${route}` })
}

function listen (server) {
  return new Promise((resolve, reject) => {
    server.once('error', reject)
    server.listen(0, HOST, () => resolve(server.address().port))
  })
}

// Registered before anything listens: until a handler exists, SIGTERM
// would kill node with status 143.
const servers = []
function stop () {
  for (const s of servers) s.closeAllConnections()
  upstreamAgent.destroy()
  process.exit(0)
}
process.on('SIGTERM', stop)
process.on('SIGINT', stop)
// If whoever started us dies without stopping us (SIGKILL), stop too.
const parent = process.ppid
setInterval(() => { if (process.ppid !== parent) stop() }, 500).unref()

async function main () {
  let dynalitePort = opts.upstreamPort
  if (dynalitePort === undefined) {
    const dynalite = require('dynalite')({
      createTableMs: opts.createMs, deleteTableMs: opts.deleteMs, updateTableMs: opts.updateMs
    })
    servers.push(dynalite)
    dynalitePort = await listen(dynalite)
  }

  const proxy = http.createServer({ keepAlive: true }, (req, res) => {
    handleProxy(req, res, dynalitePort).catch((e) => {
      process.stderr.write(`dynalite-proxy: ${e.stack || e}\n`)
      if (!res.headersSent) sendJson(res, 502, { error: String(e) })
      else res.destroy()
    })
  })
  proxy.keepAliveTimeout = 60000
  servers.push(proxy)
  const proxyPort = await listen(proxy)

  const control = http.createServer((req, res) => {
    handleControl(req, res).catch((e) => sendJson(res, 500, { error: String(e) }))
  })
  servers.push(control)
  const controlPort = await listen(control)

  const tmp = `${opts.state}.tmp`
  fs.writeFileSync(tmp, JSON.stringify({ dynalite: dynalitePort, proxy: proxyPort, control: controlPort }) + '\n')
  fs.renameSync(tmp, opts.state)

}

main().catch((e) => {
  process.stderr.write(`dynalite-proxy: ${e.stack || e}\n`)
  process.exit(1)
})
