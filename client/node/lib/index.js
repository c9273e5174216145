// SPDX-License-Identifier: MIT
'use strict'
// dyntable: the Node.js client of dyntabled. CommonJS is the one
// implementation; index.mjs re-exports it for `import`, so both entries
// share the same classes (instanceof works whichever way a module loaded).
const errors = require('./errors')
const { DynamoDBClient, DEFAULT_SOCKET, PROTOCOL_VERSION } = require('./client')
const { createTableInput, modelInput, modelOptions } = require('./definition')

// A model: a table's attributes, keys and indexes named once (the format of
// docs/MODEL.md, which `dyntablectl create --model` reads). Its methods are
// the spec's Model methods, on a client.
class Model {
  constructor (decl) {
    this.decl = decl
    this.table = decl.table
  }

  // The CreateTableInput this model stands for; opts as createTable's
  // settings (billingMode, tags...), and tableName to replace the model's.
  toCreateTableInput (opts = {}) { return modelInput(this.decl, opts) }

  // createTable's options for this model (keys and indexes derived).
  toCreateTableOptions (opts = {}) { return modelOptions(this.decl, opts) }

  createTable (client, opts = {}) {
    return client.createTableFromInput(this.toCreateTableInput(opts), opts)
  }

  tableExists (client, { tableName, signal } = {}) {
    return client.tableExists(tableName ?? this.table, { signal })
  }

  deleteTable (client, { tableName, ...opts } = {}) {
    return client.deleteTable(tableName ?? this.table, opts)
  }
}

function defineModel (decl) { return new Model(decl) }

const { fromReply, CODES, ...classes } = errors
module.exports = {
  DynamoDBClient,
  Model,
  defineModel,
  createTableInput,
  DEFAULT_SOCKET,
  PROTOCOL_VERSION,
  ...classes
}
