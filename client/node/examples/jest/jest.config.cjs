// SPDX-License-Identifier: MIT
module.exports = {
  preset: 'dyntable',
  testMatch: ['<rootDir>/test/**/*.test.js']
}
