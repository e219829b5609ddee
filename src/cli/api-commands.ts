/**
 * `rayne send`, `rayne events …` and `rayne rca …`: the HTTP API's commands, so they work against any
 * deployment (RAYNE_URL or --url, bearer RAYNE_API_TOKEN). Light to load: no pg, no Temporal.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import { sign } from '@octokit/webhooks-methods';
import { type Command, InvalidArgumentError, Option } from 'commander';
import { type Api, apiClient, ApiResponseError, ApiUnreachableError, poll } from '../api-client';
import { RCA_CATEGORIES } from '../analysis/report';
import { type Config, ConfigError, loadConfig } from '../config';
import { alertToSend, loadScenario, ScenarioError } from '../demo/scenario';
import { ANALYSTS } from '../contracts/rca';
import {
  type Accepted,
  type EventDetail,
  type EventSummary,
  eventsTable,
  eventView,
  type RcaDetail,
  rcasTable,
  type RcaSummary,
  rcaView,
  type RerunStarted,
  rerunView,
  type Retried,
  retriedView,
  retriesTable,
  type RetryOutcome,
  sentView,
  describeConclusion,
  type GithubAccepted,
  githubSentView,
  type GroupDetail,
  type GroupSummary,
  groupsTable,
  groupView,
} from './api-views';
import { rcaPathId } from '../notebook/notebook';
import { ALERT_SOURCES, ALERT_STATUSES, EVENT_STATUSES, RETRYABLE_STATES } from '../contracts/alert';

/** What `rayne` exits with; 69 and 78 are sysexits' EX_UNAVAILABLE and EX_CONFIG, 66 EX_NOINPUT. */
export const EXIT = { ok: 0, failed: 1, usage: 2, noInput: 66, unavailable: 69, config: 78 } as const;

const DEFAULT_URL = 'http://localhost:8080';
// Longer than the API's own Temporal deadline (RAYNE_TEMPORAL_TIMEOUT_MS), so its 503 arrives first.
const REQUEST_TIMEOUT_MS = 30_000;
const SLOW_MS = 1000;

/** Thrown when an input file cannot be read or is not what the command needs. */
export class InputFileError extends Error {
  constructor(
    readonly file: string,
    problem: string,
  ) {
    super(`${file}: ${problem}`);
    this.name = new.target.name;
  }
}

interface CommonOptions {
  url?: string;
  json?: boolean;
}

interface Session {
  api: Api;
  /** A client that also sends these headers. */
  withHeaders: (headers: Record<string, string>) => Api;
  json: boolean;
  config: Config;
  /** The API's base URL, for links to its console. */
  url: string;
}

/** Registers send, events, rca and groups on the program. */
export function addApiCommands(program: Command): void {
  apiCommand(program, 'send', "send a Datadog webhook payload (a file, or a scenario's alert) to POST /v1/webhooks/receive")
    .argument('[payload]', 'a JSON file holding a Datadog webhook payload, sent as written')
    .option('--scenario <file>', "send this scenario's alert instead (scenarios/*.json), timestamped now with a fresh transition id")
    .option('--account <name>', 'the account to route to (POST /v1/webhooks/receive/<name>); default: by org_id, else the default account')
    .option('--wait', 'wait for the RCA the alert starts, then print its conclusion and its page in the console')
    .option('--timeout <seconds>', 'with --wait: give up after this long (default 600)', positiveInt)
    .addHelpText(
      'after',
      examples(
        'rayne send alert.json',
        'rayne send --scenario scenarios/storefront-web-host-cpu.json --wait',
        'rayne send --scenario scenarios/checkout-service-error-rate-spike.json --account demo',
        'RAYNE_URL=https://rayne.example.com rayne send alert.json --json | jq -r .event_id',
      ) + '\nSends X-Rayne-Token: $RAYNE_WEBHOOK_SECRET when that is set.\n',
    )
    .action((file: string | undefined, opts: CommonOptions & SendOptions, cmd: Command) => {
      if ((file === undefined) === (opts.scenario === undefined)) cmd.error('error: give a payload file or --scenario <file>, one of them');
      return session(opts, (s) => send(s, file, opts));
    });

  const github = program.command('github').description('GitHub issue webhooks (POST /v1/webhooks/github/issues)');
  apiCommand(github, 'send', 'send a GitHub webhook delivery from a file, signed with $GITHUB_WEBHOOK_SECRET as GitHub signs it')
    .argument('<payload>', "a JSON file holding the delivery's payload (an issues event: action, issue, repository)")
    .option('--event <name>', 'the X-GitHub-Event header', 'issues')
    .addHelpText(
      'after',
      examples('rayne github send issue.json', 'rayne github send ping.json --event ping') +
        "\nSigns with GITHUB_WEBHOOK_SECRET (the API's secret) and sends a fresh X-GitHub-Delivery id each time.\n",
    )
    .action((file: string, opts: CommonOptions & { event: string }) => session(opts, (s) => sendGithub(s, file, opts.event)));

  const events = program
    .command('events')
    .description('stored webhook events (GET /v1/webhooks/events)')
    .addHelpText('after', examples('rayne events list --since 1h', 'rayne events show 123', 'rayne events retry --status dead_letter'));
  apiCommand(events, 'list', 'list events, newest first')
    .addOption(
      new Option('--status <status>', 'only events in this processing status (rejected and dead_letter never started a workflow)').choices(
        EVENT_STATUSES,
      ),
    )
    .option('--monitor-id <id>', "only this monitor's events (Datadog's id, or source:rule such as alertmanager:HighCPU)")
    .addOption(new Option('--source <source>', 'only events from this alert source').choices(ALERT_SOURCES))
    .option('--account <name>', "only this account's events")
    .addOption(new Option('--alert-status <status>', 'only this alert status').choices(ALERT_STATUSES))
    .option('--since <when>', 'received at or after: an ISO 8601 time or an age such as 30m, 6h, 2d', since)
    .option('--limit <n>', 'at most this many (1-200, API default 50)', positiveInt)
    .option('--cursor <cursor>', 'the next page: the cursor the previous page printed')
    .addHelpText(
      'after',
      examples('rayne events list', 'rayne events list --monitor-id 48211093 --since 6h', 'rayne events list --status dead_letter --json'),
    )
    .action((opts: CommonOptions & EventFilters) => session(opts, (s) => listEvents(s, opts)));
  apiCommand(events, 'show', "one event: payload fields, the incident workflow's decision, tier-1 processor runs, live workflow status")
    .argument('<id>', 'the event id (what rayne send printed)')
    .addHelpText('after', examples('rayne events show 123', 'rayne events show 123 --json | jq .processor_runs'))
    .action((id: string, opts: CommonOptions) => session(opts, (s) => showEvent(s, id)));
  apiCommand(events, 'retry', 'start a rejected or dead-lettered event again, against Temporal as it is now, and store the outcome')
    .argument('[id]', 'the event id')
    .addOption(new Option('--status <status>', 'retry every event in this status, oldest first').choices(RETRYABLE_STATES))
    .addHelpText(
      'after',
      examples('rayne events retry 123', 'rayne events retry --status dead_letter', 'rayne events retry --status rejected --json') +
        '\nWith --status, --json prints {"retried": [{event_id, http_status, answer}]}; it stops at the first answer saying Temporal is away\n' +
        'or refuses the setup (503, 502), leaving the rest as they are. Exits 1 when any event did not start.\n',
    )
    .action((id: string | undefined, opts: CommonOptions & { status?: string }, cmd: Command) => {
      if ((id === undefined) === (opts.status === undefined)) cmd.error('error: give an event id or --status <status>, one of them');
      return session(opts, (s) => (id === undefined ? retryAll(s, opts.status!) : retryEvent(s, id)));
    });

  const rca = program
    .command('rca')
    .description('root-cause analyses (GET /v1/rca)')
    .addHelpText(
      'after',
      examples('rayne rca list --status completed', 'rayne rca show 123', 'rayne rca rerun 123 --analyst offline --wait'),
    );
  apiCommand(rca, 'list', 'list RCAs, newest first')
    .option('--status <status>', 'only RCAs in this status: running, evidence_ready, completed or failed')
    .option('--event-id <id>', "only this event's RCAs (its first run and re-runs)")
    .addOption(new Option('--category <category>', 'only reports of this category').choices(RCA_CATEGORIES))
    .option('--account <name>', "only this account's RCAs")
    .option('--limit <n>', 'at most this many (1-200, API default 50)', positiveInt)
    .addHelpText(
      'after',
      examples('rayne rca list', 'rayne rca list --status completed --category deployment', 'rayne rca list --event-id 123 --json'),
    )
    .action((opts: CommonOptions & RcaFilters) => session(opts, (s) => listRcas(s, opts)));
  apiCommand(rca, 'show', 'one RCA: status, phase, report (root cause, evidence, remediation), usage, links')
    .argument('<id>', 'an event id (123, its first RCA) or a full RCA id (rca/123, rca/123/rerun-1)')
    .addHelpText('after', examples('rayne rca show 123', 'rayne rca show rca/123/rerun-1 --json | jq .report.root_cause'))
    .action((id: string, opts: CommonOptions) => session(opts, (s) => showRca(s, id)));
  apiCommand(rca, 'rerun', 'analyse an alert again as a new RCA (rca/<event>/rerun-<n>); the old report stays')
    .argument('<id>', 'an event id or a full RCA id, as for rca show')
    .addOption(new Option('--analyst <name>', 'the analyst to use instead of the configured one').choices(ANALYSTS))
    .option('--model <name>', 'the model for the Claude or Ollama analyst')
    .option('--wait', 'wait for the re-run to finish, printing its phases to stderr; then show it (exit 1 when it failed)')
    .option('--timeout <seconds>', 'with --wait: give up after this long (default 600)', positiveInt)
    .addHelpText(
      'after',
      examples(
        'rayne rca rerun 123 --analyst offline --wait',
        'rayne rca rerun rca/123 --analyst claude --model claude-sonnet-4-6',
        'rayne rca rerun 123 --wait --json | jq .report',
      ),
    )
    .action((id: string, opts: CommonOptions & RerunOptions) => session(opts, (s) => rerun(s, id, opts)));

  const groups = program
    .command('groups')
    .description('incident groups: the alerts of one outage, investigated by one RCA (GET /v1/groups)')
    .addHelpText('after', examples('rayne groups list --status open', 'rayne groups show 3f2a9c0b1d4e5f60'));
  apiCommand(groups, 'list', 'list incident groups, newest first')
    .addOption(new Option('--status <status>', 'only open, resolved or merged groups').choices(['open', 'resolved', 'merged']))
    .option('--account <name>', "only this account's groups")
    .option('--limit <n>', 'at most this many (1-200, API default 50)', positiveInt)
    .addHelpText('after', examples('rayne groups list', 'rayne groups list --status open --json | jq ".groups[].id"'))
    .action((opts: CommonOptions & GroupFilters) => session(opts, (s) => listGroups(s, opts)));
  apiCommand(groups, 'show', 'one group: its RCAs and its members in firing order, each with whether it recovered')
    .argument('<id>', 'a group id (16 hex digits, from rayne groups list)')
    .addHelpText('after', examples('rayne groups show 3f2a9c0b1d4e5f60', 'rayne groups show 3f2a9c0b1d4e5f60 --json | jq .rca_ids'))
    .action((id: string, opts: CommonOptions) => session(opts, (s) => showGroup(s, id)));
}

/** A leaf command with the options every API command has. */
function apiCommand(parent: Command, name: string, description: string): Command {
  return parent
    .command(name)
    .description(description)
    .option('--url <url>', `the Rayne API (default: $RAYNE_URL, else ${DEFAULT_URL})`, httpUrl)
    .option('--json', "print the API's JSON answer as it came, for scripts");
}

const examples = (...lines: string[]) => `\nExamples:\n${lines.map((l) => `  ${l}`).join('\n')}\n`;

function httpUrl(value: string): string {
  if (!/^https?:\/\/[^/]/.test(value) || !URL.canParse(value))
    throw new InvalidArgumentError('must be an http(s) URL such as http://localhost:8080');
  return value;
}

function positiveInt(value: string): number {
  if (!/^\d+$/.test(value) || Number(value) < 1) throw new InvalidArgumentError('must be a whole number above 0');
  return Number(value);
}

const AGE_UNITS: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** An age (30m, 6h, 2d) becomes the ISO time that long ago; an ISO 8601 time goes as given; anything else is refused naming both forms. */
function since(value: string): string {
  const age = /^(\d+)([smhd])$/.exec(value);
  if (age) return new Date(Date.now() - Number(age[1]) * AGE_UNITS[age[2]!]!).toISOString();
  if (/^\d{4}-\d{2}-\d{2}T/.test(value) && !Number.isNaN(Date.parse(value))) return value;
  throw new InvalidArgumentError(
    'give an age (a number and s, m, h or d: 30m, 6h, 2d) or an ISO 8601 time with its offset (2026-11-24T03:00:00Z).',
  );
}

/** Runs one API command: its settings, its client, and an exit code that says what went wrong. */
async function session(opts: CommonOptions, work: (s: Session) => Promise<void>): Promise<void> {
  try {
    const config = loadConfig();
    const base = opts.url ?? config.RAYNE_URL ?? DEFAULT_URL;
    const withHeaders = (headers: Record<string, string>) =>
      announceSlow(apiClient(base, config.RAYNE_API_TOKEN, { headers, timeoutMs: REQUEST_TIMEOUT_MS }));
    await work({ api: withHeaders({}), withHeaders, json: opts.json === true, config, url: base.replace(/\/+$/, '') });
  } catch (err) {
    const [code, message] = explain(err);
    process.stderr.write(`rayne: ${message}\n`);
    process.exitCode = code;
  }
}

function explain(err: unknown): [number, string] {
  if (err instanceof ConfigError) return [EXIT.config, err.message];
  if (err instanceof InputFileError || err instanceof ScenarioError) return [EXIT.noInput, err.message];
  if (err instanceof ApiUnreachableError) {
    return [
      EXIT.unavailable,
      `${err.message}\nhint: is the API running there? Start one with \`rayne dev\`, or point RAYNE_URL (or --url) at your deployment.`,
    ];
  }
  if (err instanceof ApiResponseError) {
    const details = err.details.map((d) => `\n  - ${d.field}: ${d.message}`).join('');
    const hint =
      err.status === 401 && err.code === 'UNAUTHORIZED' && err.route.startsWith('/v1/webhooks/receive')
        ? "\nhint: set RAYNE_WEBHOOK_SECRET to the API's webhook secret"
        : err.status === 401
          ? "\nhint: set RAYNE_API_TOKEN to the API's token"
          : '';
    return [EXIT.failed, `${err.method} ${err.route}: ${err.code ?? `HTTP ${err.status}`}: ${err.apiMessage}${details}${hint}`];
  }
  return [EXIT.failed, (err as Error).message];
}

/** Says so on stderr when a request takes more than a second (a Temporal start, a slow link). */
function announceSlow(api: Api): Api {
  return async (method, route, body, expected) => {
    const timer = setTimeout(() => process.stderr.write(`rayne: waiting for ${method} ${route} ...\n`), SLOW_MS);
    try {
      return await api(method, route, body, expected);
    } finally {
      clearTimeout(timer);
    }
  };
}

/** The answer: its JSON as it came with --json, else the view for people. */
async function print<T>(s: Session, response: Response, view: (body: T) => string): Promise<T> {
  const text = await response.text();
  let body: T;
  try {
    body = JSON.parse(text) as T;
  } catch {
    throw new Error(`${response.url} answered ${response.status} with something other than JSON; is that a Rayne API?`);
  }
  process.stdout.write(s.json ? `${text.trimEnd()}\n` : `${view(body)}\n`);
  return body;
}

function query(params: Record<string, string | number | undefined>): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined) q.set(k, String(v));
  return q.size ? `?${q}` : '';
}

function readPayload(file: string): unknown {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new InputFileError(
      file,
      code === 'ENOENT' ? 'file not found' : code === 'EISDIR' ? 'is a folder, not a file' : (err as Error).message,
    );
  }
  let payload: unknown;
  try {
    payload = JSON.parse(text);
  } catch (err) {
    throw new InputFileError(file, `not valid JSON: ${(err as Error).message}`);
  }
  if (typeof payload !== 'object' || payload === null || Array.isArray(payload))
    throw new InputFileError(file, 'a webhook payload is a JSON object');
  return payload;
}

interface SendOptions {
  scenario?: string;
  account?: string;
  wait?: boolean;
  timeout?: number;
}

async function send(s: Session, file: string | undefined, opts: SendOptions): Promise<void> {
  const payload = opts.scenario ? alertToSend(loadScenario(opts.scenario)) : readPayload(file!);
  const route = `/v1/webhooks/receive${opts.account ? `/${encodeURIComponent(opts.account)}` : ''}`;
  // The receive route takes the webhook secret, not the API token: a deployment with one wants it here.
  const secret = s.config.RAYNE_WEBHOOK_SECRET;
  const api = secret ? s.withHeaders({ 'x-rayne-token': secret }) : s.api;
  const response = await api('POST', route, payload, [200, 202]);
  if (!opts.wait) return void (await print<Accepted>(s, response, sentView));
  const accepted = (await response.json()) as Accepted;
  if (!s.json) process.stdout.write(`${sentView(accepted)}\n`);
  const timeoutMs = (opts.timeout ?? 600) * 1000;
  const rcaId = await rcaOfEvent(s.api, accepted.event_id, timeoutMs);
  if (!rcaId)
    throw new Error(
      `event ${accepted.event_id} started no RCA (only a new or escalated alert does); see rayne events show ${accepted.event_id}`,
    );
  const rca = await print<RcaDetail>(s, await waitForRca(s.api, rcaId, timeoutMs), describeConclusion);
  if (!s.json) process.stdout.write(`\nRead it in the console: ${s.url}/rca/${rcaPathId(rca.id)}\n`);
  if (rca.status === 'failed') throw new Error(`${rca.id} failed${rca.error ? `: ${rca.error}` : ''}`);
}

/** The RCA the incident workflow started for an event, once it has recorded the transition; undefined when it started none. */
async function rcaOfEvent(api: Api, eventId: string, timeoutMs: number): Promise<string | undefined> {
  const event = await poll(
    `event ${eventId} was not processed`,
    async () => {
      const view = (await (await api('GET', `/v1/webhooks/events/${encodeURIComponent(eventId)}`, undefined, 200)).json()) as EventDetail;
      return view.processing ? view : undefined;
    },
    timeoutMs,
    500,
  );
  const { rcaId, groupId, startRca } = event.processing!;
  if (groupId) return groupRca(api, groupId, timeoutMs);
  return rcaId ?? (startRca ? `rca/${eventId}` : undefined);
}

/** An incident group's first RCA, once its settling wait (RAYNE_GROUP_WAIT_S) has passed and it started. */
async function groupRca(api: Api, groupId: string, timeoutMs: number): Promise<string> {
  const group = await poll(
    `incident group ${groupId} started no RCA`,
    async () => {
      const view = (await (await api('GET', `/v1/groups/${encodeURIComponent(groupId)}`, undefined, 200)).json()) as GroupDetail;
      return view.rca_ids.length > 0 ? view : undefined;
    },
    timeoutMs,
    500,
  );
  return group.rca_ids[0]!;
}

/** Posts a delivery as GitHub does: signed over the exact bytes, with a new delivery id. */
async function sendGithub(s: Session, file: string, event: string): Promise<void> {
  const secret = s.config.GITHUB_WEBHOOK_SECRET;
  if (!secret)
    throw new ConfigError([
      'GITHUB_WEBHOOK_SECRET is not set: set it to the webhook secret the API checks (deliveries are only accepted signed)',
    ]);
  const payload = readPayload(file);
  // The client sends JSON.stringify(payload), so these are the bytes the signature covers.
  const signature = await sign(secret, JSON.stringify(payload));
  const api = s.withHeaders({
    'x-github-event': event,
    'x-github-delivery': crypto.randomUUID(),
    'x-hub-signature-256': signature,
    'user-agent': 'rayne-github-send',
  });
  await print<GithubAccepted>(s, await api('POST', '/v1/webhooks/github/issues', payload, [200, 202]), githubSentView);
}

interface EventFilters {
  status?: string;
  monitorId?: string;
  source?: string;
  account?: string;
  alertStatus?: string;
  since?: string;
  limit?: number;
  cursor?: string;
}

async function listEvents(s: Session, f: EventFilters): Promise<void> {
  const route = `/v1/webhooks/events${query({ status: f.status, monitor_id: f.monitorId, source: f.source, account: f.account, alert_status: f.alertStatus, since: f.since, limit: f.limit, cursor: f.cursor })}`;
  const page = await print<{ events: EventSummary[]; next_cursor: string | null }>(s, await s.api('GET', route, undefined, 200), (p) =>
    eventsTable(p.events),
  );
  if (!s.json && page.next_cursor) process.stderr.write(`more: add --cursor ${page.next_cursor}\n`);
}

async function showEvent(s: Session, id: string): Promise<void> {
  await print<EventDetail>(s, await s.api('GET', `/v1/webhooks/events/${encodeURIComponent(id)}`, undefined, 200), eventView);
}

const retryRoute = (id: string) => `/v1/webhooks/events/${encodeURIComponent(id)}/retry`;

async function retryEvent(s: Session, id: string): Promise<void> {
  await print<Retried>(s, await s.api('POST', retryRoute(id), undefined, 202), retriedView);
}

/** Retries every event in the status, oldest first, each on its own; stops when Temporal is away or refuses the setup. */
async function retryAll(s: Session, status: string): Promise<void> {
  const ids: string[] = [];
  // Listed whole first: each retry moves its event out of the status, which would shift the pages.
  for (let cursor: string | null | undefined; cursor !== null;) {
    const page = (await (await s.api('GET', `/v1/webhooks/events${query({ status, limit: 200, cursor })}`, undefined, 200)).json()) as {
      events: EventSummary[];
      next_cursor: string | null;
    };
    ids.push(...page.events.map((e) => e.id));
    cursor = page.next_cursor;
  }
  const retried: RetryOutcome[] = [];
  for (const id of ids.reverse()) {
    const response = await s.api('POST', retryRoute(id));
    retried.push({ event_id: id, http_status: response.status, answer: (await response.json()) as RetryOutcome['answer'] });
    if (response.status === 502 || response.status === 503) break;
  }
  process.stdout.write(s.json ? `${JSON.stringify({ retried })}\n` : `${retriesTable(retried)}\n`);
  const failed = retried.filter((r) => r.http_status !== 202).length;
  const untried = ids.length - retried.length;
  if (failed === 0) return;
  process.stderr.write(
    `rayne: ${failed} of ${retried.length} retried events did not start` + (untried ? `; ${untried} left untried as they are` : '') + '\n',
  );
  process.exitCode = EXIT.failed;
}

interface RcaFilters {
  status?: string;
  eventId?: string;
  category?: string;
  account?: string;
  limit?: number;
}

async function listRcas(s: Session, f: RcaFilters): Promise<void> {
  const route = `/v1/rca${query({ status: f.status, event_id: f.eventId, category: f.category, account: f.account, limit: f.limit })}`;
  await print<{ rcas: RcaSummary[] }>(s, await s.api('GET', route, undefined, 200), (p) => rcasTable(p.rcas));
}

// The API takes "123" for rca/123, or a full id URL-encoded (rca%2F123%2Frerun-1).
const rcaPath = (id: string) => `/v1/rca/${encodeURIComponent(id)}`;

async function showRca(s: Session, id: string): Promise<void> {
  await print<RcaDetail>(s, await s.api('GET', rcaPath(id), undefined, 200), rcaView);
}

interface GroupFilters {
  status?: string;
  account?: string;
  limit?: number;
}

async function listGroups(s: Session, f: GroupFilters): Promise<void> {
  const route = `/v1/groups${query({ status: f.status, account: f.account, limit: f.limit })}`;
  await print<{ groups: GroupSummary[] }>(s, await s.api('GET', route, undefined, 200), (p) => groupsTable(p.groups));
}

async function showGroup(s: Session, id: string): Promise<void> {
  await print<GroupDetail>(s, await s.api('GET', `/v1/groups/${encodeURIComponent(id)}`, undefined, 200), groupView);
}

interface RerunOptions {
  analyst?: string;
  model?: string;
  wait?: boolean;
  timeout?: number;
}

async function rerun(s: Session, id: string, opts: RerunOptions): Promise<void> {
  // 200: the previous re-run is still starting, and that run is the answer.
  const response = await s.api('POST', `${rcaPath(id)}/rerun`, { analyst: opts.analyst, model: opts.model }, [200, 202]);
  if (!opts.wait) {
    const started = await print<RerunStarted>(s, response, rerunView);
    if (!s.json) process.stderr.write(`follow it with: rayne rca show ${started.rca_id}\n`);
    return;
  }
  const started = (await response.json()) as RerunStarted;
  const finished = await print<RcaDetail>(s, await waitForRca(s.api, started.rca_id, (opts.timeout ?? 600) * 1000), rcaView);
  // Said on stderr too: a report by another analyst than the one asked for is easy to miss in the table.
  const fallback = finished.report?.missing_data.find((m) => m.startsWith('fell back to the offline analyst'));
  if (fallback && !s.json) process.stderr.write(`rayne: ${fallback}\n`);
  if (finished.status === 'failed') throw new Error(`${started.rca_id} failed${finished.error ? `: ${finished.error}` : ''}`);
}

/** Polls the RCA until it completes or fails, printing each phase it enters to stderr; returns the final answer. */
async function waitForRca(api: Api, id: string, timeoutMs: number): Promise<Response> {
  const startedAt = Date.now();
  let shown = '';
  const say = (what: string) => {
    if (what === shown) return;
    shown = what;
    process.stderr.write(`[${((Date.now() - startedAt) / 1000).toFixed(1).padStart(5)}s] ${id}: ${what}\n`);
  };
  say('starting');
  return poll(
    `${id} did not finish (it keeps running; see rayne rca show ${id})`,
    async () => {
      // The run's row appears once its workflow starts; until then the API does not know the id.
      const response = await api('GET', rcaPath(id), undefined, [200, 404]);
      if (response.status === 404) return void (await response.arrayBuffer());
      const view = (await response.clone().json()) as RcaDetail;
      say(
        view.status === 'running'
          ? `${view.live?.phase ?? view.phase}${view.live?.turns ? ` (${view.live.turns} turns)` : ''}`
          : `${view.status} (${view.phase})`,
      );
      if (view.status === 'completed' || view.status === 'failed') return response;
      await response.arrayBuffer();
      return undefined;
    },
    timeoutMs,
    500,
  );
}
