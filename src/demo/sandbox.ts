import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import { Hono, type MiddlewareHandler } from 'hono';
import { apmRoutes } from './sandbox-apm-routes';
import { DatadogApiError } from './sandbox-http';
import { SearchSyntaxError } from './sandbox-logs-query';
import { MetricQueryError } from './sandbox-metrics';
import { readRoutes } from './sandbox-read-routes';
import { searchRoutes } from './sandbox-search-routes';
import { type DataSource, emptySandboxData, type SandboxData, sandboxDataFrom } from './sandbox-store';
import { writeRoutes } from './sandbox-write-routes';
import { type MaterializedScenario, materializeScenario, type Scenario } from './scenario';

/** A request that changed (or tried to change) something, as the sandbox received it. */
export interface SandboxWrite {
  method: string;
  path: string;
  /** Parsed JSON, the raw text when it is not JSON, undefined when empty. */
  body: unknown;
  at: Date;
  /** What the sandbox answered, including injected faults and refused keys. */
  status: number;
}

export interface FaultMatch {
  /** Any method when absent. */
  method?: string;
  /** A string is the exact path; a RegExp is tested against the path. */
  path: RegExp | string;
}

export interface FaultResponse {
  status: number;
  headers?: Record<string, string>;
  /** Defaults to Datadog's error shape with the status text. */
  body?: unknown;
}

/** A failNext registration: its response is given `remaining` more times. */
export interface InjectedFault {
  match: FaultMatch;
  response: FaultResponse;
  remaining: number;
}

/** A holdNext registration: `remaining` more matching answers are held `ms`. */
export interface HeldAnswer {
  match: FaultMatch;
  ms: number;
  remaining: number;
}

export interface SandboxAppOptions {
  data: DataSource;
  apiKey?: string;
  appKey?: string;
  faults: InjectedFault[];
  holds: HeldAnswer[];
  writes: SandboxWrite[];
}

// Searches and aggregations are POSTs that read; everything else that is not a GET writes.
const isWrite = (method: string, path: string) => method !== 'GET' && method !== 'HEAD' && !/\/(search|aggregate)$/.test(path);

const datadogError = (status: number, message: string, headers: Record<string, string> = {}) =>
  new Response(JSON.stringify({ errors: [message] }), { status, headers: { 'content-type': 'application/json', ...headers } });

function parseBodyText(text: string): unknown {
  if (text === '') return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

const recordWrites =
  (writes: SandboxWrite[]): MiddlewareHandler =>
  async (c, next) => {
    if (!isWrite(c.req.method, c.req.path)) return next();
    const body = parseBodyText(await c.req.text());
    const at = new Date();
    await next();
    writes.push({ method: c.req.method, path: c.req.path, body, at, status: c.res.status });
  };

const matches = (match: FaultMatch, method: string, path: string) =>
  (!match.method || match.method.toUpperCase() === method) &&
  (typeof match.path === 'string' ? match.path === path : match.path.test(path));

const injectFaults =
  (faults: InjectedFault[]): MiddlewareHandler =>
  async (c, next) => {
    const fault = faults.find(({ match }) => matches(match, c.req.method, c.req.path));
    if (!fault) return next();
    if (--fault.remaining === 0) faults.splice(faults.indexOf(fault), 1);
    const { status, headers = {}, body } = fault.response;
    if (body === undefined) return datadogError(status, `Injected fault ${status}`, headers);
    return new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json', ...headers } });
  };

/** Handles the request, then holds the answer: a slow Datadog, for a client that dies mid-call. */
const holdAnswers =
  (holds: HeldAnswer[]): MiddlewareHandler =>
  async (c, next) => {
    const hold = holds.find(({ match }) => matches(match, c.req.method, c.req.path));
    await next();
    if (!hold) return;
    if (--hold.remaining === 0) holds.splice(holds.indexOf(hold), 1);
    await new Promise((resolve) => setTimeout(resolve, hold.ms));
  };

/** Like Datadog: the API key on every request, the application key on all but key validation. Unset keys accept anything. */
const checkKeys =
  (apiKey?: string, appKey?: string): MiddlewareHandler =>
  async (c, next) => {
    const apiKeyOk = apiKey === undefined || c.req.header('DD-API-KEY') === apiKey;
    const appKeyOk = appKey === undefined || c.req.path === '/api/v1/validate' || c.req.header('DD-APPLICATION-KEY') === appKey;
    if (!apiKeyOk || !appKeyOk) return datadogError(403, 'Forbidden');
    return next();
  };

/** The sandbox's Hono app, without a server: usable with `app.request(…)` in tests. */
export function createSandboxApp({ data, apiKey, appKey, faults, holds, writes }: SandboxAppOptions) {
  return new Hono()
    .use(recordWrites(writes), injectFaults(faults), holdAnswers(holds), checkKeys(apiKey, appKey))
    .route('/', readRoutes(data))
    .route('/', searchRoutes(data))
    .route('/', apmRoutes(data))
    .route('/', writeRoutes(data))
    .notFound((c) => c.json({ errors: [`Not found: the sandbox has no route for ${c.req.method} ${c.req.path}`] }, 404))
    .onError((err, c) => {
      if (err instanceof DatadogApiError) return c.json({ errors: [err.message] }, err.status);
      if (err instanceof SearchSyntaxError || err instanceof MetricQueryError) return c.json({ errors: [err.message] }, 400);
      return c.json({ errors: [`Internal Server Error: ${err.message}`] }, 500);
    });
}

export interface DatadogSandboxOptions {
  /** 0 (the default) picks a free port. */
  port?: number;
  scenario?: Scenario;
  /** When the scenario's alert fires; defaults to now. */
  alertTime?: Date;
  /** When set, requests must carry it as DD-API-KEY. */
  apiKey?: string;
  /** When set, requests other than key validation must carry it as DD-APPLICATION-KEY. */
  appKey?: string;
}

/** An HTTP server on loopback that answers the part of Datadog's API Rayne uses, from a scenario. */
export interface DatadogSandbox {
  /** `http://127.0.0.1:<port>`: a Datadog site URL for an account. */
  url: string;
  /** What the sandbox serves now; plain data, changed by writes and replaced by seed. */
  readonly data: SandboxData;
  /** Every write request received, oldest first. Seeding leaves it alone; empty it with `writes.length = 0`. */
  writes: SandboxWrite[];
  /** Replaces all data (including notebooks, downtimes and webhooks) with the scenario placed at `alertTime` (default now). */
  seed(scenario: Scenario, alertTime?: Date): MaterializedScenario;
  /** Answers the next `times` requests that match with `response` instead of handling them. */
  failNext(match: FaultMatch, response: FaultResponse, times?: number): void;
  /** Handles the next `times` matching requests as usual but answers each only after `ms`. */
  holdNext(match: FaultMatch, ms: number, times?: number): void;
  close(): Promise<void>;
}

/** Starts the sandbox on 127.0.0.1, seeded with `options.scenario` when given, empty otherwise. */
export async function startDatadogSandbox(options: DatadogSandboxOptions = {}): Promise<DatadogSandbox> {
  let data = emptySandboxData();
  const faults: InjectedFault[] = [];
  const writes: SandboxWrite[] = [];
  const holds: HeldAnswer[] = [];
  const app = createSandboxApp({ data: () => data, apiKey: options.apiKey, appKey: options.appKey, faults, holds, writes });

  const server = await new Promise<Server>((resolve, reject) => {
    const s = serve({ fetch: app.fetch, port: options.port ?? 0, hostname: '127.0.0.1' }, () => resolve(s as Server)) as Server;
    s.once('error', reject);
  });
  const { port } = server.address() as AddressInfo;

  const sandbox: DatadogSandbox = {
    url: `http://127.0.0.1:${port}`,
    get data() {
      return data;
    },
    writes,
    seed(scenario, alertTime = new Date()) {
      const materialized = materializeScenario(scenario, alertTime);
      data = sandboxDataFrom(materialized);
      return materialized;
    },
    failNext(match, response, times = 1) {
      if (times > 0) faults.push({ match, response, remaining: times });
    },
    holdNext(match, ms, times = 1) {
      if (times > 0) holds.push({ match, ms, remaining: times });
    },
    async close() {
      // Keep-alive connections from clients would hold close() open.
      server.closeAllConnections();
      await new Promise<void>((resolve, reject) => server.close((err) => (err ? reject(err) : resolve())));
    },
  };
  if (options.scenario) sandbox.seed(options.scenario, options.alertTime);
  return sandbox;
}
