// Tests are compiled by tsc (`npm test` runs `tsc -p tsconfig.json` first) and run as plain JavaScript,
// so worker threads (piscina) load the same compiled files the server runs in production.
/** @type {import('jest').Config} */
module.exports = {
  rootDir: 'dist',
  testMatch: ['<rootDir>/test/**/*.spec.js', '<rootDir>/plugins/**/*.spec.js', '<rootDir>/src/**/*.spec.js'],
  testEnvironment: 'node',
  testTimeout: 60000,
  maxWorkers: 2,
};
