import type { Client } from '@temporalio/client';
import { AccountStore } from './accounts/store';
import type { Config } from './config';
import { createPool, type Db } from './db/pool';
import { Intake } from './intake/intake';
import type { Logger } from './logger';
import { loadSecretBox } from './secret-box';
import { createLazyClient } from './temporal/connection';

/** Everything the API needs, built from config: one pool, one Temporal client. */
export interface ApiRuntime {
  db: Db;
  temporal: Client;
  accounts: AccountStore;
  intake: Intake;
  close(): Promise<void>;
}

export function createApiRuntime(config: Config, databaseUrl: string, temporalAddress: string, log: Logger): ApiRuntime {
  const db = createPool(databaseUrl);
  const temporal = createLazyClient({ address: temporalAddress, namespace: config.TEMPORAL_NAMESPACE });
  const accounts = new AccountStore(db, loadSecretBox(config.RAYNE_ENCRYPTION_KEY, config.home));
  const intake = new Intake({ db, accounts, temporal, taskQueue: config.TEMPORAL_TASK_QUEUE, temporalTimeoutMs: config.RAYNE_TEMPORAL_TIMEOUT_MS, log });
  return {
    db, temporal, accounts, intake,
    async close() {
      await temporal.connection.close().catch(() => undefined);
      await db.end();
    },
  };
}
