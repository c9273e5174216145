// SPDX-License-Identifier: MIT
// The SDK client the tests use for their items: DynamoDB (here dynalite)
// at $DYNAMODB_ENDPOINT, with dummy keys.
const { DynamoDBClient } = require('@aws-sdk/client-dynamodb')

module.exports = new DynamoDBClient({
  endpoint: process.env.DYNAMODB_ENDPOINT,
  region: 'us-east-1',
  credentials: { accessKeyId: 'x', secretAccessKey: 'x' }
})
