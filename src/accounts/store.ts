import { type Db, inTransaction } from '../db/pool';
import type { SecretBox } from '../secret-box';
import type { GroupRule } from '../groups/rules';

/** An account as the API shows it: keys are never part of it. */
export interface AccountView {
  name: string;
  org_id: string | null;
  base_url: string;
  is_default: boolean;
  api_key_set: boolean;
  app_key_set: boolean;
  /** The Prometheus evidence reads come from, and how Rayne authenticates to it; its secrets are never shown. */
  prometheus: { url: string; auth: PrometheusAuth['kind'] } | null;
  /** How its alerts are grouped beyond a shared host or service (groups/rules.ts). */
  group_rules: GroupRule[];
  created_at: string;
  updated_at: string;
}

export interface AccountCredentials {
  name: string;
  baseUrl: string;
  apiKey: string;
  appKey: string;
}

/** How Rayne authenticates to an account's Prometheus (what Prometheus' own web config or a proxy in front of it asks). */
export type PrometheusAuth = { kind: 'none' } | { kind: 'bearer'; token: string } | { kind: 'basic'; username: string; password: string };

export interface PrometheusSettings {
  url: string;
  auth: PrometheusAuth;
}

export interface AccountInput {
  name: string;
  org_id?: string;
  base_url: string;
  /** Both keys or neither: an account without them reads no Datadog evidence. */
  api_key?: string;
  app_key?: string;
  prometheus?: PrometheusSettings;
  group_rules?: GroupRule[];
  is_default?: boolean;
}

/** Only the fields given change; prometheus null removes it. */
export type AccountPatch = Partial<Omit<AccountInput, 'name' | 'prometheus'>> & { prometheus?: PrometheusSettings | null };

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

  async list(): Promise<AccountView[]> {
    return (await this.db.query(`SELECT ${VIEW_COLUMNS} FROM accounts ORDER BY name`)).rows;
  }

  async get(name: string): Promise<AccountView | undefined> {
    return (await this.db.query(`SELECT ${VIEW_COLUMNS} FROM accounts WHERE name = $1`, [name])).rows[0];
  }

  /** Creates an account; the first account, or one marked default, becomes the default. */
  async create(input: AccountInput): Promise<AccountView> {
    try {
      return await inTransaction(this.db, async (tx) => {
        const {
          rows: [{ count }],
        } = await tx.query('SELECT count(*)::int AS count FROM accounts');
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
        return rows[0];
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
        return rows[0];
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
    const row = rows[0];
    if (!row) return undefined;
    return { name: row.name, baseUrl: row.base_url, apiKey: this.box.decrypt(row.api_key_enc), appKey: this.box.decrypt(row.app_key_enc) };
  }

  /** The account's Prometheus with its auth decrypted, for a worker; never for a response. Undefined when it has none. */
  async prometheus(name: string): Promise<PrometheusSettings | undefined> {
    const { rows } = await this.db.query(
      'SELECT prometheus_url, prometheus_auth, prometheus_auth_enc FROM accounts WHERE name = $1 AND prometheus_url IS NOT NULL',
      [name],
    );
    const row = rows[0];
    if (!row) return undefined;
    const secret = row.prometheus_auth_enc ? JSON.parse(this.box.decrypt(row.prometheus_auth_enc)) : {};
    return { url: row.prometheus_url, auth: { kind: row.prometheus_auth, ...secret } };
  }

  /** Routing for a webhook: the org_id's account, else the default; undefined when neither exists. */
  async routeByOrg(orgId: string | undefined): Promise<string | undefined> {
    const { rows } = await this.db.query(
      `SELECT name FROM accounts WHERE ($1::text IS NOT NULL AND org_id = $1) OR is_default
       ORDER BY (org_id IS NOT DISTINCT FROM $1) DESC LIMIT 1`,
      [orgId ?? null],
    );
    return rows[0]?.name;
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
