import path from 'node:path';

/** Applies every pending migration (node-pg-migrate, advisory-locked so replicas can race). */
export async function migrate(databaseUrl: string, log: (msg: string) => void = () => undefined): Promise<string[]> {
  // node-pg-migrate is ESM-only; a real dynamic import keeps this module CommonJS.
  const { runner } = await import('node-pg-migrate');
  const applied = await runner({
    databaseUrl,
    dir: migrationsDir(),
    direction: 'up',
    migrationsTable: 'rayne_migrations',
    count: Infinity,
    log,
    verbose: false,
  });
  return applied.map((m) => m.name);
}

/** The SQL files live in src/db/migrations; compiled code in dist/src/db finds them in the source tree. */
function migrationsDir(): string {
  const compiled = __dirname.split(path.sep).includes('dist');
  return compiled ? path.resolve(__dirname, '../../../src/db/migrations') : path.join(__dirname, 'migrations');
}
