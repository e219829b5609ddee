import type { ChildProcess } from 'node:child_process';

/**
 * Servers a command starts for itself (embedded Postgres, the Temporal dev server) must not outlive
 * it. A command that stops them in order (`rayne dev` on Ctrl-C) does so itself; these are the
 * safety net for the rest: each is sent its stop signal when the process exits, or when a signal the
 * command does not handle ends it (`rayne eval` terminated), the signal then taking its course.
 */

const STOP_SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;

const children = new Map<ChildProcess, NodeJS.Signals>();

const stopAll = () => children.forEach((signal, child) => child.kill(signal));

function onSignal(signal: NodeJS.Signals) {
  if (process.listenerCount(signal) > 1) return;
  stopAll();
  STOP_SIGNALS.forEach((s) => process.off(s, onSignal));
  process.kill(process.pid, signal);
}

/** Stops child with stopSignal if this process ends first; forget it once it has exited. */
export function stopWithProcess(child: ChildProcess, stopSignal: NodeJS.Signals): void {
  if (children.size === 0) {
    process.on('exit', stopAll);
    STOP_SIGNALS.forEach((s) => process.on(s, onSignal));
  }
  children.set(child, stopSignal);
  child.once('exit', () => {
    children.delete(child);
    if (children.size > 0) return;
    process.off('exit', stopAll);
    STOP_SIGNALS.forEach((s) => process.off(s, onSignal));
  });
}
