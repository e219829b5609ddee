import crypto from 'node:crypto';
import { PostgresVectorStore } from '../../src/similarity/postgres-vector-store';
import { pointIdFor, QdrantError, QdrantVectorStore, uuidV5 } from '../../src/similarity/qdrant-vector-store';
import { type VectorPoint, VectorDimensionError } from '../../src/similarity/vector-store';
import { createTestDatabase } from '../support/harness';
import { startJsonServer } from '../support/json-server';
import { startQdrantSimulator, type QdrantSimulator } from '../support/qdrant-simulator';
import { incidentPayload, vectorStoreContract } from '../support/vector-store-contract';

const uniqueName = (prefix: string) => `${prefix}_${crypto.randomBytes(5).toString('hex')}`;

describe('Postgres vector store', () => {
  let database: Awaited<ReturnType<typeof createTestDatabase>>;
  beforeAll(async () => {
    database = await createTestDatabase();
  });
  afterAll(() => database.drop());

  describe('contract', () => {
    vectorStoreContract(async () => {
      await database.db.query('TRUNCATE rca_vectors');
      return (embedder) => new PostgresVectorStore(database.db, embedder);
    });
  });

  // A seeded generator: the same vectors every run.
  function randomVectors(count: number, dimension: number, seed = 7): number[][] {
    let state = seed;
    const next = () => {
      state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
      return state / 2 ** 32 - 0.5;
    };
    return Array.from({ length: count }, () => Array.from({ length: dimension }, next));
  }

  const cosine = (a: number[], b: number[]) => {
    const dot = a.reduce((s, x, i) => s + x * (b[i] ?? NaN), 0);
    return dot / Math.sqrt(a.reduce((s, x) => s + x * x, 0) * b.reduce((s, x) => s + x * x, 0));
  };

  it('finds the same top hits as brute force across many read batches, with and without an account filter', async () => {
    await database.db.query('TRUNCATE rca_vectors');
    const store = new PostgresVectorStore(database.db, 'hashing-v1-16');
    await store.ensureReady(16);
    const points: VectorPoint[] = randomVectors(2600, 16).map((vector, i) => {
      const account = i % 3 === 0 ? 'globex' : 'acme';
      return { id: `rca/${i}`, vector, payload: incidentPayload(account, `incident ${i}`) };
    });
    await store.upsert(points);
    const [query = []] = randomVectors(1, 16, 99);
    for (const account of [undefined, 'acme']) {
      const expected = points
        .filter((p) => account === undefined || p.payload.account === account)
        .map((p) => ({ id: p.id, score: cosine(query, p.vector) }))
        .sort((a, b) => b.score - a.score)
        .slice(0, 10);
      const hits = await store.search(query, { limit: 10, minScore: -1, filter: { account } });
      expect(hits.map((h) => h.id)).toEqual(expected.map((e) => e.id));
      expected.forEach((e, i) => expect(hits[i]?.score).toBeCloseTo(e.score, 5));
    }
  });

  it('keeps the last of two points with one id in a batch', async () => {
    await database.db.query('TRUNCATE rca_vectors');
    const store = new PostgresVectorStore(database.db, 'hashing-v1-4');
    await store.ensureReady(4);
    await store.upsert([
      { id: 'rca/1', vector: [1, 0, 0, 0], payload: incidentPayload('acme', 'first') },
      { id: 'rca/1', vector: [0, 1, 0, 0], payload: incidentPayload('acme', 'second') },
    ]);
    const hits = await store.search([0, 1, 0, 0], { limit: 10, minScore: -1 });
    expect(hits).toEqual([{ id: 'rca/1', score: expect.closeTo(1, 5), payload: incidentPayload('acme', 'second') }]);
  });

  it('records embedder and dimension, and a store of another dimension sees none of those points', async () => {
    await database.db.query('TRUNCATE rca_vectors');
    const four = new PostgresVectorStore(database.db, 'ollama:model:latest');
    await four.ensureReady(4);
    await four.upsert([{ id: 'rca/1', vector: [1, 0, 0, 0], payload: incidentPayload('acme', 'four') }]);
    const eight = new PostgresVectorStore(database.db, 'ollama:model:latest');
    await eight.ensureReady(8);
    expect(await eight.search([1, 0, 0, 0, 0, 0, 0, 0], { limit: 10, minScore: -1 })).toEqual([]);
    const { rows } = await database.db.query('SELECT embedder, dimension, length(vector) AS bytes FROM rca_vectors');
    expect(rows).toEqual([{ embedder: 'ollama:model:latest', dimension: 4, bytes: 16 }]);
  });
});

describe('Qdrant vector store', () => {
  describe('against the Qdrant simulator', () => {
    let qdrant: QdrantSimulator;
    beforeAll(async () => {
      qdrant = await startQdrantSimulator();
    });
    afterAll(() => qdrant.close());

    describe('contract', () => {
      vectorStoreContract(async () => {
        const collection = uniqueName('contract');
        return (embedder) => new QdrantVectorStore({ url: qdrant.url, collection, embedder });
      });
    });

    it('creates a Cosine collection of the dimension with keyword indexes on the filtered fields', async () => {
      const collection = uniqueName('create');
      await new QdrantVectorStore({ url: qdrant.url, collection, embedder: 'e' }).ensureReady(6);
      const created = qdrant.collections.get(collection);
      expect(created).toMatchObject({ size: 6, distance: 'Cosine', indexes: { account: 'keyword', embedder: 'keyword' } });
    });

    it('refuses a collection that exists with another dimension, naming it and both sizes, as NotConfigured (not retried)', async () => {
      const collection = uniqueName('sized');
      await new QdrantVectorStore({ url: qdrant.url, collection, embedder: 'e' }).ensureReady(4);
      const other = new QdrantVectorStore({ url: qdrant.url, collection, embedder: 'e' });
      await expect(other.ensureReady(8)).rejects.toThrow(VectorDimensionError);
      await expect(other.ensureReady(8)).rejects.toThrow(
        new RegExp(`"${collection}" at .* holds 4 dimensions, Cosine distance; the embedder needs 8`),
      );
      await expect(other.ensureReady(8)).rejects.toMatchObject({ code: 'NotConfigured', retryable: false, data: { upstream: 'Qdrant' } });
    });

    it('stores points under a UUID derived from the RCA id, which stays in the payload', async () => {
      const collection = uniqueName('ids');
      const store = new QdrantVectorStore({ url: qdrant.url, collection, embedder: 'hashing-v1-4' });
      await store.ensureReady(4);
      await store.upsert([{ id: 'rca/evt-1', vector: [1, 0, 0, 0], payload: incidentPayload('acme', 'one') }]);
      const stored = [...qdrant.collections.get(collection)!.points.values()];
      expect(stored).toEqual([
        expect.objectContaining({
          id: pointIdFor('rca/evt-1'),
          payload: { ...incidentPayload('acme', 'one'), rcaId: 'rca/evt-1', embedder: 'hashing-v1-4' },
        }),
      ]);
      expect(pointIdFor('rca/evt-1')).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    });

    it('sends the threshold and the filters to Qdrant as score_threshold and must conditions', async () => {
      const collection = uniqueName('query');
      const store = new QdrantVectorStore({ url: qdrant.url, collection, embedder: 'hashing-v1-4' });
      await store.ensureReady(4);
      await store.search([1, 0, 0, 0], { limit: 3, minScore: 0.42, filter: { account: 'acme', excludeId: 'rca/7' } });
      const query = qdrant.requests.filter((r) => r.path === `/collections/${collection}/points/query`).at(-1);
      expect(query?.body).toMatchObject({
        limit: 3,
        score_threshold: 0.42,
        filter: {
          must: [
            { key: 'embedder', match: { value: 'hashing-v1-4' } },
            { key: 'account', match: { value: 'acme' } },
          ],
          must_not: [{ has_id: [pointIdFor('rca/7')] }],
        },
      });
    });
  });

  it('derives version-5 UUIDs as RFC 9562 does', () => {
    // The DNS namespace and "python.org": the example in Python's uuid documentation.
    expect(uuidV5('python.org', '6ba7b810-9dad-11d1-80b4-00c04fd430c8')).toBe('886313e1-3b8a-5372-9b90-0c9aee199e5d');
    expect(pointIdFor('rca/1')).toBe(pointIdFor('rca/1'));
    expect(pointIdFor('rca/1')).not.toBe(pointIdFor('rca/2'));
  });

  it('says which server and collection failed when Qdrant is unreachable, as Unavailable (retried)', async () => {
    const closed = await startJsonServer(() => ({ status: 200, body: {} }));
    await closed.close();
    const store = new QdrantVectorStore({ url: closed.url, collection: 'rayne_rcas', embedder: 'e' });
    const failure = store.ensureReady(4);
    await expect(failure).rejects.toThrow(QdrantError);
    await expect(failure).rejects.toThrow(
      `Qdrant exists check on collection "rayne_rcas" at ${closed.url} failed: unreachable (ECONNREFUSED)`,
    );
    await expect(failure).rejects.toMatchObject({ code: 'Unavailable', retryable: true, data: { upstream: 'Qdrant' } });
  });

  it.each([
    [503, 'Unavailable', true],
    [429, 'RateLimited', true],
    [401, 'Unauthorized', false],
    [403, 'Forbidden', false],
    [400, 'BadRequest', false],
  ])('classifies a Qdrant answer of %i as %s (retried: %s)', async (status, code, retryable) => {
    const qdrant = await startJsonServer(() => ({ status, body: { status: { error: 'refused by the test' }, time: 0 } }));
    try {
      const failure = new QdrantVectorStore({ url: qdrant.url, collection: 'rayne_rcas', embedder: 'e' }).ensureReady(4);
      await expect(failure).rejects.toThrow(
        `Qdrant exists check on collection "rayne_rcas" at ${qdrant.url} failed: ${status} refused by the test`,
      );
      await expect(failure).rejects.toMatchObject({ code, retryable, data: { upstream: 'Qdrant', operation: 'exists check', status } });
    } finally {
      await qdrant.close();
    }
  });

  const realQdrant = process.env.QDRANT_URL;
  (realQdrant ? describe : describe.skip)(`against a real Qdrant (${realQdrant ?? 'skipped: set QDRANT_URL to run'})`, () => {
    const created: string[] = [];
    afterAll(async () => {
      for (const collection of created) {
        await fetch(`${realQdrant}/collections/${collection}`, {
          method: 'DELETE',
          headers: process.env.QDRANT_API_KEY ? { 'api-key': process.env.QDRANT_API_KEY } : {},
        });
      }
    });

    vectorStoreContract(async () => {
      const collection = uniqueName('rayne_contract');
      created.push(collection);
      return (embedder) => new QdrantVectorStore({ url: realQdrant!, apiKey: process.env.QDRANT_API_KEY, collection, embedder });
    });
  });
});
