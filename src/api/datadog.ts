import { v1, v2 } from '@datadog/datadog-api-client';
import { z } from 'zod';
import type { AccountCredentials } from '../accounts/store';
import { callDatadog, type DatadogConfiguration } from '../datadog/client';
import { RAYNE_WEBHOOK_PAYLOAD, receiveUrl } from '../datadog/webhook-template';
import type { ApiDeps } from './deps';
import { requireApiToken } from './auth';
import { ApiError } from './errors';
import {
  type ApiRoutes,
  json,
  jsonRequest,
  openApiApp,
  problem,
  routesOf,
  security,
  UNAUTHORIZED,
  UNSUPPORTED_MEDIA_TYPE,
} from './openapi';
import { jsonBody } from './request';

const AccountQuery = z.object({ account: z.string().min(1).optional().meta({ description: 'default: the default account' }) });
const Int = (min: number, max: number) => z.coerce.number().int().min(min).max(max);

const EventsQuery = AccountQuery.extend({
  start: Int(0, 1e10).optional(),
  end: Int(0, 1e10).optional(),
  tags: z.string().optional(),
  sources: z.string().optional(),
});
const HostsQuery = AccountQuery.extend({ filter: z.string().optional(), count: Int(1, 1000).default(100), start: Int(0, 1e6).default(0) });
const MonitorsQuery = AccountQuery.extend({
  name: z.string().optional(),
  tags: z.string().optional(),
  monitor_tags: z.string().optional(),
  page: Int(0, 1e6).optional(),
  page_size: Int(1, 1000).optional(),
});
const DowntimesQuery = AccountQuery.extend({ current_only: z.enum(['true', 'false']).optional() });
const MonitorId = z.string().regex(/^\d+$/, 'monitor id must be a number');

const LogsSearch = z
  .strictObject({
    account: z.string().min(1).optional(),
    query: z.string().default('*'),
    from: z.string().default('now-15m'),
    to: z.string().default('now'),
    limit: z.number().int().min(1).max(1000).default(50),
    cursor: z.string().optional(),
    sort: z.enum(['timestamp', '-timestamp']).default('-timestamp'),
  })
  .meta({ id: 'LogsSearch' });
const CreateWebhook = z
  .strictObject({
    account: z.string().min(1).optional(),
    name: z
      .string()
      .regex(/^[A-Za-z0-9_-]{1,100}$/, 'letters, digits, "-" and "_" only')
      .default('rayne'),
    /** The URL Datadog can reach this API at; defaults to RAYNE_PUBLIC_URL. */
    url: z.url({ protocol: /^https?$/ }).optional(),
  })
  .meta({ id: 'CreateDatadogWebhook' });

const TRIGGERED = new Set(['Alert', 'Warn', 'No Data']);

/** Datadog's JSON for one of its types, documented by name. */
const datadogAnswer = (type: string, description: string) =>
  json(z.unknown().meta({ description: `Datadog's ${type}, as its API answers (snake_case)` }), description);
// The answers every proxy can give besides its own.
const PROXY_ERRORS = {
  400: problem('an invalid parameter, or Datadog answered 400'),
  401: UNAUTHORIZED,
  404: problem('no such account (or none configured), or Datadog answered 404'),
  429: problem("Datadog's rate limit; Retry-After when Datadog said when", true),
  502: problem('Datadog failed or could not be reached; the message names the account and the call'),
};
const route = routesOf('Datadog', security.apiToken);

/** Datadog's wire format (snake_case) for an SDK result. */
const wire = (api: typeof v1 | typeof v2, value: unknown, type: string): Record<string, unknown> =>
  api.ObjectSerializer.serialize(value, type, '') as Record<string, unknown>;

/** The old server's Datadog proxies, per account, through the official SDK. */
export const datadogRoutes = ({ accounts, auth: apiAuth, config }: ApiDeps): ApiRoutes => {
  const credentialsFor = async (name: string | undefined): Promise<AccountCredentials> => {
    const account = name ?? (await accounts.routeByOrg(undefined));
    const credentials = account ? await accounts.credentials(account) : undefined;
    if (credentials) return credentials;
    throw new ApiError(
      'NOT_FOUND',
      name ? `no account named "${name}"` : 'no Datadog account is configured; add one with POST /v1/accounts',
    );
  };

  /** Runs one Datadog call for the request's account; its DatadogError is answered by the error handler. */
  const proxy = async <T>(account: string | undefined, operation: string, call: (cfg: DatadogConfiguration) => Promise<T>): Promise<T> =>
    callDatadog(await credentialsFor(account), operation, call);

  // Per route, not .use(): this app is mounted on /v1 beside routes with their own auth.
  const auth = requireApiToken(apiAuth);
  return openApiApp()
    .openapi(
      route({
        method: 'get',
        path: '/downtimes',
        summary: 'Downtimes (v2)',
        middleware: auth,
        request: { query: DowntimesQuery },
        responses: { 200: datadogAnswer('ListDowntimesResponse', 'the downtimes'), ...PROXY_ERRORS },
      }),
      async (c) => {
        const q = c.req.valid('query');
        const result = await proxy(q.account, 'list downtimes', (cfg) =>
          new v2.DowntimesApi(cfg).listDowntimes({ currentOnly: q.current_only === 'true' }),
        );
        return c.json(wire(v2, result, 'ListDowntimesResponse'), 200);
      },
    )
    .openapi(
      route({
        method: 'get',
        path: '/events',
        summary: 'Events (v1)',
        description: 'start defaults to an hour before end, end to now (unix seconds).',
        middleware: auth,
        request: { query: EventsQuery },
        responses: { 200: datadogAnswer('EventListResponse', 'the events'), ...PROXY_ERRORS },
      }),
      async (c) => {
        const q = c.req.valid('query');
        const end = q.end ?? Math.floor(Date.now() / 1000);
        const result = await proxy(q.account, 'list events', (cfg) =>
          new v1.EventsApi(cfg).listEvents({ start: q.start ?? end - 3600, end, tags: q.tags, sources: q.sources }),
        );
        return c.json(wire(v1, result, 'EventListResponse'), 200);
      },
    )
    .openapi(
      route({
        method: 'get',
        path: '/hosts',
        summary: 'Hosts',
        middleware: auth,
        request: { query: HostsQuery },
        responses: { 200: datadogAnswer('HostListResponse', 'the hosts'), ...PROXY_ERRORS },
      }),
      async (c) => {
        const q = c.req.valid('query');
        const result = await proxy(q.account, 'list hosts', (cfg) =>
          new v1.HostsApi(cfg).listHosts({ filter: q.filter, count: q.count, start: q.start }),
        );
        return c.json(wire(v1, result, 'HostListResponse'), 200);
      },
    )
    .openapi(
      route({
        method: 'get',
        path: '/hosts/active',
        summary: 'Host totals',
        middleware: auth,
        request: { query: AccountQuery },
        responses: { 200: datadogAnswer('HostTotals', 'active and up hosts'), ...PROXY_ERRORS },
      }),
      async (c) => {
        const q = c.req.valid('query');
        const result = await proxy(q.account, 'get host totals', (cfg) => new v1.HostsApi(cfg).getHostTotals());
        return c.json(wire(v1, result, 'HostTotals'), 200);
      },
    )
    .openapi(
      route({
        method: 'get',
        path: '/hosts/{hostname}/tags',
        summary: "A host's tags",
        middleware: auth,
        request: { query: AccountQuery, params: z.object({ hostname: z.string() }) },
        responses: { 200: datadogAnswer('HostTags', "the host's tags"), ...PROXY_ERRORS },
      }),
      async (c) => {
        const q = c.req.valid('query');
        const hostName = c.req.valid('param').hostname;
        const result = await proxy(q.account, `get tags of host ${hostName}`, (cfg) => new v1.TagsApi(cfg).getHostTags({ hostName }));
        return c.json(wire(v1, result, 'HostTags'), 200);
      },
    )
    .openapi(
      route({
        method: 'get',
        path: '/monitors',
        summary: 'Monitors',
        middleware: auth,
        request: { query: MonitorsQuery },
        responses: { 200: datadogAnswer('Array<Monitor>', 'the monitors'), ...PROXY_ERRORS },
      }),
      async (c) => {
        const q = c.req.valid('query');
        const result = await proxy(q.account, 'list monitors', (cfg) =>
          new v1.MonitorsApi(cfg).listMonitors({
            name: q.name,
            tags: q.tags,
            monitorTags: q.monitor_tags,
            page: q.page,
            pageSize: q.page_size,
          }),
        );
        return c.json(wire(v1, result, 'Array<Monitor>'), 200);
      },
    )
    .openapi(
      route({
        method: 'get',
        path: '/monitors/triggered',
        summary: 'Monitors in Alert, Warn or No Data',
        middleware: auth,
        request: { query: AccountQuery },
        responses: { 200: datadogAnswer('Array<Monitor>', 'the triggered monitors (first 1000 monitors)'), ...PROXY_ERRORS },
      }),
      async (c) => {
        const q = c.req.valid('query');
        const result = await proxy(q.account, 'list monitors', (cfg) => new v1.MonitorsApi(cfg).listMonitors({ pageSize: 1000, page: 0 }));
        return c.json(
          wire(
            v1,
            result.filter((m) => TRIGGERED.has(String(m.overallState))),
            'Array<Monitor>',
          ),
          200,
        );
      },
    )
    .openapi(
      route({
        method: 'get',
        path: '/monitors/{id}',
        summary: 'A monitor',
        middleware: auth,
        request: { query: AccountQuery, params: z.object({ id: MonitorId }) },
        responses: { 200: datadogAnswer('Monitor', 'the monitor'), ...PROXY_ERRORS },
      }),
      async (c) => {
        const q = c.req.valid('query');
        const { id } = c.req.valid('param');
        const result = await proxy(q.account, `get monitor ${id}`, (cfg) => new v1.MonitorsApi(cfg).getMonitor({ monitorId: Number(id) }));
        return c.json(wire(v1, result, 'Monitor'), 200);
      },
    )
    .openapi(
      route({
        method: 'post',
        path: '/logs/search',
        summary: 'Search logs (v2)',
        middleware: [auth, jsonBody] as const,
        request: { body: jsonRequest(LogsSearch) },
        responses: {
          200: datadogAnswer('LogsListResponse', 'a page of logs; meta.page.after is the next cursor'),
          ...PROXY_ERRORS,
          415: UNSUPPORTED_MEDIA_TYPE,
        },
      }),
      async (c) => {
        const q = c.req.valid('json');
        const result = await proxy(q.account, 'search logs', (cfg) =>
          new v2.LogsApi(cfg).listLogs({
            body: { filter: { query: q.query, from: q.from, to: q.to }, page: { limit: q.limit, cursor: q.cursor }, sort: q.sort },
          }),
        );
        return c.json(wire(v2, result, 'LogsListResponse'), 200);
      },
    )
    .openapi(
      route({
        method: 'post',
        path: '/webhooks/create',
        summary: 'Create the Datadog webhook that posts to this Rayne',
        middleware: [auth, jsonBody] as const,
        description:
          "Creates a Webhooks integration entry pointing at /v1/webhooks/receive[/{account}] with Rayne's payload template, " +
          'and the shared secret as X-Rayne-Token when RAYNE_WEBHOOK_SECRET is set (never echoed back).',
        request: { body: jsonRequest(CreateWebhook) },
        responses: {
          201: datadogAnswer(
            'WebhooksIntegration',
            'created; custom_headers is left out, custom_headers_set says whether the secret header was set',
          ),
          ...PROXY_ERRORS,
          400: problem('no URL: set RAYNE_PUBLIC_URL or pass url; an invalid body; or Datadog answered 400'),
          415: UNSUPPORTED_MEDIA_TYPE,
        },
      }),
      async (c) => {
        const q = c.req.valid('json');
        const publicUrl = q.url ?? config.RAYNE_PUBLIC_URL;
        if (!publicUrl) throw new ApiError('BAD_REQUEST', 'set RAYNE_PUBLIC_URL or pass "url": the address Datadog can reach this API at');
        const secretHeader = config.RAYNE_WEBHOOK_SECRET ? JSON.stringify({ 'X-Rayne-Token': config.RAYNE_WEBHOOK_SECRET }) : undefined;
        const body = {
          name: q.name,
          url: receiveUrl(publicUrl, q.account),
          payload: JSON.stringify(RAYNE_WEBHOOK_PAYLOAD),
          encodeAs: 'json' as const,
          customHeaders: secretHeader,
        };
        const result = await proxy(q.account, 'create webhook', (cfg) =>
          new v1.WebhooksIntegrationApi(cfg).createWebhooksIntegration({ body }),
        );
        // The shared secret went to Datadog; it is not echoed back.
        const { custom_headers: _secret, ...shown } = wire(v1, result, 'WebhooksIntegration');
        return c.json({ ...shown, custom_headers_set: !!secretHeader }, 201);
      },
    );
};
