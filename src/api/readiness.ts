import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from '../logger';

/** The longest /ready waits, and only for a dependency's first check after start; later answers are read at once. */
export const READY_WAIT_MS = 500;

export type CheckState = 'ok' | 'unavailable' | 'not_configured' | 'unchecked';

/** What a check resolves to when the dependency answers but refuses Rayne's setup; waiting does not fix it. */
export interface NotConfigured {
  notConfigured: string;
}

/** What the last check of one dependency found, and when (null before the first check returns). */
export interface DependencyState {
  state: CheckState;
  checked_at: string | null;
}

/**
 * Each dependency's last check, refreshed in the background, so /ready answers at once whatever
 * state a dependency is in: a check of one that is away takes its whole deadline. Each dependency
 * has its own loop, so a slow one holds back neither the others nor the answer. A check must
 * bound itself (a Temporal deadline, the pool's timeouts).
 */
export class ReadinessMonitor<Name extends string> {
  private readonly states: Record<Name, DependencyState>;
  private readonly firstChecks: Promise<void>[] = [];
  private readonly recoveryListeners: Array<(name: Name) => void> = [];
  private readonly stopping = new AbortController();
  private started = false;

  constructor(
    /** Each check throws when its dependency is away, and resolves to NotConfigured when it refuses the setup. */
    private readonly checks: Record<Name, () => Promise<unknown>>,
    private readonly intervalMs: number,
    private readonly log: Logger,
  ) {
    this.states = Object.fromEntries(this.names().map((name) => [name, { state: 'unchecked', checked_at: null }])) as Record<
      Name,
      DependencyState
    >;
  }

  /** Starts checking each dependency every intervalMs; calling it again does nothing. */
  start(): void {
    if (this.started) return;
    this.started = true;
    for (const name of this.names()) {
      let checkedOnce!: () => void;
      this.firstChecks.push(new Promise<void>((resolve) => (checkedOnce = resolve)));
      void this.loop(name, checkedOnce);
    }
  }

  /** Stops the checks; one in flight is let finish and not recorded. */
  stop(): void {
    this.stopping.abort();
  }

  /** Calls listener whenever a dependency answers again after a failed check. */
  onRecovered(listener: (name: Name) => void): void {
    this.recoveryListeners.push(listener);
  }

  /** The last state of each dependency; starts the checks if needed, and waits up to READY_WAIT_MS for the first ones. */
  async current(): Promise<Record<Name, DependencyState>> {
    this.start();
    if (this.names().some((name) => this.states[name].state === 'unchecked'))
      await Promise.race([Promise.all(this.firstChecks), sleep(READY_WAIT_MS, undefined, { ref: false })]);
    return { ...this.states };
  }

  private names(): Name[] {
    return Object.keys(this.checks) as Name[];
  }

  private async loop(name: Name, checkedOnce: () => void): Promise<void> {
    const { signal } = this.stopping;
    while (!signal.aborted) {
      await this.checkOnce(name);
      checkedOnce();
      await sleep(this.intervalMs, undefined, { signal, ref: false }).catch(() => undefined);
    }
  }

  /** Records one check; logs only changes of state, so an outage is one line, not one a check. */
  private async checkOnce(name: Name): Promise<void> {
    const previous = this.states[name].state;
    const outcome = await this.checks[name]().then(
      (answer) => (isNotConfigured(answer) ? { state: 'not_configured' as const, reason: answer.notConfigured } : { state: 'ok' as const }),
      (err: Error) => ({ state: 'unavailable' as const, reason: err.message }),
    );
    if (this.stopping.signal.aborted) return;
    this.states[name] = { state: outcome.state, checked_at: new Date().toISOString() };
    // The reason goes to the log only: /ready answers without auth. A wrong setup does not pass by waiting: an error, not a warning.
    if (outcome.state !== previous && 'reason' in outcome)
      if (outcome.state === 'not_configured')
        this.log.error({ dependency: name, err: outcome.reason }, "readiness check failed: the dependency refuses Rayne's setup");
      else this.log.warn({ dependency: name, err: outcome.reason }, 'readiness check failed');
    if (outcome.state === 'ok' && (previous === 'unavailable' || previous === 'not_configured')) {
      this.log.info({ dependency: name }, 'dependency answers again');
      for (const listener of this.recoveryListeners) listener(name);
    }
  }
}

const isNotConfigured = (answer: unknown): answer is NotConfigured =>
  typeof answer === 'object' && answer !== null && typeof (answer as NotConfigured).notConfigured === 'string';
