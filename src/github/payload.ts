import { z } from 'zod';

/**
 * The fields of a GitHub `issues` delivery Rayne reads; the rest is stored as received. Labels,
 * body and user may be absent or null in real deliveries (a ghost user, an empty body).
 */
export const IssuesEventSchema = z.object({
  action: z.string().min(1),
  issue: z.object({
    number: z.number().int().positive().max(2_147_483_647), // a Postgres integer
    title: z.string(),
    body: z.string().nullish(),
    html_url: z.string().url(),
    state: z.string().optional(),
    created_at: z.string().optional(),
    labels: z.array(z.object({ name: z.string() })).nullish(),
    user: z.object({ login: z.string() }).nullish(),
  }),
  repository: z.object({
    full_name: z.string().regex(/^[^/\s]+\/[^/\s]+$/, 'must be owner/name'),
    html_url: z.string().url().optional(),
  }),
  label: z.object({ name: z.string() }).nullish(),
  sender: z.object({ login: z.string() }).nullish(),
});
export type IssuesEvent = z.infer<typeof IssuesEventSchema>;

/** GitHub's delivery GUID; it names the triage workflow, so it is held to a safe shape. */
export const DeliveryIdSchema = z.string().regex(/^[A-Za-z0-9-]{1,100}$/, 'X-GitHub-Delivery must be a delivery GUID');

export const triageWorkflowId = (deliveryId: string) => `github/${deliveryId}`;

/** Opening and reopening an issue ask for a triage; so does adding the trigger label. Nothing else does. */
export function triageDecision(event: IssuesEvent, triggerLabel: string): { triage: true } | { triage: false; reason: string } {
  if (event.action === 'opened' || event.action === 'reopened') return { triage: true };
  if (event.action === 'labeled') {
    return event.label?.name === triggerLabel
      ? { triage: true }
      : { triage: false, reason: `label "${event.label?.name ?? ''}" is not the trigger label "${triggerLabel}"` };
  }
  return { triage: false, reason: `action "${event.action}" is not triaged (opened, reopened, or labeled "${triggerLabel}")` };
}
