import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import { FAILED_AUTH_LIMIT } from '../../src/api/failed-auth-limit';
import { createTestApi, createTestDatabase, testConfig, type TestApi } from '../support/harness';

const TOKEN = 'sessions-test-token-0123456789';

/** An app served on loopback: the API tells clients apart by the connection, which app.request has not. */
async function served(api: TestApi) {
  const server = await new Promise<ReturnType<typeof serve>>((resolve) => {
    const s = serve({ fetch: api.app.fetch, port: 0, hostname: '127.0.0.1' }, () => resolve(s));
  });
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const request = (path: string, init: RequestInit = {}) => fetch(`${base}${path}`, { redirect: 'manual', ...init });
  return { request, close: () => new Promise((resolve) => server.close(resolve)) };
}
type Served = Awaited<ReturnType<typeof served>>;

const signIn = (server: Served, token: string, headers: Record<string, string> = {}) =>
  server.request('/login', { method: 'POST', headers, body: new URLSearchParams({ token, next: '' }) });
const sessionOf = (res: Response) => res.headers.get('set-cookie')?.match(/^rayne_console=([^;]*)/)?.[1];
const asConsole = (session: string | undefined) => ({ cookie: `rayne_console=${session}`, 'x-rayne-console': '1' });
const bearer = (token: string, client: string) => ({ authorization: `Bearer ${token}`, 'x-forwarded-for': client });

describe('console sessions and failed-token limits', () => {
  let database: Awaited<ReturnType<typeof createTestDatabase>>;
  let direct: TestApi;
  let proxied: TestApi;
  let directServer: Served;
  let proxiedServer: Served;

  beforeAll(async () => {
    database = await createTestDatabase();
    direct = createTestApi(database.url, testConfig({ RAYNE_API_TOKEN: TOKEN }));
    proxied = createTestApi(database.url, testConfig({ RAYNE_API_TOKEN: TOKEN, RAYNE_TRUSTED_PROXY: '127.0.0.1, 10.0.0.0/8' }));
    directServer = await served(direct);
    proxiedServer = await served(proxied);
  });
  afterAll(async () => {
    await directServer?.close();
    await proxiedServer?.close();
    await direct?.close();
    await proxied?.close();
    await database?.drop();
  });

  it('signs in with a random session id in the cookie, never the token, and stores only its hash', async () => {
    const first = await signIn(directServer, TOKEN);
    expect(first.status).toBe(303);
    const cookie = first.headers.get('set-cookie')!;
    expect(cookie).toMatch(/HttpOnly/i);
    expect(cookie).toMatch(/SameSite=Strict/i);
    expect(cookie).not.toMatch(/Secure/i);
    const session = sessionOf(first)!;
    expect(session).toMatch(/^[\w-]{43}$/);
    expect(cookie).not.toContain(TOKEN);
    const second = sessionOf(await signIn(directServer, TOKEN));
    expect(second).not.toBe(session);

    const { rows } = await database.db.query<{ id_hash: Buffer }>('SELECT id_hash FROM console_sessions');
    expect(rows.length).toBeGreaterThanOrEqual(2);
    for (const { id_hash } of rows) {
      expect(id_hash.toString('base64url')).not.toBe(session);
      expect(id_hash.toString()).not.toContain(TOKEN);
    }
    expect((await directServer.request('/', { headers: { cookie: `rayne_console=${session}` } })).status).toBe(200);
    expect((await directServer.request('/v1/rca', { headers: asConsole(session) })).status).toBe(200);
  });

  it('refuses a cookie that holds the token itself', async () => {
    expect((await directServer.request('/v1/rca', { headers: asConsole(TOKEN) })).status).toBe(401);
    expect((await directServer.request('/', { headers: { cookie: `rayne_console=${TOKEN}` } })).status).toBe(401);
  });

  it('ends the session on sign-out: the same cookie opens nothing afterwards', async () => {
    const session = sessionOf(await signIn(directServer, TOKEN));
    const out = await directServer.request('/logout', { method: 'POST', headers: { cookie: `rayne_console=${session}` } });
    expect(out.status).toBe(303);
    expect(out.headers.get('set-cookie')).toMatch(/^rayne_console=;.*Max-Age=0/);
    expect((await directServer.request('/', { headers: { cookie: `rayne_console=${session}` } })).status).toBe(401);
    expect((await directServer.request('/v1/rca', { headers: asConsole(session) })).status).toBe(401);
  });

  it('refuses an expired session', async () => {
    const session = sessionOf(await signIn(directServer, TOKEN));
    expect((await directServer.request('/v1/rca', { headers: asConsole(session) })).status).toBe(200);
    await database.db.query("UPDATE console_sessions SET expires_at = now() - interval '1 second'");
    expect((await directServer.request('/v1/rca', { headers: asConsole(session) })).status).toBe(401);
    expect((await directServer.request('/', { headers: { cookie: `rayne_console=${session}` } })).status).toBe(401);
  });

  it('marks the cookie Secure when a trusted proxy says the request came over https, and only then', async () => {
    const https = { 'x-forwarded-proto': 'https', 'x-forwarded-for': '198.51.100.1' };
    expect((await signIn(proxiedServer, TOKEN, https)).headers.get('set-cookie')).toMatch(/; Secure/i);
    expect((await signIn(proxiedServer, TOKEN, { ...https, 'x-forwarded-proto': 'http' })).headers.get('set-cookie')).not.toMatch(
      /Secure/i,
    );
    // The same header from a peer that is not a trusted proxy is anyone's claim.
    expect((await signIn(directServer, TOKEN, https)).headers.get('set-cookie')).not.toMatch(/Secure/i);
  });

  it('answers 429 with Retry-After to a client after too many wrong bearer tokens, whatever it sends next', async () => {
    const guesser = '203.0.113.7';
    for (let i = 0; i < FAILED_AUTH_LIMIT.failures; i++) {
      expect((await proxiedServer.request('/v1/rca', { headers: bearer(`guess-${i}`, guesser) })).status).toBe(401);
    }
    const limited = await proxiedServer.request('/v1/rca', { headers: bearer('guess-again', guesser) });
    expect(limited.status).toBe(429);
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(Number(limited.headers.get('retry-after'))).toBeLessThanOrEqual(FAILED_AUTH_LIMIT.windowMs / 1000);
    expect(((await limited.json()) as any).error.code).toBe('TOO_MANY_REQUESTS');
    // Even the right token waits: otherwise a 401 and a 429 would tell a guess apart.
    expect((await proxiedServer.request('/v1/rca', { headers: bearer(TOKEN, guesser) })).status).toBe(429);
    const login = await signIn(proxiedServer, TOKEN, { 'x-forwarded-for': guesser });
    expect(login.status).toBe(429);
    expect(login.headers.get('retry-after')).not.toBeNull();
    expect(sessionOf(login)).toBeUndefined();
    // Another client behind the same proxy is not held up; the hops a client adds itself do not make it another.
    expect((await proxiedServer.request('/v1/rca', { headers: bearer(TOKEN, '203.0.113.8') })).status).toBe(200);
    expect((await proxiedServer.request('/v1/rca', { headers: bearer(TOKEN, `203.0.113.8, ${guesser}`) })).status).toBe(429);
    expect((await proxiedServer.request('/v1/rca', { headers: bearer(TOKEN, `${guesser}, 10.1.2.3`) })).status).toBe(429);
  });

  it('limits wrong sign-ins the same way, and does not count requests that carry no token', async () => {
    const client = '203.0.113.9';
    for (let i = 0; i < 2 * FAILED_AUTH_LIMIT.failures; i++) {
      expect((await proxiedServer.request('/v1/rca', { headers: { 'x-forwarded-for': client } })).status).toBe(401);
    }
    for (let i = 0; i < FAILED_AUTH_LIMIT.failures; i++) {
      expect((await signIn(proxiedServer, `guess-${i}`, { 'x-forwarded-for': client })).status).toBe(401);
    }
    const limited = await signIn(proxiedServer, TOKEN, { 'x-forwarded-for': client });
    expect(limited.status).toBe(429);
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(await limited.text()).toContain('Too many wrong tokens');
    expect((await proxiedServer.request('/v1/rca', { headers: bearer(TOKEN, client) })).status).toBe(429);
  });

  it('ignores X-Forwarded-For from a peer that is not a trusted proxy', async () => {
    for (let i = 0; i < FAILED_AUTH_LIMIT.failures; i++) {
      const res = await directServer.request('/v1/rca', { headers: bearer(`guess-${i}`, `192.0.2.${i}`) });
      expect(res.status).toBe(401);
    }
    expect((await directServer.request('/v1/rca', { headers: bearer(TOKEN, '192.0.2.200') })).status).toBe(429);
  });
});
