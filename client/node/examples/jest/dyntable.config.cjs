// SPDX-License-Identifier: MIT
// The tables every worker gets, created before the tests start: a model
// (docs/MODEL.md's format) and a CreateTableInput document.
module.exports = {
  tables: [
    {
      table: 'users',
      attributes: { pk: 'S', sk: 'N', email: 'S', created: 'N' },
      partition_key: 'pk',
      sort_key: 'sk',
      indexes: [
        { name: 'by-email', type: 'global', partition_key: 'email', sort_key: 'created' },
        { name: 'by-created', type: 'local', sort_key: 'created', projection: 'KEYS_ONLY' }
      ]
    },
    {
      TableName: 'orders',
      AttributeDefinitions: [{ AttributeName: 'id', AttributeType: 'S' }],
      KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }],
      BillingMode: 'PAY_PER_REQUEST'
    }
  ]
}
