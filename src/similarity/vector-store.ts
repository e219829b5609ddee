import { type FailureData, RayneFailure } from '../errors';

/** What a similar-incident hit shows: enough to list it in a report without loading the RCA. */
export interface SimilarIncidentPayload {
  account: string;
  title: string;
  service?: string;
  host?: string;
  monitorId?: string;
  rootCause: string;
  category: string;
  summary?: string;
  /** A person confirmed the root cause (feedback), so it outweighs a guess. */
  confirmed: boolean;
  links: { notebook?: string; rca?: string; monitor?: string; issue?: string };
  /** ISO 8601. */
  createdAt: string;
}

export interface VectorPoint {
  /** The RCA id: upserting it again replaces the point. */
  id: string;
  vector: number[];
  payload: SimilarIncidentPayload;
}

export interface ScoredPoint {
  id: string;
  /** Cosine similarity, -1 to 1. */
  score: number;
  payload: SimilarIncidentPayload;
}

export interface SearchOptions {
  limit: number;
  /** Hits scoring below this are dropped. */
  minScore: number;
  filter?: { account?: string; excludeId?: string };
}

/** Stores one vector per RCA for one embedder and finds the nearest by cosine similarity. */
export interface VectorStore {
  /** Prepares storage for vectors of this dimension; call before anything else. */
  ensureReady(dimension: number): Promise<void>;
  upsert(points: VectorPoint[]): Promise<void>;
  /** Best first; only hits scoring at least minScore, at most limit of them. */
  search(vector: number[], options: SearchOptions): Promise<ScoredPoint[]>;
  /** Deleting an unknown id is not an error. */
  delete(id: string): Promise<void>;
}

/**
 * Thrown when a vector's length is not the store's dimension (Rejected), or a store is asked for
 * another dimension than it holds (NotConfigured: only an operator can fix it). Neither is retried.
 */
export class VectorDimensionError extends RayneFailure {
  constructor(
    code: 'Rejected' | 'NotConfigured',
    message: string,
    readonly expected: number,
    readonly actual: number,
    data: FailureData = {},
  ) {
    super(code, message, data);
  }
}

/** Throws a RangeError unless ensureReady was given a positive integer. */
export function assertValidDimension(dimension: number): void {
  if (!Number.isInteger(dimension) || dimension < 1) {
    throw new RangeError(`a vector dimension must be a positive integer, got ${dimension}`);
  }
}

/** Throws unless the store is ready and the vector has its dimension and only finite numbers. */
export function assertVector(ready: number | undefined, vector: readonly number[], what: string): void {
  if (ready === undefined) throw new Error(`${what}: the vector store is not ready; call ensureReady(dimension) first`);
  if (vector.length !== ready) {
    throw new VectorDimensionError(
      'Rejected',
      `${what}: the vector has ${vector.length} dimensions, the store holds ${ready}`,
      ready,
      vector.length,
    );
  }
  if (!vector.every(Number.isFinite)) throw new RangeError(`${what}: the vector holds a value that is not a finite number`);
}
