// SPDX-License-Identifier: MIT
'use strict'
// Errors: one class per protocol error code (PROTOCOL.md §4), all under
// DyntableError, plus ConnectionError for a daemon that cannot be reached
// or a connection that was lost. Aborted calls reject with the signal's
// reason (an AbortError DOMException by default), as Node's own APIs do.

class DyntableError extends Error {
  // code: the protocol's name ("NOT_FOUND"); number: its code (4);
  // awsType: DynamoDB's error type when DynamoDB gave one.
  constructor (message, { code = 'ERROR', number = 0, awsType, cause } = {}) {
    super(message, cause === undefined ? undefined : { cause })
    this.name = new.target.name
    this.code = code
    this.number = number
    if (awsType) this.awsType = awsType
  }
}

// [number, protocol name, class name], in PROTOCOL.md §4's order.
const CODES = [
  [1, 'PROTOCOL', 'ProtocolError'],
  [2, 'VERSION', 'VersionError'],
  [3, 'INVALID', 'InvalidError'],
  [4, 'NOT_FOUND', 'NotFoundError'],
  [5, 'IN_USE', 'InUseError'],
  [6, 'TIMEOUT', 'TimeoutError'],
  [7, 'AWS', 'AwsError'],
  [8, 'UPSTREAM', 'UpstreamError'],
  [9, 'CREDENTIALS', 'CredentialsError'],
  [10, 'LIMIT', 'LimitError'],
  [11, 'SHUTDOWN', 'ShutdownError'],
  [12, 'DENIED', 'DeniedError'],
  [13, 'INTERNAL', 'InternalError']
]

const classes = { DyntableError }
const byNumber = new Map()
for (const [number, code, name] of CODES) {
  // A named class per code, so that stack traces and instanceof read well.
  const cls = {
    [name]: class extends DyntableError {
      constructor (message, opts = {}) { super(message, { ...opts, code, number }) }
    }
  }[name]
  classes[name] = cls
  byNumber.set(number, cls)
}

// The daemon cannot be reached, or the connection to it was lost or closed.
class ConnectionError extends DyntableError {
  constructor (message, opts = {}) { super(message, { code: 'CONNECTION', ...opts }) }
}
classes.ConnectionError = ConnectionError

// The error of an error reply's `error` map ({code, name, message, aws_type}).
function fromReply (e) {
  const cls = byNumber.get(e && e.code) || DyntableError
  const message = typeof e?.message === 'string' && e.message ? e.message : String(e?.name || 'error')
  const err = new cls(message, { awsType: e?.aws_type, code: e?.name, number: e?.code })
  return err
}

module.exports = { ...classes, fromReply, CODES }
