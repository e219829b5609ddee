import crypto from 'node:crypto';
import { createPool } from '../../src/db/pool';
import { startOwnPostgres, type OwnPostgres } from '../support/postgres-process';
import { createTestApi, eventually, postJson, testConfig, type TestApi } from '../support/harness';

const DB_TIMEOUT_MS = 1000;
const REQUEST_TIMEOUT_MS = 4000;
// The bound asserted on every answer: the request deadline plus slack for a busy 2-core machine.
const ANSWER_BOUND_MS = REQUEST_TIMEOUT_MS + 4000;

const alert = () => ({ monitor_id: 1717, alert_status: 'Alert', hostname: 'db-01', alert_id: 17, transition_id: crypto.randomUUID() });

/** The answer and how long it took. */
async function timed(request: () => Response | Promise<Response>) {
  const started = Date.now();
  const res = await request();
  return { res, ms: Date.now() - started, body: await res.text() };
}

describe('Postgres frozen or down', () => {
  let postgres: OwnPostgres;
  let api: TestApi;
  const observed: Record<string, number> = {};

  beforeAll(async () => {
    postgres = await startOwnPostgres();
    api = createTestApi(
      postgres.url,
      testConfig({ RAYNE_DB_TIMEOUT_MS: String(DB_TIMEOUT_MS), RAYNE_REQUEST_TIMEOUT_MS: String(REQUEST_TIMEOUT_MS) }),
    );
  }, 120_000);
  afterAll(async () => {
    postgres?.signal('SIGCONT');
    await api?.close();
    await postgres?.stop();
    console.log('fault latencies (ms):', JSON.stringify(observed));
  });

  /** Asserts a bounded 503 with Retry-After that shows no connection details. */
  async function expectUnavailable(name: string, request: () => Response | Promise<Response>) {
    const { res, ms, body } = await timed(request);
    observed[name] = ms;
    expect(res.status).toBe(503);
    expect(ms).toBeLessThan(ANSWER_BOUND_MS);
    expect(body).not.toMatch(/ECONN|127\.0\.0\.1|timeout exceeded|Query read timeout/);
    if (!name.startsWith('ready')) expect(res.headers.get('retry-after')).toBe('10');
    return body;
  }

  const webhook = (body: unknown) => () => postJson(api.app, '/v1/webhooks/receive', body);
  const events = () => api.app.request('/v1/webhooks/events');
  const rcas = () => api.app.request('/v1/rca');
  const ready = () => api.app.request('/ready');
  // /ready answers from background checks: a change shows once a check has seen it.
  const readySees = (state: string) =>
    eventually(async () => ((await (await ready()).json()) as any).checks.postgres.state === state, 10_000);

  it('answers 503 with Retry-After within the deadline while Postgres is frozen, and loses nothing once it thaws', async () => {
    await readySees('ok');
    const before = alert();
    expect((await postJson(api.app, '/v1/webhooks/receive', before)).status).toBe(202);
    const during = alert();
    postgres.signal('SIGSTOP');
    try {
      await readySees('unavailable');
      expect(JSON.parse(await expectUnavailable('ready_frozen', ready))).toEqual({
        status: 'not_ready',
        checks: {
          postgres: { state: 'unavailable', checked_at: expect.any(String) },
          temporal: { state: 'ok', checked_at: expect.any(String) },
        },
      });
      await expectUnavailable('events_frozen', events);
      await expectUnavailable('rca_frozen', rcas);
      await expectUnavailable('webhook_frozen', webhook(during));
      // With Postgres waits longer than the request deadline, the deadline answers.
      const patient = createTestApi(postgres.url, testConfig({ RAYNE_DB_TIMEOUT_MS: '60000', RAYNE_REQUEST_TIMEOUT_MS: '2000' }));
      try {
        const body = await expectUnavailable('events_frozen_request_deadline', () => patient.app.request('/v1/webhooks/events'));
        expect(body).toMatch(/no answer within 2000 ms/);
        expect(observed.events_frozen_request_deadline).toBeGreaterThanOrEqual(1900);
      } finally {
        postgres.signal('SIGCONT');
        await patient.close();
      }
    } finally {
      postgres.signal('SIGCONT');
    }
    // The sender retries after Retry-After: stored and started exactly once, whether the first try landed late or not.
    const retried = await postJson(api.app, '/v1/webhooks/receive', during);
    expect([200, 202]).toContain(retried.status);
    await expectStoredOnce(before.transition_id, during.transition_id);
  });

  it('answers 503 with Retry-After (not 500) while Postgres refuses connections, and serves the stored events once it is back', async () => {
    const during = alert();
    await postgres.stop();
    try {
      await readySees('unavailable');
      expect(JSON.parse(await expectUnavailable('ready_down', ready))).toMatchObject({
        status: 'not_ready',
        checks: { postgres: { state: 'unavailable' } },
      });
      await expectUnavailable('events_down', events);
      await expectUnavailable('webhook_down', webhook(during));
    } finally {
      await postgres.restart();
    }
    expect((await postJson(api.app, '/v1/webhooks/receive', during)).status).toBe(202);
    await readySees('ok');
    expect((await ready()).status).toBe(200);
    const listed = (await (await events()).json()) as { events: unknown[] };
    expect(listed.events).toHaveLength(3);
  });

  /** Each transition is one row, started (never pending), whatever happened to the first attempts. */
  async function expectStoredOnce(...transitions: string[]) {
    const db = createPool(postgres.url, 1);
    try {
      const { rows } = await db.query(
        `SELECT payload->>'transition_id' AS transition, status FROM webhook_events WHERE payload->>'transition_id' = ANY($1) ORDER BY id`,
        [transitions],
      );
      expect(rows.map((r) => r.transition).sort()).toEqual([...transitions].sort());
      expect(rows.every((r) => r.status === 'started')).toBe(true);
    } finally {
      await db.end();
    }
  }
});
