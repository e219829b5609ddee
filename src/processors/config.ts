import crypto from 'node:crypto';
import { z } from 'zod';
import { type Db, inTransaction } from '../db/pool';
import type { SecretBox } from '../secret-box';
import { ALERT_STATUSES } from '../contracts/alert';
import type { ProcessorTarget } from '../contracts/incident';

const HttpUrl = z.url({ protocol: /^https?$/, message: 'must be an http(s) URL' });
const Statuses = z.array(z.enum(ALERT_STATUSES)).min(1);
const TimeoutMs = z.number().int().min(100).max(60_000).default(10_000);
const ALL_STATUSES = [...ALERT_STATUSES];

const NotifySettings = z.strictObject({
  enabled: z.boolean().default(true),
  urls: z.array(HttpUrl).max(20).default([]),
  statuses: Statuses.default(ALL_STATUSES),
  timeout_ms: TimeoutMs,
});
const ForwardSettings = NotifySettings.extend({
  signing_secret: z.string().min(16, 'must be at least 16 characters').optional(),
});
const SlackSettings = z.strictObject({
  enabled: z.boolean().default(true),
  webhook_url: HttpUrl.optional(),
  statuses: Statuses.default(ALL_STATUSES),
  timeout_ms: TimeoutMs,
});
const DowntimeSettings = z.strictObject({
  enabled: z.boolean().default(false),
  // The old server's behaviour when enabled: mute a recovered monitor for two hours.
  statuses: Statuses.default(['OK']),
  duration_minutes: z
    .number()
    .int()
    .min(1)
    .max(7 * 24 * 60)
    .default(120),
  /** A Datadog scope such as "*" or "env:prod"; ignored when use_alert_scope is set. */
  scope: z.string().min(1).default('*'),
  use_alert_scope: z.boolean().default(false),
  timeout_ms: TimeoutMs,
});
const Tier1Settings = z.strictObject({
  /** state_changes skips tier-1 for a repeat of the current status while the incident is open. */
  run_on: z.enum(['every_transition', 'state_changes']).default('every_transition'),
});
const FlappingSettings = z.strictObject({
  transitions: z.number().int().min(2).max(1000).default(6),
  window_minutes: z
    .number()
    .int()
    .min(1)
    .max(24 * 60)
    .default(30),
});

// Credentials in a URL end up in error text (Node's fetch quotes the URL it refuses), so a new one
// must not carry any. Only new input is held to it: a stored setting from before still loads.
const NoCredentials = HttpUrl.refine((url) => !/^[a-z][a-z0-9+.-]*:\/\/[^/?#]*@/i.test(url), {
  message: 'must not carry credentials (user:password@); forward signs with signing_secret, and a token belongs in the path',
});

/** What POST /v1/webhooks/config accepts: any subset of sections; a section given replaces the stored one. */
export const ProcessorConfigInput = z.strictObject({
  account: z.string().min(1).optional(),
  notify: NotifySettings.extend({ urls: z.array(NoCredentials).max(20).default([]) }).optional(),
  forward: ForwardSettings.extend({ urls: z.array(NoCredentials).max(20).default([]) }).optional(),
  slack: SlackSettings.extend({ webhook_url: NoCredentials.optional() }).optional(),
  downtime: DowntimeSettings.optional(),
  tier1: Tier1Settings.optional(),
  flapping: FlappingSettings.optional(),
});
export type ProcessorConfigInput = z.input<typeof ProcessorConfigInput>;

const StoredConfig = z.object({
  notify: NotifySettings.default(NotifySettings.parse({})),
  forward: ForwardSettings.default(ForwardSettings.parse({})),
  slack: SlackSettings.default(SlackSettings.parse({})),
  downtime: DowntimeSettings.default(DowntimeSettings.parse({})),
  tier1: Tier1Settings.default(Tier1Settings.parse({})),
  flapping: FlappingSettings.default(FlappingSettings.parse({})),
});
/** An account's full processor settings, secrets included: for workers only. */
export type ProcessorConfig = z.output<typeof StoredConfig>;

export const defaultProcessorConfig = (): ProcessorConfig => StoredConfig.parse({});

export const targetId = (url: string) => crypto.createHash('sha256').update(url).digest('hex').slice(0, 16);

/** A URL without credentials, query or fragment: enough to recognise it, nothing to abuse. */
export function redactUrl(url: string): string {
  const u = new URL(url);
  return `${u.protocol}//${u.host}${u.pathname}${u.search ? '?…' : ''}`;
}

const URL_IN_TEXT = /\b[a-z][a-z0-9+.-]*:\/\/[^\s"'<>]+/gi;

/**
 * Text with every URL in it redacted: an error from fetch or a webhook client quotes the URL it
 * was given, credentials and tokens included, and such text is stored, logged and kept in history.
 */
export function withoutUrlSecrets(text: string): string {
  return text.replace(URL_IN_TEXT, (url) => {
    try {
      return redactUrl(url);
    } catch {
      return '[url]';
    }
  });
}

/** The targets an account's settings enable, in a stable order. */
export function enabledTargets(config: ProcessorConfig): ProcessorTarget[] {
  const urlTargets = (processor: 'notify' | 'forward') => {
    const s = config[processor];
    return s.enabled
      ? s.urls.map((url) => ({ processor, target: targetId(url), label: redactUrl(url), statuses: s.statuses, timeoutMs: s.timeout_ms }))
      : [];
  };
  const { slack, downtime } = config;
  return [
    ...urlTargets('notify'),
    ...urlTargets('forward'),
    ...(slack.enabled && slack.webhook_url
      ? [
          {
            processor: 'slack' as const,
            target: 'slack',
            label: 'Slack incoming webhook',
            statuses: slack.statuses,
            timeoutMs: slack.timeout_ms,
          },
        ]
      : []),
    ...(downtime.enabled
      ? [
          {
            processor: 'downtime' as const,
            target: 'datadog',
            label: 'Datadog downtime',
            statuses: downtime.statuses,
            timeoutMs: downtime.timeout_ms,
          },
        ]
      : []),
  ];
}

/** The settings as the API shows them: URLs redacted, secrets replaced by whether they are set. */
export function viewProcessorConfig(config: ProcessorConfig) {
  return {
    ...config,
    notify: { ...config.notify, urls: config.notify.urls.map(redactUrl) },
    forward: {
      ...config.forward,
      urls: config.forward.urls.map(redactUrl),
      signing_secret: undefined,
      signing_secret_set: !!config.forward.signing_secret,
    },
    slack: { ...config.slack, webhook_url: undefined, webhook_url_set: !!config.slack.webhook_url },
  };
}

/** Merges an update into stored settings: given sections replace, a section that omits its secret keeps the stored one. */
export function mergeProcessorConfig(current: ProcessorConfig, update: z.output<typeof ProcessorConfigInput>): ProcessorConfig {
  const { account: _account, ...sections } = update;
  const next = { ...current, ...Object.fromEntries(Object.entries(sections).filter(([, v]) => v !== undefined)) } as ProcessorConfig;
  if (update.forward && update.forward.signing_secret === undefined) next.forward.signing_secret = current.forward.signing_secret;
  if (update.slack && update.slack.webhook_url === undefined) next.slack.webhook_url = current.slack.webhook_url;
  return next;
}

/** Processor settings per account in Postgres, sealed with the SecretBox. */
export class ProcessorConfigStore {
  constructor(
    private readonly db: Db,
    private readonly box: SecretBox,
  ) {}

  /** The account's settings; defaults (nothing enabled but the flapping and tier-1 rules) when never saved. */
  async get(account: string, q: Pick<Db, 'query'> = this.db): Promise<ProcessorConfig> {
    const { rows } = await q.query<{ config_enc: string }>('SELECT config_enc FROM processor_configs WHERE account = $1', [account]);
    return rows[0] ? StoredConfig.parse(JSON.parse(this.box.decrypt(rows[0].config_enc))) : defaultProcessorConfig();
  }

  /** Merges and stores an update; concurrent saves for one account apply one after the other. */
  async save(account: string, update: z.output<typeof ProcessorConfigInput>): Promise<ProcessorConfig> {
    return inTransaction(this.db, async (tx) => {
      await tx.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`rayne:processor-config:${account}`]);
      const next = mergeProcessorConfig(await this.get(account, tx), update);
      await tx.query(
        `INSERT INTO processor_configs (account, config_enc) VALUES ($1, $2)
         ON CONFLICT (account) DO UPDATE SET config_enc = excluded.config_enc, updated_at = now()`,
        [account, this.box.encrypt(JSON.stringify(next))],
      );
      return next;
    });
  }
}
