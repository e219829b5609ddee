/**
 * Records the histories test/workflows/replay.test.ts replays, into test/fixtures/histories/.
 * Skipped unless RAYNE_RECORD_HISTORIES=1; run it alone, then the replay test:
 *   RAYNE_RECORD_HISTORIES=1 npx jest test/workflows/record-histories.test.ts
 * Re-record only for an intentional, versioned workflow change (see that folder's README).
 */
import crypto from 'node:crypto';
import path from 'node:path';
import { groupStateQuery } from '../../src/contracts/group';
import { startDatadogSandbox } from '../../src/demo/sandbox';
import { startReceiver } from '../../src/demo/receiver';
import { loadScenario } from '../../src/demo/scenario';
import { REPORT } from '../support/analyst-fixture';
import { startAnthropicSimulator } from '../support/anthropic-simulator';
import { deliver, issuePayload, newDeliveryId } from '../support/github-deliveries';
import { startGithubSimulator } from '../support/github-simulator';
import { writeHistoryFile } from '../support/histories';
import { createTestApi, createTestDatabase, eventually, postJson, startTestWorker, testConfig, type TestApi } from '../support/harness';

/** Waits for a workflow to finish, writes its history, and returns the activity types it scheduled. */
async function saveHistory(api: TestApi, name: string, workflowId: string): Promise<string[]> {
  const handle = api.runtime.temporal.workflow.getHandle(workflowId);
  // A child exists only once its parent's task has started it.
  await eventually(() =>
    handle.describe().then(
      () => true,
      () => false,
    ),
  );
  await handle.result();
  const history = await handle.fetchHistory();
  writeHistoryFile(name, workflowId, history);
  return (history.events ?? []).flatMap((e) =>
    e.activityTaskScheduledEventAttributes ? [e.activityTaskScheduledEventAttributes.activityType!.name!] : [],
  );
}

const record = process.env.RAYNE_RECORD_HISTORIES === '1' ? describe : describe.skip;

record('recording workflow histories', () => {
  jest.setTimeout(180_000);

  it('records an incident with tier-1 and its investigated RCA child, an RCA re-run with Claude, an RCA with nothing to read, and a GitHub triage', async () => {
    const scenario = loadScenario(path.resolve(__dirname, '../../scenarios/checkout-service-error-rate-spike.json'));
    const database = await createTestDatabase();
    const [sandbox, claude, github, notify] = await Promise.all([
      startDatadogSandbox({ scenario, apiKey: 'k', appKey: 'a' }),
      startAnthropicSimulator(),
      startGithubSimulator('ghp_record'),
      startReceiver(),
    ]);
    // Claude is configured but chosen only by the re-run, so the incident's own RCA takes the offline path.
    const config = testConfig({
      RAYNE_ANALYST: 'offline',
      ANTHROPIC_API_KEY: 'sk-ant-test',
      ANTHROPIC_BASE_URL: claude.url,
      GITHUB_WEBHOOK_SECRET: 'record-secret',
      GH_TOKEN: 'ghp_record',
      GITHUB_API_URL: github.url,
      RAYNE_GITHUB_APPLY_LABELS: 'true',
    });
    const api = createTestApi(database.url, config);
    const worker = await startTestWorker(database.db, config);
    const save = (name: string, workflowId: string) => saveHistory(api, name, workflowId);
    try {
      // (a) Before any account exists: no Datadog behind the alert, so the investigation reports without a call.
      const unknown = { ...scenario.alert, timestamp: Math.floor(Date.now() / 1000), monitor_id: 9999, transition_id: 'no-datadog' };
      const unread = (await (await postJson(api.app, '/v1/webhooks/receive', unknown)).json()) as { event_id: string };
      const noCalls = await save('rca-workflow-investigation-no-calls', `rca/${unread.event_id}`);
      expect(noCalls).toEqual(expect.arrayContaining(['investigationTurn', 'saveInvestigation']));
      expect(noCalls).not.toContain('investigationTool');

      expect(
        (await postJson(api.app, '/v1/accounts', { name: 'brightcart', base_url: sandbox.url, api_key: 'k', app_key: 'a' })).status,
      ).toBe(201);
      expect((await postJson(api.app, '/v1/webhooks/config', { account: 'brightcart', notify: { urls: [notify.url] } })).status).toBe(200);

      // (b) Alert: tier-1 notify and the RCA child; the RCA publishes a notebook, which the recovery then resolves.
      const alert = { ...scenario.alert, timestamp: Math.floor(Date.now() / 1000) };
      const accepted = (await (await postJson(api.app, '/v1/webhooks/receive', alert)).json()) as { event_id: string; workflow_id: string };
      expect(await save('rca-workflow-investigation', `rca/${accepted.event_id}`)).toEqual(
        expect.arrayContaining(['investigationTurn', 'investigationTool', 'saveInvestigation', 'publishNotebook']),
      );
      const recovered = await postJson(api.app, '/v1/webhooks/receive', { ...alert, alert_status: 'OK', transition_id: 'recovered' });
      expect(recovered.status).toBe(202);
      expect(await save('incident-workflow', accepted.workflow_id)).toEqual(expect.arrayContaining(['notifyProcessor', 'resolveNotebook']));
      // Tier-1 notify runs on every transition: the alert and the recovery.
      expect(notify.requests).toHaveLength(2);

      // (c) A re-run with Claude: one tool call turn, then the report.
      claude.script(
        {
          content: [
            { type: 'text', text: 'Checking the error logs.' },
            { type: 'tool_use', id: 'toolu_1', name: 'search_logs', input: { query: 'service:checkout-service status:error' } },
          ],
        },
        { content: [{ type: 'tool_use', id: 'toolu_2', name: 'submit_report', input: REPORT }] },
      );
      const rerun = (await (await postJson(api.app, `/v1/rca/${accepted.event_id}/rerun`, { analyst: 'claude' })).json()) as {
        rca_id: string;
      };
      expect(await save('rca-workflow-claude', rerun.rca_id)).toEqual(
        expect.arrayContaining(['investigationTurn', 'investigationTool', 'analysisTurn', 'analysisTool', 'saveReport']),
      );
      expect(claude.requests).toHaveLength(2);

      // (d) A GitHub issue: triaged offline, commented on and labelled.
      github.setLabels('acme/record', ['incident']);
      const deliveryId = newDeliveryId();
      const issue = issuePayload('opened', {
        repository: 'acme/record',
        number: 1,
        title: 'Checkout returns 502 after deploy',
        body: 'Customers get 502 errors on checkout since the 10:00 deploy.',
      });
      expect((await deliver(api, 'issues', issue, { secret: 'record-secret', deliveryId })).status).toBe(202);
      expect(await save('github-issue-workflow', `github/${deliveryId}`)).toEqual(
        expect.arrayContaining(['runOfflineTriage', 'postTriageComment', 'labelTriagedIssue']),
      );
      expect(github.issue('acme/record', 1).comments).toHaveLength(1);
    } finally {
      await worker.stop();
      await api.close();
      await Promise.all([sandbox.close(), claude.close(), github.close(), notify.close()]);
      await database.drop();
    }
  });

  it('records an incident group: three alerts from one host joining one group, its one RCA, and their recovery', async () => {
    const database = await createTestDatabase();
    // Short enough to record quickly, long enough for the three alerts to join before the RCA starts.
    const api = createTestApi(database.url, testConfig({ RAYNE_ANALYST: 'offline', RAYNE_GROUP_WAIT_S: '2' }));
    const worker = await startTestWorker(database.db, api.config);
    try {
      const host = `record-${crypto.randomBytes(3).toString('hex')}`;
      const firstMonitor = crypto.randomInt(1_000_000, 9_000_000);
      const alerts = [0, 1, 2].map((i) => ({
        monitor_id: firstMonitor + i,
        hostname: host,
        alert_status: 'Alert',
        transition_id: `group-${i}`,
      }));
      const accepted: Array<{ event_id: string; workflow_id: string }> = [];
      for (const alert of alerts) {
        const res = await postJson(api.app, '/v1/webhooks/receive', alert);
        expect(res.status).toBe(202);
        accepted.push((await res.json()) as (typeof accepted)[number]);
      }
      const { rows } = await eventually(async () => {
        const found = await database.db.query<{ group_id: string }>(
          'SELECT DISTINCT group_id FROM incident_group_members WHERE event_id = ANY($1::bigint[])',
          [accepted.map((a) => a.event_id)],
        );
        return found.rowCount === 1 && found;
      }, 60_000);
      const groupWorkflowId = `group/${rows[0]!.group_id}`;
      const group = api.runtime.temporal.workflow.getHandle(groupWorkflowId);
      const { rcaIds } = await eventually(async () => {
        const state = await group.query(groupStateQuery);
        return state.members.length === 3 && state.rcaIds.length === 1 && state;
      }, 60_000);
      await api.runtime.temporal.workflow.getHandle(rcaIds[0]!).result();

      for (const alert of alerts)
        expect(
          (await postJson(api.app, '/v1/webhooks/receive', { ...alert, alert_status: 'OK', transition_id: `${alert.transition_id}-ok` }))
            .status,
        ).toBe(202);
      expect(await saveHistory(api, 'group-workflow', groupWorkflowId)).toEqual(
        expect.arrayContaining(['recordGroupRca', 'resolveGroup', 'resolveNotebook', 'postGroupSlack']),
      );
      expect(await saveHistory(api, 'incident-workflow-grouped', accepted[1]!.workflow_id)).toEqual(expect.arrayContaining(['joinGroup']));
    } finally {
      await worker.stop();
      await api.close();
      await database.drop();
    }
  });
});
