import path from 'node:path';

export const MIGRATIONS_DIR = path.resolve(__dirname, '../../../src/db/migrations');

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

function migrationsDir(): string {
  // From dist/src/db the SQL files live in the source tree; from src/db (tests) they sit beside us.
  return __dirname.includes(`${path.sep}dist${path.sep}`) ? MIGRATIONS_DIR : path.join(__dirname, 'migrations');
}
