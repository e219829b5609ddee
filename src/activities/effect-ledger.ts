import type { EffectOutcome } from '../contracts/incident';
import type { EffectKey, EventStore } from '../events/store';

export interface Effect {
  /** Performs the side effect; returns a short detail to record (an id, a status line). */
  send(): Promise<string | undefined>;
  /**
   * Finds the effect of an earlier attempt that was cut off or failed after sending (a downtime
   * tagged with the event id). Without it, an attempt cut off mid-send is recorded in_doubt and
   * not repeated; one that failed with an answer is sent again.
   */
  findExisting?(): Promise<string | undefined>;
}

const IN_DOUBT = 'an earlier attempt stopped after sending and before recording the outcome; not sent again so it cannot arrive twice';

/**
 * Runs a side effect at most once per (event, processor, target), and records the run. The row
 * is claimed as "sending" before the effect and settled after it, so a retry or a restarted
 * worker finds what an earlier attempt did before acting.
 */
export async function runEffect(events: EventStore, key: EffectKey, effect: Effect): Promise<EffectOutcome> {
  const previous = await events.claimEffect(key);
  if (previous === 'succeeded') return 'already_done';
  if (previous === 'in_doubt') return 'in_doubt';
  if (previous === 'sending' && !effect.findExisting) {
    await events.settleEffect(key, 'in_doubt', { error: IN_DOUBT });
    return 'in_doubt';
  }
  // A failed attempt may still have taken effect (a 5xx or timeout after the write): look before acting again.
  if (previous !== undefined && effect.findExisting) {
    const existing = await settledIfThrows(
      events,
      key,
      () => effect.findExisting!(),
      'could not check whether an earlier attempt took effect',
    );
    if (existing !== undefined) {
      await events.settleEffect(key, 'succeeded', { detail: existing });
      return 'found_existing';
    }
  }
  const started = Date.now();
  const detail = await settledIfThrows(events, key, () => effect.send());
  await events.settleEffect(key, 'succeeded', { detail, latencyMs: Date.now() - started });
  return 'sent';
}

/**
 * Runs a step of the effect; when it throws, the row is settled failed with the reason before the
 * error goes on, so a step that keeps failing never leaves the row "sending" after its attempts.
 */
async function settledIfThrows<T>(events: EventStore, key: EffectKey, step: () => Promise<T>, context?: string): Promise<T> {
  const started = Date.now();
  try {
    return await step();
  } catch (err) {
    const reason = (err as Error).message;
    await events.settleEffect(key, 'failed', { error: context ? `${context}: ${reason}` : reason, latencyMs: Date.now() - started });
    throw err;
  }
}
