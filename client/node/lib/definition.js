// SPDX-License-Identifier: MIT
'use strict'
// Table definitions: createTable's options and models, shaped into the
// CreateTableInput that libdyntable sends for the same definition (same
// defaults, same member and AttributeDefinitions order). Only shaping
// happens here; the daemon checks the definition and names the field it
// refuses (PROTOCOL.md §6), so no DynamoDB rule is repeated.
const { InvalidError } = require('./errors')

const TYPES = { S: 'S', N: 'N', B: 'B', STRING: 'S', NUMBER: 'N', BINARY: 'B' }

function fail (field, what) {
  throw new InvalidError(`${field}: ${what}`)
}

// "S", "string"... to S, N or B; anything else goes to the daemon as given.
function attrType (t) {
  return (typeof t === 'string' && TYPES[t.toUpperCase()]) || t
}

// [name, type] (a key), or a list of them for a multi-attribute GSI key.
function keyList (k, field) {
  if (k === undefined || k === null || (Array.isArray(k) && k.length === 0)) return []
  if (!Array.isArray(k)) fail(field, 'want [name, type] or a list of them')
  return Array.isArray(k[0]) ? k : [k]
}

// Builds the document as libdyntable's dtc_def_doc does.
function createTableInput (name, o = {}) {
  const defs = []
  const seen = new Map() // attribute name -> [type, field of first use]
  const key = (k, keyType, field) => {
    if (!Array.isArray(k) || typeof k[0] !== 'string') fail(field, 'want [name, type]')
    const [attr, t] = [k[0], attrType(k[1])]
    const first = seen.get(attr)
    if (!first) {
      seen.set(attr, [t, field])
      defs.push({ AttributeName: attr, AttributeType: t })
    } else if (first[0] !== t) {
      fail(field, `'${attr}' is ${t} here but ${first[0]} in ${first[1]}`)
    }
    return { AttributeName: attr, KeyType: keyType }
  }
  const projection = (x, field) => {
    let type = x.projection ?? 'ALL'
    let nka = x.nonKeyAttributes
    if (Array.isArray(type)) [type, nka] = ['INCLUDE', type]
    const p = { ProjectionType: type }
    if (nka !== undefined) p.NonKeyAttributes = nka
    return p
  }
  const throughput = (r, w) => ({ ReadCapacityUnits: r, WriteCapacityUnits: w })
  const prov = o.billingMode === 'PROVISIONED'
  const rcu = o.readCapacity ?? 5
  const wcu = o.writeCapacity ?? 5

  const t = { AttributeDefinitions: defs, TableName: name }
  t.KeySchema = [key(o.partitionKey, 'HASH', 'partitionKey')]
  if (o.sortKey) t.KeySchema.push(key(o.sortKey, 'RANGE', 'sortKey'))
  const gsis = (o.globalSecondaryIndexes ?? []).map((g, i) => {
    const f = `globalSecondaryIndexes[${i}]`
    const x = { IndexName: g.name, KeySchema: [] }
    keyList(g.partitionKey, `${f}.partitionKey`).forEach((k, j) =>
      x.KeySchema.push(key(k, 'HASH', `${f}.partitionKey[${j}]`)))
    keyList(g.sortKey, `${f}.sortKey`).forEach((k, j) =>
      x.KeySchema.push(key(k, 'RANGE', `${f}.sortKey[${j}]`)))
    x.Projection = projection(g, f)
    if (prov || g.readCapacity !== undefined || g.writeCapacity !== undefined) {
      x.ProvisionedThroughput = throughput(g.readCapacity ?? rcu, g.writeCapacity ?? wcu)
    }
    return x
  })
  const lsis = (o.localSecondaryIndexes ?? []).map((l, i) => {
    const f = `localSecondaryIndexes[${i}]`
    return {
      IndexName: l.name,
      KeySchema: [key(o.partitionKey, 'HASH', 'partitionKey'), key(l.sortKey, 'RANGE', `${f}.sortKey`)],
      Projection: projection(l, f)
    }
  })
  if (lsis.length) t.LocalSecondaryIndexes = lsis
  if (gsis.length) t.GlobalSecondaryIndexes = gsis
  t.BillingMode = o.billingMode ?? 'PAY_PER_REQUEST'
  if (prov || o.readCapacity !== undefined || o.writeCapacity !== undefined) {
    t.ProvisionedThroughput = throughput(rcu, wcu)
  }
  if (o.stream) t.StreamSpecification = { StreamEnabled: true, StreamViewType: o.stream }
  const enc = o.encryption ?? 'AWS_OWNED'
  if (enc === 'AWS_MANAGED' || enc === 'CUSTOMER_MANAGED') {
    t.SSESpecification = { Enabled: true, SSEType: 'KMS' }
  } else if (enc !== 'AWS_OWNED') {
    fail('encryption', 'must be AWS_OWNED, AWS_MANAGED or CUSTOMER_MANAGED')
  }
  // The daemon refuses a key without CUSTOMER_MANAGED, and the reverse.
  if (o.kmsKeyId !== undefined) (t.SSESpecification ??= {}).KMSMasterKeyId = o.kmsKeyId
  if (o.tags) {
    t.Tags = Object.entries(o.tags).map(([Key, Value]) => ({ Key, Value: Value ?? '' }))
  }
  if (o.tableClass) t.TableClass = o.tableClass
  if (o.deletionProtection) t.DeletionProtectionEnabled = true
  return t
}

// ---- models ---------------------------------------------------------------

// A model, in docs/MODEL.md's format (the file `dyntablectl create --model`
// reads), with camelCase spellings accepted too:
//   { table, attributes: {pk: "S", ...}, partitionKey, sortKey,
//     indexes: [{ name, type: "global"|"local", partitionKey, sortKey,
//                 projection, readCapacity, writeCapacity }] }
// It derives createTable's options; the table's settings come from opts.
function pick (o, camel, snake) { return o[camel] ?? o[snake] }

function modelOptions (m, opts = {}) {
  const attrs = m.attributes ?? {}
  const attr = (n, field) => {
    if (typeof n !== 'string' || !Object.hasOwn(attrs, n)) fail(field, `'${n}' is not an attribute of the model`)
    return [n, attrType(attrs[n])]
  }
  const names = (v) => v === undefined ? [] : Array.isArray(v) ? v : [v]
  const pk = pick(m, 'partitionKey', 'partition_key')
  const sk = pick(m, 'sortKey', 'sort_key')
  const o = { ...opts, partitionKey: attr(pk, 'partition_key') }
  if (sk !== undefined) o.sortKey = attr(sk, 'sort_key')
  const gsis = []
  const lsis = []
  ;(m.indexes ?? []).forEach((x, i) => {
    const f = `indexes[${i}]`
    const base = { name: x.name, projection: x.projection }
    const sks = names(pick(x, 'sortKey', 'sort_key')).map((n, j) => attr(n, `${f}.sort_key[${j}]`))
    if (x.type === 'local') {
      lsis.push({ ...base, sortKey: sks[0] })
    } else if (x.type === 'global') {
      gsis.push({
        ...base,
        partitionKey: names(pick(x, 'partitionKey', 'partition_key')).map((n, j) => attr(n, `${f}.partition_key[${j}]`)),
        sortKey: sks,
        readCapacity: pick(x, 'readCapacity', 'read_capacity'),
        writeCapacity: pick(x, 'writeCapacity', 'write_capacity')
      })
    } else {
      fail(`${f}.type`, 'want "global" or "local"')
    }
  })
  if (gsis.length) o.globalSecondaryIndexes = gsis
  if (lsis.length) o.localSecondaryIndexes = lsis
  return o
}

// The CreateTableInput of model m; opts.tableName replaces m.table.
function modelInput (m, opts = {}) {
  const { tableName, ...rest } = opts
  return createTableInput(tableName ?? m.table, modelOptions(m, rest))
}

module.exports = { createTableInput, modelOptions, modelInput, attrType }
