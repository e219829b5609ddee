import { startReconciler } from '../../src/intake/intake';
import { createLogger } from '../../src/logger';
import { freePort } from '../../src/dev/free-port';
import { ensureSearchAttributes } from '../../src/temporal/connection';
import { startTemporalDevServer } from '../../src/temporal/dev-server';
import type { Db } from '../../src/db/pool';
import { createTestApi, createTestDatabase, eventually, postJson, testConfig } from '../support/harness';

const TEMPORAL_TIMEOUT_MS = 1500;
const ANSWER_BOUND_MS = TEMPORAL_TIMEOUT_MS + 5000;
// Less than two Temporal deadlines: an answer that waits out two in a row meets the request timeout first.
const REQUEST_TIMEOUT_MS = 2 * TEMPORAL_TIMEOUT_MS - 300;

/** A started event with a completed first RCA, as a re-run finds it. */
async function storeCompletedRca(db: Db): Promise<string> {
  const {
    rows: [event],
  } = await db.query(
    `INSERT INTO webhook_events (dedup_key, account, monitor_id, alert_status, scope, payload, status, workflow_id)
     VALUES ('k', 'default', '1', 'Alert', '*', '{}', 'started', 'incident/default/1/*') RETURNING id::text`,
  );
  await db.query(`INSERT INTO rca_runs (id, event_id, account, phase, status) VALUES ($1, $2, 'default', 'done', 'completed')`, [
    `rca/${event.id}`,
    event.id,
  ]);
  return event.id;
}

describe('rerun and feedback while Temporal is down', () => {
  it('answers the rerun 503 with Retry-After within the deadline, stores the feedback, and re-indexes it once Temporal is back', async () => {
    const database = await createTestDatabase();
    const port = await freePort();
    const config = testConfig({
      RAYNE_TEMPORAL_TIMEOUT_MS: String(TEMPORAL_TIMEOUT_MS),
      RAYNE_REQUEST_TIMEOUT_MS: String(REQUEST_TIMEOUT_MS),
    });
    const api = createTestApi(database.url, config, `127.0.0.1:${port}`);
    let server: Awaited<ReturnType<typeof startTemporalDevServer>> | undefined;
    try {
      const event = { id: await storeCompletedRca(database.db) };
      const rcaId = `rca/${event.id}`;

      let started = Date.now();
      const rerun = await postJson(api.app, `/v1/rca/${event.id}/rerun`, {});
      const rerunMs = Date.now() - started;
      expect(rerun.status).toBe(503);
      expect(rerun.headers.get('retry-after')).toBe('10');
      // Its own answer within one Temporal deadline, not the request timeout's.
      expect(((await rerun.json()) as { error: { message: string } }).error.message).toContain('Temporal did not start the re-run');
      expect(rerunMs).toBeLessThan(ANSWER_BOUND_MS);

      started = Date.now();
      const feedback = await postJson(api.app, `/v1/rca/${event.id}/feedback`, { verdict: 'rejected', comment: 'not the cause' });
      const feedbackMs = Date.now() - started;
      expect(feedback.status).toBe(201);
      expect(feedback.headers.get('warning')).toMatch(/feedback stored/);
      expect(feedbackMs).toBeLessThan(ANSWER_BOUND_MS);
      const { id: feedbackId } = (await feedback.json()) as { id: string };
      const reindexStatus = async () =>
        (await database.db.query('SELECT reindex_status FROM rca_feedback WHERE id = $1', [feedbackId])).rows[0].reindex_status;
      expect(await reindexStatus()).toBe('pending');
      console.log('temporal-down answer times (ms):', JSON.stringify({ rerun: rerunMs, feedback: feedbackMs }));

      server = await startTemporalDevServer({ home: config.home, port, uiPort: await freePort(), namespace: 'default' });
      // A fresh server, as `rayne migrate` leaves one: re-runs are found by the same search attributes as the first run.
      await ensureSearchAttributes({ address: `127.0.0.1:${port}`, namespace: 'default' });
      const reconciler = startReconciler([api.runtime.feedbackReindex], 200, createLogger('silent'));
      try {
        await eventually(async () => (await reindexStatus()) === 'started', 30_000);
      } finally {
        await reconciler.stop();
      }
      const reindex = await api.runtime.temporal.workflow.getHandle(`rca-feedback/${rcaId}/${feedbackId}`).describe();
      expect(reindex.type).toBe('reindexRcaWorkflow');
      // Once back, the rerun is accepted.
      expect((await postJson(api.app, `/v1/rca/${event.id}/rerun`, {})).status).toBe(202);
    } finally {
      await api.close();
      await server?.stop();
      await database.drop();
    }
  });
});

describe('rerun while the worker is behind', () => {
  it('answers a second re-run issued before the first one has taken its first step with that run', async () => {
    const database = await createTestDatabase();
    // A task queue no worker polls: the re-run stays before its first step, which writes its row.
    const api = createTestApi(database.url);
    try {
      const eventId = await storeCompletedRca(database.db);
      const first = await postJson(api.app, `/v1/rca/${eventId}/rerun`, {});
      expect(first.status).toBe(202);
      const started = (await first.json()) as { rca_id: string; run_id: string };
      expect(started.rca_id).toBe(`rca/${eventId}/rerun-1`);

      const second = await postJson(api.app, `/v1/rca/${eventId}/rerun`, {});
      expect(second.status).toBe(200);
      expect(await second.json()).toEqual({ rca_id: started.rca_id, workflow_id: started.rca_id, run_id: started.run_id });
      expect((await api.runtime.temporal.workflow.getHandle(started.rca_id).describe()).status.name).toBe('RUNNING');
      await api.runtime.temporal.workflow.getHandle(started.rca_id).terminate('test over');
    } finally {
      await api.close();
      await database.drop();
    }
  });
});
