import { type JsonRequest, type JsonResponse, startJsonServer } from './json-server';

/**
 * A loopback stand-in for the Qdrant REST API, for the calls Rayne's store makes through
 * @qdrant/js-client-rest: collection exists/get/create, payload index, points upsert, query and
 * delete. Shapes follow Qdrant's public OpenAPI: every answer is `{ result, status: "ok", time }`,
 * every error `{ status: { error }, time }`. Cosine collections normalise vectors on upsert, as
 * Qdrant does, so a score is the dot product with the normalised query.
 */

interface StoredPoint {
  id: string | number;
  vector: number[];
  payload: Record<string, unknown>;
  version: number;
}

interface Collection {
  size: number;
  distance: string;
  points: Map<string, StoredPoint>;
  indexes: Record<string, unknown>;
}

interface Condition {
  key?: string;
  match?: { value?: unknown };
  has_id?: Array<string | number>;
}

interface Filter {
  must?: Condition[];
  must_not?: Condition[];
  should?: Condition[];
}

export interface QdrantSimulator {
  url: string;
  /** Every request, in order: method, path and JSON body. */
  requests: Array<{ method: string; path: string; body: unknown }>;
  collections: Map<string, Collection>;
  close(): Promise<void>;
}

/** Thrown inside a handler to answer with Qdrant's error envelope. */
class QdrantFailure extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

const UUID = /^[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}$/i;

/** Qdrant point ids are unsigned integers or UUIDs (answered in lower-case hyphenated form). */
function pointId(id: unknown): string | number {
  if (typeof id === 'number' && Number.isInteger(id) && id >= 0) return id;
  if (typeof id === 'string' && UUID.test(id)) {
    const hex = id.replace(/-/g, '').toLowerCase();
    return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
  }
  throw new QdrantFailure(
    400,
    `Format error in JSON body: value ${JSON.stringify(id)} is not a valid point ID, valid values are either an unsigned integer or a UUID`,
  );
}

function unit(vector: number[]): number[] {
  const norm = Math.sqrt(vector.reduce((s, x) => s + x * x, 0));
  return norm === 0 ? vector : vector.map((x) => x / norm);
}

function holds(point: StoredPoint, condition: Condition): boolean {
  if (condition.has_id) return condition.has_id.map(pointId).includes(point.id);
  if (condition.key !== undefined && condition.match && 'value' in condition.match)
    return point.payload[condition.key] === condition.match.value;
  throw new QdrantFailure(400, `the simulator does not implement the condition ${JSON.stringify(condition)}`);
}

function passes(point: StoredPoint, filter: Filter | undefined): boolean {
  if (!filter) return true;
  const { must = [], must_not: mustNot = [], should = [] } = filter;
  return (
    must.every((c) => holds(point, c)) &&
    !mustNot.some((c) => holds(point, c)) &&
    (should.length === 0 || should.some((c) => holds(point, c)))
  );
}

export async function startQdrantSimulator(): Promise<QdrantSimulator> {
  const collections = new Map<string, Collection>();
  const requests: QdrantSimulator['requests'] = [];
  let operationId = 0;

  const collection = (name: string): Collection => {
    const found = collections.get(name);
    if (!found) throw new QdrantFailure(404, `Not found: Collection \`${name}\` doesn't exist!`);
    return found;
  };
  const updated = () => ({ operation_id: operationId++, status: 'completed' });

  // Each pattern captures the collection's name, which its handler receives.
  const routes: Array<[string, RegExp, (name: string, body: any) => unknown]> = [
    ['GET', /^\/collections\/([^/]+)\/exists$/, (name) => ({ exists: collections.has(name) })],
    [
      'GET',
      /^\/collections\/([^/]+)$/,
      (name) => {
        const c = collection(name);
        return {
          status: 'green',
          optimizer_status: 'ok',
          indexed_vectors_count: 0,
          points_count: c.points.size,
          segments_count: 1,
          config: {
            params: {
              vectors: { size: c.size, distance: c.distance },
              shard_number: 1,
              replication_factor: 1,
              write_consistency_factor: 1,
              on_disk_payload: true,
            },
            hnsw_config: { m: 16, ef_construct: 100, full_scan_threshold: 10000, max_indexing_threads: 0, on_disk: false },
            optimizer_config: { deleted_threshold: 0.2, vacuum_min_vector_number: 1000, default_segment_number: 0, flush_interval_sec: 5 },
            wal_config: { wal_capacity_mb: 32, wal_segments_ahead: 0 },
            quantization_config: null,
          },
          payload_schema: Object.fromEntries(
            Object.entries(c.indexes).map(([field, type]) => [field, { data_type: type, points: c.points.size }]),
          ),
        };
      },
    ],
    [
      'PUT',
      /^\/collections\/([^/]+)$/,
      (name, body) => {
        if (collections.has(name)) throw new QdrantFailure(409, `Wrong input: Collection \`${name}\` already exists!`);
        const { size, distance } = body?.vectors ?? {};
        if (!Number.isInteger(size) || size < 1 || !['Cosine', 'Dot', 'Euclid', 'Manhattan'].includes(distance)) {
          throw new QdrantFailure(400, 'Format error in JSON body: vectors: expected { size, distance }');
        }
        collections.set(name, { size, distance, points: new Map(), indexes: {} });
        return true;
      },
    ],
    [
      'PUT',
      /^\/collections\/([^/]+)\/index$/,
      (name, body) => {
        collection(name).indexes[body.field_name] = body.field_schema;
        return updated();
      },
    ],
    [
      'PUT',
      /^\/collections\/([^/]+)\/points$/,
      (name, body) => {
        const c = collection(name);
        const points = (body.points as Array<{ id: unknown; vector: number[]; payload?: Record<string, unknown> }>).map((p) => {
          if (p.vector.length !== c.size)
            throw new QdrantFailure(400, `Wrong input: Vector dimension error: expected dim: ${c.size}, got ${p.vector.length}`);
          return {
            id: pointId(p.id),
            vector: c.distance === 'Cosine' ? unit(p.vector) : p.vector,
            payload: p.payload ?? {},
            version: operationId,
          };
        });
        for (const p of points) c.points.set(String(p.id), p);
        return updated();
      },
    ],
    [
      'POST',
      /^\/collections\/([^/]+)\/points\/query$/,
      (name, body) => {
        const c = collection(name);
        const query = body.query as number[];
        if (query.length !== c.size)
          throw new QdrantFailure(400, `Wrong input: Vector dimension error: expected dim: ${c.size}, got ${query.length}`);
        const q = c.distance === 'Cosine' ? unit(query) : query;
        const scored = [...c.points.values()]
          .filter((p) => passes(p, body.filter))
          .map((p) => ({ p, score: p.vector.reduce((s, x, i) => s + x * (q[i] ?? NaN), 0) }))
          .filter(({ score }) => body.score_threshold === undefined || score >= body.score_threshold)
          .sort((a, b) => b.score - a.score)
          .slice(body.offset ?? 0, (body.offset ?? 0) + (body.limit ?? 10));
        return {
          points: scored.map(({ p, score }) => ({
            id: p.id,
            version: p.version,
            score,
            ...(body.with_payload ? { payload: p.payload } : {}),
          })),
        };
      },
    ],
    [
      'POST',
      /^\/collections\/([^/]+)\/points\/delete$/,
      (name, body) => {
        const c = collection(name);
        for (const id of body.points as unknown[]) c.points.delete(String(pointId(id)));
        return updated();
      },
    ],
  ];

  const handle = ({ method, path, body }: JsonRequest): JsonResponse => {
    requests.push({ method, path, body });
    const started = performance.now();
    const envelope = (status: number, content: object) => ({ status, body: { ...content, time: (performance.now() - started) / 1000 } });
    try {
      for (const [routeMethod, pattern, answer] of routes) {
        const match = routeMethod === method ? pattern.exec(path) : null;
        if (!match) continue;
        const [, name] = match;
        if (name === undefined) throw new Error(`the simulator's route ${pattern} captures no collection name`);
        return envelope(200, { result: answer(name, body), status: 'ok' });
      }
      throw new QdrantFailure(404, `the simulator has no route ${method} ${path}`);
    } catch (err) {
      if (!(err instanceof QdrantFailure)) throw err;
      return envelope(err.status, { status: { error: err.message } });
    }
  };

  const server = await startJsonServer(handle);
  return { url: server.url, requests, collections, close: server.close };
}
