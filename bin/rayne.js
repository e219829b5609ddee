#!/usr/bin/env node
// Runs the compiled CLI; `npm ci` builds it (the package's prepare script).
const { buildCli } = require('../dist/src/cli/main.js');
void buildCli().parseAsync(process.argv);
