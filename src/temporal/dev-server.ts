import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { stopWithProcess } from '../child-processes';
import { findTemporalCli } from './cli';
import { waitForTemporal } from './connection';

export interface DevServerOptions {
  home: string;
  port: number;
  uiPort: number;
  namespace: string;
  cliPath?: string;
  log?: (line: string) => void;
}

export interface DevServer {
  address: string;
  uiUrl: string;
  stop(): Promise<void>;
}

/** Starts `temporal server start-dev` with its SQLite file under RAYNE_HOME, so history survives restarts. */
export async function startTemporalDevServer(opts: DevServerOptions): Promise<DevServer> {
  const cli = findTemporalCli(opts.cliPath);
  fs.mkdirSync(opts.home, { recursive: true });
  const args = [
    'server',
    'start-dev',
    '--db-filename',
    path.join(opts.home, 'temporal.db'),
    '--ip',
    '127.0.0.1',
    '--port',
    String(opts.port),
    '--ui-port',
    String(opts.uiPort),
    '--log-level',
    'error',
    // `default` always exists; naming it again is an error on a reused database.
    ...(opts.namespace === 'default' ? [] : ['--namespace', opts.namespace]),
  ];
  // Its own process group: a terminal's Ctrl-C reaches rayne alone, which stops the server after the
  // worker has finished the workflow tasks it holds (otherwise the SDK warns it could not report them).
  const child = spawn(cli, args, { stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  stopWithProcess(child, 'SIGKILL');
  const output: string[] = [];
  const collect = (chunk: Buffer) => {
    const text = chunk.toString();
    output.push(text);
    opts.log?.(text.trimEnd());
  };
  child.stdout.on('data', collect);
  child.stderr.on('data', collect);
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));

  const address = `127.0.0.1:${opts.port}`;
  const ready = waitForTemporal({ address, namespace: opts.namespace }, 30_000).then(() => 'ready' as const);
  const outcome = await Promise.race([ready, exited.then((code) => code)]);
  if (outcome !== 'ready') {
    throw new Error(`temporal server start-dev exited with code ${outcome}:\n${output.join('').slice(-2000)}`);
  }
  return { address, uiUrl: `http://127.0.0.1:${opts.uiPort}`, stop: () => stopChild(child, exited) };
}

/** SIGTERM, then SIGKILL if the child has not exited after five seconds. */
export async function stopChild(child: ChildProcess, exited: Promise<unknown>): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
  await exited;
  clearTimeout(timer);
}
