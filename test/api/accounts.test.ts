import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { startJsonServer } from '../support/json-server';
import { createTestApi, createTestDatabase, postJson, testConfig, type TestApi } from '../support/harness';

/** Datadog's GET /api/v1/validate on loopback: 200 {valid:true} for the known key, 403 otherwise. */
function datadogValidateSimulator(validKey: string): Promise<{ url: string; close(): Promise<void> }> {
  const server = http.createServer((req, res) => {
    const ok = req.url === '/api/v1/validate' && req.headers['dd-api-key'] === validKey;
    res.writeHead(ok ? 200 : 403, { 'content-type': 'application/json' });
    res.end(JSON.stringify(ok ? { valid: true } : { errors: ['Forbidden'] }));
  });
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () =>
      resolve({
        url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
        close: () => new Promise((r) => server.close(() => r())),
      }),
    ),
  );
}

const auth = { authorization: 'Bearer tok' };

describe('/v1/accounts', () => {
  let database: Awaited<ReturnType<typeof createTestDatabase>>;
  let api: TestApi;
  let datadog: Awaited<ReturnType<typeof datadogValidateSimulator>>;

  beforeAll(async () => {
    database = await createTestDatabase();
    datadog = await datadogValidateSimulator('good-api-key');
    api = createTestApi(database.url, testConfig({ RAYNE_API_TOKEN: 'tok', DD_API_URL: datadog.url }));
  });
  afterAll(async () => {
    await api.close();
    await datadog.close();
    await database.drop();
  });

  const create = (body: Record<string, unknown>) => postJson(api.app, '/v1/accounts', body, auth);

  it('requires the bearer token', async () => {
    expect((await api.app.request('/v1/accounts')).status).toBe(401);
  });

  it('creates accounts without ever returning keys, and stores them encrypted', async () => {
    const res = await create({ name: 'commercial', org_id: 111, api_key: 'good-api-key', app_key: 'app-key-secret' });
    expect(res.status).toBe(201);
    const text = await res.text();
    expect(text).not.toContain('good-api-key');
    expect(JSON.parse(text)).toMatchObject({
      name: 'commercial',
      org_id: '111',
      is_default: true,
      api_key_set: true,
      base_url: datadog.url,
    });
    const row = (await database.db.query("SELECT api_key_enc, app_key_enc FROM accounts WHERE name = 'commercial'")).rows[0];
    expect(row.api_key_enc).not.toContain('good-api-key');
    expect(row.api_key_enc).toMatch(/^v1:/);
    const list = await (await api.app.request('/v1/accounts', { headers: auth })).text();
    expect(list).not.toContain('good-api-key');
    expect(list).not.toContain('app-key-secret');
  });

  it('rejects bad input and duplicate names', async () => {
    const bad = await create({ name: 'Bad Name!', api_key: '' });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as any).error.details.map((d: { field: string }) => d.field)).toEqual(
      expect.arrayContaining(['name', 'api_key']),
    );
    expect((await create({ name: 'commercial', api_key: 'k', app_key: 'k' })).status).toBe(409);
  });

  it('keeps a Prometheus per account, its credentials sealed and never shown, and refuses bad settings naming the field', async () => {
    const fields = async (body: Record<string, unknown>) => {
      const res = await create(body);
      expect(res.status).toBe(400);
      return ((await res.json()) as any).error.details.map((d: { field: string }) => d.field);
    };
    expect(await fields({ name: 'p1', prometheus: { url: 'ftp://prom:9090' } })).toEqual(['prometheus.url']);
    expect(await fields({ name: 'p1', prometheus: { url: 'http://user:pw@prom:9090' } })).toEqual(['prometheus.url']);
    expect(
      await fields({
        name: 'p1',
        prometheus: { url: 'http://prom:9090', bearer_token: 't', basic_auth: { username: 'u', password: 'p' } },
      }),
    ).toEqual(['prometheus.basic_auth']);
    expect(await fields({ name: 'p1', api_key: 'only-one' })).toEqual(['app_key']);
    expect((await database.db.query("SELECT 1 FROM accounts WHERE name = 'p1'")).rowCount).toBe(0);

    const res = await create({
      name: 'p1',
      prometheus: { url: 'http://prom.internal:9090/', basic_auth: { username: 'reader', password: 'prom-secret' } },
    });
    expect(res.status).toBe(201);
    expect(await res.json()).toMatchObject({
      api_key_set: false,
      app_key_set: false,
      prometheus: { url: 'http://prom.internal:9090', auth: 'basic' },
    });
    const row = (await database.db.query("SELECT prometheus_auth_enc FROM accounts WHERE name = 'p1'")).rows[0];
    expect(row.prometheus_auth_enc).toMatch(/^v1:/);
    expect(row.prometheus_auth_enc).not.toContain('prom-secret');
    const shown = await (await api.app.request('/v1/accounts/p1', { headers: auth })).text();
    expect(shown).not.toContain('prom-secret');
    expect(shown).not.toContain('reader');

    const put = (body: unknown) =>
      api.app.request('/v1/accounts/p1', {
        method: 'PUT',
        headers: { ...auth, 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
    expect(await (await put({ prometheus: { url: 'https://prom2', bearer_token: 'tok2' } })).json()).toMatchObject({
      prometheus: { url: 'https://prom2', auth: 'bearer' },
    });
    expect(await (await put({ prometheus: null })).json()).toMatchObject({ prometheus: null });
    expect((await database.db.query("SELECT prometheus_auth_enc FROM accounts WHERE name = 'p1'")).rows[0].prometheus_auth_enc).toBeNull();
  });

  it('updates, sets the default, and deletes', async () => {
    await create({ name: 'gov', org_id: 222, api_key: 'k2', app_key: 'a2' });
    const put = await api.app.request('/v1/accounts/gov', {
      method: 'PUT',
      headers: { ...auth, 'content-type': 'application/json' },
      body: JSON.stringify({ base_url: 'https://api.ddog-gov.com', api_key: 'k2', app_key: 'a2' }),
    });
    expect((await put.json()) as any).toMatchObject({ name: 'gov', base_url: 'https://api.ddog-gov.com', is_default: false });
    const def = await postJson(api.app, '/v1/accounts/gov/default', {}, auth);
    expect((await def.json()) as any).toMatchObject({ is_default: true });
    expect((await (await api.app.request('/v1/accounts/commercial', { headers: auth })).json()) as any).toMatchObject({
      is_default: false,
    });
    expect((await api.app.request('/v1/accounts/nosuch', { headers: auth })).status).toBe(404);
    // A typo in the name answers 404 and leaves the real default in place: alerts keep their account.
    expect((await postJson(api.app, '/v1/accounts/gvo/default', {}, auth)).status).toBe(404);
    expect((await (await api.app.request('/v1/accounts/gov', { headers: auth })).json()) as any).toMatchObject({ is_default: true });
    await create({ name: 'temp', api_key: 'k', app_key: 'k' });
    expect((await api.app.request('/v1/accounts/temp', { method: 'DELETE', headers: auth })).status).toBe(204);
    expect((await api.app.request('/v1/accounts/temp', { headers: auth })).status).toBe(404);
  });

  it('routes webhooks by path account, then org_id, then the default', async () => {
    const send = async (path: string, body: Record<string, unknown>) =>
      (
        await database.db.query('SELECT account FROM webhook_events WHERE id = $1', [
          ((await (await postJson(api.app, path, body)).json()) as any).event_id,
        ])
      ).rows[0].account;
    expect(await send('/v1/webhooks/receive/commercial', { monitor_id: 1, alert_status: 'OK', org_id: 222 })).toBe('commercial');
    expect(await send('/v1/webhooks/receive', { monitor_id: 1, alert_status: 'OK', org_id: 111 })).toBe('commercial');
    expect(await send('/v1/webhooks/receive', { monitor_id: 1, alert_status: 'OK', org_id: 999 })).toBe('gov');
  });

  it('tests an account against Datadog key validation', async () => {
    await api.app.request('/v1/accounts/commercial', {
      method: 'PUT',
      headers: { ...auth, 'content-type': 'application/json' },
      body: JSON.stringify({ base_url: datadog.url }),
    });
    const good = (await (await postJson(api.app, '/v1/accounts/commercial/test', {}, auth)).json()) as any;
    expect(good).toMatchObject({ account: 'commercial', valid: true });
    await create({ name: 'wrongkey', base_url: datadog.url, api_key: 'bad', app_key: 'bad' });
    const bad = (await (await postJson(api.app, '/v1/accounts/wrongkey/test', {}, auth)).json()) as any;
    expect(bad).toMatchObject({ valid: false, status: 403 });
    expect(JSON.stringify(bad)).not.toContain('"bad"');
  });

  it('tests an account without Datadog keys against its Prometheus, and says when it has nothing to test', async () => {
    // Prometheus behind a bearer token: build info for the right one, 401 otherwise; under /compat, a compatible
    // server without build info that answers queries.
    const prometheus = http.createServer((req, res) => {
      const authorized = req.headers.authorization === 'Bearer prom-token';
      const compat = req.url!.startsWith('/compat/');
      const data = req.url!.includes('/query_range') ? { resultType: 'matrix', result: [] } : compat ? undefined : { version: '2.42.0' };
      res.writeHead(authorized ? (data ? 200 : 404) : 401, { 'content-type': 'application/json' });
      res.end(JSON.stringify(authorized && data ? { status: 'success', data } : { status: 'error', error: 'no' }));
    });
    await new Promise<void>((resolve) => prometheus.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(prometheus.address() as AddressInfo).port}`;
    const test = async (name: string) => {
      const res = await postJson(api.app, `/v1/accounts/${name}/test`, {}, auth);
      const text = await res.text();
      expect(text).not.toContain('prom-token');
      return { status: res.status, body: JSON.parse(text) };
    };
    try {
      await create({ name: 'prom-ok', prometheus: { url, bearer_token: 'prom-token' } });
      expect(await test('prom-ok')).toEqual({
        status: 200,
        body: {
          account: 'prom-ok',
          valid: true,
          message: `no Datadog keys; Prometheus: Prometheus 2.42.0 answered at ${url}`,
          prometheus: { url, valid: true, status: 200, version: '2.42.0', message: `Prometheus 2.42.0 answered at ${url}` },
        },
      });
      await create({ name: 'prom-denied', prometheus: { url, bearer_token: 'wrong-token' } });
      expect((await test('prom-denied')).body).toMatchObject({ valid: false, prometheus: { valid: false, status: 401 } });
      await create({ name: 'prom-compat', prometheus: { url: `${url}/compat`, bearer_token: 'prom-token' } });
      expect((await test('prom-compat')).body).toMatchObject({
        valid: true,
        prometheus: { valid: true, message: `${url}/compat answered a query (it has no build info endpoint)` },
      });
      await create({ name: 'prom-gone', prometheus: { url: 'http://127.0.0.1:1' } });
      expect((await test('prom-gone')).body).toMatchObject({ valid: false, prometheus: { valid: false } });
      await create({ name: 'nothing' });
      expect(await test('nothing')).toEqual({
        status: 200,
        body: { account: 'nothing', valid: false, message: 'no Datadog keys; no Prometheus' },
      });
      expect((await test('no-such-account')).status).toBe(404);
      // Datadog keys and a Prometheus: both tested, valid only when both answer.
      await create({
        name: 'both',
        base_url: datadog.url,
        api_key: 'good-api-key',
        app_key: 'a',
        prometheus: { url, bearer_token: 'wrong' },
      });
      expect((await test('both')).body).toMatchObject({ valid: false, base_url: datadog.url, status: 200, prometheus: { status: 401 } });
    } finally {
      await new Promise((resolve) => prometheus.close(resolve));
    }
  });

  it("refuses a base_url off Datadog's sites unless its host is allowed by name, and any scheme but http(s)", async () => {
    for (const base_url of [
      'https://collector.evil.example',
      'http://api.datadoghq.com',
      'https://datadoghq.com.evil.example',
      'ftp://api.datadoghq.com',
    ]) {
      const res = await create({ name: 'offsite', base_url, api_key: 'k', app_key: 'a' });
      expect([base_url, res.status]).toEqual([base_url, 400]);
      expect(((await res.json()) as any).error.details).toEqual([expect.objectContaining({ field: 'base_url' })]);
    }
    expect((await create({ name: 'eu', base_url: 'https://api.datadoghq.eu', api_key: 'k', app_key: 'a' })).status).toBe(201);
    const allowing = createTestApi(database.url, testConfig({ RAYNE_API_TOKEN: 'tok', RAYNE_DATADOG_ALLOWED_HOSTS: 'proxy.corp.example' }));
    try {
      for (const [name, base_url] of [
        ['proxied', 'https://proxy.corp.example'],
        ['proxied-http', 'http://proxy.corp.example:8080'],
      ]) {
        const res = await postJson(allowing.app, '/v1/accounts', { name, base_url, api_key: 'k', app_key: 'a' }, auth);
        expect([base_url, res.status]).toEqual([base_url, 201]);
      }
    } finally {
      await allowing.close();
    }
  });

  it('refuses loopback and private hosts in every spelling unless RAYNE_DATADOG_ALLOW_PRIVATE_ADDRESSES is set', async () => {
    const strict = createTestApi(database.url, testConfig({ RAYNE_API_TOKEN: 'tok', RAYNE_DATADOG_ALLOW_PRIVATE_ADDRESSES: 'false' }));
    const createOn = (app: TestApi['app'], name: string, base_url: string) =>
      postJson(app, '/v1/accounts', { name, base_url, api_key: 'k', app_key: 'a' }, auth);
    try {
      for (const base_url of [
        'http://127.0.0.1:8126',
        'http://localhost:8126',
        'http://localhost.:8126',
        'http://[::1]:8126',
        'http://[::ffff:127.0.0.1]:8126',
        'http://2130706433:8126',
        'http://127.1:8126',
        'http://0x7f.1:8126',
        'http://017700000001:8126',
        'http://0:8126',
        'ftp://127.0.0.1',
        'http://169.254.169.254',
        'http://10.1.2.3',
        'https://192.168.0.1',
        'http://[fd00::1]',
      ]) {
        const res = await createOn(strict.app, 'local', base_url);
        expect([base_url, res.status]).toEqual([base_url, 400]);
        const body = (await res.json()) as any;
        expect(body.error.message).toContain('base_url');
        expect(body.error.details).toEqual([expect.objectContaining({ field: 'base_url' })]);
      }
      expect((await database.db.query("SELECT 1 FROM accounts WHERE name = 'local'")).rowCount).toBe(0);
      // The dev sandbox's opt-in: local addresses over http, but still no other scheme.
      expect((await createOn(api.app, 'local', 'http://127.1:8126')).status).toBe(201);
      expect((await createOn(api.app, 'local-ftp', 'ftp://127.0.0.1')).status).toBe(400);
    } finally {
      await strict.close();
    }
  });

  it('never sends stored keys to a base_url changed without them', async () => {
    const attacker = await startJsonServer((request) => {
      heard.push(request.path);
      return { status: 200, body: { valid: true } };
    });
    const heard: string[] = [];
    const put = (body: unknown) =>
      api.app.request('/v1/accounts/victim', {
        method: 'PUT',
        headers: { ...auth, 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
    try {
      await create({ name: 'victim', base_url: datadog.url, api_key: 'good-api-key', app_key: 'stored-app-key' });
      const moved = await put({ base_url: attacker.url });
      expect(moved.status).toBe(400);
      expect(((await moved.json()) as any).error.details).toEqual([expect.objectContaining({ field: 'base_url' })]);
      expect((await put({ base_url: attacker.url, api_key: 'only-one' })).status).toBe(400);
      const stored = (await (await api.app.request('/v1/accounts/victim', { headers: auth })).json()) as any;
      expect(stored.base_url).toBe(datadog.url);
      expect(await (await postJson(api.app, '/v1/accounts/victim/test', {}, auth)).json()).toMatchObject({
        valid: true,
        base_url: datadog.url,
      });
      expect(heard).toEqual([]);
      // With keys meant for the new host, the move is allowed; the same URL needs none.
      expect((await put({ base_url: attacker.url, api_key: 'new-api', app_key: 'new-app' })).status).toBe(200);
      expect((await put({ base_url: attacker.url, is_default: false })).status).toBe(200);
    } finally {
      await attacker.close();
    }
  });

  it('creates the default account from DD_API_KEY/DD_APP_KEY only when none exists', async () => {
    const fresh = await createTestDatabase();
    const other = createTestApi(fresh.url, testConfig());
    try {
      expect(await other.runtime.accounts.ensureDefaultFromEnv('env-key', 'env-app', 'https://api.datadoghq.eu')).toBe(true);
      expect(await other.runtime.accounts.ensureDefaultFromEnv('env-key2', 'env-app2', 'https://api.datadoghq.eu')).toBe(false);
      const creds = await other.runtime.accounts.credentials('default');
      expect(creds).toMatchObject({ apiKey: 'env-key', baseUrl: 'https://api.datadoghq.eu' });
    } finally {
      await other.close();
      await fresh.drop();
    }
  });
});
