/** Wrong API tokens (bearer or sign-in) one client may present per window before it has to wait for the window's end. */
export const FAILED_AUTH_LIMIT = { failures: 10, windowMs: 60_000 };
// Bounds the memory a flood of distinct clients can take; beyond it the oldest windows are dropped.
const MAX_CLIENTS = 10_000;

interface Window {
  failures: number;
  endsAt: number;
}

/**
 * Failed authentication per client, counted in memory in a fixed window that opens at the first
 * failure. Each API process counts on its own, so replicas multiply the limit, and a restart
 * forgets the counts; both still bound guessing to a few attempts a minute.
 */
export class FailedAuthLimit {
  private readonly windows = new Map<string, Window>();

  constructor(
    private readonly limit = FAILED_AUTH_LIMIT,
    private readonly now: () => number = Date.now,
  ) {}

  /** Seconds until client may try again, or 0 when it may now. */
  waitSeconds(client: string): number {
    const window = this.current(client);
    return window && window.failures >= this.limit.failures ? Math.ceil((window.endsAt - this.now()) / 1000) : 0;
  }

  recordFailure(client: string): void {
    const window = this.current(client) ?? this.open(client);
    window.failures += 1;
  }

  /** A success starts the client's count afresh. */
  forget(client: string): void {
    this.windows.delete(client);
  }

  private current(client: string): Window | undefined {
    const window = this.windows.get(client);
    if (window && window.endsAt <= this.now()) this.windows.delete(client);
    return this.windows.get(client);
  }

  private open(client: string): Window {
    if (this.windows.size >= MAX_CLIENTS) this.sweep();
    const window = { failures: 0, endsAt: this.now() + this.limit.windowMs };
    this.windows.set(client, window);
    return window;
  }

  /** Drops ended windows, then the oldest ones while still full (a Map iterates in insertion order). */
  private sweep(): void {
    for (const [client, window] of this.windows) if (window.endsAt <= this.now()) this.windows.delete(client);
    for (const client of this.windows.keys()) {
      if (this.windows.size < MAX_CLIENTS) break;
      this.windows.delete(client);
    }
  }
}
