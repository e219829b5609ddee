import fs from 'node:fs';
import path from 'node:path';
import type { Api } from '../api-client';
import type { Config } from '../config';
import { createPool } from '../db/pool';
import { freePort } from '../dev/free-port';
import { createSimilarityProviders } from '../similarity/providers';
import type { Scenario } from './scenario';

/** Helpers for commands that run a stack of their own (`rayne demo`, `rayne eval`); they drive it through ../api-client. */

/** The package's root, from src/ (tests) or dist/src/ (built) alike. */
function packageRoot(dir = __dirname): string {
  return fs.existsSync(path.join(dir, 'package.json')) ? dir : packageRoot(path.dirname(dir));
}

export const DEFAULT_SCENARIO = path.join(packageRoot(), 'scenarios', 'storefront-web-host-cpu.json');

/**
 * Config for a stack of its own (RAYNE_HOME/<name>): a separate home and free ports unless the
 * user chose them, and accounts allowed on loopback, where its Datadog sandbox listens.
 */
export async function isolatedConfig(config: Config, env: NodeJS.ProcessEnv, name: string): Promise<Config> {
  const pick = async (name: 'PORT' | 'RAYNE_PG_PORT' | 'RAYNE_TEMPORAL_PORT' | 'RAYNE_TEMPORAL_UI_PORT') =>
    env[name] ? config[name] : await freePort();
  const port = await pick('PORT');
  return {
    ...config,
    home: path.join(config.home, name),
    RAYNE_HOME: path.join(config.RAYNE_HOME, name),
    PORT: port,
    RAYNE_PG_PORT: await pick('RAYNE_PG_PORT'),
    RAYNE_TEMPORAL_PORT: await pick('RAYNE_TEMPORAL_PORT'),
    RAYNE_TEMPORAL_UI_PORT: await pick('RAYNE_TEMPORAL_UI_PORT'),
    RAYNE_PUBLIC_URL: config.RAYNE_PUBLIC_URL ?? `http://localhost:${port}`,
    RAYNE_DATADOG_ALLOW_PRIVATE_ADDRESSES: true,
    // Each scenario is one alert scored by its own RCA; scenarios sharing a host must not form a group.
    RAYNE_GROUP_WAIT_S: 0,
  };
}

/** The keys the Datadog sandbox accepts; they open nothing else. */
export const SANDBOX_KEYS = { api_key: 'demo-api-key', app_key: 'demo-app-key' };

/** Makes `name` the default account, reading Datadog from the sandbox at `baseUrl` (created, or updated on a later run). */
export async function useSandboxAccount(api: Api, name: string, scenario: Scenario, baseUrl: string): Promise<void> {
  const account = { name, org_id: String(scenario.alert.org_id ?? ''), base_url: baseUrl, ...SANDBOX_KEYS, is_default: true };
  if ((await api('GET', `/v1/accounts/${name}`)).status === 404) await api('POST', '/v1/accounts', account, 201);
  else await api('PUT', `/v1/accounts/${name}`, { base_url: baseUrl, ...SANDBOX_KEYS, is_default: true }, 200);
}

/** The scenario's past incidents, as earlier RCAs of the account, so the similarity search has something to find. */
export async function indexHistory(config: Config, databaseUrl: string, scenario: Scenario, account: string): Promise<string[]> {
  const db = createPool(databaseUrl, 2);
  try {
    const { embedder, store } = createSimilarityProviders(config, db);
    const points = scenario.history.map((h, i) => ({
      id: `history/${account}/${scenario.id}/${i}`,
      text: [h.title, h.service && `service ${h.service}`, h.root_cause].filter(Boolean).join('\n'),
      payload: {
        account,
        title: h.title,
        service: h.service,
        rootCause: h.root_cause,
        category: h.category,
        confirmed: true,
        links: {},
        createdAt: new Date().toISOString(),
      },
    }));
    if (points.length === 0) return [];
    const vectors = await embedder.embed(points.map((p) => p.text));
    await store.ensureReady(vectors[0]!.length);
    await store.upsert(points.map((p, i) => ({ id: p.id, vector: vectors[i]!, payload: p.payload })));
    return points.map((p) => p.id);
  } finally {
    await db.end();
  }
}
