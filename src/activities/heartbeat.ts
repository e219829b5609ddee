import { Context } from '@temporalio/activity';

/**
 * Heartbeats every intervalMs until the work settles, so Temporal notices a dead worker during
 * one long call (a model turn) instead of waiting for the start-to-close timeout. Called outside
 * an activity (a test calling the function directly), it only awaits.
 */
export async function heartbeatWhile<T>(work: Promise<T>, intervalMs = 5000): Promise<T> {
  let context: Context;
  try {
    context = Context.current();
  } catch {
    return work;
  }
  const timer = setInterval(() => context.heartbeat(), intervalMs);
  try {
    return await work;
  } finally {
    clearInterval(timer);
  }
}
