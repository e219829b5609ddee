import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { freePort } from '../../src/dev/free-port';
import { eventually } from './harness';

/** A migrated Postgres of the test's own (the shared one must keep serving other test files), to freeze and stop. */
export interface OwnPostgres {
  url: string;
  /** SIGSTOP (freeze) or SIGCONT (thaw) the postmaster and its backends: they keep their sockets and answer nothing. */
  signal(sig: 'SIGSTOP' | 'SIGCONT'): void;
  /** Stops it: connections are then refused. */
  stop(): Promise<void>;
  /** Starts it again on the same port and data. */
  restart(): Promise<void>;
}

export async function startOwnPostgres(): Promise<OwnPostgres> {
  const dataDir = path.join(process.env.RAYNE_TEST_WORK_DIR!, `pg-${process.pid}-${Date.now()}`);
  const port = await freePort();
  let helper = await startHelper(dataDir, port);
  return {
    url: `postgres://postgres:rayne@127.0.0.1:${port}/postgres`,
    signal(sig) {
      const postmaster = Number(fs.readFileSync(path.join(dataDir, 'postmaster.pid'), 'utf8').split('\n')[0]);
      for (const pid of [postmaster, ...childrenOf(postmaster)]) {
        try {
          process.kill(pid, sig);
        } catch (err) {
          // A backend listed a moment ago may have exited since (a closed connection); it needs no signal.
          if ((err as NodeJS.ErrnoException).code !== 'ESRCH') throw err;
        }
      }
    },
    stop: () => stopHelper(helper),
    async restart() {
      helper = await startHelper(dataDir, port);
    },
  };
}

async function startHelper(dataDir: string, port: number): Promise<ChildProcess> {
  const child = spawn(process.execPath, [path.join(__dirname, 'own-postgres.mjs'), dataDir, String(port)], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout!.on('data', (d) => (output += d));
  child.stderr!.on('data', (d) => (output += d));
  await eventually(async () => {
    if (child.exitCode !== null) throw new Error(`own Postgres exited early:\n${output}`);
    return output.includes('ready ');
  }, 90_000);
  return child;
}

const stopHelper = (child: ChildProcess) =>
  new Promise<void>((resolve) => {
    if (child.exitCode !== null) return resolve();
    child.once('exit', () => resolve());
    child.kill('SIGTERM');
  });

/** Pids whose parent is pid, from /proc. */
function childrenOf(pid: number): number[] {
  return fs
    .readdirSync('/proc')
    .filter((d) => /^\d+$/.test(d))
    .filter((d) => {
      try {
        // After "(comm)" come state and ppid; comm itself may hold spaces and parentheses.
        const stat = fs.readFileSync(`/proc/${d}/stat`, 'utf8');
        return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) === pid;
      } catch {
        return false; // it exited meanwhile
      }
    })
    .map(Number);
}
