import { createTestApi, createTestDatabase, testConfig, type TestApi } from '../support/harness';

type Operation = {
  parameters?: Array<{ name: string; in: string }>;
  responses?: Record<string, unknown>;
  security?: Array<Record<string, string[]>>;
};
type Spec = {
  openapi: string;
  info: { title: string; version: string };
  paths: Record<string, Record<string, Operation>>;
  components: { schemas: Record<string, unknown>; securitySchemes: Record<string, unknown> };
};

const METHODS = ['get', 'put', 'post', 'delete', 'patch', 'head', 'options', 'trace'];
const isDocs = (path: string) => path === '/openapi.json' || path === '/docs' || path.startsWith('/docs/');
// The console's HTML pages and assets: views over the described API, not API routes themselves.
const CONSOLE_PAGES = ['/', '/login', '/logout', '/incidents/:id', '/rca/:id', '/groups/:id', '/github', '/github/:id'];
const isConsole = (path: string) => CONSOLE_PAGES.includes(path) || path.startsWith('/console/');

/** Hono's `:id` as OpenAPI's `{id}`; an optional `:account?` stands for the path with and without it. */
function openApiPaths(honoPath: string): string[] {
  const optional = honoPath.match(/^(.*)\/:(\w+)\?$/);
  if (optional) return [...openApiPaths(optional[1] || '/'), ...openApiPaths(`${optional[1]}/:${optional[2]}`)];
  return [honoPath.replace(/:(\w+)/g, '{$1}')];
}

/** Every `$ref` string anywhere in the document. */
function refsIn(value: unknown, found: string[] = []): string[] {
  if (Array.isArray(value)) value.forEach((v) => refsIn(v, found));
  else if (value && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) {
      if (k === '$ref' && typeof v === 'string') found.push(v);
      else refsIn(v, found);
    }
  }
  return found;
}

describe('GET /openapi.json and /docs', () => {
  let database: Awaited<ReturnType<typeof createTestDatabase>>;
  let api: TestApi;
  let spec: Spec;

  beforeAll(async () => {
    database = await createTestDatabase();
    api = createTestApi(database.url, testConfig({ RAYNE_API_TOKEN: 'docs-test-token', RAYNE_WEBHOOK_SECRET: 'docs-test-secret' }));
    const res = await api.app.request('/openapi.json');
    expect(res.status).toBe(200);
    spec = (await res.json()) as Spec;
  });
  afterAll(async () => {
    await api.close();
    await database.drop();
  });

  it('describes every route the app serves, and serves every route it describes', () => {
    const served = new Set(
      api.app.routes
        .filter((r) => r.method !== 'ALL' && !isDocs(r.path) && !isConsole(r.path)) // ALL: .use() middleware
        .flatMap((r) => openApiPaths(r.path).map((p) => `${r.method} ${p}`)),
    );
    const described = new Set(
      Object.entries(spec.paths).flatMap(([p, ops]) =>
        Object.keys(ops)
          .filter((m) => METHODS.includes(m))
          .map((m) => `${m.toUpperCase()} ${p}`),
      ),
    );
    expect(served.size).toBeGreaterThan(30);
    expect([...served].filter((r) => !described.has(r))).toEqual([]);
    expect([...described].filter((r) => !served.has(r))).toEqual([]);
  });

  it('is an OpenAPI 3.1 document whose references, path parameters and security schemes all exist', () => {
    expect(spec.openapi).toMatch(/^3\.1\.\d+$/);
    expect(spec.info).toEqual(expect.objectContaining({ title: 'Rayne API', version: expect.stringMatching(/^\d+\.\d+\.\d+/) }));
    const refs = refsIn(spec);
    expect(refs.length).toBeGreaterThan(0);
    for (const ref of refs) {
      const name = ref.match(/^#\/components\/schemas\/(.+)$/)?.[1];
      expect(name && spec.components.schemas[name] ? ref : `unresolved ${ref}`).toBe(ref);
    }
    for (const [path, ops] of Object.entries(spec.paths)) {
      const pathParams = [...path.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();
      for (const [method, op] of Object.entries(ops)) {
        const where = `${method.toUpperCase()} ${path}`;
        expect([
          where,
          (op.parameters ?? [])
            .filter((p) => p.in === 'path')
            .map((p) => p.name)
            .sort(),
        ]).toEqual([where, pathParams]);
        expect([where, Object.keys(op.responses ?? {}).length > 0]).toEqual([where, true]);
        for (const requirement of op.security ?? []) {
          for (const scheme of Object.keys(requirement)) expect(spec.components.securitySchemes).toHaveProperty(scheme);
        }
      }
    }
  });

  it('names the secret each route checks and the error shape of its failures', () => {
    const op = (path: string, method: string) => spec.paths[path]![method]!;
    expect(op('/v1/accounts', 'get').security).toEqual([{ ApiToken: [] }]);
    expect(op('/v1/monitors/{id}', 'get').security).toEqual([{ ApiToken: [] }]);
    expect(op('/v1/webhooks/receive/{account}', 'post').security).toEqual([{ WebhookToken: [] }, { WebhookBasic: [] }]);
    expect(op('/v1/webhooks/github/issues', 'post').security).toEqual([{ GitHubSignature: [] }]);
    expect(op('/health', 'get').security).toEqual([]);
    expect(spec.components.securitySchemes).toMatchObject({
      ApiToken: { type: 'http', scheme: 'bearer' },
      WebhookToken: { type: 'apiKey', in: 'header', name: 'X-Rayne-Token' },
      GitHubSignature: { type: 'apiKey', in: 'header', name: 'X-Hub-Signature-256' },
    });
    expect(op('/v1/accounts', 'post')).toMatchObject({
      requestBody: { required: true, content: { 'application/json': { schema: { $ref: '#/components/schemas/CreateAccount' } } } },
      responses: {
        201: {},
        400: { content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } } },
        409: {},
        415: {},
      },
    });
    expect(op('/v1/webhooks/receive', 'post')).toMatchObject({
      requestBody: { content: { 'application/json': { schema: { $ref: '#/components/schemas/DatadogAlert' } } } },
      responses: { 200: {}, 202: {}, 413: {}, 415: {}, 503: { headers: { 'Retry-After': {} } } },
    });
    expect(Object.keys((op('/v1/webhooks/github/issues', 'post') as { requestBody: { content: object } }).requestBody.content)).toEqual([
      'application/json',
      'application/x-www-form-urlencoded',
    ]);
    expect(spec.components.schemas.Error).toMatchObject({ properties: { error: { required: ['code', 'message'] } } });
    // A stored report may predate hypotheses and verdicts: both are described, neither required.
    const report = spec.components.schemas.RcaReport as { properties: Record<string, any>; required: string[] };
    expect(report.properties.verdict.enum).toEqual(['confirmed', 'likely', 'inconclusive']);
    expect(report.properties.hypotheses.items.required).toEqual(
      expect.arrayContaining(['category', 'culprit', 'statement', 'score', 'supporting', 'against']),
    );
    expect(report.required).toEqual(expect.arrayContaining(['summary', 'root_cause', 'category']));
    expect(report.required).not.toContain('hypotheses');
    expect(report.required).not.toContain('verdict');
  });

  it('validates with the schemas it documents, answering as before: 415, 400 with field details, 400 for a bad id', async () => {
    const auth = { authorization: 'Bearer docs-test-token' };
    const call = async (path: string, init: RequestInit = {}) => {
      const res = await api.app.request(path, { ...init, headers: { ...auth, ...(init.headers as Record<string, string>) } });
      return {
        status: res.status,
        error: ((await res.json()) as { error: { code: string; message: string; details?: Array<{ field: string }> } }).error,
      };
    };
    expect(await call('/v1/accounts', { method: 'POST', headers: { 'content-type': 'text/plain' }, body: '{}' })).toEqual({
      status: 415,
      error: { code: 'UNSUPPORTED_MEDIA_TYPE', message: 'content-type must be application/json (got "text/plain")' },
    });
    expect(await call('/v1/accounts', { method: 'POST' })).toMatchObject({
      status: 415,
      error: { message: 'content-type must be application/json (got "none")' },
    });
    expect(await call('/v1/accounts', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{nope' })).toMatchObject({
      status: 400,
      error: { code: 'BAD_REQUEST', message: expect.stringMatching(/^body is not valid JSON: /) },
    });
    const body = await call('/v1/rca/123/feedback', {
      method: 'POST',
      headers: { 'content-type': 'application/json; charset=utf-8' },
      body: '{"verdict":"maybe","x":1}',
    });
    expect(body).toMatchObject({ status: 400, error: { code: 'BAD_REQUEST', message: 'invalid request body' } });
    expect(body.error.details!.map((d) => d.field).sort()).toEqual(['(body)', 'verdict']);
    const query = await call('/v1/webhooks/events?limit=0&status=lost');
    expect(query).toMatchObject({ status: 400, error: { code: 'BAD_REQUEST', message: 'invalid query parameters' } });
    expect(query.error.details!.map((d) => d.field).sort()).toEqual(['limit', 'status']);
    expect(await call('/v1/webhooks/events/abc')).toEqual({
      status: 400,
      error: {
        code: 'BAD_REQUEST',
        message: 'event id must be a number',
        details: [{ field: 'id', message: 'event id must be a number' }],
      },
    });
    expect(await call('/v1/rca/nope/evidence')).toEqual({
      status: 400,
      error: {
        code: 'BAD_REQUEST',
        message: 'an RCA id is an event id (123) or a full id such as rca/123/rerun-1',
        details: [{ field: 'id', message: 'an RCA id is an event id (123) or a full id such as rca/123/rerun-1' }],
      },
    });
    // The token is checked before anything about the request.
    expect((await api.app.request('/v1/accounts', { method: 'POST', headers: { 'content-type': 'text/plain' } })).status).toBe(401);
  });

  it('answers without a token, while the routes it describes still ask for one', async () => {
    expect((await api.app.request('/openapi.json')).status).toBe(200);
    expect((await api.app.request('/docs')).status).toBe(200);
    expect((await api.app.request('/v1/accounts')).status).toBe(401);
  });

  it('serves Swagger UI whose every asset comes from the app itself', async () => {
    const res = await api.app.request('/docs');
    expect(res.headers.get('content-type')).toMatch(/^text\/html/);
    const html = await res.text();
    const urls = [...html.matchAll(/\b(?:src|href|data-url)="([^"]+)"/g)].map((m) => m[1]!);
    expect(urls).toEqual(
      expect.arrayContaining([expect.stringContaining('swagger-ui-bundle.js'), expect.stringContaining('swagger-ui.css'), 'openapi.json']),
    );
    for (const url of urls) {
      const resolved = new URL(url, 'http://rayne.test/docs');
      expect(resolved.origin).toBe('http://rayne.test');
      const asset = await api.app.request(resolved.pathname + resolved.search);
      expect([url, asset.status]).toEqual([url, 200]);
      if (/\.js(\?|$)/.test(url)) expect(asset.headers.get('content-type')).toMatch(/javascript/);
      if (/\.css(\?|$)/.test(url)) expect(asset.headers.get('content-type')).toMatch(/^text\/css/);
    }
    const slash = await api.app.request('/docs/');
    expect(new URL(slash.headers.get('location')!, 'http://rayne.test/docs/').pathname).toBe('/docs');
    const init = await (await api.app.request('/docs/init.js')).text();
    expect(init).toContain('validatorUrl: null');
    expect(init).not.toMatch(/https?:\/\//);
  });

  it('answers 404 for files that are not Swagger UI assets', async () => {
    for (const path of ['/docs/package.json', '/docs/..%2Fpackage.json', '/docs/index.html', '/docs/constructor']) {
      const res = await api.app.request(path);
      expect([path, res.status]).toEqual([path, 404]);
    }
  });
});
