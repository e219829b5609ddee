/**
 * The fast lane: the pure-logic tests under test/unit, from source, with no build and no servers
 * (no Postgres, no Temporal). `npm test` still runs them with everything else.
 */
const base = require('./jest.config');

/** @type {import('jest').Config} */
module.exports = { ...base, roots: ['<rootDir>/test/unit'], globalSetup: undefined, globalTeardown: undefined };
