#!/usr/bin/env node
// SPDX-License-Identifier: MIT
// Loopback stand-ins for the AWS credential endpoints, for dyntable's tests:
// the EC2 instance metadata service, a container credentials endpoint and
// STS AssumeRoleWithWebIdentity. AWS's real addresses (169.254.169.254,
// 169.254.170.2, sts.*.amazonaws.com) are never used: tests point the
// daemon here with AWS_EC2_METADATA_SERVICE_ENDPOINT,
// AWS_CONTAINER_CREDENTIALS_FULL_URI and AWS_ENDPOINT_URL_STS.
//
// One server on 127.0.0.1:0 answers:
//   PUT /latest/api/token              IMDSv2 session token; needs the
//                                      x-aws-ec2-metadata-token-ttl-seconds
//                                      header
//   GET /latest/meta-data/iam/security-credentials/       the role name
//   GET /latest/meta-data/iam/security-credentials/ROLE   keys (JSON, Token)
//                                      both need x-aws-ec2-metadata-token
//                                      unless the token PUT is set to fail
//                                      with 403/404/405 (IMDSv1)
//   GET /container/...                 keys (JSON, Token); Authorization must
//                                      be the container token exactly
//   POST /sts                          AssumeRoleWithWebIdentity: unsigned
//                                      form body; WebIdentityToken must be
//                                      the web token; XML reply.
//                                      AssumeRole: SigV4-signed (service
//                                      sts) with a key set of --keys that
//                                      has not expired, its session token
//                                      as X-Amz-Security-Token; every call
//                                      is listed in /stats assume.calls
//                                      (key id, RoleArn, RoleSessionName,
//                                      ExternalId, DurationSeconds, region)
//   POST /oidc/token                   SSO OIDC CreateToken, refresh_token
//                                      grant: clientId, clientSecret and
//                                      refreshToken as configured; answers
//                                      a new access token and a new
//                                      refresh token
//   GET /portal/federation/credentials SSO GetRoleCredentials: the
//                                      x-amz-sso_bearer_token must be a
//                                      live access token (401 otherwise),
//                                      account_id and role_name as
//                                      configured (403 otherwise)
// Each key set handed out is new, expires `lifetime` seconds later (whole
// seconds), and is appended to --keys as one JSON line before the reply
// leaves: {"access_key", "secret", "token", "expires": ms, "issued": ms,
// "stream": "imds" | "container" | "sts"}. dynalite-proxy.js --keys reads
// the same file to tell current keys from expired ones.
//
// A control server on 127.0.0.1:0:
//   POST /config  {"imds": {...}, "container": {...}, "sts": {...},
//                 "assume": {...}, "sso": {...}} merged into the settings
//                 of each stream:
//                   lifetime  seconds the keys live (default --lifetime)
//                   fail      HTTP status to answer instead (0: none)
//                   fail_count  answer `fail` this many times, then normally
//                             (absent or null: until changed)
//                   token_status  imds only: status of the token PUT (200,
//                             or 403/404/405 to make clients use IMDSv1)
//                   sso only: access_token, access_expires (ms: that
//                             token is live until then), refresh_token,
//                             client_id, client_secret, account_id,
//                             role_name, token_lifetime (s, of the tokens
//                             CreateToken hands out)
//   GET /stats    {"imds": {"requests": N, "keys": N, "failed": N}, ...}
//
// Options: --state FILE --keys FILE [--lifetime S] [--container-token T]
//          [--web-token T] [--role NAME] [--secrets FILE]
// --secrets: every token CreateToken hands out is appended there, one a
// line, before the reply leaves (for the tests' secrets sweep).
// Writes {"port": P, "control": C} to --state (write, then rename). Exits
// 0 on SIGTERM/SIGINT and when its parent goes away. Binds loopback only.
'use strict'

const crypto = require('crypto')
const fs = require('fs')
const http = require('http')

const HOST = '127.0.0.1'

function parseArgs (argv) {
  const opts = { lifetime: 3600, containerToken: 'container-token', webToken: 'web-identity-token', role: 'dyntable-test-role' }
  const names = {
    '--state': 'state', '--keys': 'keys', '--lifetime': 'lifetime', '--container-token': 'containerToken',
    '--web-token': 'webToken', '--role': 'role', '--secrets': 'secrets'
  }
  for (let i = 0; i < argv.length; i++) {
    const key = names[argv[i]]
    if (!key || i + 1 >= argv.length) usage(`bad argument: ${argv[i]}`)
    opts[key] = argv[++i]
  }
  opts.lifetime = Number(opts.lifetime)
  if (!opts.state || !opts.keys || !(opts.lifetime > 0)) usage('--state and --keys are required; --lifetime > 0')
  return opts
}

function usage (msg) {
  process.stderr.write(`aws-standins: ${msg}\nusage: aws-standins.js --state FILE --keys FILE [--lifetime S] ` +
    '[--container-token T] [--web-token T] [--role NAME]\n')
  process.exit(2)
}

const opts = parseArgs(process.argv.slice(2))

const settings = {}
const stats = {}
for (const s of ['imds', 'container', 'sts', 'assume', 'sso', 'oidc']) {
  settings[s] = { lifetime: opts.lifetime, fail: 0, fail_count: undefined, token_status: 200 }
  stats[s] = { requests: 0, keys: 0, failed: 0 }
}
stats.assume.calls = []
const ssoTokens = new Map() // live access token -> expiry (ms)
const imdsTokens = new Set()
let serial = 0

const rand = (n) => crypto.randomBytes(n).toString('hex').toUpperCase()
const b64 = (n) => crypto.randomBytes(n).toString('base64')

// A new key set for stream, recorded in the keys file first.
function issue (stream) {
  const now = Date.now()
  const expires = Math.floor((now + settings[stream].lifetime * 1000) / 1000) * 1000
  serial++
  const k = {
    access_key: `ASIA${stream.slice(0, 2).toUpperCase()}${String(serial).padStart(4, '0')}${rand(5)}`,
    secret: `standin${b64(30)}`,
    token: `IQoJstandin${b64(90)}`,
    expires,
    issued: now,
    stream
  }
  fs.appendFileSync(opts.keys, JSON.stringify(k) + '\n')
  stats[stream].keys++
  return k
}

const iso = (ms) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z')

// Answers `fail` instead when the stream is set to; true if it did.
function maybeFail (stream, res, body) {
  const st = settings[stream]
  if (!st.fail) return false
  if (st.fail_count !== undefined && st.fail_count !== null) {
    if (st.fail_count <= 0) return false
    st.fail_count--
  }
  stats[stream].failed++
  res.writeHead(st.fail, { 'Content-Type': body ? 'text/xml' : 'text/plain' })
  res.end(body || `injected failure ${st.fail}\n`)
  return true
}

function readBody (req) {
  return new Promise((resolve, reject) => {
    const chunks = []
    req.on('data', (c) => chunks.push(c))
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')))
    req.on('error', reject)
  })
}

function sendJson (res, status, obj) {
  const text = JSON.stringify(obj) + '\n'
  res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text) })
  res.end(text)
}

// The <Credentials> element of an STS reply for key set k.
function credentialsXml (k) {
  return '    <Credentials>\n' +
    `      <AccessKeyId>${k.access_key}</AccessKeyId>\n` +
    `      <SecretAccessKey>${k.secret}</SecretAccessKey>\n` +
    `      <SessionToken>${k.token}</SessionToken>\n` +
    `      <Expiration>${iso(k.expires)}</Expiration>\n` +
    '    </Credentials>\n'
}

function stsError (res, status, code, message) {
  const xml = '<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">\n' +
    `  <Error><Type>Sender</Type><Code>${code}</Code><Message>${message}</Message></Error>\n` +
    `  <RequestId>${crypto.randomUUID()}</RequestId>\n</ErrorResponse>\n`
  res.writeHead(status, { 'Content-Type': 'text/xml' })
  res.end(xml)
}

// ---- SigV4, for AssumeRole ----------------------------------------------------

const sha256 = (data) => crypto.createHash('sha256').update(data).digest('hex')
const hmac = (key, data) => crypto.createHmac('sha256', key).update(data).digest()

// The key sets tests and stand-ins put in --keys: access key id -> record.
function loadKeys () {
  const m = new Map()
  for (const line of fs.readFileSync(opts.keys, 'utf8').split('\n')) {
    try {
      const k = JSON.parse(line)
      m.set(k.access_key, k)
    } catch (e) {}
  }
  return m
}

// null when req is signed for service sts with a live key set of --keys,
// else why not. Notes the key id and region in call.
function verifySigV4 (req, body, call) {
  const h = {}
  for (let i = 0; i < req.rawHeaders.length; i += 2) {
    h[req.rawHeaders[i].toLowerCase()] = req.rawHeaders[i + 1].trim().replace(/\s+/g, ' ')
  }
  const m = /^AWS4-HMAC-SHA256 Credential=([^/]+)\/(\d{8})\/([^/]+)\/([^/]+)\/aws4_request, ?SignedHeaders=([^,]+), ?Signature=([0-9a-f]{64})$/
    .exec(h.authorization || '')
  if (!m) return 'missing or malformed Authorization'
  const [, akid, date, region, service, signedStr, signature] = m
  call.akid = akid
  call.region = region
  const rec = loadKeys().get(akid)
  if (!rec) return `unknown access key id ${akid}`
  if (service !== 'sts') return `signed for ${service}, not sts`
  if (rec.expires !== undefined && Date.now() >= rec.expires) return `keys ${akid} expired`
  if ((rec.token || undefined) !== h['x-amz-security-token']) return 'X-Amz-Security-Token is not the key set\'s token'
  const amzDate = h['x-amz-date'] || ''
  if (amzDate.slice(0, 8) !== date) return 'X-Amz-Date missing or not the credential date'
  const signed = signedStr.split(';')
  for (const need of ['host', 'x-amz-date', ...Object.keys(h).filter((n) => n.startsWith('x-amz-'))]) {
    if (!signed.includes(need)) return `${need} is not signed`
  }
  const url = new URL(req.url, 'http://placeholder')
  const canonical = [req.method, url.pathname, '', signed.map((n) => `${n}:${h[n]}\n`).join(''), signedStr,
    sha256(body)].join('\n')
  const toSign = ['AWS4-HMAC-SHA256', amzDate, `${date}/${region}/${service}/aws4_request`, sha256(canonical)].join('\n')
  let key = hmac('AWS4' + rec.secret, date)
  for (const part of [region, service, 'aws4_request']) key = hmac(key, part)
  if (hmac(key, toSign).toString('hex') !== signature) return 'signature mismatch'
  return null
}

const ROLE_PATH = '/latest/meta-data/iam/security-credentials/'

async function handleImds (req, res, url) {
  stats.imds.requests++
  const st = settings.imds
  if (req.method === 'PUT' && url.pathname === '/latest/api/token') {
    if (st.token_status !== 200) {
      res.writeHead(st.token_status)
      return res.end()
    }
    if (!/^\d+$/.test(req.headers['x-aws-ec2-metadata-token-ttl-seconds'] || '')) {
      res.writeHead(400)
      return res.end('missing x-aws-ec2-metadata-token-ttl-seconds\n')
    }
    const t = `imdstoken${rand(16)}`
    imdsTokens.add(t)
    res.writeHead(200, { 'Content-Type': 'text/plain' })
    return res.end(t)
  }
  if (req.method !== 'GET' || !url.pathname.startsWith(ROLE_PATH)) {
    res.writeHead(404)
    return res.end()
  }
  const v1 = st.token_status !== 200
  if (!v1 && !imdsTokens.has(req.headers['x-aws-ec2-metadata-token'])) {
    res.writeHead(401)
    return res.end()
  }
  if (maybeFail('imds', res)) return
  const role = url.pathname.slice(ROLE_PATH.length)
  if (role === '') {
    res.writeHead(200, { 'Content-Type': 'text/plain' })
    return res.end(opts.role)
  }
  if (role !== opts.role) {
    res.writeHead(404)
    return res.end()
  }
  const k = issue('imds')
  sendJson(res, 200, {
    Code: 'Success',
    LastUpdated: iso(k.issued),
    Type: 'AWS-HMAC',
    AccessKeyId: k.access_key,
    SecretAccessKey: k.secret,
    Token: k.token,
    Expiration: iso(k.expires)
  })
}

async function handleContainer (req, res) {
  stats.container.requests++
  if (req.method !== 'GET') {
    res.writeHead(405)
    return res.end()
  }
  if (req.headers.authorization !== opts.containerToken) {
    stats.container.failed++
    return sendJson(res, 401, { message: 'bad or missing Authorization' })
  }
  if (maybeFail('container', res)) return
  const k = issue('container')
  sendJson(res, 200, {
    AccessKeyId: k.access_key,
    SecretAccessKey: k.secret,
    Token: k.token,
    Expiration: iso(k.expires),
    RoleArn: `arn:aws:iam::123456789012:role/${opts.role}`
  })
}

async function handleSts (req, res) {
  stats.sts.requests++
  const body = await readBody(req)
  if (req.method !== 'POST') return stsError(res, 405, 'InvalidAction', 'POST only')
  if (!/^application\/x-www-form-urlencoded/.test(req.headers['content-type'] || '')) {
    return stsError(res, 400, 'InvalidRequest', 'not a form')
  }
  const form = new URLSearchParams(body)
  if (form.get('Action') !== 'AssumeRole' && req.headers.authorization) {
    stats.sts.failed++
    return stsError(res, 400, 'InvalidRequest', 'AssumeRoleWithWebIdentity is unsigned')
  }
  if (form.get('Action') === 'AssumeRole' && form.get('Version') === '2011-06-15') return handleAssumeRole(req, res, body, form)
  if (form.get('Action') !== 'AssumeRoleWithWebIdentity' || form.get('Version') !== '2011-06-15') {
    return stsError(res, 400, 'InvalidAction', 'unexpected Action or Version')
  }
  const session = form.get('RoleSessionName') || ''
  if (!form.get('RoleArn') || !/^[\w+=,.@-]{2,64}$/.test(session)) {
    return stsError(res, 400, 'ValidationError', 'RoleArn or RoleSessionName missing or malformed')
  }
  if (form.get('WebIdentityToken') !== opts.webToken) {
    stats.sts.failed++
    return stsError(res, 400, 'InvalidIdentityToken', 'The web identity token is not valid')
  }
  if (maybeFail('sts', res, '<ErrorResponse><Error><Type>Receiver</Type><Code>InternalFailure</Code>' +
      '<Message>injected failure</Message></Error></ErrorResponse>\n')) return
  const k = issue('sts')
  const xml = '<AssumeRoleWithWebIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">\n' +
    '  <AssumeRoleWithWebIdentityResult>\n' +
    '    <SubjectFromWebIdentityToken>ci-job</SubjectFromWebIdentityToken>\n' +
    '    <Audience>sts.amazonaws.com</Audience>\n' +
    `    <AssumedRoleUser><Arn>${form.get('RoleArn')}/${session}</Arn>` +
    `<AssumedRoleId>AROA${rand(8)}:${session}</AssumedRoleId></AssumedRoleUser>\n` +
    credentialsXml(k) +
    '    <Provider>token.actions.example</Provider>\n' +
    '  </AssumeRoleWithWebIdentityResult>\n' +
    `  <ResponseMetadata><RequestId>${crypto.randomUUID()}</RequestId></ResponseMetadata>\n` +
    '</AssumeRoleWithWebIdentityResponse>\n'
  res.writeHead(200, { 'Content-Type': 'text/xml' })
  res.end(xml)
}

function handleAssumeRole (req, res, body, form) {
  stats.sts.requests--
  stats.assume.requests++
  const call = {
    role_arn: form.get('RoleArn'),
    session: form.get('RoleSessionName'),
    external_id: form.get('ExternalId'),
    duration: form.get('DurationSeconds'),
    at: Date.now()
  }
  const why = verifySigV4(req, body, call)
  call.ok = why === null
  if (why !== null) call.why = why
  stats.assume.calls.push(call)
  if (stats.assume.calls.length > 500) stats.assume.calls.shift()
  if (why !== null) {
    stats.assume.failed++
    return stsError(res, 403, 'SignatureDoesNotMatch', why)
  }
  if (!call.role_arn || !/^[\w+=,.@-]{2,64}$/.test(call.session || '')) {
    return stsError(res, 400, 'ValidationError', 'RoleArn or RoleSessionName missing or malformed')
  }
  if (maybeFail('assume', res, '<ErrorResponse><Error><Type>Sender</Type><Code>AccessDenied</Code>' +
      `<Message>User is not authorized to perform: sts:AssumeRole on resource: ${call.role_arn}</Message>` +
      '</Error></ErrorResponse>\n')) return
  const k = issue('assume')
  const xml = '<AssumeRoleResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">\n' +
    '  <AssumeRoleResult>\n' +
    `    <AssumedRoleUser><Arn>${call.role_arn}/${call.session}</Arn>` +
    `<AssumedRoleId>AROA${rand(8)}:${call.session}</AssumedRoleId></AssumedRoleUser>\n` +
    credentialsXml(k) +
    '  </AssumeRoleResult>\n' +
    `  <ResponseMetadata><RequestId>${crypto.randomUUID()}</RequestId></ResponseMetadata>\n` +
    '</AssumeRoleResponse>\n'
  res.writeHead(200, { 'Content-Type': 'text/xml' })
  res.end(xml)
}

// A token CreateToken hands out: live for token_lifetime s, listed in
// --secrets before it leaves.
function ssoToken (prefix) {
  const t = `${prefix}${rand(24).toLowerCase()}`
  if (opts.secrets) fs.appendFileSync(opts.secrets, t + '\n')
  return t
}

async function handleOidc (req, res) {
  stats.oidc.requests++
  const st = settings.sso
  let body
  try {
    body = JSON.parse(await readBody(req))
  } catch (e) {
    return sendJson(res, 400, { error: 'invalid_request', error_description: 'not JSON' })
  }
  if (req.method !== 'POST' || body.grantType !== 'refresh_token' || body.clientId !== st.client_id ||
      body.clientSecret !== st.client_secret || !st.refresh_token || body.refreshToken !== st.refresh_token) {
    stats.oidc.failed++
    return sendJson(res, 400, { error: 'invalid_grant', error_description: 'bad client or refresh token' })
  }
  if (maybeFail('oidc', res)) return
  const lifetime = st.token_lifetime || 3600
  const access = ssoToken('ssoaccess')
  st.refresh_token = ssoToken('ssorefresh')
  ssoTokens.set(access, Date.now() + lifetime * 1000)
  stats.oidc.keys++
  sendJson(res, 200, { accessToken: access, tokenType: 'Bearer', expiresIn: lifetime, refreshToken: st.refresh_token })
}

async function handlePortal (req, res, url) {
  stats.sso.requests++
  const st = settings.sso
  const token = req.headers['x-amz-sso_bearer_token']
  if (req.method !== 'GET' || !token || !ssoTokens.has(token) || ssoTokens.get(token) <= Date.now()) {
    stats.sso.failed++
    return sendJson(res, 401, { message: 'Session token not found or invalid' })
  }
  if (url.searchParams.get('account_id') !== st.account_id || url.searchParams.get('role_name') !== st.role_name) {
    stats.sso.failed++
    return sendJson(res, 403, { message: 'No access' })
  }
  if (maybeFail('sso', res)) return
  const k = issue('sso')
  sendJson(res, 200, {
    roleCredentials: {
      accessKeyId: k.access_key, secretAccessKey: k.secret, sessionToken: k.token, expiration: k.expires
    }
  })
}

async function handle (req, res) {
  const url = new URL(req.url, 'http://placeholder')
  if (url.pathname.startsWith('/latest/')) return handleImds(req, res, url)
  if (url.pathname.startsWith('/container/')) return handleContainer(req, res)
  if (url.pathname === '/sts' || url.pathname === '/sts/') return handleSts(req, res)
  if (url.pathname === '/oidc/token') return handleOidc(req, res)
  if (url.pathname === '/portal/federation/credentials') return handlePortal(req, res, url)
  res.writeHead(404)
  res.end()
}

async function handleControl (req, res) {
  const body = await readBody(req)
  const route = `${req.method} ${req.url}`
  if (route === 'GET /stats') return sendJson(res, 200, stats)
  if (route === 'POST /config') {
    let cfg
    try {
      cfg = JSON.parse(body)
    } catch (e) {
      return sendJson(res, 400, { error: e.message })
    }
    for (const [stream, values] of Object.entries(cfg)) {
      if (!settings[stream] || typeof values !== 'object') return sendJson(res, 400, { error: `unknown stream ${stream}` })
      Object.assign(settings[stream], values)
      if (stream === 'sso' && values.access_token) ssoTokens.set(values.access_token, values.access_expires)
    }
    return sendJson(res, 200, settings)
  }
  return sendJson(res, 404, { error: `no route ${route}` })
}

function listen (server) {
  return new Promise((resolve, reject) => {
    server.once('error', reject)
    server.listen(0, HOST, () => resolve(server.address().port))
  })
}

const servers = []
function stop () {
  for (const s of servers) s.closeAllConnections()
  process.exit(0)
}
process.on('SIGTERM', stop)
process.on('SIGINT', stop)
const parent = process.ppid
setInterval(() => { if (process.ppid !== parent) stop() }, 500).unref()

async function main () {
  fs.appendFileSync(opts.keys, '')
  const server = http.createServer((req, res) => {
    handle(req, res).catch((e) => {
      process.stderr.write(`aws-standins: ${e.stack || e}\n`)
      if (!res.headersSent) sendJson(res, 500, { error: String(e) })
      else res.destroy()
    })
  })
  servers.push(server)
  const port = await listen(server)
  const control = http.createServer((req, res) => {
    handleControl(req, res).catch((e) => sendJson(res, 500, { error: String(e) }))
  })
  servers.push(control)
  const controlPort = await listen(control)
  const tmp = `${opts.state}.tmp`
  fs.writeFileSync(tmp, JSON.stringify({ port, control: controlPort }) + '\n')
  fs.renameSync(tmp, opts.state)
}

main().catch((e) => {
  process.stderr.write(`aws-standins: ${e.stack || e}\n`)
  process.exit(1)
})
