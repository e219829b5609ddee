import crypto from 'node:crypto';
import type { Db } from '../db/pool';

/** How long a console sign-in lasts. */
export const CONSOLE_SESSION_HOURS = 12;

/**
 * The console's sign-ins, in `console_sessions`. A session id is 256 random bits, given to the
 * browser once; the table holds its HMAC under the API token, so a leaked table opens nothing and
 * a new token ends every session.
 */
export class ConsoleSessions {
  constructor(
    private readonly db: Db,
    private readonly token: string,
  ) {}

  /** Starts a session and returns its id, for the cookie only. */
  async start(): Promise<string> {
    const id = crypto.randomBytes(32).toString('base64url');
    await this.db.query('DELETE FROM console_sessions WHERE expires_at <= now()');
    await this.db.query(`INSERT INTO console_sessions (id_hash, expires_at) VALUES ($1, now() + make_interval(hours => $2))`, [
      this.hash(id),
      CONSOLE_SESSION_HOURS,
    ]);
    return id;
  }

  /** Whether id names a session that has neither expired nor ended. */
  async isActive(id: string | undefined): Promise<boolean> {
    if (!id) return false;
    const { rowCount } = await this.db.query('SELECT 1 FROM console_sessions WHERE id_hash = $1 AND expires_at > now()', [this.hash(id)]);
    return rowCount === 1;
  }

  /** Ends the session (sign-out); an unknown id changes nothing. */
  async end(id: string | undefined): Promise<void> {
    if (id) await this.db.query('DELETE FROM console_sessions WHERE id_hash = $1', [this.hash(id)]);
  }

  private hash(id: string): Buffer {
    return crypto.createHmac('sha256', this.token).update(id).digest();
  }
}
