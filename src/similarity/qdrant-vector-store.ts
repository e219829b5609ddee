import crypto from 'node:crypto';
import type * as QdrantRest from '@qdrant/js-client-rest' with { 'resolution-mode': 'import' };
import { codeOfStatus, RayneFailure } from '../errors';
import {
  assertValidDimension,
  assertVector,
  type ScoredPoint,
  type SearchOptions,
  type SimilarIncidentPayload,
  type VectorPoint,
  type VectorStore,
  VectorDimensionError,
} from './vector-store';

// The package is ESM by its types but ships a CommonJS build, which require() loads synchronously.
const { QdrantClient } = require('@qdrant/js-client-rest') as typeof QdrantRest;

// A fixed random namespace for RCA point ids; changing it would orphan every stored point.
const RCA_NAMESPACE = 'bccd117b-0ed8-42ea-a7a5-01520d65c8ef';

/** A name-based (version 5, SHA-1) UUID, as RFC 9562 defines it. */
export function uuidV5(name: string, namespace = RCA_NAMESPACE): string {
  const digest = crypto
    .createHash('sha1')
    .update(Buffer.from(namespace.replace(/-/g, ''), 'hex'))
    .update(name, 'utf8')
    .digest();
  digest.writeUInt8((digest.readUInt8(6) & 0x0f) | 0x50, 6);
  digest.writeUInt8((digest.readUInt8(8) & 0x3f) | 0x80, 8);
  const hex = digest.subarray(0, 16).toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** Qdrant accepts only UUIDs and integers as point ids; an RCA id maps to one UUID forever, so a retry replaces. */
export const pointIdFor = (rcaId: string) => uuidV5(rcaId);

/**
 * Thrown when a Qdrant call fails; names the operation, the collection and the server. Its code
 * comes from Qdrant's status: no answer and 5xx are Unavailable (retried), a refusal is not retried.
 */
export class QdrantError extends RayneFailure {
  constructor(
    readonly operation: string,
    readonly collection: string,
    readonly url: string,
    cause: unknown,
  ) {
    const { status } = cause as { status?: unknown };
    const answered = typeof status === 'number' ? status : undefined;
    super(codeOfStatus(answered), `Qdrant ${operation} on collection "${collection}" at ${url} failed: ${describeFailure(cause)}`, {
      upstream: 'Qdrant',
      operation,
      status: answered,
    });
  }
}

export interface QdrantVectorStoreOptions {
  url: string;
  apiKey?: string;
  collection: string;
  /** The embedder's name, kept in each payload: one collection may hold vectors of two embedders of equal dimension. */
  embedder: string;
}

/** What the store adds to an incident's payload in Qdrant. */
type StoredPayload = SimilarIncidentPayload & { rcaId: string; embedder: string };

/**
 * The production vector store: one Qdrant collection (Cosine distance), created on first use.
 * Needs Qdrant 1.10 or later (the query API).
 */
export class QdrantVectorStore implements VectorStore {
  private readonly client: QdrantRest.QdrantClient;
  private dimension?: number;

  constructor(private readonly options: QdrantVectorStoreOptions) {
    // The client's version check would print to the console outside our logger; a skewed server fails loudly on first call anyway.
    this.client = new QdrantClient({ url: options.url, apiKey: options.apiKey, checkCompatibility: false });
  }

  /** Creates the collection if missing; throws VectorDimensionError if it exists with another size or distance. */
  async ensureReady(dimension: number): Promise<void> {
    assertValidDimension(dimension);
    const { collection } = this.options;
    const { exists } = await this.call('exists check', () => this.client.collectionExists(collection));
    if (!exists) await this.createCollection(dimension);
    await this.assertShape(dimension);
    // Indexed filter fields keep filtered search fast, and strict-mode clusters refuse to filter on unindexed ones.
    for (const field of ['account', 'embedder']) {
      await this.call(`index of ${field}`, () =>
        this.client.createPayloadIndex(collection, { field_name: field, field_schema: 'keyword', wait: true }),
      );
    }
    this.dimension = dimension;
  }

  async upsert(points: VectorPoint[]): Promise<void> {
    for (const point of points) assertVector(this.dimension, point.vector, `upsert of ${point.id}`);
    if (points.length === 0) return;
    await this.call('upsert', () =>
      this.client.upsert(this.options.collection, {
        wait: true,
        points: points.map((p) => ({
          id: pointIdFor(p.id),
          vector: p.vector,
          payload: { ...p.payload, rcaId: p.id, embedder: this.options.embedder } satisfies StoredPayload,
        })),
      }),
    );
  }

  async search(vector: number[], { limit, minScore, filter }: SearchOptions): Promise<ScoredPoint[]> {
    assertVector(this.dimension, vector, 'search');
    if (limit < 1) return [];
    const must = [{ key: 'embedder', match: { value: this.options.embedder } }];
    if (filter?.account !== undefined) must.push({ key: 'account', match: { value: filter.account } });
    const mustNot = filter?.excludeId !== undefined ? { must_not: [{ has_id: [pointIdFor(filter.excludeId)] }] } : {};
    const { points } = await this.call('query', () =>
      this.client.query(this.options.collection, {
        query: vector,
        limit,
        score_threshold: minScore,
        filter: { must, ...mustNot },
        with_payload: true,
      }),
    );
    return points.map((p) => {
      const { rcaId, embedder: _embedder, ...payload } = p.payload as unknown as StoredPayload;
      // Qdrant computes in float32: an identical vector may score a hair above 1.
      return { id: rcaId, score: Math.max(-1, Math.min(1, p.score)), payload };
    });
  }

  async delete(id: string): Promise<void> {
    await this.call('delete', () => this.client.delete(this.options.collection, { wait: true, points: [pointIdFor(id)] }));
  }

  private async createCollection(dimension: number): Promise<void> {
    const { collection } = this.options;
    try {
      await this.call('create', () => this.client.createCollection(collection, { vectors: { size: dimension, distance: 'Cosine' } }));
    } catch (err) {
      // Another worker may have created it meanwhile; assertShape then checks what it made.
      const { exists } = await this.call('exists check', () => this.client.collectionExists(collection));
      if (!exists) throw err;
    }
  }

  private async assertShape(dimension: number): Promise<void> {
    const { collection } = this.options;
    const info = await this.call('read', () => this.client.getCollection(collection));
    const vectors = info.config.params.vectors as { size?: number; distance?: string } | undefined;
    if (vectors?.size !== dimension || vectors.distance !== 'Cosine') {
      const found = vectors?.size === undefined ? 'named vectors' : `${vectors.size} dimensions, ${vectors.distance} distance`;
      throw new VectorDimensionError(
        'NotConfigured',
        `Qdrant collection "${collection}" at ${this.options.url} holds ${found}; the embedder needs ${dimension} dimensions, Cosine distance. ` +
          'Set QDRANT_COLLECTION to another collection, or delete this one to re-embed.',
        vectors?.size ?? 0,
        dimension,
        { upstream: 'Qdrant' },
      );
    }
  }

  private async call<T>(operation: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      throw new QdrantError(operation, this.options.collection, this.options.url, err);
    }
  }
}

/** The server's own error text when it answered, else why it could not be reached. */
function describeFailure(err: unknown): string {
  const e = err as {
    status?: number;
    data?: { status?: { error?: string } };
    message?: string;
    cause?: { code?: string; message?: string };
  };
  if (typeof e.status === 'number') return `${e.status}${e.data?.status?.error ? ` ${e.data.status.error}` : ''}`;
  if (e.cause) return `unreachable (${e.cause.code ?? e.cause.message})`;
  return e.message ?? String(err);
}
