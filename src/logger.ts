import type { Logger as TemporalLogger, LogLevel as TemporalLogLevel, LogMetadata } from '@temporalio/common';
import pino from 'pino';

/** Paths whose values are secrets; pino replaces them before a line is written. */
const REDACT = [
  'api_key',
  'app_key',
  '*.api_key',
  '*.app_key',
  'apiKey',
  'appKey',
  '*.apiKey',
  '*.appKey',
  'authorization',
  '*.authorization',
  'headers.authorization',
  'headers["x-rayne-token"]',
  'password',
  '*.password',
  'token',
  '*.token',
  'secret',
  '*.secret',
  // A Slack webhook URL and a forward signing secret each let anyone post as Rayne.
  'signing_secret',
  '*.signing_secret',
  'webhook_url',
  '*.webhook_url',
  // Temporal puts an activity's task token on its log lines; with it, anyone could complete the activity.
  'taskToken',
];

export type Logger = pino.Logger;

/**
 * One JSON logger per process (stdout unless a destination is given); secrets are redacted by path.
 * When dd-trace runs with log injection, each line written inside a span carries
 * `dd.trace_id` and `dd.span_id` (dd-trace wraps pino, so it must be loaded first: bin/rayne.js).
 */
export function createLogger(level: string, name = 'rayne', destination?: pino.DestinationStream): Logger {
  return pino({ name, level, redact: { paths: REDACT, censor: '[redacted]' } }, destination);
}

const PINO_LEVEL: Record<TemporalLogLevel, pino.Level> = { TRACE: 'trace', DEBUG: 'debug', INFO: 'info', WARN: 'warn', ERROR: 'error' };
const SEVERITY: Record<TemporalLogLevel, number> = { TRACE: 0, DEBUG: 1, INFO: 2, WARN: 3, ERROR: 4 };
// Lines from Rayne's own workflow and activity code (and the SDK's about them) follow LOG_LEVEL.
const CODE_COMPONENTS = new Set<unknown>(['workflow', 'activity', 'nexus']);

/**
 * The Temporal SDK's logger writing through pino, so workflow and activity logs are JSON lines
 * with the workflow id, run id and activity type Temporal adds (and, when traced, the trace).
 * The SDK's own worker lines (state changes, bundler output) are kept from `sdkLevel` up.
 */
export function temporalLogger(log: Logger, sdkLevel: TemporalLogLevel = 'WARN'): TemporalLogger {
  const sdk = log.child({ component: 'temporal' });
  const write = (level: TemporalLogLevel, message: string, meta: LogMetadata = {}) => {
    if (!CODE_COMPONENTS.has(meta.sdkComponent) && (SEVERITY[level] ?? 2) < SEVERITY[sdkLevel]) return;
    // pino serializes an Error under `err` only; the SDK names it `error`.
    const { error, ...rest } = meta;
    sdk[PINO_LEVEL[level] ?? 'info'](error instanceof Error ? { ...rest, err: error } : { ...meta }, message);
  };
  return {
    log: write,
    trace: (m, meta) => write('TRACE', m, meta),
    debug: (m, meta) => write('DEBUG', m, meta),
    info: (m, meta) => write('INFO', m, meta),
    warn: (m, meta) => write('WARN', m, meta),
    error: (m, meta) => write('ERROR', m, meta),
  };
}
