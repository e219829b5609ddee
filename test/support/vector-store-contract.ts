import { type SimilarIncidentPayload, type VectorPoint, type VectorStore, VectorDimensionError } from '../../src/similarity/vector-store';

/** Makes stores over one empty backing (table or collection); stores of one backing see each other's points. */
export type FreshBacking = () => Promise<(embedder: string) => VectorStore>;

const DIMENSION = 4;
const everything = { limit: 100, minScore: -1 };

export function incidentPayload(account: string, title: string): SimilarIncidentPayload {
  return {
    account,
    title,
    rootCause: `root cause of ${title}`,
    category: 'deployment',
    confirmed: false,
    links: { rca: `https://rayne.example/v1/rca/${encodeURIComponent(title)}` },
    createdAt: '2024-01-29T15:00:00.000Z',
  };
}

const point = (id: string, vector: number[], account = 'acme'): VectorPoint => ({ id, vector, payload: incidentPayload(account, id) });

/**
 * What every VectorStore must do, run against each implementation: cosine ranking, the
 * threshold and the limit applied, filters, upsert by id, delete, and dimension checks.
 */
export function vectorStoreContract(fresh: FreshBacking): void {
  async function readyStore(embedder = 'contract-embedder'): Promise<VectorStore> {
    const store = (await fresh())(embedder);
    await store.ensureReady(DIMENSION);
    return store;
  }

  async function storeWithFourPoints(): Promise<VectorStore> {
    const store = await readyStore();
    await store.upsert([
      point('rca/same', [2, 0, 0, 0]),
      point('rca/close', [0.8, 0.6, 0, 0]),
      point('rca/orthogonal', [0, 0, 3, 0]),
      point('rca/opposite', [-1, 0, 0, 0]),
    ]);
    return store;
  }

  it('finds nothing in an empty store', async () => {
    const store = await readyStore();
    expect(await store.search([1, 0, 0, 0], everything)).toEqual([]);
  });

  it("ranks by cosine similarity, best first, whatever the vectors' lengths", async () => {
    const store = await storeWithFourPoints();
    const hits = await store.search([3, 0, 0, 0], everything);
    expect(hits.map((h) => h.id)).toEqual(['rca/same', 'rca/close', 'rca/orthogonal', 'rca/opposite']);
    [1, 0.8, 0, -1].forEach((score, i) => expect(hits[i]?.score).toBeCloseTo(score, 5));
  });

  it('drops hits scoring below minScore', async () => {
    const store = await storeWithFourPoints();
    const hits = await store.search([1, 0, 0, 0], { limit: 10, minScore: 0.5 });
    expect(hits.map((h) => h.id)).toEqual(['rca/same', 'rca/close']);
  });

  it('returns at most limit hits, the best ones', async () => {
    const store = await storeWithFourPoints();
    const hits = await store.search([0.6, 0.8, 0, 0], { limit: 2, minScore: -1 });
    expect(hits.map((h) => h.id)).toEqual(['rca/close', 'rca/same']);
  });

  it('keeps to one account when asked, and leaves out the excluded id', async () => {
    const store = await readyStore();
    await store.upsert([
      point('rca/a1', [1, 0, 0, 0], 'acme'),
      point('rca/a2', [1, 0.1, 0, 0], 'acme'),
      point('rca/b1', [1, 0, 0, 0], 'globex'),
    ]);
    const acme = await store.search([1, 0, 0, 0], { ...everything, filter: { account: 'acme' } });
    expect(acme.map((h) => h.id)).toEqual(['rca/a1', 'rca/a2']);
    const others = await store.search([1, 0, 0, 0], { ...everything, filter: { account: 'acme', excludeId: 'rca/a1' } });
    expect(others.map((h) => h.id)).toEqual(['rca/a2']);
    const all = await store.search([1, 0, 0, 0], { ...everything, filter: { excludeId: 'rca/a2' } });
    expect(all.map((h) => h.id).sort()).toEqual(['rca/a1', 'rca/b1']);
  });

  it('answers with the RCA id and the payload as stored', async () => {
    const store = await readyStore();
    const payload: SimilarIncidentPayload = {
      ...incidentPayload('acme', 'storefront-ssr 500s after v5.1.0'),
      service: 'storefront-ssr',
      host: 'web-07',
      monitorId: '48212031',
      summary: 'Release v5.1.0 crashed on hydration mismatch.',
      confirmed: true,
      links: {
        notebook: 'https://app.datadoghq.com/notebook/1',
        rca: 'https://rayne.example/v1/rca/42',
        monitor: 'https://app.datadoghq.com/monitors/48212031',
      },
    };
    await store.upsert([{ id: 'rca/evt-42', vector: [0, 1, 0, 0], payload }]);
    expect(await store.search([0, 1, 0, 0], everything)).toEqual([{ id: 'rca/evt-42', score: expect.closeTo(1, 5), payload }]);
  });

  it('replaces a point upserted again under the same id (a retry never duplicates)', async () => {
    const store = await storeWithFourPoints();
    const replacement = { id: 'rca/same', vector: [0, 0, 0, 1], payload: { ...incidentPayload('acme', 'rca/same'), confirmed: true } };
    await store.upsert([replacement]);
    await store.upsert([replacement]);
    const hits = await store.search([0, 0, 0, 1], everything);
    expect(hits).toHaveLength(4);
    expect(hits[0]).toEqual({ id: 'rca/same', score: expect.closeTo(1, 5), payload: replacement.payload });
  });

  it('deletes by id, and deleting an unknown id is not an error', async () => {
    const store = await storeWithFourPoints();
    await store.delete('rca/close');
    await store.delete('rca/never-stored');
    const hits = await store.search([1, 0, 0, 0], everything);
    expect(hits.map((h) => h.id)).toEqual(['rca/same', 'rca/orthogonal', 'rca/opposite']);
  });

  it('never compares a query with vectors of another embedder', async () => {
    const make = await fresh();
    const [hashing, ollama] = [make('hashing-v1-4'), make('ollama:other:latest')];
    await Promise.all([hashing.ensureReady(DIMENSION), ollama.ensureReady(DIMENSION)]);
    await hashing.upsert([point('rca/hashed', [1, 0, 0, 0])]);
    await ollama.upsert([point('rca/ollama', [1, 0, 0, 0])]);
    expect((await hashing.search([1, 0, 0, 0], everything)).map((h) => h.id)).toEqual(['rca/hashed']);
    expect((await ollama.search([1, 0, 0, 0], everything)).map((h) => h.id)).toEqual(['rca/ollama']);
  });

  it('rejects a vector of another dimension with an error naming both, as Rejected (not retried)', async () => {
    const store = await storeWithFourPoints();
    await expect(store.upsert([point('rca/short', [1, 0, 0])])).rejects.toThrow(VectorDimensionError);
    await expect(store.upsert([point('rca/short', [1, 0, 0])])).rejects.toMatchObject({ code: 'Rejected', retryable: false });
    await expect(store.upsert([point('rca/short', [1, 0, 0])])).rejects.toThrow(/3 dimensions, the store holds 4/);
    await expect(store.search([1, 0, 0, 0, 0], everything)).rejects.toThrow(/5 dimensions, the store holds 4/);
    expect(await store.search([1, 0, 0, 0], everything)).toHaveLength(4);
  });

  it('refuses to work before ensureReady', async () => {
    const store = (await fresh())('contract-embedder');
    await expect(store.upsert([point('rca/early', [1, 0, 0, 0])])).rejects.toThrow(/ensureReady/);
    await expect(store.search([1, 0, 0, 0], everything)).rejects.toThrow(/ensureReady/);
  });
}
