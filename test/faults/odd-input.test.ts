import { createTestApi, createTestDatabase, postJson, type TestApi } from '../support/harness';

const BEYOND_BIGINT = '99999999999999999999';

// [method and path, the field the 400 must name]
const ODD_READS: [string, string][] = [
  [`GET /v1/webhooks/events/${BEYOND_BIGINT}`, 'id'],
  [`GET /v1/webhooks/events?cursor=${BEYOND_BIGINT}`, 'cursor'],
  ['GET /v1/webhooks/events?since=0000-01-01T00:00:00Z', 'since'],
  ['GET /v1/webhooks/events?account=a%00b', 'account'],
  ['GET /v1/webhooks/config?account=a%00b', 'account'],
  [`GET /v1/rca?event_id=${BEYOND_BIGINT}`, 'event_id'],
  ['GET /v1/rca?account=%00', 'account'],
  ['GET /v1/accounts/a%00b', 'name'],
  [`GET /v1/webhooks/github/issues/${BEYOND_BIGINT}`, 'id'],
  [`GET /v1/webhooks/github/issues?cursor=${BEYOND_BIGINT}`, 'cursor'],
  ['GET /v1/webhooks/github/issues?action=%00', 'action'],
  ['GET /v1/webhooks/github/issues?repository=a%00/b', 'repository'],
  ['POST /v1/webhooks/receive/a%00b', 'account'],
];

describe('odd input', () => {
  let database: Awaited<ReturnType<typeof createTestDatabase>>;
  let api: TestApi;

  beforeAll(async () => {
    database = await createTestDatabase();
    api = createTestApi(database.url);
  });
  afterAll(async () => {
    await api.close();
    await database.drop();
  });

  it.each(ODD_READS)('%s answers 400 naming %s', async (request, field) => {
    const [method, url] = request.split(' ') as [string, string];
    const res =
      method === 'POST'
        ? await postJson(api.app, url, { monitor_id: 1, alert_status: 'Alert', alert_id: 1, transition_id: 'odd' })
        : await api.app.request(url);
    const body = (await res.json()) as { error: { code: string; details?: { field: string; message: string }[] } };
    expect(res.status).toBe(400);
    expect(body.error.code).toBe('BAD_REQUEST');
    expect(body.error.details?.map((d) => d.field)).toContain(field);
  });

  it('stores nothing for an odd webhook', async () => {
    expect((await database.db.query('SELECT count(*)::int AS n FROM webhook_events')).rows[0].n).toBe(0);
  });
});
