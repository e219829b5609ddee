import { z } from 'zod';
import { type Db, inTransaction } from '../db/pool';
import { jsonColumn, parseRow, parseRows } from '../db/rows';
import type { SecretBox } from '../secret-box';
import type { GroupRule } from '../groups/rules';

const AuthKind = z.enum(['none', 'bearer', 'basic']);
const NoAuth = z.object({ kind: z.literal('none') });
const BearerAuth = z.object({ kind: z.literal('bearer'), token: z.string() });
const BasicAuth = z.object({ kind: z.literal('basic'), username: z.string(), password: z.string() });
const PrometheusAuth = z.discriminatedUnion('kind', [NoAuth, BearerAuth, BasicAuth]);
const WebhookAuth = z.discriminatedUnion('kind', [BearerAuth, BasicAuth]);

/** An account as the API shows it (VIEW_COLUMNS): keys are never part of it. */
const AccountView = z.object({
  name: z.string(),
  org_id: z.string().nullable(),
  base_url: z.string(),
  is_default: z.boolean(),
  api_key_set: z.boolean(),
  app_key_set: z.boolean(),
  /** The Prometheus evidence reads come from, and how Rayne authenticates to it; its secrets are never shown. */
  prometheus: z.object({ url: z.string(), auth: AuthKind }).nullable(),
  /** How its own Alertmanager or Grafana deliveries authenticate ('none': RAYNE_WEBHOOK_SECRET applies); never the secret. */
  webhook_auth: AuthKind,
  /** Whether its PagerDuty deliveries are verified with its own signing secret, not PAGERDUTY_WEBHOOK_SECRET. */
  pagerduty_signing_secret_set: z.boolean(),
  /** How its alerts are grouped beyond a shared host or service (groups/rules.ts, checked when written). */
  group_rules: jsonColumn<GroupRule[]>(),
  created_at: z.date(),
  updated_at: z.date(),
});
export type AccountView = z.infer<typeof AccountView>;

const CredentialColumns = z.object({ name: z.string(), base_url: z.string(), api_key_enc: z.string(), app_key_enc: z.string() });
const PrometheusColumns = z.object({ prometheus_url: z.string(), prometheus_auth: AuthKind, prometheus_auth_enc: z.string().nullable() });
const WebhookSecretColumns = z.object({ webhook_auth_enc: z.string().nullable(), pagerduty_secret_enc: z.string().nullable() });

/** An account row read as its schema says; undefined when there is none. */
const accountRow = <S extends z.ZodType>(schema: S, rows: readonly unknown[]): z.output<S> | undefined =>
  rows[0] === undefined ? undefined : parseRow('accounts', schema, rows[0]);

export interface AccountCredentials {
  name: string;
  baseUrl: string;
  apiKey: string;
  appKey: string;
}

/** How Rayne authenticates to an account's Prometheus (what Prometheus' own web config or a proxy in front of it asks). */
export type PrometheusAuth = z.infer<typeof PrometheusAuth>;

export interface PrometheusSettings {
  url: string;
  auth: PrometheusAuth;
}

/** How an account's own Alertmanager or Grafana authenticates its deliveries (its http_config). */
export type WebhookAuth = z.infer<typeof WebhookAuth>;

/** An account's own webhook secrets, decrypted for the intake; absent ones fall back to the global settings. */
export interface WebhookSecrets {
  webhook?: WebhookAuth;
  pagerduty?: string;
}

export interface AccountInput {
  name: string;
  org_id?: string;
  base_url: string;
  /** Both keys or neither: an account without them reads no Datadog evidence. */
  api_key?: string;
  app_key?: string;
  prometheus?: PrometheusSettings;
  webhook_auth?: WebhookAuth;
  pagerduty_signing_secret?: string;
  group_rules?: GroupRule[];
  is_default?: boolean;
}

/** Only the fields given change; prometheus, webhook_auth or pagerduty_signing_secret null removes it. */
export type AccountPatch = Partial<Omit<AccountInput, 'name' | 'prometheus' | 'webhook_auth' | 'pagerduty_signing_secret'>> & {
  prometheus?: PrometheusSettings | null;
  webhook_auth?: WebhookAuth | null;
  pagerduty_signing_secret?: string | null;
};

/** Thrown when an account name is already taken (or an org id already claimed). */
export class AccountConflictError extends Error {
  constructor(readonly field: string) {
    super(`an account with this ${field} already exists`);
    this.name = 'AccountConflictError';
  }
}

const VIEW_COLUMNS = `name, org_id, base_url, is_default, api_key_enc <> '' AS api_key_set,
  app_key_enc <> '' AS app_key_set,
  CASE WHEN prometheus_url IS NULL THEN NULL ELSE json_build_object('url', prometheus_url, 'auth', prometheus_auth) END AS prometheus,
  webhook_auth, pagerduty_secret_enc IS NOT NULL AS pagerduty_signing_secret_set,
  group_rules, created_at, updated_at`;

function conflictField(err: unknown): string | undefined {
  const e = err as { code?: string; constraint?: string };
  if (e.code !== '23505') return undefined;
  return e.constraint?.includes('org_id') ? 'org_id' : 'name';
}

/** Accounts in Postgres (Datadog keys, Prometheus settings), secrets sealed with the SecretBox. */
export class AccountStore {
  constructor(
    private readonly db: Db,
    private readonly box: SecretBox,
  ) {}

  /** A sealed JSON secret (an auth setting), opened; its shape is checked by the caller's schema. */
  private unseal(sealed: string): object {
    return parseRow('accounts', z.object({}).loose(), JSON.parse(this.box.decrypt(sealed)));
  }

  // No Datadog keys are stored as '', which api_key_set reads as unset.
  private sealKey(key: string | undefined): string {
    return key ? this.box.encrypt(key) : '';
  }

  /** The Prometheus columns (url, auth kind, sealed auth) for a setting, all null-ish when it is removed. */
  private prometheusColumns(p: PrometheusSettings | null | undefined): [string | null, PrometheusAuth['kind'], string | null] {
    if (!p) return [null, 'none', null];
    const { kind, ...secret } = p.auth;
    return [p.url, kind, kind === 'none' ? null : this.box.encrypt(JSON.stringify(secret))];
  }

  /** Seals and writes the webhook secrets the input gives (null removes one); the account as it now is, or undefined when none was given. */
  private async writeWebhookSecrets(
    tx: Pick<Db, 'query'>,
    name: string,
    input: Pick<AccountPatch, 'webhook_auth' | 'pagerduty_signing_secret'>,
  ): Promise<AccountView | undefined> {
    if (input.webhook_auth === undefined && input.pagerduty_signing_secret === undefined) return undefined;
    const auth = input.webhook_auth;
    const { rows } = await tx.query(
      `UPDATE accounts SET
         webhook_auth = CASE WHEN $2::boolean THEN $3 ELSE webhook_auth END,
         webhook_auth_enc = CASE WHEN $2::boolean THEN $4 ELSE webhook_auth_enc END,
         pagerduty_secret_enc = CASE WHEN $5::boolean THEN $6 ELSE pagerduty_secret_enc END
       WHERE name = $1 RETURNING ${VIEW_COLUMNS}`,
      [
        name,
        auth !== undefined,
        auth ? auth.kind : 'none',
        auth ? this.box.encrypt(JSON.stringify(auth)) : null,
        input.pagerduty_signing_secret !== undefined,
        input.pagerduty_signing_secret ? this.box.encrypt(input.pagerduty_signing_secret) : null,
      ],
    );
    return accountRow(AccountView, rows);
  }

  async list(): Promise<AccountView[]> {
    return parseRows('accounts', AccountView, (await this.db.query(`SELECT ${VIEW_COLUMNS} FROM accounts ORDER BY name`)).rows);
  }

  async get(name: string): Promise<AccountView | undefined> {
    return accountRow(AccountView, (await this.db.query(`SELECT ${VIEW_COLUMNS} FROM accounts WHERE name = $1`, [name])).rows);
  }

  /** Creates an account; the first account, or one marked default, becomes the default. */
  async create(input: AccountInput): Promise<AccountView> {
    try {
      return await inTransaction(this.db, async (tx) => {
        const { rows: counted } = await tx.query('SELECT count(*)::int AS count FROM accounts');
        const { count } = parseRow('accounts', z.object({ count: z.number().int() }), counted[0]);
        const makeDefault = input.is_default === true || count === 0;
        if (makeDefault) await tx.query('UPDATE accounts SET is_default = false WHERE is_default');
        const { rows } = await tx.query(
          `INSERT INTO accounts (name, org_id, base_url, api_key_enc, app_key_enc, is_default,
                                 prometheus_url, prometheus_auth, prometheus_auth_enc, group_rules)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING ${VIEW_COLUMNS}`,
          [
            input.name,
            input.org_id ?? null,
            input.base_url,
            this.sealKey(input.api_key),
            this.sealKey(input.app_key),
            makeDefault,
            ...this.prometheusColumns(input.prometheus),
            JSON.stringify(input.group_rules ?? []),
          ],
        );
        return (await this.writeWebhookSecrets(tx, input.name, input)) ?? parseRow('accounts', AccountView, rows[0]);
      });
    } catch (err) {
      const field = conflictField(err);
      throw field ? new AccountConflictError(field) : err;
    }
  }

  async update(name: string, patch: AccountPatch): Promise<AccountView | undefined> {
    try {
      return await inTransaction(this.db, async (tx) => {
        // A name that does not exist changes nothing: clearing the default first would leave alerts with none.
        const exists = await tx.query('SELECT 1 FROM accounts WHERE name = $1 FOR UPDATE', [name]);
        if (exists.rowCount === 0) return undefined;
        if (patch.is_default) await tx.query('UPDATE accounts SET is_default = false WHERE is_default AND name <> $1', [name]);
        const { rows } = await tx.query(
          `UPDATE accounts SET
             org_id = CASE WHEN $2::boolean THEN $3 ELSE org_id END,
             base_url = coalesce($4, base_url),
             api_key_enc = coalesce($5, api_key_enc),
             app_key_enc = coalesce($6, app_key_enc),
             is_default = coalesce($7, is_default),
             prometheus_url = CASE WHEN $8::boolean THEN $9 ELSE prometheus_url END,
             prometheus_auth = CASE WHEN $8::boolean THEN $10 ELSE prometheus_auth END,
             prometheus_auth_enc = CASE WHEN $8::boolean THEN $11 ELSE prometheus_auth_enc END,
             group_rules = coalesce($12::jsonb, group_rules),
             updated_at = now()
           WHERE name = $1 RETURNING ${VIEW_COLUMNS}`,
          [
            name,
            'org_id' in patch,
            patch.org_id ?? null,
            patch.base_url ?? null,
            patch.api_key ? this.box.encrypt(patch.api_key) : null,
            patch.app_key ? this.box.encrypt(patch.app_key) : null,
            patch.is_default ?? null,
            'prometheus' in patch,
            ...this.prometheusColumns(patch.prometheus),
            patch.group_rules ? JSON.stringify(patch.group_rules) : null,
          ],
        );
        return (await this.writeWebhookSecrets(tx, name, patch)) ?? accountRow(AccountView, rows);
      });
    } catch (err) {
      const field = conflictField(err);
      throw field ? new AccountConflictError(field) : err;
    }
  }

  async remove(name: string): Promise<boolean> {
    return ((await this.db.query('DELETE FROM accounts WHERE name = $1', [name])).rowCount ?? 0) > 0;
  }

  async setDefault(name: string): Promise<AccountView | undefined> {
    return this.update(name, { is_default: true });
  }

  /** Decrypted Datadog keys for a worker or a key test; never for a response. Undefined when the account has none. */
  async credentials(name: string): Promise<AccountCredentials | undefined> {
    const { rows } = await this.db.query(
      `SELECT name, base_url, api_key_enc, app_key_enc FROM accounts WHERE name = $1 AND api_key_enc <> '' AND app_key_enc <> ''`,
      [name],
    );
    const row = accountRow(CredentialColumns, rows);
    if (!row) return undefined;
    return { name: row.name, baseUrl: row.base_url, apiKey: this.box.decrypt(row.api_key_enc), appKey: this.box.decrypt(row.app_key_enc) };
  }

  /** The account's Prometheus with its auth decrypted, for a worker; never for a response. Undefined when it has none. */
  async prometheus(name: string): Promise<PrometheusSettings | undefined> {
    const { rows } = await this.db.query(
      'SELECT prometheus_url, prometheus_auth, prometheus_auth_enc FROM accounts WHERE name = $1 AND prometheus_url IS NOT NULL',
      [name],
    );
    const row = accountRow(PrometheusColumns, rows);
    if (!row) return undefined;
    const secret = row.prometheus_auth_enc ? this.unseal(row.prometheus_auth_enc) : {};
    return { url: row.prometheus_url, auth: parseRow('accounts', PrometheusAuth, { kind: row.prometheus_auth, ...secret }) };
  }

  /** The account's own webhook secrets, decrypted for the intake; never for a response. Undefined when there is no such account. */
  async webhookSecrets(name: string): Promise<WebhookSecrets | undefined> {
    const { rows } = await this.db.query('SELECT webhook_auth_enc, pagerduty_secret_enc FROM accounts WHERE name = $1', [name]);
    const row = accountRow(WebhookSecretColumns, rows);
    if (!row) return undefined;
    return {
      ...(row.webhook_auth_enc ? { webhook: parseRow('accounts', WebhookAuth, this.unseal(row.webhook_auth_enc)) } : {}),
      ...(row.pagerduty_secret_enc ? { pagerduty: this.box.decrypt(row.pagerduty_secret_enc) } : {}),
    };
  }

  /** Routing for a webhook: the org_id's account, else the default; undefined when neither exists. */
  async routeByOrg(orgId: string | undefined): Promise<string | undefined> {
    const { rows } = await this.db.query(
      `SELECT name FROM accounts WHERE ($1::text IS NOT NULL AND org_id = $1) OR is_default
       ORDER BY (org_id IS NOT DISTINCT FROM $1) DESC LIMIT 1`,
      [orgId ?? null],
    );
    return accountRow(z.object({ name: z.string() }), rows)?.name;
  }

  /** At first start, DD_API_KEY/DD_APP_KEY become the default account when no account exists. */
  async ensureDefaultFromEnv(apiKey: string | undefined, appKey: string | undefined, baseUrl: string): Promise<boolean> {
    if (!apiKey || !appKey) return false;
    return inTransaction(this.db, async (tx) => {
      // Replicas starting together must create it once.
      await tx.query('SELECT pg_advisory_xact_lock(hashtext($1))', ['rayne:default-account']);
      const { rows } = await tx.query('SELECT 1 FROM accounts LIMIT 1');
      if (rows.length > 0) return false;
      await tx.query(`INSERT INTO accounts (name, base_url, api_key_enc, app_key_enc, is_default) VALUES ('default', $1, $2, $3, true)`, [
        baseUrl,
        this.box.encrypt(apiKey),
        this.box.encrypt(appKey),
      ]);
      return true;
    });
  }
}
