import pg from 'pg';

export type Db = pg.Pool;

/** Default bound of one wait on Postgres (connect, or one query) for pools that are not given one. */
export const DEFAULT_DB_TIMEOUT_MS = 10_000;

/**
 * A pg pool; callers own it and end it on shutdown. Every wait is bounded by timeoutMs: getting a
 * connection, a statement on the server (statement_timeout) and the answer on the client
 * (query_timeout: a frozen server never cancels anything itself).
 */
export function createPool(connectionString: string, max = 10, timeoutMs = DEFAULT_DB_TIMEOUT_MS): Db {
  const pool = new pg.Pool({
    connectionString,
    max,
    connectionTimeoutMillis: timeoutMs,
    statement_timeout: timeoutMs,
    query_timeout: timeoutMs,
  });
  // An idle client that loses its server must not crash the process; the next query reconnects.
  pool.on('error', () => undefined);
  return pool;
}

/** Runs fn in one transaction: commit on return, roll back on throw. */
export async function inTransaction<T>(db: Db, fn: (client: pg.PoolClient) => Promise<T>): Promise<T> {
  const client = await db.connect();
  let broken: Error | undefined;
  try {
    await client.query('BEGIN');
    const result = await fn(client);
    await client.query('COMMIT');
    return result;
  } catch (err) {
    // A client that cannot roll back (its server froze or went away) is destroyed, not reused.
    await client.query('ROLLBACK').catch((rollbackErr: Error) => {
      broken = rollbackErr;
    });
    throw err;
  } finally {
    client.release(broken);
  }
}
