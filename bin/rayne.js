#!/usr/bin/env node
// Runs the compiled CLI; `npm ci` builds it (the package's prepare script).
// dd-trace first (when DD_TRACE_ENABLED is true for api, worker or dev): it instruments only
// modules loaded after it, and the CLI loads pino, pg, http and Temporal's client.
require('../dist/src/telemetry/tracing.js').initTracing(process.argv[2]);
const { buildCli } = require('../dist/src/cli/main.js');
void buildCli().parseAsync(process.argv);
