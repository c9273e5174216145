// SPDX-License-Identifier: MIT
'use strict'
// Shared by the tests: the daemon of tests/e2e/harness.sh, more daemons of
// a test's own, the proxy's request log. Loopback only.
const { spawn } = require('node:child_process')
const fs = require('node:fs')
const os = require('node:os')
const path = require('node:path')
const crypto = require('node:crypto')

// The harness's daemon. Under ctest (DYNTABLE_NODE_E2E=1) a missing one is a
// failure; run by hand without the harness, the e2e tests skip and say why.
function daemon (t) {
  const socket = process.env.DYNTABLE_SOCKET
  if (socket) return socket
  if (process.env.DYNTABLE_NODE_E2E === '1') throw new Error('DYNTABLE_SOCKET is not set: the harness did not start a daemon')
  t.skip('no daemon: run under tests/e2e/harness.sh (ctest -R node)')
  return null
}

function need (name) {
  const v = process.env[name]
  if (!v) throw new Error(`${name} is not set: run under tests/e2e/harness.sh through ctest`)
  return v
}

const uniq = (p = 't') => `${p}-${process.pid}-${crypto.randomBytes(3).toString('hex')}`

// Every request the daemons sent to DynamoDB (the proxy's JSONL log).
function requests () {
  return fs.readFileSync(need('DYNTABLE_TEST_REQUESTS'), 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l))
}

// Starts another dyntabled (DYNTABLE_TEST_DAEMON_BIN) on a socket of its
// own against the harness's proxy, signing with keys of its own (appended
// to the proxy's DYNTABLE_TEST_KEYS) unless creds is false. Resolves once
// it listens.
async function startDaemon (args = [], { creds = true, endpoint } = {}) {
  const bin = need('DYNTABLE_TEST_DAEMON_BIN')
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dyntable-node-daemon-'))
  const socket = path.join(dir, 'd.sock')
  const env = { PATH: process.env.PATH, HOME: dir, AWS_EC2_METADATA_DISABLED: 'true', NO_PROXY: '*' }
  if (creds) {
    const key = { access_key: `AKIDNODE${crypto.randomBytes(4).toString('hex').toUpperCase()}`, secret: crypto.randomBytes(16).toString('hex') }
    fs.appendFileSync(need('DYNTABLE_TEST_KEYS'), JSON.stringify(key) + '\n')
    env.AWS_ACCESS_KEY_ID = key.access_key
    env.AWS_SECRET_ACCESS_KEY = key.secret
  }
  const logFile = path.join(dir, 'daemon.log')
  const log = fs.openSync(logFile, 'w')
  const proc = spawn(bin, ['--socket', socket, '--endpoint', endpoint || need('DYNTABLE_TEST_ENDPOINT'),
    '--region', 'us-east-1', '--log-level', 'debug', ...args], { env, stdio: ['ignore', log, log] })
  fs.closeSync(log)
  const exited = new Promise((resolve) => proc.once('exit', (code, signal) => resolve({ code, signal })))
  for (let i = 0; i < 100 && !fs.existsSync(socket); i++) {
    if (proc.exitCode !== null) break
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
  if (!fs.existsSync(socket)) {
    proc.kill('SIGKILL')
    throw new Error(`dyntabled did not listen on ${socket}: ${fs.readFileSync(logFile, 'utf8')}`)
  }
  return {
    socket, proc, exited, dir, log: () => fs.readFileSync(logFile, 'utf8'),
    async stop (signal = 'SIGTERM') {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill(signal)
      const how = await exited
      if (process.env.DYNTABLE_TEST_KEEP !== '1') fs.rmSync(dir, { recursive: true, force: true })
      return how
    }
  }
}

// POSTs fault rules to the proxy's control server (tests/tools/dynalite-proxy.js).
async function faults (rules) {
  const r = await fetch(`${need('DYNTABLE_TEST_CONTROL')}/faults`, { method: 'POST', body: JSON.stringify(rules) })
  if (!r.ok) throw new Error(`POST /faults: ${r.status}`)
}

module.exports = { daemon, need, uniq, requests, startDaemon, faults }
