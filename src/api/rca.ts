import { Hono } from 'hono';
import type { ApiDeps } from './app';
import { requireApiToken } from './auth';
import { ApiError } from './errors';

/** "123" stands for the first run of event 123 (rca/123); a full id such as rca/123/rerun-1 may be given URL-encoded. */
export function rcaIdOf(param: string): string {
  const id = /^\d+$/.test(param) ? `rca/${param}` : param;
  if (!/^rca\/\d+(\/rerun-\d+)?$/.test(id)) throw new ApiError('BAD_REQUEST', 'an RCA id is an event id (123) or a full id such as rca/123/rerun-1');
  return id;
}

export const rcaRoutes = ({ db, config }: ApiDeps) =>
  new Hono()
    .use(requireApiToken(config.RAYNE_API_TOKEN))
    .get('/:id/evidence', async (c) => {
      const id = rcaIdOf(c.req.param('id'));
      const { rows: [run] } = await db.query(
        `SELECT r.id, r.event_id::text, r.account, r.role, r.role_reason, r.phase, r.status, r.error, r.created_at, r.updated_at,
                e.summary, e.token_estimate, e.bundle
           FROM rca_runs r LEFT JOIN rca_evidence e ON e.rca_id = r.id WHERE r.id = $1`,
        [id],
      );
      if (!run) throw new ApiError('NOT_FOUND', `no RCA ${id}`);
      const { rows: sources } = await db.query('SELECT source, status, reason, items, fetched_at FROM rca_sources WHERE rca_id = $1 ORDER BY source', [id]);
      const { bundle, ...status } = run;
      return c.json({ ...status, sources, evidence: bundle ?? null });
    });
