module.exports = {
  preset: 'dyntable',
  testMatch: ['<rootDir>/test/**/*.test.js']
}
