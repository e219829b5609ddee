import crypto from 'node:crypto';
import { Hono } from 'hono';
import { z } from 'zod';
import { boolParam, DatadogApiError, intParam, readBody, readQuery } from './sandbox-http';
import { type DataSource, SANDBOX_USER, type SandboxData, type SandboxDowntime, type SandboxNotebook } from './sandbox-store';

const now = () => new Date().toISOString();

// ---- notebooks ----

const NotebookCell = z.looseObject({
  id: z.string().optional(),
  type: z.literal('notebook_cells'),
  attributes: z.looseObject({ definition: z.looseObject({ type: z.string().min(1) }) }),
});

const NotebookBody = z.object({
  data: z.object({
    type: z.literal('notebooks'),
    attributes: z.looseObject({
      name: z.string().min(1).max(80),
      cells: z.array(NotebookCell),
      time: z.union([z.looseObject({ live_span: z.string() }), z.looseObject({ start: z.string(), end: z.string() })]),
      status: z.literal('published').default('published'),
      metadata: z.looseObject({}).optional(),
      template_variables: z.array(z.unknown()).optional(),
    }),
  }),
});

const NOTEBOOK_AUTHOR = {
  name: SANDBOX_USER.name,
  handle: SANDBOX_USER.handle,
  email: SANDBOX_USER.email,
  created_at: '2024-01-01T00:00:00+00:00',
  icon: null,
  title: null,
  verified: true,
  disabled: false,
  status: 'Active',
};

/** Datadog gives every cell an 8-character id; cells sent with one keep it. */
const cellId = (data: SandboxData) => (data.nextId++).toString(36).padStart(8, '0');

function notebookAttributes(data: SandboxData, body: z.output<typeof NotebookBody>, created: string): SandboxNotebook['attributes'] {
  const { cells, metadata, template_variables, ...rest } = body.data.attributes;
  return {
    ...rest,
    cells: cells.map((cell) => ({ ...cell, id: cell.id ?? cellId(data) })),
    metadata: { take_snapshots: false, is_template: false, is_favorite: false, type: null, ...metadata },
    template_variables: template_variables ?? [],
    created,
    modified: now(),
    deleted: null,
    tags: null,
    author: NOTEBOOK_AUTHOR,
  };
}

const notebookJson = (n: SandboxNotebook, withCells = true) => {
  const { cells, ...attributes } = n.attributes;
  return { type: 'notebooks', id: n.id, attributes: withCells ? { ...attributes, cells } : attributes };
};

function findNotebook(data: SandboxData, id: string): SandboxNotebook {
  const notebook = data.notebooks.get(Number(id));
  if (!notebook) throw new DatadogApiError(404, 'Notebook not found');
  return notebook;
}

const ListNotebooksQuery = z.object({
  author_handle: z.string().optional(),
  exclude_author_handle: z.string().optional(),
  start: intParam.min(0).default(0),
  count: intParam.min(1).default(50),
  sort_field: z.enum(['modified', 'name', 'created']).default('modified'),
  sort_dir: z.enum(['asc', 'desc']).default('desc'),
  query: z.string().optional(),
  include_cells: boolParam.default(true),
  is_template: boolParam.optional(),
  type: z.string().optional(),
});

const notebookRoutes = (data: DataSource) =>
  new Hono()
    .post('/', async (c) => {
      const body = await readBody(c, NotebookBody);
      const store = data();
      const notebook = { id: store.nextId++, attributes: notebookAttributes(store, body, now()) };
      store.notebooks.set(notebook.id, notebook);
      return c.json({ data: notebookJson(notebook) });
    })
    .get('/', (c) => {
      const q = readQuery(c, ListNotebooksQuery);
      const text = q.query?.toLowerCase();
      const direction = q.sort_dir === 'asc' ? 1 : -1;
      const matched = [...data().notebooks.values()]
        .filter(({ attributes: a }) => {
          const metadata = a.metadata as { is_template?: boolean; type?: string | null };
          return (
            (!text || a.name.toLowerCase().includes(text)) &&
            (!q.author_handle || q.author_handle === NOTEBOOK_AUTHOR.handle) &&
            q.exclude_author_handle !== NOTEBOOK_AUTHOR.handle &&
            (q.is_template === undefined || metadata.is_template === q.is_template) &&
            (!q.type || metadata.type === q.type)
          );
        })
        .sort((a, b) => direction * String(a.attributes[q.sort_field]).localeCompare(String(b.attributes[q.sort_field])));
      const page = matched.slice(q.start, q.start + q.count);
      return c.json({
        data: page.map((n) => notebookJson(n, q.include_cells)),
        // As recorded from Datadog: total_filtered_count is the number on this page.
        meta: { page: { total_count: matched.length, total_filtered_count: page.length } },
      });
    })
    .get('/:notebook_id', (c) => c.json({ data: notebookJson(findNotebook(data(), c.req.param('notebook_id'))) }))
    .put('/:notebook_id', async (c) => {
      const store = data();
      const existing = findNotebook(store, c.req.param('notebook_id'));
      const body = await readBody(c, NotebookBody);
      existing.attributes = notebookAttributes(store, body, existing.attributes.created);
      return c.json({ data: notebookJson(existing) });
    })
    .delete('/:notebook_id', (c) => {
      const store = data();
      store.notebooks.delete(findNotebook(store, c.req.param('notebook_id')).id);
      return c.body(null, 204);
    });

// ---- downtimes (v2) ----

const isoDate = z.iso.datetime({ offset: true });

const DowntimeBody = z.object({
  data: z.object({
    type: z.literal('downtime'),
    attributes: z.looseObject({
      scope: z.string().min(1),
      monitor_identifier: z.union([z.object({ monitor_id: z.number().int() }), z.object({ monitor_tags: z.array(z.string()).min(1) })]),
      message: z.string().nullish(),
      display_timezone: z.string().default('UTC'),
      mute_first_recovery_notification: z.boolean().default(false),
      notify_end_states: z.array(z.enum(['alert', 'no data', 'warn'])).default(['alert', 'no data', 'warn']),
      notify_end_types: z.array(z.enum(['canceled', 'expired'])).default(['expired']),
      schedule: z
        .union([
          z.looseObject({
            recurrences: z.array(z.looseObject({ rrule: z.string(), duration: z.string() })).min(1),
            timezone: z.string().optional(),
          }),
          z.object({ start: isoDate.nullish(), end: isoDate.nullish() }),
        ])
        .optional(),
    }),
  }),
});

/** Datadog rejects a scope term without a `key:` ("All values must have a key"). */
function checkScope(scope: string) {
  const terms = scope
    .replace(/[()]/g, ' ')
    .split(/[\s,]+/)
    .filter((t) => t && !['AND', 'OR', 'NOT'].includes(t));
  if (terms.some((t) => t !== '*' && !/^-?[^:]+:.+/.test(t))) throw new DatadogApiError(400, 'All values must have a key');
}

/** Recurring downtimes are kept as sent and count as active; one-time ones follow their start and end. */
function downtimeStatus({ attributes: a }: SandboxDowntime, at = Date.now()): string {
  if (a.canceled) return 'canceled';
  const { start, end } = a.schedule as { start?: string; end?: string | null };
  if (start && Date.parse(start) > at) return 'scheduled';
  if (end && Date.parse(end) <= at) return 'ended';
  return 'active';
}

const downtimeJson = (d: SandboxDowntime) => {
  const monitorId = (d.attributes.monitor_identifier as { monitor_id?: number }).monitor_id;
  return {
    type: 'downtime',
    id: d.id,
    attributes: { ...d.attributes, status: downtimeStatus(d) },
    relationships: {
      created_by: { data: { type: 'users', id: String(SANDBOX_USER.id) } },
      monitor: { data: monitorId === undefined ? null : { type: 'monitors', id: String(monitorId) } },
    },
  };
};

const ListDowntimesQuery = z.object({
  current_only: boolParam.default(false),
  'page[offset]': intParam.min(0).default(0),
  'page[limit]': intParam.min(1).max(1000).default(30),
});

const downtimeRoutes = (data: DataSource) =>
  new Hono()
    .post('/', async (c) => {
      const { schedule, ...attributes } = (await readBody(c, DowntimeBody)).data.attributes;
      checkScope(attributes.scope);
      const created = now();
      const downtime: SandboxDowntime = {
        id: crypto.randomUUID(),
        attributes: {
          ...attributes,
          message: attributes.message ?? null,
          schedule:
            schedule && 'recurrences' in schedule
              ? { timezone: 'UTC', ...schedule }
              : { start: schedule?.start ?? created, end: schedule?.end ?? null },
          created,
          modified: created,
          canceled: null,
        },
      };
      data().downtimes.set(downtime.id, downtime);
      return c.json({ data: downtimeJson(downtime) });
    })
    .get('/', (c) => {
      const q = readQuery(c, ListDowntimesQuery);
      const matched = [...data().downtimes.values()].filter((d) => !q.current_only || downtimeStatus(d) === 'active');
      return c.json({
        data: matched.slice(q['page[offset]'], q['page[offset]'] + q['page[limit]']).map(downtimeJson),
        meta: { page: { total_filtered_count: matched.length } },
      });
    })
    .get('/:downtime_id', (c) => {
      const downtime = data().downtimes.get(c.req.param('downtime_id'));
      if (!downtime) throw new DatadogApiError(404, 'Downtime not found');
      return c.json({ data: downtimeJson(downtime) });
    })
    .delete('/:downtime_id', (c) => {
      const id = c.req.param('downtime_id');
      const downtime = data().downtimes.get(id);
      if (!downtime) throw new DatadogApiError(404, `Downtime ${id} not found`);
      // Canceling twice is fine for Datadog: both answer 204 and the first time stays.
      downtime.attributes.canceled ??= now();
      downtime.attributes.modified = now();
      return c.body(null, 204);
    });

// ---- webhooks integration ----

// Datadog's default payload when a webhook is created without one.
const DEFAULT_WEBHOOK_PAYLOAD = JSON.stringify({
  body: '$EVENT_MSG',
  last_updated: '$LAST_UPDATED',
  event_type: '$EVENT_TYPE',
  title: '$EVENT_TITLE',
  date: '$DATE',
  org: { id: '$ORG_ID', name: '$ORG_NAME' },
  id: '$ID',
});

const WebhookBody = z.object({
  name: z.string().regex(/^[\w-]+$/, 'use letters, digits, - and _'),
  url: z.url(),
  payload: z.string().nullish(),
  custom_headers: z.string().nullish(),
  encode_as: z.enum(['json', 'form']).default('json'),
});

const webhookRoutes = (data: DataSource) =>
  new Hono()
    .post('/', async (c) => {
      const body = await readBody(c, WebhookBody);
      const { webhooks } = data();
      // The SDK documents 400, not 409, for this operation, so a taken name is a bad request.
      if (webhooks.has(body.name)) throw new DatadogApiError(400, `Invalid webhook: a webhook named '${body.name}' already exists`);
      const webhook = { ...body, payload: body.payload ?? DEFAULT_WEBHOOK_PAYLOAD, custom_headers: body.custom_headers ?? null };
      webhooks.set(webhook.name, webhook);
      return c.json(webhook, 201);
    })
    .get('/:webhook_name', (c) => {
      const webhook = data().webhooks.get(c.req.param('webhook_name'));
      if (!webhook) throw new DatadogApiError(404, 'Webhook not found');
      return c.json(webhook);
    });

/** The write side of the sandbox: what Rayne creates, changes and cancels. */
export const writeRoutes = (data: DataSource) =>
  new Hono()
    .route('/api/v1/notebooks', notebookRoutes(data))
    .route('/api/v2/downtime', downtimeRoutes(data))
    .route('/api/v1/integration/webhooks/configuration/webhooks', webhookRoutes(data));
