/**
 * Records the histories test/workflows/replay.test.ts replays, into test/fixtures/histories/.
 * Skipped unless RAYNE_RECORD_HISTORIES=1; run it alone, then the replay test:
 *   RAYNE_RECORD_HISTORIES=1 npx jest test/workflows/record-histories.test.ts
 * Re-record only for an intentional, versioned workflow change (see that folder's README).
 */
import path from 'node:path';
import { startDatadogSandbox } from '../../src/demo/sandbox';
import { startReceiver } from '../../src/demo/receiver';
import { loadScenario } from '../../src/demo/scenario';
import { REPORT } from '../support/analyst-fixture';
import { startAnthropicSimulator } from '../support/anthropic-simulator';
import { deliver, issuePayload, newDeliveryId } from '../support/github-deliveries';
import { startGithubSimulator } from '../support/github-simulator';
import { writeHistoryFile } from '../support/histories';
import { createTestApi, createTestDatabase, eventually, postJson, startTestWorker, testConfig } from '../support/harness';

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
    const temporal = api.runtime.temporal.workflow;
    /** Records a finished run; returns the activity types it scheduled, for checking it covers what its README line says. */
    const save = async (name: string, workflowId: string): Promise<string[]> => {
      const handle = temporal.getHandle(workflowId);
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
    };
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
});
