import fs from 'node:fs';
import path from 'node:path';
import { loadScenario } from '../../src/demo/scenario';
import { fnv1a32, HashingEmbedder, words } from '../../src/similarity/hashing-embedder';

const SCENARIOS_DIR = path.join(__dirname, '..', '..', 'scenarios');
const scenarios = fs
  .readdirSync(SCENARIOS_DIR)
  .filter((f) => f.endsWith('.json'))
  .map((f) => loadScenario(path.join(SCENARIOS_DIR, f)));
/** Past incidents as the RCA store would embed them: title, then root cause. */
const history = scenarios.flatMap((s) => s.history.map((h) => `${h.title}. ${h.root_cause}`));

/** items[i], for an index the test's own fixtures keep in range; fails the test if it is not. */
function nth<T>(items: readonly T[], i: number): T {
  const item = items[i];
  if (item === undefined) throw new Error(`expected an item at index ${i} of ${items.length}`);
  return item;
}

// A missing component makes the product NaN, which no expectation accepts.
const dot = (a: number[], b: number[]) => a.reduce((s, x, i) => s + x * (b[i] ?? NaN), 0);
const embedder = new HashingEmbedder();

async function similarity(a: string, b: string): Promise<number> {
  const vectors = await embedder.embed([a, b]);
  return dot(nth(vectors, 0), nth(vectors, 1));
}

/** Corpus indices by similarity to the query, best first. */
async function rank(query: string, corpus: string[]): Promise<number[]> {
  const [q, ...docs] = await embedder.embed([query, ...corpus]);
  if (!q) throw new Error('the embedder answered no vectors');
  return docs
    .map((d, i) => ({ i, score: dot(q, d) }))
    .sort((a, b) => b.score - a.score)
    .map((r) => r.i);
}

describe('hashing embedder', () => {
  it('hashes with FNV-1a as published (32-bit test vectors)', () => {
    expect(fnv1a32('')).toBe(0x811c9dc5);
    expect(fnv1a32('a')).toBe(0xe40c292c);
    expect(fnv1a32('foobar')).toBe(0xbf9cf968);
  });

  it('gives the same vector for the same text, in any batch and any instance', async () => {
    const text = nth(history, 0);
    const [alone] = await new HashingEmbedder().embed([text]);
    const [, inBatch] = await embedder.embed([nth(history, 1), text]);
    expect(inBatch).toEqual(alone);
  });

  it('answers unit vectors of its dimension, and a zero vector for text without words', async () => {
    const small = new HashingEmbedder(64);
    const [vector = [], empty] = await small.embed([nth(history, 2), ' -- ']);
    expect(vector).toHaveLength(64);
    expect(Math.sqrt(dot(vector, vector))).toBeCloseTo(1, 12);
    expect(empty).toEqual(new Array(64).fill(0));
    expect((await embedder.embed(['x']))[0]).toHaveLength(512);
  });

  it('names its version and dimension, so vectors of another configuration are never compared', () => {
    expect(new HashingEmbedder().name).toBe('hashing-v1-512');
    expect(new HashingEmbedder(256).name).toBe('hashing-v1-256');
    expect(() => new HashingEmbedder(1.5)).toThrow(RangeError);
  });

  it('collapses ids and drops function words', () => {
    expect(words('Deploy of 3f9a2c1bd7e4 to 10.42.7.118 failed for 123e4567-e89b-12d3-a456-426614174000')).toEqual([
      'deploy',
      'hexid',
      'ipaddr',
      'failed',
      'uuid',
    ]);
  });

  it('keeps web-07 and web-08 close, closer than another host, yet tells 502s from 401s', async () => {
    const sameRole = await similarity('CPU user above 90% on host web-07', 'CPU user above 90% on host web-08');
    const otherHost = await similarity('CPU user above 90% on host web-07', 'CPU user above 90% on host mq-02');
    expect(sameRole).toBeGreaterThan(0.95);
    expect(sameRole).toBeGreaterThan(otherHost);
    expect(await similarity('nginx 502s for account-service', 'nginx 401s for account-service')).toBeLessThan(0.99);
  });

  it.each([
    ['image-thumbnailer backfill pegged CPU on batch-03 and the thumbnail queue stalled', 'batch-02 pegged by image-thumbnailer backfill'],
    ['nginx access logs were not rotated and filled the root filesystem of lb-edge-02', 'lb-edge-01 root filesystem full'],
    ['nginx on lb-edge-01 kept serving an expired TLS certificate although certbot had renewed it', 'served an expired certificate'],
    ['order-service queries slow: sequential scans on order_lines because an index was missing', 'missing index on order_lines'],
    ['inventory-service stock levels stale: RabbitMQ flow control blocked the consumer', 'stale stock counts'],
    ['Stripe webhook deliveries failing with 401 since the signing secret was rotated', 'Stripe webhooks rejected'],
    ['RabbitMQ node mq-04 down after its EC2 hypervisor failed', 'RabbitMQ node mq-03 unreachable'],
    ['Node heap limit reached in notification-service, template cache unbounded', 'Reached heap limit'],
  ])('ranks the past incident a paraphrase describes first: %s', async (paraphrase, pastTitle) => {
    const ranked = (await rank(paraphrase, history)).map((i) => nth(history, i));
    const best = nth(ranked, 0);
    expect(best).toContain(pastTitle);
    // Ahead of the nearest entry about something else: another company's account of the same incident may sit beside it.
    const others = await Promise.all(ranked.slice(1).map(async (h) => ({ h, alike: await similarity(best, h) })));
    const second = nth(
      others.filter((o) => o.alike < 0.5),
      0,
    ).h;
    const [bestScore, secondScore] = await Promise.all([similarity(paraphrase, best), similarity(paraphrase, second)]);
    // By a clear margin, though the same failure at another provider (a Mux secret rotated, not Stripe's) sits close.
    expect(bestScore - secondScore).toBeGreaterThan(0.05);
  });

  it("pairs the two scenarios' accounts of the cart-api 2.40.0 release", async () => {
    const short = history.findIndex((h) => h.startsWith('cart-api 500s after release 2.40.0'));
    const long = history.findIndex((h) => h.startsWith('cart-api returned 500s after release 2.40.0'));
    /** The other history entry nearest to entry i. */
    const nearest = async (i: number) => {
      const others = history.filter((_, j) => j !== i);
      return nth(others, nth(await rank(nth(history, i), others), 0));
    };
    expect(await nearest(short)).toBe(history[long]);
    expect(await nearest(long)).toBe(history[short]);
  });

  it("finds each monitor's earlier alert when it fires again with other numbers and hosts", async () => {
    const titles = scenarios.map((s) => String(s.alert.alert_title));
    const refired = titles.map((t) => t.replace(/\d+/g, (n) => String((Number(n) + 3) % 10 ** n.length).padStart(n.length, '0')));
    expect(refired).not.toEqual(titles);
    // Two incidents may share a monitor, and so its title, or differ only in its numbers (p95 and p99 latency above 2s):
    // either of them is its earlier alert.
    const shape = (t: string) => t.replace(/\d+/g, '#');
    for (const [i, title] of refired.entries()) expect(shape(nth(titles, nth(await rank(title, titles), 0)))).toBe(shape(nth(titles, i)));
  });
});
