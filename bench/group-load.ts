/**
 * npm run bench:group-load [-- --alerts 500 --seconds 10 --redeliver 25 --wait 5]
 *
 * One storm under load (issue 21, measures): N alerts of one outage (one service, twenty hosts, a
 * monitor each) posted at an even pace over S seconds to the receive endpoint over HTTP on loopback,
 * plus R redeliveries of alerts already sent, with incident groups on (RAYNE_GROUP_WAIT_S=W); a 503
 * is retried as a sender would (Retry-After, five times at most). Once
 * every alert is a group member and every group started its RCA, it counts what was stored:
 * events, members and RCAs (none lost, none duplicated), the group workflow's runs and the longest
 * run's history (continue-as-new keeps it bounded), and the webhook's answers (202 rate,
 * requests/s, p50/p99). Starts embedded Postgres and a Temporal dev server unless DATABASE_URL
 * and TEMPORAL_ADDRESS are set. The last line is machine-readable.
 */
import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import { createApp } from '../src/api/app';
import { groupStateQuery } from '../src/contracts/group';
import { createApiRuntime } from '../src/runtime';
import { arg, report, runBenchmark, type Sample, startBenchWorker } from './measure';

const alerts = arg('alerts', 500);
const seconds = arg('seconds', 10);
const redeliveries = arg('redeliver', 25);
const waitS = arg('wait', 5);
const HOSTS = 20;
const MAX_RETRIES = 5;

runBenchmark(`bench-group-load-${Date.now()}`, async ({ config: base, log, databaseUrl, temporalAddress, stops }) => {
  const config = { ...base, RAYNE_GROUP_WAIT_S: waitS, RAYNE_GROUP_MAX_MEMBERS: Math.max(base.RAYNE_GROUP_MAX_MEMBERS, alerts) };
  const runtime = createApiRuntime(config, databaseUrl, temporalAddress, log);
  stops.push(() => runtime.close());
  await startBenchWorker({ config, temporalAddress, stops }, runtime.db);
  const app = createApp({ ...runtime, config, log });
  const server = await new Promise<ReturnType<typeof serve>>((resolve) => {
    const s = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, () => resolve(s));
  });
  stops.push(() => new Promise((r) => server.close(() => r())));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1/webhooks/receive`;
  const run = Date.now();
  const payload = (i: number) => ({
    monitor_id: 500000 + i,
    alert_status: 'Alert',
    hostname: `load-${run}-${i % HOSTS}`,
    transition_id: `${run}-${i}`,
    tags: ['env:bench', `service:checkout-${run}`],
    alert_title: `checkout error rate above 5% (${i})`,
  });

  console.log(`group load benchmark: ${alerts} alerts of one storm over ${seconds} s, ${redeliveries} redeliveries, group_wait ${waitS} s`);
  const statuses = new Map<number, number>();
  const sample: Sample = { seconds: 0, latencies: [] };
  const eventIds: string[] = [];
  let retries = 0;
  let lastFirstAnswer = 0;
  const post = (i: number) =>
    fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(payload(i)) });
  const send = async (i: number) => {
    const t0 = performance.now();
    let res = await post(i);
    sample.latencies.push(performance.now() - t0);
    lastFirstAnswer = performance.now();
    statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
    // A 503 keeps the event and asks the sender to retry, as Datadog does on a 5xx: the same delivery again.
    for (let attempt = 1; res.status === 503 && attempt <= MAX_RETRIES; attempt++) {
      await new Promise((r) => setTimeout(r, Number(res.headers.get('retry-after') ?? 1) * 1000));
      retries++;
      res = await post(i);
    }
    const body = (await res.json()) as { event_id?: string };
    if ((res.status === 202 || res.status === 200) && body.event_id && !eventIds.includes(body.event_id)) eventIds.push(body.event_id);
  };
  // An even pace, as a storm arrives: each alert leaves at its own time, whatever the answers take.
  const started = performance.now();
  const gapMs = (seconds * 1000) / alerts;
  const sendAt = (i: number, atMs: number) => new Promise((r) => setTimeout(r, atMs)).then(() => send(i));
  // A redelivery follows its original by 100 ms, as a webhook retried after a lost answer.
  const step = Math.max(1, Math.floor(alerts / Math.max(redeliveries, 1)));
  await Promise.all([
    ...Array.from({ length: alerts }, (_, i) => sendAt(i, i * gapMs)),
    ...Array.from({ length: redeliveries }, (_, j) => sendAt((j * step) % alerts, ((j * step) % alerts) * gapMs + 100)),
  ]);
  // The first answers' window: retries after a 503 come later and are not the webhook's rate.
  sample.seconds = (lastFirstAnswer - started) / 1000;
  const answers = report('API POST /receive (paced)', sample);

  // Every accepted alert in a group, and every group with its first RCA recorded.
  const deadline = Date.now() + 10 * 60_000;
  for (;;) {
    const {
      rows: [progress],
    } = await runtime.db.query(
      `SELECT (SELECT count(*)::int FROM incident_group_members WHERE event_id = ANY($1::bigint[])) AS members,
              (SELECT count(*)::int FROM incident_groups g WHERE NOT EXISTS (SELECT 1 FROM incident_group_rcas r WHERE r.group_id = g.id)) AS waiting`,
      [eventIds],
    );
    if ((progress.members === eventIds.length && progress.waiting === 0) || Date.now() > deadline) break;
    await new Promise((r) => setTimeout(r, 1000));
  }
  const {
    rows: [stored],
  } = await runtime.db.query(
    `SELECT (SELECT count(*)::int FROM webhook_events WHERE payload->>'transition_id' LIKE $2) AS events,
            (SELECT count(DISTINCT payload->>'transition_id')::int FROM webhook_events WHERE payload->>'transition_id' LIKE $2) AS distinct_events,
            (SELECT count(*)::int FROM incident_group_members WHERE event_id = ANY($1::bigint[])) AS members,
            (SELECT count(DISTINCT event_id)::int FROM incident_group_members WHERE event_id = ANY($1::bigint[])) AS distinct_members,
            (SELECT array_agg(DISTINCT group_id) FROM incident_group_members WHERE event_id = ANY($1::bigint[])) AS groups`,
    [eventIds, `${run}-%`],
  );
  const groups: string[] = stored.groups ?? [];
  const {
    rows: [rcas],
  } = await runtime.db.query(
    `SELECT count(*)::int AS recorded, count(DISTINCT run.id)::int AS started
       FROM incident_group_rcas r LEFT JOIN rca_runs run ON run.id = r.rca_id WHERE r.group_id = ANY($1::text[])`,
    [groups],
  );
  // The group workflows have seen every member (their signals follow the join); then their runs (a
  // continued-as-new run closes as ContinuedAsNew) and the longest history are counted.
  const seenByWorkflows = async () => {
    const states = await Promise.all(groups.map((id) => runtime.temporal.workflow.getHandle(`group/${id}`).query(groupStateQuery)));
    return states.reduce((sum, state) => sum + state.members.length, 0);
  };
  while ((await seenByWorkflows()) < stored.members && Date.now() < deadline) await new Promise((r) => setTimeout(r, 1000));
  let runs = 0;
  let longestHistory = 0;
  for (const id of groups)
    for await (const execution of runtime.temporal.workflow.list({ query: `WorkflowId = 'group/${id}'` })) {
      runs++;
      longestHistory = Math.max(longestHistory, execution.historyLength);
    }

  const accepted = statuses.get(202) ?? 0;
  console.log(
    `first answers by status ${JSON.stringify(Object.fromEntries(statuses))}: 202 for ${accepted} of ${alerts} new alerts (a redelivery answers 200); ${retries} retries after a 503`,
  );
  console.log(
    `events stored ${stored.events} (${stored.distinct_events} distinct), members ${stored.members} (${stored.distinct_members} distinct) in ${groups.length} group(s)`,
  );
  console.log(
    `RCAs recorded ${rcas.recorded}, started ${rcas.started}; group workflow runs ${runs}, longest history ${longestHistory} events`,
  );
  // Lost: an alert not stored, or stored but in no group; duplicated: a second event or member for one alert.
  const lost = alerts - stored.distinct_events + (eventIds.length - stored.distinct_members);
  const duplicated = stored.events - stored.distinct_events + (stored.members - stored.distinct_members);
  console.log(
    JSON.stringify({
      alerts,
      accepted_202: accepted,
      retries,
      rps: Number(answers.rps.toFixed(1)),
      accepted_202_per_s: Number((accepted / sample.seconds).toFixed(1)),
      p99_ms: Number(answers.p99.toFixed(1)),
      events: stored.events,
      members: stored.members,
      groups: groups.length,
      rcas: rcas.recorded,
      lost,
      duplicated,
      group_runs: runs,
      longest_history: longestHistory,
    }),
  );
});
