/**
 * npm run bench:github [-- --count N --concurrency C --history H]
 *
 * 1. Intake: N signed GitHub `issues.opened` deliveries (HMAC check, store, start) against N
 *    Datadog alerts through /v1/webhooks/receive (validate, store, signal-with-start), in
 *    interleaved rounds; the Datadog path is the baseline.
 * 2. Triage: with H earlier issues indexed for the duplicate search, N issues from delivery to
 *    the comment on a loopback GitHub REST simulator (offline analyst, a real worker).
 * Starts embedded Postgres and a Temporal dev server unless DATABASE_URL and TEMPORAL_ADDRESS
 * are set. The last line is machine-readable.
 */
import os from 'node:os';
import { sign } from '@octokit/webhooks-methods';
import { createApp } from '../src/api/app';
import { createApiRuntime } from '../src/runtime';
import { createSimilarityProviders } from '../src/similarity/providers';
import { issuePayload, newDeliveryId } from '../test/support/github-deliveries';
import { startGithubSimulator } from '../test/support/github-simulator';
import { arg, compareInRounds, report, runBatch, runBenchmark, type Sample, startBenchWorker } from './measure';

const count = arg('count', 200);
const concurrency = arg('concurrency', 8);
const history = arg('history', 1000);
const SECRET = 'bench-secret';
const TOKEN = 'ghp_bench';

const WORDS = [
  'checkout',
  'payment',
  'search',
  'login',
  'cart',
  'orders',
  'timeout',
  '502',
  'slow',
  'crash',
  'export',
  'email',
  'invoice',
  'latency',
  'memory',
  'disk',
];
const title = (i: number) => `${WORDS[i % WORDS.length]} ${WORDS[(i * 7) % WORDS.length]} ${WORDS[(i * 11) % WORDS.length]} problem ${i}`;

runBenchmark('bench-github', async ({ config: base, log, databaseUrl, temporalAddress, stops }) => {
  const github = await startGithubSimulator(TOKEN);
  stops.push(() => github.close());
  const config = { ...base, GITHUB_WEBHOOK_SECRET: SECRET, GH_TOKEN: TOKEN, GITHUB_API_URL: github.url };
  const runId = Date.now();
  console.log(
    `github benchmark: ${count} deliveries each, ${concurrency} in flight, ${history} earlier issues indexed, ${os.cpus().length} cores`,
  );

  // 1. Intake, on a task queue no worker polls: only the API's own work is measured.
  const intakeConfig = { ...config, TEMPORAL_TASK_QUEUE: 'bench-github-intake' };
  const intakeRuntime = createApiRuntime(intakeConfig, databaseUrl, temporalAddress, log);
  stops.push(() => intakeRuntime.close());
  const intakeApp = createApp({ ...intakeRuntime, config: intakeConfig, log });
  const deliverIssue = async (app: typeof intakeApp, repository: string, i: number) => {
    const body = JSON.stringify(
      issuePayload('opened', { repository, number: i + 1, title: title(i), body: `Seen since ${i} minutes. ${title(i * 3)}` }),
    );
    const res = await app.request('/v1/webhooks/github/issues', {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'x-github-event': 'issues',
        'x-github-delivery': newDeliveryId(),
        'x-hub-signature-256': await sign(SECRET, body),
      },
      body,
    });
    if (res.status !== 202) throw new Error(`API answered ${res.status}: ${await res.text()}`);
  };
  const sendAlert = async (i: number) => {
    const res = await intakeApp.request('/v1/webhooks/receive', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ monitor_id: 300000 + i, alert_status: 'Alert', hostname: `gh-bench-${i}`, transition_id: `${runId}-${i}` }),
    });
    if (res.status !== 202) throw new Error(`API answered ${res.status}`);
  };
  const [githubSample, datadogSample] = await compareInRounds(
    count,
    concurrency,
    (i) => deliverIssue(intakeApp, `bench/intake-${runId}`, i),
    sendAlert,
  );
  const intake = report('GitHub delivery → 202', githubSample);
  const alerts = report('Datadog alert → 202', datadogSample);

  // 2. Triage, delivery to comment, with earlier issues to search.
  const runtime = createApiRuntime(config, databaseUrl, temporalAddress, log);
  stops.push(() => runtime.close());
  const repository = `bench/triage-${runId}`;
  const { embedder, store } = createSimilarityProviders(config, runtime.db);
  for (let from = 0; from < history; from += 200) {
    const ids = Array.from({ length: Math.min(200, history - from) }, (_, k) => from + k);
    const vectors = await embedder.embed(ids.map((i) => `${title(i + 5000)}\nSeen since ${i} minutes.`));
    await store.ensureReady(vectors[0]!.length);
    await store.upsert(
      ids.map((i, k) => ({
        id: `github/${repository}#${100_000 + i}`,
        vector: vectors[k]!,
        payload: {
          account: `github:${repository}`,
          title: `#${100_000 + i} ${title(i + 5000)}`,
          rootCause: '',
          category: 'bug',
          confirmed: false,
          links: { issue: `https://github.com/${repository}/issues/${100_000 + i}` },
          createdAt: new Date().toISOString(),
        },
      })),
    );
  }
  await startBenchWorker({ config, temporalAddress, stops }, runtime.db);
  const app = createApp({ ...runtime, config, log });
  const triageSample: Sample = { seconds: 0, latencies: [] };
  await runBatch(triageSample, 0, count, concurrency, async (i) => {
    await deliverIssue(app, repository, i);
    while (github.issue(repository, i + 1).comments.length === 0) await new Promise((r) => setTimeout(r, 5));
  });
  const triage = report('issue → triage comment', triageSample);
  console.log(
    `github_ingest_ratio=${(intake.rps / alerts.rps).toFixed(3)} github_ingest_p50_ms=${intake.p50.toFixed(1)} triage_per_s=${triage.rps.toFixed(2)} triage_p50_ms=${triage.p50.toFixed(0)} triage_p99_ms=${triage.p99.toFixed(0)}`,
  );
});
