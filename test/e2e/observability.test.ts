import crypto from 'node:crypto';
import { freePort } from '../../src/dev/free-port';
import { type Receiver, startReceiver } from '../../src/demo/receiver';
import { type RayneProcess, spawnRayne } from '../support/cli';
import { type AgentSpan, type FakeAgent, startFakeAgent } from '../support/fake-datadog-agent';
import { createTestDatabase, eventStatus, eventually, temporalAddress, testConfig } from '../support/harness';
import { metricValue } from '../support/prometheus';
import { kill, startWorkerProcess, type WorkerProcess } from '../support/worker-process';

const LOW_64 = (1n << 64n) - 1n;

/** The lower 64 bits of a trace id as dd-trace logs it: 32 hex digits (128-bit) or decimal. */
const low64 = (id: string): bigint => (/^[0-9a-f]{32}$/.test(id) ? BigInt(`0x${id}`) : BigInt(id)) & LOW_64;

/** The JSON lines a process wrote (pino's), skipping anything else. */
const jsonLines = (output: string): Array<Record<string, any>> =>
  output.split('\n').flatMap((line) => {
    try {
      return line.startsWith('{') ? [JSON.parse(line)] : [];
    } catch {
      return [];
    }
  });

// Monitor ids of this file's own: incident workflow ids are shared on the one Temporal server.
const alert = (monitorId: number, status: string) => ({
  monitor_id: monitorId,
  alert_status: status,
  monitor_name: 'Observability test monitor',
  hostname: `obs-host-${monitorId}`,
  scope: `host:obs-host-${monitorId}`,
  transition_id: crypto.randomUUID(),
});
const workflowIdOf = (monitorId: number) => `incident/default/${monitorId}/host:obs-host-${monitorId}`;

describe('observability of the api and worker processes', () => {
  let database: Awaited<ReturnType<typeof createTestDatabase>>;
  let agent: FakeAgent;
  let notify: Receiver;
  let worker: WorkerProcess;
  let api: RayneProcess;
  let apiUrl: string;
  let workerMetricsUrl: string;

  beforeAll(async () => {
    database = await createTestDatabase();
    agent = await startFakeAgent();
    notify = await startReceiver();
    const config = testConfig();
    const traced = { DD_TRACE_ENABLED: 'true', DD_TRACE_AGENT_URL: agent.url, DD_ENV: 'test', LOG_LEVEL: 'info' };
    const port = await freePort();
    apiUrl = `http://127.0.0.1:${port}`;
    api = spawnRayne(['api'], {
      ...traced,
      PORT: String(port),
      HOST: '127.0.0.1',
      DATABASE_URL: database.url,
      TEMPORAL_ADDRESS: temporalAddress(),
      TEMPORAL_TASK_QUEUE: config.TEMPORAL_TASK_QUEUE,
      RAYNE_ENCRYPTION_KEY: config.RAYNE_ENCRYPTION_KEY!,
      RAYNE_HOME: config.home,
      // Traced here is one alert's path to its own RCA; incident groups have tests of their own.
      RAYNE_GROUP_WAIT_S: '0',
    });
    worker = await startWorkerProcess(config, database.url, traced);
    await eventually(async () => {
      if (api.child.exitCode !== null) throw new Error(`rayne api exited early:\n${api.output()}`);
      return api.output().includes('api listening');
    }, 60_000);
    workerMetricsUrl = jsonLines(worker.output()).find((l) => l.msg === 'worker metrics listening')!.metrics;
    const configured = await fetch(`${apiUrl}/v1/webhooks/config`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ notify: { urls: [notify.url] } }),
    });
    expect(configured.status).toBe(200);
  }, 120_000);
  afterAll(async () => {
    if (worker) await kill(worker);
    if (api && api.child.exitCode === null) await kill(api.child);
    await notify?.close();
    await agent?.close();
    await database?.drop();
  });

  /** Sends an alert to the API process and waits until the worker has processed it. */
  const send = async (monitorId: number, status: string) => {
    const res = await fetch(`${apiUrl}/v1/webhooks/receive`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(alert(monitorId, status)),
    });
    expect(res.status).toBe(202);
    const { event_id: eventId } = (await res.json()) as { event_id: string };
    await eventually(async () => (await eventStatus(database.db, eventId)) === 'processed', 30_000);
    return eventId;
  };
  const scrape = async (url: string) => {
    const res = await fetch(url);
    expect(res.status).toBe(200);
    return res.text();
  };

  it("serves the worker's metrics with Temporal's runtime series, and counts the workflows it completes", async () => {
    const closed = { workflow_type: 'incidentWorkflow', outcome: 'completed' };
    const before = await scrape(workerMetricsUrl);
    await send(8820001, 'Alert');
    await send(8820001, 'OK');
    // Our counter moves when the workflow returns; Core's own once the server has taken the completion, a moment later.
    const after = await eventually(async () => {
      const text = await scrape(workerMetricsUrl);
      const closedOurs =
        metricValue(text, 'rayne_workflows_closed_total', closed) > metricValue(before, 'rayne_workflows_closed_total', closed);
      const closedInCore = metricValue(text, 'temporal_workflow_completed_total', { workflow_type: 'incidentWorkflow' }) >= 1;
      return closedOurs && closedInCore && text;
    });
    expect(metricValue(after, 'rayne_workflows_closed_total', closed) - metricValue(before, 'rayne_workflows_closed_total', closed)).toBe(
      1,
    );
    expect(metricValue(after, 'rayne_processor_effects_total', { processor: 'notify', outcome: 'sent' })).toBeGreaterThanOrEqual(2);
    // Temporal Core's own series, relayed from its exporter: polls, task latencies, workflow completions.
    expect(after).toMatch(/^temporal_\w+/m);
    expect(metricValue(after, 'temporal_workflow_completed_total', { workflow_type: 'incidentWorkflow' })).toBeGreaterThanOrEqual(1);
    expect(after).toContain('process_resident_memory_bytes');

    const apiText = await scrape(`${apiUrl}/metrics`);
    expect(metricValue(apiText, 'rayne_webhooks_received_total')).toBeGreaterThanOrEqual(2);
    expect(metricValue(apiText, 'rayne_workflows_started_total', { workflow_type: 'incidentWorkflow' })).toBeGreaterThanOrEqual(2);
  });

  it('traces a webhook from the API request through the workflow to each activity and its HTTP calls, and logs carry the trace', async () => {
    const monitorId = 8820002;
    const workflowId = workflowIdOf(monitorId);
    notify.requests.length = 0;
    const alertEventId = await send(monitorId, 'Alert');
    await send(monitorId, 'OK');

    // Each process sends its spans every few seconds; the workflow's span once the incident completes.
    const byId = new Map<bigint, AgentSpan>();
    const run = await eventually(async () => {
      for (const s of agent.spans) byId.set(s.span_id, s);
      const found = agent.spans.find((s) => s.name === 'RunWorkflow:incidentWorkflow' && s.meta.temporalWorkflowId === workflowId);
      return found && byId.has(found.parent_id) && found;
    }, 30_000);
    const trace = run.trace_id;
    const ancestors = (span: AgentSpan): AgentSpan[] => {
      const chain: AgentSpan[] = [];
      for (let p = byId.get(span.parent_id); p; p = byId.get(p.parent_id)) chain.push(p);
      return chain;
    };

    // API: the webhook request, then the signal-with-start it made, both in the workflow's trace.
    const start = byId.get(run.parent_id)!;
    expect(start).toMatchObject({ name: 'SignalWithStartWorkflow:incidentWorkflow', service: 'rayne-api', trace_id: trace });
    expect(start.meta.temporalWorkflowId).toBe(workflowId);
    const request = ancestors(start).find((s) => s.meta['http.url']?.includes('/v1/webhooks/receive'));
    expect(request).toMatchObject({ service: 'rayne-api', trace_id: trace, parent_id: 0n });
    expect(request!.meta.env).toBe('test');

    // Worker: each activity of the run, under the workflow's span, carrying the workflow id.
    const hasActivity = (name: string, id: string) =>
      agent.spans.some((s) => s.name === name && s.trace_id === trace && s.meta.temporalWorkflowId === id);
    await eventually(
      async () => hasActivity('RunActivity:notifyProcessor', workflowId) && hasActivity('RunActivity:startRca', `rca/${alertEventId}`),
    );
    for (const s of agent.spans) byId.set(s.span_id, s);
    const activities = agent.spans.filter((s) => s.name.startsWith('RunActivity:') && s.trace_id === trace);
    // The Alert's RCA is a child workflow: its activities are in the same trace, under its own id.
    expect([...new Set(activities.map((s) => s.meta.temporalWorkflowId))].sort()).toEqual([workflowId, `rca/${alertEventId}`].sort());
    const incidentActivities = activities.filter((s) => s.meta.temporalWorkflowId === workflowId);
    expect(incidentActivities.map((s) => s.name)).toEqual(
      expect.arrayContaining(['RunActivity:planTier1', 'RunActivity:notifyProcessor', 'RunActivity:recordTransition']),
    );
    for (const a of incidentActivities) {
      expect(a.service).toBe('rayne-worker');
      expect(ancestors(a)).toContain(run);
    }

    // The notify POST: an HTTP client span under its activity, and trace headers on the request itself.
    const notifySpans = incidentActivities.filter((s) => s.name === 'RunActivity:notifyProcessor');
    const post = agent.spans.find(
      (s) => s.trace_id === trace && s.meta['http.url']?.startsWith(notify.url) && ancestors(s).some((p) => notifySpans.includes(p)),
    );
    expect(post).toBeDefined();
    expect(notify.requests.map((r) => r.headers['x-datadog-trace-id'])).toContain(String(trace));

    // Prometheus scrapes (and the worker reading Temporal Core's exporter) are not traced.
    expect(agent.spans.filter((s) => /\/metrics$/.test(s.meta['http.url'] ?? ''))).toEqual([]);

    // Logs: the worker's JSON line for the notify effect carries the trace and its activity's span.
    const effect = jsonLines(worker.output()).find(
      (l) => l.msg === 'tier-1 effect' && l.workflowId === workflowId && l.processor === 'notify',
    );
    expect(effect).toMatchObject({ outcome: 'sent', dd: { service: 'rayne-worker', env: 'test' } });
    expect(low64(effect!.dd.trace_id)).toBe(trace);
    expect(notifySpans.map((s) => String(s.span_id))).toContain(effect!.dd.span_id);
  });

  it('keeps working, quietly, when the agent stops answering', async () => {
    agent.goAway();
    const before = { api: api.output().length, worker: worker.output().length };
    await send(8820003, 'Alert');
    await send(8820003, 'OK');
    // Both processes have tried to send spans to the agent that is gone.
    await eventually(async () => agent.droppedPayloads() >= 2, 30_000);
    const errors = (output: string) =>
      jsonLines(output).filter((l) => l.level >= 50 || /dd-trace|datadog agent|ECONNREFUSED/i.test(JSON.stringify(l)));
    expect(errors(api.output().slice(before.api))).toEqual([]);
    expect(errors(worker.output().slice(before.worker))).toEqual([]);
    expect(api.output().slice(before.api)).not.toMatch(/Error:/);
  });
});
