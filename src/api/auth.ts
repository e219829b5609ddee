import crypto from 'node:crypto';
import type { MiddlewareHandler } from 'hono';
import { getCookie } from 'hono/cookie';
import { ApiError } from './errors';

export function sameSecret(given: string | undefined, expected: string): boolean {
  if (given === undefined) return false;
  const a = crypto.createHash('sha256').update(given).digest();
  const b = crypto.createHash('sha256').update(expected).digest();
  return crypto.timingSafeEqual(a, b);
}

function basicPassword(header: string | undefined): string | undefined {
  const match = header?.match(/^Basic\s+(.+)$/i);
  if (!match) return undefined;
  const decoded = Buffer.from(match[1]!, 'base64').toString('utf8');
  return decoded.slice(decoded.indexOf(':') + 1);
}

/** The console's session cookie: the API token, HTTP-only, sent back by the browser that signed in. */
export const CONSOLE_COOKIE = 'rayne_console';
/** Sent by the console's script beside the cookie: another site's page cannot add it without a CORS preflight, which the API never grants. */
export const CONSOLE_HEADER = 'x-rayne-console';

/**
 * Management endpoints: `Authorization: Bearer <RAYNE_API_TOKEN>` when a token is configured, or
 * the console's cookie with its header (the console's buttons post the same routes).
 */
export const requireApiToken =
  (token: string | undefined): MiddlewareHandler =>
  async (c, next) => {
    if (token) {
      const bearer = c.req.header('authorization')?.match(/^Bearer\s+(.+)$/i)?.[1];
      const fromConsole = c.req.header(CONSOLE_HEADER) ? getCookie(c, CONSOLE_COOKIE) : undefined;
      if (!sameSecret(bearer ?? fromConsole, token))
        throw new ApiError('UNAUTHORIZED', 'missing or wrong bearer token (Authorization: Bearer $RAYNE_API_TOKEN)');
    }
    await next();
  };

/** Datadog webhooks: the shared secret in X-Rayne-Token or as the basic-auth password, when configured. */
export const requireWebhookSecret =
  (secret: string | undefined): MiddlewareHandler =>
  async (c, next) => {
    if (secret) {
      const given = c.req.header('x-rayne-token') ?? basicPassword(c.req.header('authorization'));
      if (!sameSecret(given, secret))
        throw new ApiError('UNAUTHORIZED', 'missing or wrong webhook secret (X-Rayne-Token header or basic auth password)');
    }
    await next();
  };
