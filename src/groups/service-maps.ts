import type { AccountCredentials } from '../accounts/store';
import { readServiceDependencies, type ServiceDependencies } from '../datadog/apm';
import { callDatadog } from '../datadog/client';

/** How far back the map is read: the services that called each other in the last hour. */
const MAP_WINDOW_MS = 3600_000;
// A join waits for the map at most this long; a slow Datadog must not hold a storm's alerts.
const READ_TIMEOUT_MS = 5_000;

export interface ServiceMapDeps {
  credentials: (account: string) => Promise<AccountCredentials | undefined>;
  /** How long an account's map (or its absence) is reused. */
  ttlMs: number;
  /** Told once per failed read; the join goes on without the map. */
  onError: (account: string, env: string, err: unknown) => void;
  now?: () => number;
}

interface Entry {
  at: number;
  map: Promise<ServiceDependencies | undefined>;
}

/**
 * Each account's APM service map per env, read once per TTL however many alerts join meanwhile (a
 * storm's alerts share one read in flight). Undefined when the account has no Datadog keys or the
 * read failed: grouping then goes on by host, service, change and text.
 */
export class ServiceMaps {
  private readonly entries = new Map<string, Entry>();

  constructor(private readonly deps: ServiceMapDeps) {}

  async get(account: string, env: string): Promise<ServiceDependencies | undefined> {
    const now = (this.deps.now ?? Date.now)();
    const key = JSON.stringify([account, env]);
    const cached = this.entries.get(key);
    if (cached && now - cached.at < this.deps.ttlMs) return cached.map;
    const map = this.read(account, env, now);
    this.entries.set(key, { at: now, map });
    return map;
  }

  private async read(account: string, env: string, now: number): Promise<ServiceDependencies | undefined> {
    try {
      const credentials = await this.deps.credentials(account);
      if (!credentials) return undefined;
      const map = await readServiceDependencies(
        (operation, fn) => callDatadog(credentials, operation, fn, { timeoutMs: READ_TIMEOUT_MS }),
        { env, from: new Date(now - MAP_WINDOW_MS), to: new Date(now) },
      );
      return Object.keys(map).length ? map : undefined;
    } catch (err) {
      this.deps.onError(account, env, err);
      return undefined;
    }
  }
}
