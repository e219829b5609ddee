import pino from 'pino';

/** Paths whose values are secrets; pino replaces them before a line is written. */
const REDACT = [
  'api_key', 'app_key', '*.api_key', '*.app_key', 'apiKey', 'appKey', '*.apiKey', '*.appKey',
  'authorization', '*.authorization', 'headers.authorization', 'headers["x-rayne-token"]',
  'password', '*.password', 'token', '*.token', 'secret', '*.secret',
];

export type Logger = pino.Logger;

/** One JSON logger per process (stdout unless a destination is given); secrets are redacted by path. */
export function createLogger(level: string, name = 'rayne', destination?: pino.DestinationStream): Logger {
  return pino({ name, level, redact: { paths: REDACT, censor: '[redacted]' } }, destination);
}
