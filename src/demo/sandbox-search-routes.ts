import { type Context, Hono } from 'hono';
import { z } from 'zod';
import {
  commaList,
  DatadogApiError,
  decodeCursor,
  intParam,
  isoTime,
  nextLink,
  pageOf,
  readBody,
  readQuery,
  unixSeconds,
} from './sandbox-http';
import { facetsFromTags, matchesQuery, parseSearchQuery, parseSearchTime, type Searchable } from './sandbox-logs-query';
import type { DataSource, SandboxData, SandboxEvent, SandboxLog } from './sandbox-store';

const tagValue = (tags: string[], key: string) => tags.find((t) => t.startsWith(`${key}:`))?.slice(key.length + 1);

// ---- v2 search, shared by events and logs ----

/** A v2 search request for events or logs, from a JSON body or from `filter[…]`/`page[…]` query parameters. */
interface SearchRequest {
  query?: string;
  from?: string;
  to?: string;
  sort?: 'timestamp' | '-timestamp';
  cursor?: string;
  limit?: number;
}

const SearchBody = z.object({
  filter: z.looseObject({ query: z.string().optional(), from: z.string().optional(), to: z.string().optional() }).optional(),
  sort: z.enum(['timestamp', '-timestamp']).optional(),
  page: z.object({ cursor: z.string().optional(), limit: intParam.optional() }).optional(),
});

const SearchParams = z.object({
  'filter[query]': z.string().optional(),
  'filter[from]': z.string().optional(),
  'filter[to]': z.string().optional(),
  sort: z.enum(['timestamp', '-timestamp']).optional(),
  'page[cursor]': z.string().optional(),
  'page[limit]': intParam.optional(),
});

const searchFromBody = async (c: Context): Promise<SearchRequest> => {
  // An empty body is a search with every default, as the SDK sends when no body is given.
  const text = await c.req.text();
  const body = text.trim() === '' ? {} : await readBody(c, SearchBody);
  return { ...body.filter, sort: body.sort, ...body.page };
};

const searchFromParams = (c: Context): SearchRequest => {
  const q = readQuery(c, SearchParams);
  return {
    query: q['filter[query]'],
    from: q['filter[from]'],
    to: q['filter[to]'],
    sort: q.sort,
    cursor: q['page[cursor]'],
    limit: q['page[limit]'],
  };
};

const MAX_PAGE_LIMIT = 1000;
const DEFAULT_PAGE_LIMIT = 10;
const DEFAULT_WINDOW_MS = 15 * 60_000;

/**
 * Filters timed records with a search request: query, time window (default the last 15 minutes),
 * order (default newest first, as Datadog), and one page from the cursor. Throws DatadogApiError.
 */
function search<T extends { at: Date }>(request: SearchRequest, records: T[], searchable: (r: T) => Searchable) {
  const limit = request.limit ?? DEFAULT_PAGE_LIMIT;
  if (limit < 1 || limit > MAX_PAGE_LIMIT) throw new DatadogApiError(400, `page[limit] must be between 1 and ${MAX_PAGE_LIMIT}`);
  const now = Date.now();
  const from = parseSearchTime(request.from, now, now - DEFAULT_WINDOW_MS);
  const to = parseSearchTime(request.to, now, now);
  const query = parseSearchQuery(request.query);
  const direction = request.sort === 'timestamp' ? 1 : -1;
  const matched = records
    .filter((r) => r.at.getTime() >= from && r.at.getTime() <= to && matchesQuery(query, searchable(r)))
    .sort((a, b) => direction * (a.at.getTime() - b.at.getTime()));
  return pageOf(matched, decodeCursor(request.cursor), limit);
}

/** The query parameters that repeat a search in a `links.next` URL. */
const searchParams = (r: SearchRequest) => ({
  'filter[query]': r.query,
  'filter[from]': r.from,
  'filter[to]': r.to,
  sort: r.sort,
  'page[limit]': r.limit,
});

// ---- events ----

const eventSearchable = (e: SandboxEvent): Searchable => ({
  facets: { ...facetsFromTags(e.tags), source: [e.source], status: [e.alertType] },
  text: `${e.title}\n${e.text}`,
});

function eventV1Json(e: SandboxEvent, origin: string) {
  return {
    id: e.id,
    id_str: String(e.id),
    title: e.title,
    text: e.text,
    date_happened: unixSeconds(e.at),
    alert_type: e.alertType,
    priority: 'normal',
    source_type_name: e.source,
    host: tagValue(e.tags, 'host') ?? null,
    device_name: null,
    tags: e.tags,
    url: `${origin}/event/event?id=${e.id}`,
  };
}

function eventV2Json(e: SandboxEvent) {
  const service = tagValue(e.tags, 'service');
  const hostname = tagValue(e.tags, 'host');
  return {
    id: String(e.id),
    type: 'event',
    attributes: {
      timestamp: isoTime(e.at),
      message: e.text,
      tags: e.tags,
      attributes: {
        title: e.title,
        status: e.alertType,
        timestamp: e.at.getTime(),
        priority: 'normal',
        source_type_name: e.source,
        evt: { id: String(e.id), type: e.source },
        ...(service ? { service } : {}),
        ...(hostname ? { hostname } : {}),
      },
    },
  };
}

// The v1 event stream answers pages of up to 1000 events.
const V1_EVENTS_PAGE = 1000;

const ListEventsV1Query = z.object({
  start: intParam,
  end: intParam,
  priority: z.enum(['normal', 'low']).optional(),
  sources: z.string().optional(),
  tags: z.string().optional(),
  page: intParam.min(0).default(0),
});

function eventsV2Answer(c: Context, data: SandboxData, request: SearchRequest) {
  const { page, after } = search(request, data.events, eventSearchable);
  return c.json({
    data: page.map(eventV2Json),
    meta: { elapsed: 0, status: 'done', ...(after ? { page: { after } } : {}) },
    ...(after ? { links: { next: nextLink(c, '/api/v2/events', searchParams(request), after) } } : {}),
  });
}

const eventsV1Routes = (data: DataSource) =>
  new Hono().get('/', (c) => {
    const q = readQuery(c, ListEventsV1Query);
    const sources = commaList(q.sources).map((s) => s.toLowerCase());
    const tags = commaList(q.tags);
    const matched = data()
      .events.filter(
        (e) =>
          unixSeconds(e.at) >= q.start &&
          unixSeconds(e.at) <= q.end &&
          q.priority !== 'low' &&
          (sources.length === 0 || sources.includes(e.source.toLowerCase())) &&
          tags.every((t) => e.tags.includes(t)),
      )
      .sort((a, b) => b.at.getTime() - a.at.getTime());
    const origin = new URL(c.req.url).origin;
    const page = matched.slice(q.page * V1_EVENTS_PAGE, (q.page + 1) * V1_EVENTS_PAGE);
    return c.json({ events: page.map((e) => eventV1Json(e, origin)), status: 'ok' });
  });

const eventsV2Routes = (data: DataSource) =>
  new Hono()
    .get('/', (c) => eventsV2Answer(c, data(), searchFromParams(c)))
    .post('/search', async (c) => eventsV2Answer(c, data(), await searchFromBody(c)));

// ---- logs ----

/** `@`-prefixed facets for a log's own attributes, nested keys joined with dots (`@http.status_code`). */
function attributeFacets(attributes: Record<string, unknown>, prefix = '@'): Record<string, string[]> {
  return Object.entries(attributes).reduce<Record<string, string[]>>((facets, [key, value]) => {
    const name = `${prefix}${key}`.toLowerCase();
    if (value && typeof value === 'object' && !Array.isArray(value))
      return { ...facets, ...attributeFacets(value as Record<string, unknown>, `${name}.`) };
    return { ...facets, [name]: (Array.isArray(value) ? value : [value]).map(String) };
  }, {});
}

const logSearchable = (l: SandboxLog): Searchable => ({
  facets: { ...facetsFromTags(l.tags), ...attributeFacets(l.attributes), host: [l.host], service: [l.service], status: [l.status] },
  text: l.message,
});

const logJson = (l: SandboxLog) => ({
  id: l.id,
  type: 'log',
  attributes: {
    timestamp: isoTime(l.at),
    host: l.host,
    service: l.service,
    status: l.status,
    message: l.message,
    tags: l.tags,
    attributes: l.attributes,
  },
});

function logsAnswer(c: Context, data: SandboxData, request: SearchRequest) {
  const { page, after } = search(request, data.logs, logSearchable);
  return c.json({
    data: page.map(logJson),
    meta: { elapsed: 0, status: 'done', ...(after ? { page: { after } } : {}) },
    ...(after ? { links: { next: nextLink(c, '/api/v2/logs/events', searchParams(request), after) } } : {}),
  });
}

const logsRoutes = (data: DataSource) =>
  new Hono()
    .get('/', (c) => logsAnswer(c, data(), searchFromParams(c)))
    .post('/search', async (c) => logsAnswer(c, data(), await searchFromBody(c)));

/** The scenario's events (v1 stream, v2 list and search) and logs, searched by time, query and cursor. */
export const searchRoutes = (data: DataSource) =>
  new Hono()
    .route('/api/v1/events', eventsV1Routes(data))
    .route('/api/v2/events', eventsV2Routes(data))
    .route('/api/v2/logs/events', logsRoutes(data));
