import crypto from 'node:crypto';
import type { BlockList } from 'node:net';
import type { Context, MiddlewareHandler } from 'hono';
import { getCookie } from 'hono/cookie';
import type { WebhookAuth } from '../accounts/store';
import type { Config } from '../config';
import type { Db } from '../db/pool';
import { ConsoleSessions } from '../accounts/console-sessions';
import { ApiError } from './errors';
import { FailedAuthLimit } from './failed-auth-limit';
import { requestOrigin, trustedProxies } from './request-origin';

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

/** The console's session cookie: a session id (never the token), HTTP-only, sent back by the browser that signed in. */
export const CONSOLE_COOKIE = 'rayne_console';
/** Sent by the console's script beside the cookie: another site's page cannot add it without a CORS preflight, which the API never grants. */
export const CONSOLE_HEADER = 'x-rayne-console';

/** What a management request is checked against: the token, the console's sessions, the failures per client, the proxies to see through. */
export interface ApiAuth {
  token: string | undefined;
  sessions: ConsoleSessions;
  failures: FailedAuthLimit;
  proxies: BlockList;
}

export function createApiAuth(config: Pick<Config, 'RAYNE_API_TOKEN' | 'RAYNE_TRUSTED_PROXY'>, db: Db): ApiAuth {
  return {
    token: config.RAYNE_API_TOKEN,
    sessions: new ConsoleSessions(db, config.RAYNE_API_TOKEN ?? ''),
    failures: new FailedAuthLimit(),
    proxies: trustedProxies(config.RAYNE_TRUSTED_PROXY),
  };
}

/** Throws 429 with Retry-After while the client has used up its failed attempts. */
function refuseWhileLimited(c: Context, auth: ApiAuth, client: string): void {
  const wait = auth.failures.waitSeconds(client);
  if (wait === 0) return;
  c.header('Retry-After', String(wait));
  throw new ApiError('TOO_MANY_REQUESTS', `too many wrong API tokens from this client; retry in ${wait} s`);
}

/**
 * Management endpoints: `Authorization: Bearer <RAYNE_API_TOKEN>` when a token is configured, or
 * a console session's cookie with the console's header (the console's buttons post the same
 * routes). A client that presents wrong ones too often gets 429 until its window ends.
 */
export const requireApiToken =
  (auth: ApiAuth): MiddlewareHandler =>
  async (c, next) => {
    if (auth.token) {
      const { client } = requestOrigin(c, auth.proxies);
      refuseWhileLimited(c, auth, client);
      const bearer = c.req.header('authorization')?.match(/^Bearer\s+(.+)$/i)?.[1];
      const session = c.req.header(CONSOLE_HEADER) ? getCookie(c, CONSOLE_COOKIE) : undefined;
      const valid = bearer !== undefined ? sameSecret(bearer, auth.token) : await auth.sessions.isActive(session);
      if (!valid) {
        // Only a credential that was presented counts: a request without one guesses nothing.
        if (bearer !== undefined || session !== undefined) auth.failures.recordFailure(client);
        throw new ApiError('UNAUTHORIZED', 'missing or wrong bearer token (Authorization: Bearer $RAYNE_API_TOKEN)');
      }
    }
    await next();
  };

/** Whether the request carries an account's own webhook credentials: its bearer token (or X-Rayne-Token), or its basic auth user and password. */
function ownCredentialsMatch(c: Context, auth: WebhookAuth): boolean {
  const authorization = c.req.header('authorization');
  if (auth.kind === 'bearer') return sameSecret(c.req.header('x-rayne-token') ?? authorization?.match(/^Bearer\s+(.+)$/i)?.[1], auth.token);
  const match = authorization?.match(/^Basic\s+(.+)$/i);
  const decoded = match ? Buffer.from(match[1]!, 'base64').toString('utf8') : undefined;
  const colon = decoded?.indexOf(':') ?? -1;
  // Both compared, always: which one was wrong is not said by the time taken.
  const user = sameSecret(colon < 0 ? undefined : decoded!.slice(0, colon), auth.username);
  const password = sameSecret(colon < 0 ? undefined : decoded!.slice(colon + 1), auth.password);
  return user && password;
}

/**
 * Alert webhooks whose senders sign nothing (Datadog, Alertmanager, Grafana): the shared secret in
 * X-Rayne-Token, as a bearer token or as the basic-auth password, when configured. Alertmanager's
 * http_config sends it as `authorization` (bearer) or `basic_auth`. An account with credentials of
 * its own (`ownAuthOf`) accepts only those.
 */
export const requireWebhookSecret =
  (secret: string | undefined, ownAuthOf?: (c: Context) => Promise<WebhookAuth | undefined>): MiddlewareHandler =>
  async (c, next) => {
    const own = await ownAuthOf?.(c);
    if (own) {
      if (!ownCredentialsMatch(c, own))
        throw new ApiError(
          'UNAUTHORIZED',
          `missing or wrong webhook credentials: this account takes its own ${own.kind === 'bearer' ? 'bearer token' : 'basic auth user and password'}`,
        );
    } else if (secret) {
      const authorization = c.req.header('authorization');
      const bearer = authorization?.match(/^Bearer\s+(.+)$/i)?.[1];
      const given = c.req.header('x-rayne-token') ?? bearer ?? basicPassword(authorization);
      if (!sameSecret(given, secret))
        throw new ApiError('UNAUTHORIZED', 'missing or wrong webhook secret (X-Rayne-Token header, bearer token or basic auth password)');
    }
    await next();
  };
