import path from 'node:path';
import { v1, v2 } from '@datadog/datadog-api-client';
import type { AccountCredentials } from '../../src/accounts/store';
import { callDatadog, DatadogError, type DatadogConfiguration } from '../../src/datadog/client';
import { type DatadogSandbox, startDatadogSandbox } from '../../src/demo/sandbox';
import { loadScenario } from '../../src/demo/scenario';
import { type HarReplay, loadCassette, recordedResponses, startHarReplay } from '../support/har-replay';

/**
 * For each Datadog operation Rayne uses, the same SDK call runs against a replay of a real
 * recorded response and against the sandbox, and the fields Rayne relies on must be present
 * with the declared type in both. Every declared type is also checked against the SDK's own
 * type map, which catches a misspelt path and is the only reference where no cassette exists.
 */

type FieldType = 'string' | 'number' | 'boolean' | 'date' | 'array' | 'object';
type Models = Record<string, unknown>;

/** Ids of objects that exist in the sandbox; the replay answers whatever id it is asked for. */
interface Ids {
  monitorId: number;
  hostName: string;
  notebookId: number;
  downtimeId: string;
  webhookName: string;
}

interface ContractCase {
  operation: string;
  /** A cassette under test/fixtures/datadog-cassettes and the recorded requests the call makes, in order. */
  recording?: { cassette: string; requests: string[] };
  /** The SDK's response type, as its type map names it. */
  response: { models: Models; type: string };
  call(c: DatadogConfiguration, ids: Ids): Promise<unknown>;
  /** Relied-on fields: paths on the SDK's (camelCase) objects, `[]` for every element. */
  fields: Record<string, FieldType>;
  /** Relied-on fields the recording happens not to carry; only the sandbox and the SDK type are checked. */
  notRecorded?: string[];
  /** For error cases: both must fail with this status. */
  status?: number;
  /** Extra behaviour both answers must show. */
  check?(result: unknown): void;
}

/** Every value at a path (`hostList[].metrics.cpu`); missing steps give none. */
function valuesAt(value: unknown, fieldPath: string): unknown[] {
  return fieldPath.split('.').reduce<unknown[]>(
    (current, step) => {
      const [, key, each] = /^([^[]*)(\[\])?$/.exec(step) ?? [];
      return current.flatMap((v) => {
        const next = key ? (v as Record<string, unknown> | null | undefined)?.[key] : v;
        if (next === undefined || next === null) return [];
        return each ? (Array.isArray(next) ? next : []) : [next];
      });
    },
    [value],
  );
}

const typeOf = (v: unknown) => (v instanceof Date ? 'date' : Array.isArray(v) ? 'array' : typeof v);

/** The kind of value the SDK declares at a path; undefined for enums and unions, which its type map names by alias. */
function sdkTypeAt(models: Models, root: string, fieldPath: string): FieldType | undefined {
  let type = root;
  for (const step of fieldPath.split('.')) {
    const [, key, each] = /^([^[]*)(\[\])?$/.exec(step) ?? [];
    if (key) {
      const model = models[type] as { getAttributeTypeMap?: () => Record<string, { type: string }> } | undefined;
      const attribute = model?.getAttributeTypeMap?.()[key];
      if (!attribute) throw new Error(`the SDK type ${type} has no field ${key} (in ${fieldPath})`);
      type = attribute.type;
    }
    if (each) type = /^Array<(.+)>$/.exec(type)?.[1] ?? 'not-an-array';
  }
  if (['string', 'number', 'boolean'].includes(type)) return type as FieldType;
  if (type === 'Date') return 'date';
  if (/^(Array<|\[)/.test(type)) return 'array';
  if (type.startsWith('{') || typeof (models[type] as { getAttributeTypeMap?: unknown })?.getAttributeTypeMap === 'function')
    return 'object';
  return undefined;
}

/** Problems with one answer: relied-on fields that are missing or of another type. */
function fieldProblems(label: string, result: unknown, fields: Record<string, FieldType>, skip: string[] = []): string[] {
  return Object.entries(fields)
    .filter(([fieldPath]) => !skip.includes(fieldPath))
    .flatMap(([fieldPath, type]) => {
      const values = valuesAt(result, fieldPath);
      if (values.length === 0) return [`${label}: ${fieldPath} is missing`];
      const wrong = values.map(typeOf).filter((t) => t !== type);
      return wrong.length > 0 ? [`${label}: ${fieldPath} is ${wrong[0]}, not ${type}`] : [];
    });
}

/** Follows a v2 cursor once: the first two pages of a search. */
async function twoPages<T extends { meta?: { page?: { after?: string } } }>(page: (cursor?: string) => Promise<T>): Promise<T[]> {
  const first = await page();
  const cursor = first.meta?.page?.after;
  if (!cursor) throw new Error('the first page has no meta.page.after cursor');
  return [first, await page(cursor)];
}

/** The second page continues the first: no item on both. */
function pagesAreDisjoint(result: unknown) {
  const [first = [], second = []] = (result as Array<{ data?: Array<{ id?: string }> }>).map((page) =>
    (page.data ?? []).map((item) => item.id),
  );
  expect(second.length).toBeGreaterThan(0);
  expect(second.filter((id) => first.includes(id))).toEqual([]);
}

const markdownCell = (text: string) => ({
  type: 'notebook_cells' as const,
  attributes: { definition: { type: 'markdown' as const, text } },
});
const notebookBody = (name: string) => ({
  data: { type: 'notebooks' as const, attributes: { name, cells: [markdownCell(`# ${name}`)], time: { liveSpan: '1h' as const } } },
});
const logSearchWindow = { from: 'now-15m', to: 'now' };
const eventSearchWindow = { from: 'now-1d', to: 'now' };
const nowSeconds = () => Math.floor(Date.now() / 1000);

const CASES: ContractCase[] = [
  {
    operation: 'validate',
    // No cassette: the dataset records monitor validation, not key validation.
    response: { models: v1, type: 'AuthenticationValidationResponse' },
    call: (c) => new v1.AuthenticationApi(c).validate(),
    fields: { valid: 'boolean' },
  },
  {
    operation: 'getMonitor',
    recording: { cassette: 'v1/Monitors/Get-a-monitor-s-details-returns-OK-response', requests: ['GET /api/v1/monitor/{id}'] },
    response: { models: v1, type: 'Monitor' },
    call: (c, ids) => new v1.MonitorsApi(c).getMonitor({ monitorId: ids.monitorId }),
    fields: {
      id: 'number',
      name: 'string',
      type: 'string',
      query: 'string',
      message: 'string',
      tags: 'array',
      'tags[]': 'string',
      overallState: 'string',
      priority: 'number',
      options: 'object',
      created: 'date',
      modified: 'date',
    },
  },
  {
    operation: 'getMonitor of an unknown monitor',
    recording: {
      cassette: 'v1/Monitors/Get-a-monitor-s-details-returns-Monitor-Not-Found-error-response',
      requests: ['GET /api/v1/monitor/{id}'],
    },
    response: { models: v1, type: 'Monitor' },
    call: (c) => new v1.MonitorsApi(c).getMonitor({ monitorId: 12345 }),
    fields: {},
    status: 404,
  },
  {
    operation: 'listMonitors',
    recording: { cassette: 'v1/Monitors/Get-all-monitors-returns-OK-response-with-pagination', requests: ['GET /api/v1/monitor'] },
    response: { models: v1, type: 'Array<Monitor>' },
    call: (c) => new v1.MonitorsApi(c).listMonitors({ page: 0, pageSize: 2 }),
    fields: {
      '[].id': 'number',
      '[].name': 'string',
      '[].type': 'string',
      '[].query': 'string',
      '[].tags[]': 'string',
      '[].overallState': 'string',
    },
  },
  {
    operation: 'searchMonitors',
    recording: { cassette: 'v1/Monitors/Monitors-search-returns-OK-response', requests: ['GET /api/v1/monitor/search'] },
    response: { models: v1, type: 'MonitorSearchResponse' },
    call: (c) => new v1.MonitorsApi(c).searchMonitors({}),
    fields: {
      'monitors[].id': 'number',
      'monitors[].name': 'string',
      'monitors[].status': 'string',
      'monitors[].type': 'string',
      'monitors[].query': 'string',
      'monitors[].tags[]': 'string',
      'monitors[].classification': 'string',
      'metadata.totalCount': 'number',
      'metadata.page': 'number',
      'metadata.perPage': 'number',
      'metadata.pageCount': 'number',
      'counts.status[].name': 'string',
      'counts.status[].count': 'number',
    },
  },
  {
    operation: 'listHosts',
    recording: { cassette: 'v1/Hosts/Get-all-hosts-with-metadata-deserializes-successfully', requests: ['GET /api/v1/hosts'] },
    response: { models: v1, type: 'HostListResponse' },
    call: (c) => new v1.HostsApi(c).listHosts({ includeHostsMetadata: true }),
    fields: {
      'hostList[].name': 'string',
      'hostList[].hostName': 'string',
      'hostList[].up': 'boolean',
      'hostList[].apps[]': 'string',
      'hostList[].tagsBySource': 'object',
      'hostList[].metrics.cpu': 'number',
      'hostList[].metrics.iowait': 'number',
      'hostList[].metrics.load': 'number',
      'hostList[].lastReportedTime': 'number',
      'hostList[].meta.platform': 'string',
      totalReturned: 'number',
      totalMatching: 'number',
    },
    // The recorded answer has exact_total_matching but no total_matching.
    notRecorded: ['totalMatching'],
  },
  {
    operation: 'getHostTags',
    // No cassette in the dataset: compared with the SDK's HostTags only.
    response: { models: v1, type: 'HostTags' },
    call: (c, ids) => new v1.TagsApi(c).getHostTags({ hostName: ids.hostName }),
    fields: { host: 'string', tags: 'array', 'tags[]': 'string' },
  },
  {
    operation: 'listEvents (v1)',
    // No cassette in the dataset (it records only posting v1 events): compared with the SDK's EventListResponse.
    response: { models: v1, type: 'EventListResponse' },
    call: (c) => new v1.EventsApi(c).listEvents({ start: nowSeconds() - 86400, end: nowSeconds() }),
    fields: {
      'events[].id': 'number',
      'events[].title': 'string',
      'events[].text': 'string',
      'events[].dateHappened': 'number',
      'events[].tags[]': 'string',
      'events[].alertType': 'string',
      'events[].sourceTypeName': 'string',
      'events[].url': 'string',
    },
  },
  {
    operation: 'listEvents (v2) over two pages',
    recording: {
      cassette: 'v2/Events/Get-a-list-of-events-returns-OK-response-with-pagination',
      requests: ['GET /api/v2/events', 'GET /api/v2/events'],
    },
    response: { models: v2, type: 'Array<EventsListResponse>' },
    call: (c) =>
      twoPages((pageCursor) =>
        new v2.EventsApi(c).listEvents({ filterFrom: eventSearchWindow.from, filterTo: eventSearchWindow.to, pageLimit: 2, pageCursor }),
      ),
    fields: {
      '[].data[].id': 'string',
      '[].data[].type': 'string',
      '[].data[].attributes.timestamp': 'date',
      '[].data[].attributes.message': 'string',
      '[].data[].attributes.tags[]': 'string',
      '[].data[].attributes.attributes.title': 'string',
      '[].data[].attributes.attributes.timestamp': 'number',
      '[].meta.page.after': 'string',
      '[].links.next': 'string',
    },
    check: pagesAreDisjoint,
  },
  {
    operation: 'searchEvents (v2) over two pages',
    recording: {
      cassette: 'v2/Events/Search-events-returns-OK-response-with-pagination',
      requests: ['POST /api/v2/events/search', 'POST /api/v2/events/search'],
    },
    response: { models: v2, type: 'Array<EventsListResponse>' },
    call: (c) =>
      twoPages((cursor) =>
        new v2.EventsApi(c).searchEvents({ body: { filter: eventSearchWindow, page: { limit: 2, cursor }, sort: 'timestamp' } }),
      ),
    fields: {
      '[].data[].id': 'string',
      '[].data[].attributes.timestamp': 'date',
      '[].data[].attributes.message': 'string',
      '[].data[].attributes.tags[]': 'string',
      '[].data[].attributes.attributes.title': 'string',
      '[].meta.page.after': 'string',
    },
    check: pagesAreDisjoint,
  },
  {
    operation: 'listLogs (v2) over two pages',
    recording: {
      cassette: 'v2/Logs/Search-logs-returns-OK-response-with-pagination',
      requests: ['POST /api/v2/logs/events/search', 'POST /api/v2/logs/events/search'],
    },
    response: { models: v2, type: 'Array<LogsListResponse>' },
    call: (c) =>
      twoPages((cursor) =>
        new v2.LogsApi(c).listLogs({ body: { filter: logSearchWindow, page: { limit: 2, cursor }, sort: 'timestamp' } }),
      ),
    fields: {
      '[].data[].id': 'string',
      '[].data[].type': 'string',
      '[].data[].attributes.timestamp': 'date',
      '[].data[].attributes.message': 'string',
      '[].data[].attributes.status': 'string',
      '[].data[].attributes.host': 'string',
      '[].data[].attributes.service': 'string',
      '[].data[].attributes.tags[]': 'string',
      '[].meta.page.after': 'string',
      '[].links.next': 'string',
    },
    // The recorded logs come from apps that set no service.
    notRecorded: ['[].data[].attributes.service'],
    check: pagesAreDisjoint,
  },
  {
    operation: 'queryMetrics',
    recording: { cassette: 'v1/Metrics/Query-timeseries-points-returns-OK-response', requests: ['GET /api/v1/query'] },
    response: { models: v1, type: 'MetricsQueryResponse' },
    call: (c) =>
      new v1.MetricsApi(c).queryMetrics({ from: nowSeconds() - 3600, to: nowSeconds(), query: 'avg:system.cpu.user{host:web-07}' }),
    fields: {
      status: 'string',
      query: 'string',
      fromDate: 'number',
      toDate: 'number',
      'series[].metric': 'string',
      'series[].scope': 'string',
      'series[].expression': 'string',
      'series[].pointlist': 'array',
      'series[].pointlist[]': 'array',
      'series[].interval': 'number',
      'series[].start': 'number',
      'series[].end': 'number',
      'series[].length': 'number',
      'series[].tagSet': 'array',
    },
    check: (result) => {
      const points = valuesAt(result, 'series[].pointlist[]') as number[][];
      expect(points.length).toBeGreaterThan(0);
      expect(points.every((p) => p.length === 2 && p.every((n) => typeof n === 'number'))).toBe(true);
    },
  },
  {
    operation: 'createNotebook',
    recording: { cassette: 'v1/Notebooks/Create-a-notebook-returns-OK-response', requests: ['POST /api/v1/notebooks'] },
    response: { models: v1, type: 'NotebookResponse' },
    call: (c) => new v1.NotebooksApi(c).createNotebook({ body: notebookBody('Rayne RCA: created') }),
    fields: {
      'data.id': 'number',
      'data.type': 'string',
      'data.attributes.name': 'string',
      'data.attributes.status': 'string',
      'data.attributes.cells[].id': 'string',
      'data.attributes.cells[].type': 'string',
      'data.attributes.created': 'date',
      'data.attributes.modified': 'date',
      'data.attributes.author.handle': 'string',
    },
  },
  {
    operation: 'getNotebook',
    recording: { cassette: 'v1/Notebooks/Get-a-notebook-returns-OK-response', requests: ['GET /api/v1/notebooks/{id}'] },
    response: { models: v1, type: 'NotebookResponse' },
    call: (c, ids) => new v1.NotebooksApi(c).getNotebook({ notebookId: ids.notebookId }),
    fields: {
      'data.id': 'number',
      'data.attributes.name': 'string',
      'data.attributes.cells[].id': 'string',
      'data.attributes.modified': 'date',
    },
  },
  {
    operation: 'updateNotebook',
    recording: { cassette: 'v1/Notebooks/Update-a-notebook-returns-OK-response', requests: ['PUT /api/v1/notebooks/{id}'] },
    response: { models: v1, type: 'NotebookResponse' },
    call: (c, ids) => new v1.NotebooksApi(c).updateNotebook({ notebookId: ids.notebookId, body: notebookBody('Rayne RCA: updated') }),
    fields: {
      'data.id': 'number',
      'data.attributes.name': 'string',
      'data.attributes.cells[].id': 'string',
      'data.attributes.modified': 'date',
    },
  },
  {
    operation: 'listNotebooks',
    recording: { cassette: 'v1/Notebooks/Get-all-notebooks-returns-OK-response-with-pagination', requests: ['GET /api/v1/notebooks'] },
    response: { models: v1, type: 'NotebooksResponse' },
    call: (c) => new v1.NotebooksApi(c).listNotebooks({ count: 2 }),
    fields: {
      'data[].id': 'number',
      'data[].attributes.name': 'string',
      'data[].attributes.modified': 'date',
      'meta.page.totalCount': 'number',
      'meta.page.totalFilteredCount': 'number',
    },
  },
  {
    operation: 'deleteNotebook',
    recording: { cassette: 'v1/Notebooks/Delete-a-notebook-returns-OK-response', requests: ['DELETE /api/v1/notebooks/{id}'] },
    response: { models: v1, type: 'void' },
    call: (c, ids) => new v1.NotebooksApi(c).deleteNotebook({ notebookId: ids.notebookId }),
    fields: {},
    check: (result) => expect(result).toBeUndefined(),
  },
  {
    operation: 'deleteNotebook of an unknown notebook',
    recording: { cassette: 'v1/Notebooks/Delete-a-notebook-returns-Not-Found-response', requests: ['DELETE /api/v1/notebooks/{id}'] },
    response: { models: v1, type: 'void' },
    call: (c) => new v1.NotebooksApi(c).deleteNotebook({ notebookId: 123456 }),
    fields: {},
    status: 404,
  },
  {
    operation: 'createDowntime (v2)',
    recording: { cassette: 'v2/Downtimes/Schedule-a-downtime-returns-OK-response', requests: ['POST /api/v2/downtime'] },
    response: { models: v2, type: 'DowntimeResponse' },
    call: (c) =>
      new v2.DowntimesApi(c).createDowntime({
        body: {
          data: {
            type: 'downtime',
            attributes: { scope: 'host:web-07', monitorIdentifier: { monitorTags: ['team:storefront'] }, message: 'Rayne contract test' },
          },
        },
      }),
    fields: {
      'data.id': 'string',
      'data.type': 'string',
      'data.attributes.scope': 'string',
      'data.attributes.message': 'string',
      'data.attributes.status': 'string',
      'data.attributes.created': 'date',
      'data.attributes.modified': 'date',
      'data.attributes.displayTimezone': 'string',
      'data.attributes.notifyEndStates[]': 'string',
    },
  },
  {
    operation: 'listDowntimes (v2)',
    recording: { cassette: 'v2/Downtimes/Get-all-downtimes-returns-OK-response-with-pagination', requests: ['GET /api/v2/downtime'] },
    response: { models: v2, type: 'ListDowntimesResponse' },
    call: (c) => new v2.DowntimesApi(c).listDowntimes({ currentOnly: true, pageLimit: 2 }),
    fields: {
      'data[].id': 'string',
      'data[].attributes.scope': 'string',
      'data[].attributes.status': 'string',
      'data[].attributes.created': 'date',
      'meta.page.totalFilteredCount': 'number',
    },
  },
  {
    operation: 'cancelDowntime (v2)',
    recording: { cassette: 'v2/Downtimes/Cancel-a-downtime-returns-OK-response', requests: ['DELETE /api/v2/downtime/{id}'] },
    response: { models: v2, type: 'void' },
    call: (c, ids) => new v2.DowntimesApi(c).cancelDowntime({ downtimeId: ids.downtimeId }),
    fields: {},
    check: (result) => expect(result).toBeUndefined(),
  },
  {
    operation: 'cancelDowntime (v2) of an unknown downtime',
    recording: {
      cassette: 'v2/Downtimes/Cancel-a-downtime-returns-Downtime-not-found-response',
      requests: ['DELETE /api/v2/downtime/{id}'],
    },
    response: { models: v2, type: 'void' },
    call: (c) => new v2.DowntimesApi(c).cancelDowntime({ downtimeId: '00000000-0000-1234-0000-000000000000' }),
    fields: {},
    status: 404,
  },
  {
    operation: 'createWebhooksIntegration',
    recording: {
      cassette: 'v1/Webhooks-Integration/Create-a-webhooks-integration-returns-OK-response',
      requests: ['POST /api/v1/integration/webhooks/configuration/webhooks'],
    },
    response: { models: v1, type: 'WebhooksIntegration' },
    call: (c) =>
      new v1.WebhooksIntegrationApi(c).createWebhooksIntegration({
        body: { name: 'rayne-contract-created', url: 'https://example.com/webhook' },
      }),
    fields: { name: 'string', url: 'string', payload: 'string', encodeAs: 'string' },
  },
  {
    operation: 'getWebhooksIntegration',
    recording: {
      cassette: 'v1/Webhooks-Integration/Get-a-webhook-integration-returns-OK-response',
      requests: ['GET /api/v1/integration/webhooks/configuration/webhooks/{id}'],
    },
    response: { models: v1, type: 'WebhooksIntegration' },
    call: (c, ids) => new v1.WebhooksIntegrationApi(c).getWebhooksIntegration({ webhookName: ids.webhookName }),
    fields: { name: 'string', url: 'string', payload: 'string', encodeAs: 'string' },
  },
];

const KEYS = { apiKey: 'contract-api-key', appKey: 'contract-app-key' };

describe('the Datadog sandbox answers like Datadog', () => {
  let sandbox: DatadogSandbox;
  let replay: HarReplay;
  let ids: Ids;
  const account = (baseUrl: string): AccountCredentials => ({ name: 'contract', baseUrl, ...KEYS });

  beforeAll(async () => {
    sandbox = await startDatadogSandbox({
      scenario: loadScenario(path.join(__dirname, '../../scenarios/storefront-web-host-cpu.json')),
      ...KEYS,
    });
    replay = await startHarReplay();
    // Objects the get, update, list, delete and cancel cases work on.
    const run = <T>(call: (c: DatadogConfiguration) => Promise<T>) => callDatadog(account(sandbox.url), 'fixture', call);
    const notebook = await run((c) => new v1.NotebooksApi(c).createNotebook({ body: notebookBody('Rayne RCA: fixture') }));
    const downtime = await run((c) =>
      new v2.DowntimesApi(c).createDowntime({
        body: { data: { type: 'downtime', attributes: { scope: 'host:web-07', monitorIdentifier: { monitorId: 48212031 } } } },
      }),
    );
    await run((c) =>
      new v1.WebhooksIntegrationApi(c).createWebhooksIntegration({
        body: { name: 'rayne-contract-fixture', url: 'https://example.com/hook' },
      }),
    );
    ids = {
      monitorId: 48212031,
      hostName: 'web-07',
      notebookId: notebook.data!.id!,
      downtimeId: downtime.data!.id!,
      webhookName: 'rayne-contract-fixture',
    };
  });

  afterAll(async () => {
    await sandbox?.close();
    await replay?.close();
  });

  it.each(CASES.map((c) => [c.operation, c] as const))('%s', async (_name, contract) => {
    const settle = (baseUrl: string) =>
      callDatadog(account(baseUrl), contract.operation, (c) => contract.call(c, ids)).then(
        (value) => ({ value }),
        (error: unknown) => ({ error }),
      );
    const answers: Array<{ label: string; answer: { value?: unknown; error?: unknown }; skip?: string[] }> = [
      { label: 'sandbox', answer: await settle(sandbox.url) },
    ];
    if (contract.recording) {
      replay.play(recordedResponses(loadCassette(contract.recording.cassette), contract.recording.requests));
      answers.push({ label: 'recording', answer: await settle(replay.url), skip: contract.notRecorded });
      expect(replay.problems).toEqual([]);
      expect(replay.unplayed()).toBe(0);
    }

    for (const { label, answer, skip } of answers) {
      if (contract.status !== undefined) {
        expect(answer.error).toBeInstanceOf(DatadogError);
        expect({ label, status: (answer.error as DatadogError).data.status }).toEqual({ label, status: contract.status });
        continue;
      }
      if (answer.error) throw new Error(`${label}: ${(answer.error as Error).message}`);
      expect(fieldProblems(label, answer.value, contract.fields, skip)).toEqual([]);
      contract.check?.(answer.value);
    }

    const sdkMismatches = Object.entries(contract.fields).flatMap(([fieldPath, type]) => {
      const declared = sdkTypeAt(contract.response.models, contract.response.type, fieldPath);
      return declared === undefined || declared === type ? [] : [`${fieldPath}: the SDK declares ${declared}, the test ${type}`];
    });
    expect(sdkMismatches).toEqual([]);
  });
});
