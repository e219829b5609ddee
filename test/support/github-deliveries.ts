import crypto from 'node:crypto';
import examples from '@octokit/webhooks-examples';
import { sign } from '@octokit/webhooks-methods';
import type { TestApi } from './harness';

/** A real example payload from @octokit/webhooks-examples, as GitHub documents it. */
export function examplePayload(event: string, action?: string): Record<string, any> {
  const found = (examples as Array<{ name: string; examples: Array<Record<string, any>> }>).find((e) => e.name === event);
  const payload = found?.examples.find((p) => action === undefined || p.action === action);
  if (!payload) throw new Error(`no ${event}${action ? `.${action}` : ''} example`);
  return structuredClone(payload);
}

/** An `issues` example with the issue made this test's own: repository, number, title and body. */
export function issuePayload(
  action: string,
  issue: { repository: string; number: number; title: string; body?: string | null; labels?: string[] },
  extra: Record<string, unknown> = {},
) {
  const payload = examplePayload('issues', action);
  const [owner, name] = issue.repository.split('/');
  payload.repository = { ...payload.repository, full_name: issue.repository, name, owner: { ...payload.repository.owner, login: owner } };
  payload.issue = {
    ...payload.issue,
    number: issue.number,
    title: issue.title,
    body: issue.body ?? null,
    html_url: `https://github.com/${issue.repository}/issues/${issue.number}`,
    labels: (issue.labels ?? []).map((l, i) => ({ id: i + 1, name: l, color: 'ededed', default: false })),
    created_at: new Date().toISOString(),
  };
  return { ...payload, ...extra };
}

export const newDeliveryId = () => crypto.randomUUID();

/** POSTs a delivery signed as GitHub signs it (or with the given signature); returns the response. */
export async function deliver(
  api: TestApi,
  event: string,
  payload: unknown,
  options: { secret?: string; deliveryId?: string; signature?: string; form?: boolean; headers?: Record<string, string> } = {},
) {
  const json = JSON.stringify(payload);
  const body = options.form ? new URLSearchParams({ payload: json }).toString() : json;
  const signature = options.signature ?? (options.secret ? await sign(options.secret, body) : undefined);
  return api.app.request('/v1/webhooks/github/issues', {
    method: 'POST',
    headers: {
      'content-type': options.form ? 'application/x-www-form-urlencoded' : 'application/json',
      'x-github-event': event,
      'x-github-delivery': options.deliveryId ?? newDeliveryId(),
      'user-agent': 'GitHub-Hookshot/test',
      ...(signature ? { 'x-hub-signature-256': signature } : {}),
      ...options.headers,
    },
    body,
  });
}
