import { isIP } from 'node:net';
import path from 'node:path';
import { z } from 'zod';
import type { GroupSettings } from './contracts/group';
import { StartupError } from './errors';

const port = z.coerce.number().int().min(1).max(65535);
const httpUrl = z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' });
const optionalText = z
  .string()
  .optional()
  .transform((v) => (v === undefined || v.trim() === '' ? undefined : v));
/** A yes/no setting: true/1/yes or false/0/no in any case; unset or empty takes the fallback. */
const flag = (fallback: boolean) =>
  optionalText
    .pipe(z.stringbool({ truthy: ['true', '1', 'yes'], falsy: ['false', '0', 'no'], case: 'insensitive' }).optional())
    .transform((v) => v ?? fallback);

/** An address or a CIDR range (`10.0.0.0/8`, `fd00::/8`, `127.0.0.1`), parsed for node:net's BlockList. */
export interface AddressRange {
  network: string;
  prefix: number;
  family: 'ipv4' | 'ipv6';
}
const addressRange = z.string().transform((value, ctx): AddressRange => {
  const [network = '', prefixText] = value.split('/');
  const version = isIP(network);
  const bits = version === 4 ? 32 : 128;
  const prefix = prefixText === undefined ? bits : /^\d+$/.test(prefixText) ? Number(prefixText) : NaN;
  if (version === 0 || !(prefix >= 0 && prefix <= bits)) {
    ctx.addIssue({ code: 'custom', message: `${value} is not an IP address or a CIDR range` });
    return z.NEVER;
  }
  return { network, prefix, family: version === 4 ? 'ipv4' : 'ipv6' };
});
/** A comma-separated list; blanks are dropped. */
const list = z
  .string()
  .default('')
  .transform((v) =>
    v
      .split(',')
      .map((item) => item.trim())
      .filter(Boolean),
  );

const EnvSchema = z.object({
  PORT: port.default(8080),
  HOST: z.string().default('0.0.0.0'),
  RAYNE_HOME: z.string().default('.rayne'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),

  DATABASE_URL: optionalText.pipe(z.string().url().optional()),
  DB_HOST: optionalText,
  DB_PORT: port.default(5432),
  DB_USER: optionalText,
  DB_PASSWORD: optionalText,
  DB_NAME: optionalText,
  RAYNE_PG_PORT: port.default(5433),

  TEMPORAL_ADDRESS: optionalText,
  TEMPORAL_NAMESPACE: z.string().min(1).default('default'),
  TEMPORAL_TASK_QUEUE: z.string().min(1).default('rayne'),
  /** Model turns and tool calls of RCAs and triage run on this task queue (workers: `rayne worker --queue llm`); unset: the main one. */
  TEMPORAL_LLM_TASK_QUEUE: optionalText,
  /** Model activities one LLM worker runs at once: bounds spend and rate-limit pressure. */
  RAYNE_LLM_CONCURRENCY: z.coerce.number().int().min(1).max(200).default(4),
  TEMPORAL_CLI_PATH: optionalText,
  RAYNE_TEMPORAL_PORT: port.default(7233),
  RAYNE_TEMPORAL_UI_PORT: port.default(8233),

  /** Where people reach this API; links in Slack and notifications point here. */
  RAYNE_PUBLIC_URL: optionalText.pipe(z.string().url().optional()),
  /** A running API for the CLI's send, events and rca commands and `rayne eval` (the CLI's default: http://localhost:8080). */
  RAYNE_URL: optionalText.pipe(httpUrl.optional()),
  /** The Temporal Web UI for run links; `rayne dev` knows its own. */
  TEMPORAL_UI_URL: optionalText.pipe(z.string().url().optional()),
  RAYNE_API_TOKEN: optionalText,
  RAYNE_WEBHOOK_SECRET: optionalText,
  /** The TLS-terminating proxies (addresses or CIDR ranges) whose X-Forwarded-For and X-Forwarded-Proto the API believes. */
  RAYNE_TRUSTED_PROXY: list.pipe(z.array(addressRange)),
  /** Hosts besides Datadog's sites that an account's base_url may name (comma-separated), over http or https. */
  RAYNE_DATADOG_ALLOWED_HOSTS: list.transform((hosts) => hosts.map((h) => h.toLowerCase())),
  /** An account's base_url may name loopback and private addresses: the dev sandbox and tests' simulators, never a shared deployment. */
  RAYNE_DATADOG_ALLOW_PRIVATE_ADDRESSES: flag(false),
  RAYNE_ENCRYPTION_KEY: optionalText,
  RAYNE_RECONCILE_INTERVAL_MS: z.coerce.number().int().min(100).default(5000),
  /** How often the API checks Postgres and Temporal in the background; /ready answers from the last checks. */
  RAYNE_READY_INTERVAL_MS: z.coerce.number().int().min(100).default(1000),
  /** Failed workflow starts (while Temporal answers) after which the reconciler moves an event to dead_letter. */
  RAYNE_START_MAX_ATTEMPTS: z.coerce.number().int().min(1).default(10),
  RAYNE_TEMPORAL_TIMEOUT_MS: z.coerce.number().int().min(100).default(5000),
  /** The API's bound on one wait for Postgres: a connection, one statement. */
  RAYNE_DB_TIMEOUT_MS: z.coerce.number().int().min(100).default(5000),
  /** An API request still unanswered after this gets 503 with Retry-After (408 when its body is still arriving). */
  RAYNE_REQUEST_TIMEOUT_MS: z.coerce.number().int().min(100).default(20_000),
  /** Slow clients: the request headers, and the whole request (headers and body), must arrive within these. */
  RAYNE_HTTP_HEADERS_TIMEOUT_MS: z.coerce.number().int().min(100).default(10_000),
  RAYNE_HTTP_REQUEST_TIMEOUT_MS: z.coerce.number().int().min(100).default(30_000),
  /** A kept-alive connection with no request for this long is closed. */
  RAYNE_HTTP_IDLE_TIMEOUT_MS: z.coerce.number().int().min(100).default(5_000),

  DD_API_KEY: optionalText,
  DD_APP_KEY: optionalText,
  // The old server's default site; kept so an upgrade does not silently change where keys go.
  DD_API_URL: z.string().url().default('https://api.ddog-gov.com'),
  /** Upper bound of an RCA's evidence bundle, in estimated tokens. */
  RAYNE_EVIDENCE_TOKENS: z.coerce.number().int().min(1000).max(200_000).default(12_000),
  /** Similar past incidents: at most this many, and none scoring below the threshold (cosine, -1 to 1). */
  RAYNE_SIMILAR_LIMIT: z.coerce.number().int().min(1).max(50).default(5),
  RAYNE_SIMILAR_MIN_SCORE: z.coerce.number().min(-1).max(1).default(0.25),
  /**
   * Incident groups: linked alerts of one account (a shared host or service, connected services,
   * the same change, a dependency their texts name) join one group, investigated
   * by one RCA that starts this long after the group's first alert; 0 starts one RCA per alert.
   */
  RAYNE_GROUP_WAIT_S: z.coerce.number().int().min(0).max(3600).default(30),
  /** Past this age or size a group takes no new alert; the next one starts a new group. */
  RAYNE_GROUP_LIFETIME_S: z.coerce.number().int().min(60).default(86_400),
  RAYNE_GROUP_MAX_MEMBERS: z.coerce.number().int().min(1).max(5000).default(500),
  /** A later alert that brings a new service or host re-analyses its group at most once per interval, up to the cap. */
  RAYNE_GROUP_REANALYSIS_INTERVAL_S: z.coerce.number().int().min(0).default(300),
  RAYNE_GROUP_MAX_RCAS: z.coerce.number().int().min(1).max(20).default(3),
  /** An account's APM service map, which joins alerts of connected services, is read at most once per this many seconds. */
  RAYNE_GROUP_SERVICE_MAP_TTL_S: z.coerce.number().int().min(1).max(3600).default(300),
  /** Who writes RCA reports: auto is Claude when ANTHROPIC_API_KEY is set, else the offline analyst. */
  RAYNE_ANALYST: z.enum(['auto', 'claude', 'ollama', 'offline']).default('auto'),
  ANTHROPIC_API_KEY: optionalText,
  /** Another Messages API endpoint (a proxy, a gateway, a simulator in tests); unset: Anthropic's. */
  ANTHROPIC_BASE_URL: optionalText.pipe(httpUrl.optional()),
  // claude-sonnet-4-5 is deprecated in the installed SDK (end of life 2026-11-30).
  ANTHROPIC_MODEL: z.string().min(1).default('claude-sonnet-4-6'),
  /** Model turns per RCA; the last one may only submit the report. */
  RAYNE_LLM_MAX_TURNS: z.coerce.number().int().min(1).max(50).default(8),
  /** Tokens (input, cached and output, summed over turns) one RCA may spend before the report is forced. */
  RAYNE_LLM_TOKEN_BUDGET: z.coerce.number().int().min(10_000).default(200_000),
  /** Set: similar incidents live in Qdrant; unset: in Postgres (rca_vectors). */
  QDRANT_URL: optionalText.pipe(httpUrl.optional()),
  QDRANT_API_KEY: optionalText,
  QDRANT_COLLECTION: z.string().min(1).default('rayne_rcas'),
  /** Set: embeddings come from Ollama; unset: from the built-in hashing embedder. */
  OLLAMA_URL: optionalText.pipe(httpUrl.optional()),
  OLLAMA_EMBED_MODEL: z.string().min(1).default('nomic-embed-text'),
  /** The Ollama analyst's chat model (RAYNE_ANALYST=ollama); it must support tool calls. */
  OLLAMA_CHAT_MODEL: z.string().min(1).default('llama3.1'),
  /** GitHub issue webhooks are refused (503) until this is set: unsigned deliveries are never accepted. */
  GITHUB_WEBHOOK_SECRET: optionalText,
  /** The PagerDuty V3 webhook subscription's signing secret; unset, PagerDuty deliveries get 503. */
  PAGERDUTY_WEBHOOK_SECRET: optionalText,
  /** Posts the triage comment; unset, triage runs and its comment is recorded as not posted. */
  GH_TOKEN: optionalText,
  /** GitHub's REST API; GitHub Enterprise Server is https://HOST/api/v3. */
  GITHUB_API_URL: z.string().url().default('https://api.github.com'),
  /** Adding this label to an issue asks for a (new) triage, besides opening and reopening it. */
  RAYNE_GITHUB_TRIGGER_LABEL: z.string().min(1).default('rayne'),
  /** Add the suggested labels that already exist in the repository. */
  RAYNE_GITHUB_APPLY_LABELS: flag(false),
  /** Close an issue as a duplicate of an earlier one, when Rayne found that issue and its confidence reaches the bar. */
  RAYNE_GITHUB_CLOSE_DUPLICATES: flag(false),
  RAYNE_GITHUB_DUPLICATE_CONFIDENCE: z.coerce.number().min(0).max(1).default(0.9),

  /** Observability. Tracing loads dd-trace only when true (default off); dd-trace reads the other DD_* itself. */
  DD_TRACE_ENABLED: flag(false),
  DD_SERVICE: optionalText,
  DD_ENV: optionalText,
  DD_VERSION: optionalText,
  DD_TRACE_AGENT_URL: optionalText.pipe(z.url({ protocol: /^(https?|unix)$/, error: 'must be an http(s):// or unix:// URL' }).optional()),
  DD_AGENT_HOST: optionalText,
  /** `rayne worker` serves GET /metrics here (prom-client and Temporal's temporal_* series); 0 picks a free port. */
  RAYNE_WORKER_METRICS_PORT: z.coerce.number().int().min(0).max(65535).default(9464),
  CLAUDE_AGENT_URL: optionalText,
});

export type Config = z.infer<typeof EnvSchema> & {
  /** Absolute path of RAYNE_HOME. */
  home: string;
  /** Postgres URL from DATABASE_URL or DB_*; undefined means "start the embedded one". */
  databaseUrl?: string;
};

/** Thrown when the environment has a bad value; the message names every bad variable. */
export class ConfigError extends StartupError {
  constructor(readonly problems: string[]) {
    super(`invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
  }
}

function databaseUrlFrom(env: z.infer<typeof EnvSchema>): string | undefined {
  if (env.DATABASE_URL) return env.DATABASE_URL;
  if (!env.DB_HOST) return undefined;
  const url = new URL('postgres://localhost');
  url.hostname = env.DB_HOST;
  url.port = String(env.DB_PORT);
  url.username = env.DB_USER ?? 'postgres';
  url.password = env.DB_PASSWORD ?? '';
  url.pathname = `/${env.DB_NAME ?? 'rayne'}`;
  return url.toString();
}

/** Parses the environment once. Throws ConfigError naming each bad variable. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const parsed = EnvSchema.safeParse(env);
  if (!parsed.success) {
    throw new ConfigError(parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`));
  }
  const values = parsed.data;
  if (values.RAYNE_HTTP_HEADERS_TIMEOUT_MS > values.RAYNE_HTTP_REQUEST_TIMEOUT_MS) {
    throw new ConfigError([
      'RAYNE_HTTP_HEADERS_TIMEOUT_MS: must not exceed RAYNE_HTTP_REQUEST_TIMEOUT_MS (the headers are part of the request)',
    ]);
  }
  return { ...values, home: path.resolve(values.RAYNE_HOME), databaseUrl: databaseUrlFrom(values) };
}

/** The incident-group settings incident workflows start with (RAYNE_GROUP_*). */
export function groupSettingsOf(config: Config): GroupSettings {
  return {
    waitS: config.RAYNE_GROUP_WAIT_S,
    lifetimeS: config.RAYNE_GROUP_LIFETIME_S,
    maxMembers: config.RAYNE_GROUP_MAX_MEMBERS,
    reanalysisIntervalS: config.RAYNE_GROUP_REANALYSIS_INTERVAL_S,
    maxRcas: config.RAYNE_GROUP_MAX_RCAS,
  };
}

/** Obsolete settings that still appear in old deployments, with what replaced them. */
export function obsoleteSettings(config: Config): string[] {
  return config.CLAUDE_AGENT_URL ? ['CLAUDE_AGENT_URL is obsolete: analysis runs inside Rayne workers, no sidecar is called'] : [];
}

/** Every environment variable the config schema reads; deployment files are checked against it. */
export const CONFIG_VARIABLES: readonly string[] = Object.keys(EnvSchema.shape);
