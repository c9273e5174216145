// SPDX-License-Identifier: MIT
'use strict'
// Jest preset "dyntable": { "preset": "dyntable" } in jest.config.
module.exports = {
  globalSetup: require.resolve('./jest/global-setup.js'),
  globalTeardown: require.resolve('./jest/global-teardown.js'),
  testEnvironment: 'node'
}
