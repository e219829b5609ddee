/**
 * npm run bench:groups [-- --storms N --size M --background B --wait S]
 *
 * Alert-storm compression: N storms of M alerts each (one cause: every alert names the storm's
 * service, on one of five hosts, each on its own monitor) and B unrelated background alerts (a host
 * and service of their own), posted at once through the API with RAYNE_GROUP_WAIT_S=S. Once every
 * group has started its RCA, reports the groups formed, the RCAs started, compression (1 - RCAs /
 * alerts) and pairwise grouping precision and recall against the true storms. Starts embedded
 * Postgres and a Temporal dev server unless DATABASE_URL and TEMPORAL_ADDRESS are set. The last
 * line is machine-readable.
 */
import { createApp } from '../src/api/app';
import { compression as compressionOf, pairCounts, pairwiseScores } from '../src/groups/grouping-score';
import { createApiRuntime } from '../src/runtime';
import { arg, runBenchmark, startBenchWorker } from './measure';

const storms = arg('storms', 4);
const size = arg('size', 25);
const background = arg('background', 10);
const waitS = arg('wait', 5);
const BATCH = 20;

interface SentAlert {
  truth: string;
  eventId: string;
}

runBenchmark(`bench-groups-${Date.now()}`, async ({ config: base, log, databaseUrl, temporalAddress, stops }) => {
  const config = { ...base, RAYNE_GROUP_WAIT_S: waitS };
  const runtime = createApiRuntime(config, databaseUrl, temporalAddress, log);
  stops.push(() => runtime.close());
  await startBenchWorker({ config, temporalAddress, stops }, runtime.db);
  const app = createApp({ ...runtime, config, log });
  const run = Date.now();
  const payloads = [
    ...Array.from({ length: storms * size }, (_, i) => {
      const storm = Math.floor(i / size);
      return { truth: `storm-${storm}`, alert: { tags: [`service:svc-${run}-${storm}`], hostname: `h-${run}-${storm}-${i % 5}` } };
    }),
    ...Array.from({ length: background }, (_, i) => ({
      truth: `background-${i}`,
      alert: { tags: [`service:bg-${run}-${i}`], hostname: `bg-${run}-${i}` },
    })),
  ];
  console.log(`group benchmark: ${storms} storms of ${size} alerts, ${background} background alerts, group_wait ${waitS} s`);
  // In batches, as a storm arrives: all at once would measure the API's 503s on a small machine, not grouping.
  const sent: SentAlert[] = [];
  for (let first = 0; first < payloads.length; first += BATCH)
    sent.push(
      ...(await Promise.all(
        payloads.slice(first, first + BATCH).map(async ({ truth, alert }, k) => {
          const i = first + k;
          const res = await app.request('/v1/webhooks/receive', {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify({ ...alert, monitor_id: 300000 + i, alert_status: 'Alert', transition_id: `${run}-${i}` }),
          });
          if (res.status !== 202) throw new Error(`webhook answered ${res.status}`);
          return { truth, eventId: ((await res.json()) as { event_id: string }).event_id };
        }),
      )),
    );

  // Every alert in a group, and every group with its RCA started.
  const eventIds = sent.map((s) => s.eventId);
  for (;;) {
    const {
      rows: [progress],
    } = await runtime.db.query(
      `SELECT (SELECT count(*)::int FROM incident_group_members WHERE event_id = ANY($1::bigint[])) AS members,
              (SELECT count(*)::int FROM incident_groups g WHERE NOT EXISTS (SELECT 1 FROM incident_group_rcas r WHERE r.group_id = g.id)) AS waiting`,
      [eventIds],
    );
    if (progress.members === sent.length && progress.waiting === 0) break;
    await new Promise((r) => setTimeout(r, 500));
  }
  const { rows } = await runtime.db.query<{ event_id: string; group_id: string }>(
    'SELECT event_id::text, group_id FROM incident_group_members WHERE event_id = ANY($1::bigint[])',
    [eventIds],
  );
  const groupOf = new Map(rows.map((r) => [r.event_id, r.group_id]));
  const {
    rows: [{ rcas }],
  } = await runtime.db.query(
    // The RCAs the groups started (recorded before each starts), and any alert's own.
    `SELECT (SELECT count(*)::int FROM incident_group_rcas r WHERE r.group_id IN (SELECT group_id FROM incident_group_members WHERE event_id = ANY($1::bigint[])))
          + (SELECT count(*)::int FROM rca_runs WHERE id = ANY(SELECT 'rca/' || unnest($1::text[])) AND id NOT IN (SELECT rca_id FROM incident_group_rcas)) AS rcas`,
    [eventIds],
  );
  const groups = new Set(groupOf.values()).size;
  const { precision, recall } = pairwiseScores(pairCounts(sent.map((s) => ({ truth: s.truth, group: groupOf.get(s.eventId)! }))));
  const compression = compressionOf(sent.length, rcas);
  console.log(`alerts ${sent.length}, groups ${groups} (true causes ${storms + background}), RCAs ${rcas}`);
  console.log(`compression ${(compression * 100).toFixed(1)} %, pairwise precision ${precision.toFixed(3)}, recall ${recall.toFixed(3)}`);
  console.log(JSON.stringify({ alerts: sent.length, groups, rcas, compression, precision, recall }));
});
