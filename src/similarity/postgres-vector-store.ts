import type { Db } from '../db/pool';
import {
  assertValidDimension,
  assertVector,
  type ScoredPoint,
  type SearchOptions,
  type VectorPoint,
  type VectorStore,
} from './vector-store';
import { normalised } from './vectors';

// Vectors read per round trip: bounds a search's memory (about 2 MB at 512 dimensions).
const BATCH_SIZE = 1000;

interface CandidateRow {
  account: string;
  id: string;
  vector: Buffer;
}

/**
 * The default vector store: exact cosine search over the rca_vectors table, no extension needed.
 * Vectors are stored L2-normalised as float32 bytes and scored here, in batches read in key
 * order. At 1k–10k vectors of 512 dimensions that measured 3–6x faster than a dot product in SQL
 * over real[] (unnest costs ~80 µs a vector in Postgres; `npm run bench:similarity` prints the
 * ratio), and it keeps that CPU off the database. Reading the bytes dominates: a search costs
 * roughly 15x an in-memory brute force, which a per-process cache could remove if RCAs reach
 * the 100k range. Only vectors of this store's embedder and dimension meet a query.
 */
export class PostgresVectorStore implements VectorStore {
  private dimension?: number;

  constructor(
    private readonly db: Db,
    private readonly embedder: string,
  ) {}

  async ensureReady(dimension: number): Promise<void> {
    assertValidDimension(dimension);
    this.dimension = dimension;
  }

  async upsert(points: VectorPoint[]): Promise<void> {
    for (const point of points) assertVector(this.dimension, point.vector, `upsert of ${point.id}`);
    // ON CONFLICT cannot touch one row twice in a statement: a batch naming an id twice keeps the last.
    const latest = [...new Map(points.map((p) => [p.id, p])).values()];
    if (latest.length === 0) return;
    await this.db.query(
      `INSERT INTO rca_vectors (id, account, embedder, dimension, vector, payload)
       SELECT p.id, p.account, $1, $2, p.vector, p.payload
       FROM unnest($3::text[], $4::text[], $5::bytea[], $6::jsonb[]) AS p (id, account, vector, payload)
       ON CONFLICT (id) DO UPDATE SET account = excluded.account, embedder = excluded.embedder,
         dimension = excluded.dimension, vector = excluded.vector, payload = excluded.payload, updated_at = now()`,
      [
        this.embedder,
        this.dimension,
        latest.map((p) => p.id),
        latest.map((p) => p.payload.account),
        latest.map((p) => toBytes(normalised(p.vector))),
        latest.map((p) => JSON.stringify(p.payload)),
      ],
    );
  }

  async search(vector: number[], { limit, minScore, filter }: SearchOptions): Promise<ScoredPoint[]> {
    assertVector(this.dimension, vector, 'search');
    const query = normalised(vector);
    const best = new TopScores(limit);
    for await (const rows of this.candidates(filter)) {
      for (const row of rows) {
        const score = cosine(query, row.vector);
        if (score >= minScore) best.offer(row.id, score);
      }
    }
    const hits = best.sorted();
    if (hits.length === 0) return [];
    const { rows } = await this.db.query<{ id: string; payload: ScoredPoint['payload'] }>(
      'SELECT id, payload FROM rca_vectors WHERE id = ANY($1)',
      [hits.map((h) => h.id)],
    );
    const payloads = new Map(rows.map((r) => [r.id, r.payload]));
    // A hit deleted between the two reads is left out rather than returned without its payload.
    return hits.flatMap((h) => {
      const payload = payloads.get(h.id);
      return payload ? [{ ...h, payload }] : [];
    });
  }

  async delete(id: string): Promise<void> {
    await this.db.query('DELETE FROM rca_vectors WHERE id = $1', [id]);
  }

  /** The filtered vectors in (account, id) order, a batch per round trip (keyset pagination). */
  private async *candidates(filter: SearchOptions['filter']): AsyncGenerator<CandidateRow[]> {
    const params: unknown[] = [this.embedder, this.dimension];
    const where = ['embedder = $1', 'dimension = $2'];
    if (filter?.account !== undefined) where.push(`account = $${params.push(filter.account)}`);
    if (filter?.excludeId !== undefined) where.push(`id <> $${params.push(filter.excludeId)}`);
    let after: CandidateRow | undefined;
    for (;;) {
      const keyset = after ? [`(account, id) > ($${params.length + 1}, $${params.length + 2})`] : [];
      const { rows } = await this.db.query<CandidateRow>(
        `SELECT account, id, vector FROM rca_vectors WHERE ${[...where, ...keyset].join(' AND ')}
         ORDER BY account, id LIMIT ${BATCH_SIZE}`,
        after ? [...params, after.account, after.id] : params,
      );
      yield rows;
      if (rows.length < BATCH_SIZE) return;
      after = rows[rows.length - 1];
    }
  }
}

/** Float32, little-endian: 4 bytes a dimension, as the table's CHECK expects. */
function toBytes(vector: Float64Array): Buffer {
  const bytes = Buffer.alloc(4 * vector.length);
  vector.forEach((x, i) => bytes.writeFloatLE(x, 4 * i));
  return bytes;
}

/** Cosine of a unit query and stored float32 bytes; the stored norm is recomputed, float32 rounding moves it off 1. */
function cosine(query: Float64Array, bytes: Buffer): number {
  // A DataView reads unaligned little-endian floats as fast as a Float32Array reads aligned native ones.
  const stored = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let dot = 0;
  let norm = 0;
  for (let i = 0; i < query.length; i++) {
    const x = stored.getFloat32(4 * i, true);
    dot += x * query[i]!;
    norm += x * x;
  }
  return norm === 0 ? 0 : Math.max(-1, Math.min(1, dot / Math.sqrt(norm)));
}

/** The `limit` best (id, score) pairs seen, best first; ties go to the smaller id so results are stable. */
class TopScores {
  private readonly hits: Array<{ id: string; score: number }> = [];

  constructor(private readonly limit: number) {}

  offer(id: string, score: number): void {
    if (this.limit < 1) return;
    const beats = (h: { id: string; score: number }) => score > h.score || (score === h.score && id < h.id);
    const worst = this.hits.length === this.limit ? this.hits.at(-1) : undefined;
    if (worst && !beats(worst)) return;
    const at = this.hits.findIndex(beats);
    this.hits.splice(at === -1 ? this.hits.length : at, 0, { id, score });
    if (this.hits.length > this.limit) this.hits.pop();
  }

  sorted(): Array<{ id: string; score: number }> {
    return this.hits;
  }
}
