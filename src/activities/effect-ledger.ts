import { type Db, inTransaction } from '../db/pool';
import type { EffectOutcome } from '../contracts/incident';

export interface EffectKey {
  eventId: string;
  processor: string;
  target: string;
  label: string;
}

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
export async function runEffect(db: Db, key: EffectKey, effect: Effect): Promise<EffectOutcome> {
  const previous = await claim(db, key);
  if (previous === 'succeeded') return 'already_done';
  if (previous === 'in_doubt') return 'in_doubt';
  if (previous === 'sending' && !effect.findExisting) {
    await settle(db, key, 'in_doubt', { error: IN_DOUBT });
    return 'in_doubt';
  }
  // A failed attempt may still have taken effect (a 5xx or timeout after the write): look before acting again.
  if (previous !== undefined && effect.findExisting) {
    const existing = await settledIfThrows(db, key, () => effect.findExisting!(), 'could not check whether an earlier attempt took effect');
    if (existing !== undefined) {
      await settle(db, key, 'succeeded', { detail: existing });
      return 'found_existing';
    }
  }
  const started = Date.now();
  const detail = await settledIfThrows(db, key, () => effect.send());
  await settle(db, key, 'succeeded', { detail, latencyMs: Date.now() - started });
  return 'sent';
}

/**
 * Runs a step of the effect; when it throws, the row is settled failed with the reason before the
 * error goes on, so a step that keeps failing never leaves the row "sending" after its attempts.
 */
async function settledIfThrows<T>(db: Db, key: EffectKey, step: () => Promise<T>, context?: string): Promise<T> {
  const started = Date.now();
  try {
    return await step();
  } catch (err) {
    const reason = (err as Error).message;
    await settle(db, key, 'failed', { error: context ? `${context}: ${reason}` : reason, latencyMs: Date.now() - started });
    throw err;
  }
}

/** Counts the attempt and marks the row sending; returns the status an earlier attempt left, if any. */
async function claim(db: Db, key: EffectKey): Promise<string | undefined> {
  return inTransaction(db, async (tx) => {
    const { rows } = await tx.query('SELECT status FROM processor_runs WHERE event_id = $1 AND processor = $2 AND target = $3 FOR UPDATE', [
      key.eventId,
      key.processor,
      key.target,
    ]);
    const previous: string | undefined = rows[0]?.status;
    if (previous === undefined) {
      await tx.query(`INSERT INTO processor_runs (event_id, processor, target, label, status) VALUES ($1, $2, $3, $4, 'sending')`, [
        key.eventId,
        key.processor,
        key.target,
        key.label,
      ]);
    } else if (previous !== 'succeeded' && previous !== 'in_doubt') {
      await tx.query(
        `UPDATE processor_runs SET attempts = attempts + 1, status = 'sending', started_at = now(), finished_at = NULL
          WHERE event_id = $1 AND processor = $2 AND target = $3`,
        [key.eventId, key.processor, key.target],
      );
    }
    return previous;
  });
}

async function settle(
  db: Db,
  key: EffectKey,
  status: 'succeeded' | 'failed' | 'in_doubt',
  outcome: { detail?: string; error?: string; latencyMs?: number },
) {
  await db.query(
    `UPDATE processor_runs SET status = $4, detail = $5, error = $6, latency_ms = $7, finished_at = now()
      WHERE event_id = $1 AND processor = $2 AND target = $3`,
    [
      key.eventId,
      key.processor,
      key.target,
      status,
      outcome.detail?.slice(0, 500) ?? null,
      outcome.error?.slice(0, 1000) ?? null,
      outcome.latencyMs ?? null,
    ],
  );
}
