/**
 * npm run bench:similarity [-- --searches S --sql-searches Q]
 *
 * The default similarity providers at work, on synthetic incident texts built from the scenarios:
 * texts/s of the hashing embedder, points/s of upserts into the Postgres store, and top-5
 * searches (one account, threshold 0) at 1k and 10k stored RCAs, p50/p99. In the same run and
 * over the same vectors: an exact in-memory JS brute force (the floor: no I/O at all), and the
 * design the store rejected, a dot product in SQL over real[] (unnest). The store's hits must
 * score as the brute force's do. Starts embedded Postgres (and Temporal, via runBenchmark)
 * unless DATABASE_URL and TEMPORAL_ADDRESS are set. The last line is machine-readable.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadScenario } from '../src/demo/scenario';
import { createPool } from '../src/db/pool';
import { HashingEmbedder } from '../src/similarity/hashing-embedder';
import { PostgresVectorStore } from '../src/similarity/postgres-vector-store';
import type { ScoredPoint, VectorPoint } from '../src/similarity/vector-store';
import { normalised } from '../src/similarity/vectors';
import { arg, report, runBatch, runBenchmark, type Sample } from './measure';

const searches = arg('searches', 100);
const sqlSearches = arg('sql-searches', 20);
const SIZES = [1_000, 10_000];
const TOP_K = 5;
const runId = Date.now().toString(36);
const account = `bench-${runId}`;

/** A seeded generator: the same texts every run. */
function seeded(seed: number): () => number {
  let state = seed;
  return () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
}

/** Incident texts in the shape the RCA store embeds (title, then root cause), mixed from the scenarios. */
function incidentTexts(count: number, seed: number): string[] {
  const dir = path.join(__dirname, '..', '..', 'scenarios');
  const scenarios = fs
    .readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .map((f) => loadScenario(path.join(dir, f)));
  const services = [...new Set(scenarios.flatMap((s) => [String(s.alert.service), ...s.history.map((h) => h.service)]))];
  const symptoms = scenarios.map((s) => String(s.datadog.monitor.name).replace(/^\S+\s/, ''));
  const causes = scenarios.flatMap((s) => s.history.map((h) => h.root_cause));
  const random = seeded(seed);
  const pick = <T>(items: T[]) => items[Math.floor(random() * items.length)];
  return Array.from(
    { length: count },
    () =>
      `${pick(services)} ${pick(symptoms)} on ${pick(['web', 'app', 'db', 'mq', 'lb-edge'])}-${String(Math.floor(random() * 40)).padStart(2, '0')}. ${pick(causes)}`,
  );
}

/** Exact top-k over vectors held in memory: what any store is measured against. */
function bruteForceTopK(stored: Array<{ id: string; vector: Float32Array }>, query: Float64Array): number[] {
  const scores = stored.map(({ vector }) => {
    let dot = 0;
    let norm = 0;
    for (let i = 0; i < vector.length; i++) {
      const x = vector[i]!;
      dot += x * query[i]!;
      norm += x * x;
    }
    return dot / Math.sqrt(norm);
  });
  return scores
    .filter((s) => s >= 0)
    .sort((a, b) => b - a)
    .slice(0, TOP_K);
}

function assertSameScores(store: ScoredPoint[], expected: number[], query: number): void {
  const agree =
    store.length === expected.length &&
    store.every((hit, i) => {
      const score = expected[i];
      return score !== undefined && Math.abs(hit.score - score) < 1e-6;
    });
  if (!agree) throw new Error(`query ${query}: the store scored ${store.map((h) => h.score)}, brute force ${expected}`);
}

/** list[i], for an index the bench's own setup keeps in range; throws if it is not. */
function nth<T>(list: readonly T[], i: number, what: string): T {
  const item = list[i];
  if (item === undefined) throw new Error(`no ${what} ${i}: there are ${list.length}`);
  return item;
}

const newSample = (): Sample => ({ seconds: 0, latencies: [] });
const throughput = (label: string, count: number, unit: string, seconds: number) => {
  console.log(`${label.padEnd(28)} ${count} in ${seconds.toFixed(2)}s  ${(count / seconds).toFixed(0)} ${unit}/s`);
  return count / seconds;
};

runBenchmark('bench-similarity', async ({ databaseUrl, stops }) => {
  const db = createPool(databaseUrl, 4);
  stops.push(async () => {
    await db.query('DELETE FROM rca_vectors WHERE account = $1', [account]);
    await db.end();
  });
  const embedder = new HashingEmbedder();
  // A name of this run's own: an existing database's vectors never join the measurement.
  const store = new PostgresVectorStore(db, `${embedder.name}-bench-${runId}`);
  await store.ensureReady(embedder.dimension);
  await db.query('CREATE TEMP TABLE sql_alternative (id text PRIMARY KEY, vector real[] NOT NULL)');
  console.log(
    `similarity benchmark: ${embedder.name}, top-${TOP_K}, ${searches} searches per size (${sqlSearches} for SQL), ${os.cpus().length} cores`,
  );

  const texts = incidentTexts(Math.max(...SIZES), 1);
  let started = performance.now();
  const vectors: number[][] = [];
  for (let i = 0; i < texts.length; i += 100) vectors.push(...(await embedder.embed(texts.slice(i, i + 100))));
  const embedRate = throughput('embed (hashing)', texts.length, 'texts', (performance.now() - started) / 1000);
  const queries = (await embedder.embed(incidentTexts(searches, 2))).map(normalised);
  const queryAt = (q: number) => nth(queries, q, 'query');

  const stored: Array<{ id: string; vector: Float32Array }> = [];
  const figures: Record<string, number> = { embed_tps: embedRate };
  let upsertSeconds = 0;
  for (const size of SIZES) {
    const points: VectorPoint[] = vectors.slice(stored.length, size).map((vector, i) => ({
      id: `rca/${stored.length + i}`,
      vector,
      payload: {
        account,
        title: nth(texts, stored.length + i, 'text'),
        rootCause: '',
        category: 'deployment',
        confirmed: false,
        links: {},
        createdAt: new Date().toISOString(),
      },
    }));
    started = performance.now();
    for (let i = 0; i < points.length; i += 500) await store.upsert(points.slice(i, i + 500));
    upsertSeconds += (performance.now() - started) / 1000;
    await db.query('INSERT INTO sql_alternative SELECT id, vector::real[] FROM unnest($1::text[], $2::text[]) AS t (id, vector)', [
      points.map((p) => p.id),
      points.map((p) => `{${normalised(p.vector).join(',')}}`),
    ]);
    await db.query('ANALYZE sql_alternative');
    stored.push(...points.map((p) => ({ id: p.id, vector: Float32Array.from(normalised(p.vector)) })));

    const label = `${size / 1000}k`;
    const [storeSample, bruteSample, sqlSample] = [newSample(), newSample(), newSample()];
    const hits: ScoredPoint[][] = [];
    await runBatch(storeSample, 0, searches, 1, async (q) => {
      hits[q] = await store.search(Array.from(queryAt(q)), { limit: TOP_K, minScore: 0, filter: { account } });
    });
    hits.forEach((h, q) => assertSameScores(h, bruteForceTopK(stored, queryAt(q)), q));
    await runBatch(bruteSample, 0, searches, 1, async (q) => {
      bruteForceTopK(stored, queryAt(q));
    });
    await runBatch(sqlSample, 0, sqlSearches, 1, async (q) => {
      await db.query(
        `SELECT id, (SELECT sum(a * b) FROM unnest(vector, $1::real[]) AS t (a, b)) AS score
        FROM sql_alternative ORDER BY score DESC LIMIT ${TOP_K}`,
        [Array.from(queryAt(q))],
      );
    });
    const pg = report(`search ${label}: postgres store`, storeSample);
    const brute = report(`search ${label}: js brute force`, bruteSample);
    const sql = report(`search ${label}: sql unnest`, sqlSample);
    Object.assign(figures, {
      [`pg_p50_ms_${label}`]: pg.p50,
      [`pg_p99_ms_${label}`]: pg.p99,
      [`brute_p50_ms_${label}`]: brute.p50,
      [`sql_p50_ms_${label}`]: sql.p50,
      [`ratio_${label}`]: pg.p50 / brute.p50,
      [`sql_ratio_${label}`]: sql.p50 / pg.p50,
    });
  }
  figures.upsert_pps = throughput('upsert (postgres store)', stored.length, 'points', upsertSeconds);
  console.log(
    `similarity ${Object.entries(figures)
      .map(([name, value]) => `${name}=${value.toFixed(2)}`)
      .join(' ')}`,
  );
});
