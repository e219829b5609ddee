import fs from 'node:fs';
import path from 'node:path';
import { createRoute, OpenAPIHono, type Hook, type RouteConfig } from '@hono/zod-openapi';
import type { Env } from 'hono';
import { z } from 'zod';
import { ApiError, ERROR_CODES, fieldProblems } from './errors';

/**
 * A sub-app whose routes declare their params, query and body with zod: the same schemas
 * validate the request and describe it in /openapi.json. Failures become our 400s.
 */
export const openApiApp = (): ApiRoutes => new OpenAPIHono<Env>({ defaultHook: validationFailed });

/** A sub-app as app.ts mounts it; its routes' types stay inside (merged, they are too many for tsc). */
export type ApiRoutes = OpenAPIHono<Env>;

/** Throws the 400 the routes answered before OpenAPI: field messages for a body or query, the first message for a path id (its field in details). */
export const validationFailed: Hook<unknown, Env, string, void> = (result) => {
  if (result.success) return;
  if (result.target === 'param') throw new ApiError('BAD_REQUEST', result.error.issues[0]!.message, fieldProblems(result.error));
  const what = result.target === 'query' ? 'invalid query parameters' : 'invalid request body';
  throw new ApiError('BAD_REQUEST', what, fieldProblems(result.error));
};

/** Every error answer, as handleError writes it. */
export const ErrorBody = z
  .object({
    error: z.object({
      code: z.enum(ERROR_CODES),
      message: z.string(),
      details: z
        .array(z.object({ field: z.string(), message: z.string() }))
        .optional()
        .meta({ description: 'One entry per invalid field (dotted path, or "(body)") when a body or query failed validation.' }),
    }),
  })
  .meta({ id: 'Error' });

/** An error answer in the spec: `{ error: { code, message, details? } }`, optionally with Retry-After. */
export const problem = (description: string, retryAfter = false) => ({
  description,
  content: { 'application/json': { schema: ErrorBody } },
  ...(retryAfter
    ? { headers: { 'Retry-After': { description: 'seconds to wait before retrying', schema: { type: 'integer' as const } } } }
    : {}),
});

/** A JSON answer in the spec. */
export const json = <S extends z.ZodType>(schema: S, description: string) => ({ description, content: { 'application/json': { schema } } });

/** A required JSON request body; pair it with the `jsonBody` middleware for our 415/400 answers. */
export const jsonRequest = <S extends z.ZodType>(schema: S, description?: string) =>
  ({ required: true, description, content: { 'application/json': { schema } } }) as const;

// The answers every management route can give.
export const UNAUTHORIZED = problem('RAYNE_API_TOKEN is set and the bearer token is missing or wrong');
export const BAD_REQUEST = problem('invalid input; `details` names the fields');
export const UNSUPPORTED_MEDIA_TYPE = problem('the body is not application/json');

/** Security requirements, by the secret each route checks (each only when configured). */
export const security: Record<
  'apiToken' | 'webhookSecret' | 'alertWebhookSecret' | 'githubSignature' | 'pagerDutySignature' | 'none',
  Array<Record<string, string[]>>
> = {
  apiToken: [{ ApiToken: [] }],
  webhookSecret: [{ WebhookToken: [] }, { WebhookBasic: [] }],
  alertWebhookSecret: [{ WebhookBearer: [] }, { WebhookBasic: [] }, { WebhookToken: [] }],
  githubSignature: [{ GitHubSignature: [] }],
  pagerDutySignature: [{ PagerDutySignature: [] }],
  none: [],
};

/** createRoute with the tag and security requirement every route of a file shares. */
export const routesOf =
  (tag: string, requirement: Array<Record<string, string[]>>) =>
  <R extends RouteConfig>(r: R) =>
    createRoute({ tags: [tag], security: requirement, ...r });

/** The shared components: the security schemes `security` names. */
export function registerComponents(app: ApiRoutes): void {
  const r = app.openAPIRegistry;
  r.registerComponent('securitySchemes', 'ApiToken', {
    type: 'http',
    scheme: 'bearer',
    description:
      'RAYNE_API_TOKEN. Required on management routes when the server sets it; without it they are open. ' +
      'A client that sends 10 wrong tokens within a minute gets 429 with Retry-After until that minute is over.',
  });
  r.registerComponent('securitySchemes', 'WebhookToken', {
    type: 'apiKey',
    in: 'header',
    name: 'X-Rayne-Token',
    description: "RAYNE_WEBHOOK_SECRET, as the Datadog webhook's custom header. Required when the server sets it.",
  });
  r.registerComponent('securitySchemes', 'WebhookBasic', {
    type: 'http',
    scheme: 'basic',
    description:
      'RAYNE_WEBHOOK_SECRET as the basic-auth password (any user name), for Datadog, Alertmanager or Grafana webhooks set up with basic auth.',
  });
  r.registerComponent('securitySchemes', 'WebhookBearer', {
    type: 'http',
    scheme: 'bearer',
    description:
      "RAYNE_WEBHOOK_SECRET as a bearer token, as Alertmanager's http_config authorization sends it. Required when the server sets it.",
  });
  r.registerComponent('securitySchemes', 'PagerDutySignature', {
    type: 'apiKey',
    in: 'header',
    name: 'X-PagerDuty-Signature',
    description:
      '"v1=" and the hex HMAC-SHA256 of the raw body with PAGERDUTY_WEBHOOK_SECRET, one or more comma-separated (PagerDuty sends several while a secret is rotated); one match is enough. Always required.',
  });
  r.registerComponent('securitySchemes', 'GitHubSignature', {
    type: 'apiKey',
    in: 'header',
    name: 'X-Hub-Signature-256',
    description: '"sha256=" and the hex HMAC-SHA256 of the raw body with GITHUB_WEBHOOK_SECRET, as GitHub sends it. Always required.',
  });
}

/** The document's header; paths and schemas come from the routes. Called once: /openapi.json keeps the document. */
export const documentConfig = () => ({
  openapi: '3.1.0',
  info: {
    title: 'Rayne API',
    version: packageVersion(),
    description:
      'Datadog, Alertmanager, Grafana, PagerDuty and GitHub webhook intake, incident and RCA records, Datadog accounts and proxies. ' +
      'Errors are `{ "error": { "code", "message", "details"? } }`.',
  },
  tags: [
    { name: 'Datadog webhooks', description: 'alert intake and the events it stored' },
    { name: 'Alert sources', description: 'alerts from Alertmanager, Grafana and PagerDuty, stored as the same events as Datadog alerts' },
    { name: 'GitHub webhooks', description: 'issue intake and the triage of each delivery' },
    { name: 'RCA', description: 'root-cause analyses started by incidents' },
    { name: 'Accounts', description: 'Datadog accounts (keys are never returned)' },
    { name: 'Datadog', description: "proxies to the Datadog API of an account, answered in Datadog's own JSON" },
    { name: 'Health' },
  ],
});

/** package.json's version, from src/ (tests) or dist/src/ (built) alike. */
function packageVersion(dir = __dirname): string {
  const file = path.join(dir, 'package.json');
  if (fs.existsSync(file)) return String((JSON.parse(fs.readFileSync(file, 'utf8')) as { version: unknown }).version);
  return path.dirname(dir) === dir ? '0.0.0' : packageVersion(path.dirname(dir));
}
