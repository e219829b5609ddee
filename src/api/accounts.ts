import { z } from 'zod';
import { AccountConflictError, type AccountPatch, type PrometheusSettings } from '../accounts/store';
import { validateDatadogKeys } from '../datadog/validate-keys';
import type { ApiDeps } from './deps';
import { requireApiToken } from './auth';
import { baseUrlProblem } from '../datadog/sites';
import { ApiError } from './errors';
import {
  type ApiRoutes,
  BAD_REQUEST,
  json,
  jsonRequest,
  openApiApp,
  problem,
  routesOf,
  security,
  UNAUTHORIZED,
  UNSUPPORTED_MEDIA_TYPE,
} from './openapi';
import { jsonBody, storableText } from './request';
import { GroupRule, GroupRules } from '../groups/rules';

// Names appear in webhook URLs and workflow ids, so they stay URL- and id-safe.
const Name = z.string().regex(/^[a-z0-9][a-z0-9_-]{0,62}$/, 'must be 1-63 lowercase letters, digits, "-" or "_"');
const OrgId = z.union([z.string().regex(/^\d+$/, 'must be a number'), z.number().int()]).transform(String);
const Key = z.string().min(1, 'must not be empty').max(512);

// Prometheus is usually inside the network, so unlike base_url any host is allowed; credentials go in
// bearer_token or basic_auth, never in the URL, which error text may quote.
const PrometheusUrl = z
  .string()
  .url()
  .refine((url) => /^https?:\/\//i.test(url), 'must be an http or https URL')
  .refine((url) => !/^[a-z][a-z0-9+.-]*:\/\/[^/?#]*@/i.test(url), 'must not carry credentials (user:password@); use basic_auth')
  .refine((url) => !/[?#]/.test(url), 'must be the server URL (a path prefix is fine) without a query or fragment');
const PrometheusInput = z
  .strictObject({
    url: PrometheusUrl,
    bearer_token: Key.optional(),
    basic_auth: z.strictObject({ username: Key, password: Key }).optional(),
  })
  .refine((p) => !(p.bearer_token && p.basic_auth), { message: 'give bearer_token or basic_auth, not both', path: ['basic_auth'] })
  .meta({ id: 'PrometheusInput', description: 'Where evidence is read with query_range; the credentials are stored encrypted.' });

const keysTogether = (keys: { api_key?: string; app_key?: string }) => !keys.api_key === !keys.app_key;
const KEYS_TOGETHER = { message: 'give api_key and app_key together, or neither for an account without Datadog', path: ['app_key'] };

const AccountFields = z.strictObject({
  name: Name,
  org_id: OrgId.optional(),
  base_url: z.string().url().optional(),
  api_key: Key.optional(),
  app_key: Key.optional(),
  prometheus: PrometheusInput.optional(),
  group_rules: GroupRules.optional(),
  is_default: z.boolean().optional(),
});
const CreateAccount = AccountFields.refine(keysTogether, KEYS_TOGETHER).meta({
  id: 'CreateAccount',
  description: 'base_url defaults to DD_API_URL; without api_key and app_key the account reads no Datadog evidence',
});
const UpdateAccount = AccountFields.omit({ name: true })
  .partial()
  .extend({ org_id: OrgId.nullable().optional(), prometheus: PrometheusInput.nullable().optional() })
  .meta({
    id: 'UpdateAccount',
    description: 'only the fields given change; org_id null clears it, prometheus null removes it, group_rules replaces the rules',
  });

const Timestamp = z.string().meta({ format: 'date-time' });
const Account = z
  .object({
    name: z.string(),
    org_id: z.string().nullable(),
    base_url: z.string(),
    is_default: z.boolean(),
    api_key_set: z.boolean(),
    app_key_set: z.boolean(),
    prometheus: z
      .object({ url: z.string(), auth: z.enum(['none', 'bearer', 'basic']) })
      .nullable()
      .meta({ description: 'the Prometheus evidence is read from; its credentials are never shown' }),
    group_rules: z.array(GroupRule),
    created_at: Timestamp,
    updated_at: Timestamp,
  })
  .meta({ id: 'Account', description: 'An account as the API shows it: keys are never part of it.' });
const NameParam = z.object({ name: storableText().meta({ description: 'the account name' }) });

const NOT_FOUND = problem('no account by that name');
const CONFLICT = problem('the name or org_id is taken');
const route = routesOf('Accounts', security.apiToken);

const listAccounts = route({
  method: 'get',
  path: '/',
  summary: 'List accounts',
  responses: { 200: json(z.object({ accounts: z.array(Account) }), 'all accounts'), 401: UNAUTHORIZED },
});
const createAccount = route({
  method: 'post',
  path: '/',
  summary: 'Create an account',
  middleware: [jsonBody] as const,
  request: { body: jsonRequest(CreateAccount) },
  responses: { 201: json(Account, 'created'), 400: BAD_REQUEST, 401: UNAUTHORIZED, 409: CONFLICT, 415: UNSUPPORTED_MEDIA_TYPE },
});
const getAccount = route({
  method: 'get',
  path: '/{name}',
  summary: 'Show an account',
  request: { params: NameParam },
  responses: { 200: json(Account, 'the account'), 401: UNAUTHORIZED, 404: NOT_FOUND },
});
const updateAccount = route({
  method: 'put',
  path: '/{name}',
  summary: 'Change an account',
  middleware: [jsonBody] as const,
  request: { params: NameParam, body: jsonRequest(UpdateAccount) },
  description: 'Changing base_url needs api_key and app_key in the same request: stored keys never go to a new host.',
  responses: {
    200: json(Account, 'the changed account'),
    400: BAD_REQUEST,
    401: UNAUTHORIZED,
    404: NOT_FOUND,
    409: CONFLICT,
    415: UNSUPPORTED_MEDIA_TYPE,
  },
});
const removeAccount = route({
  method: 'delete',
  path: '/{name}',
  summary: 'Delete an account',
  request: { params: NameParam },
  responses: { 204: { description: 'deleted' }, 401: UNAUTHORIZED, 404: NOT_FOUND },
});
const makeDefault = route({
  method: 'post',
  path: '/{name}/default',
  summary: 'Make it the default account',
  request: { params: NameParam },
  responses: { 200: json(Account, 'the account, now the default'), 401: UNAUTHORIZED, 404: NOT_FOUND },
});
const testKeys = route({
  method: 'post',
  path: '/{name}/test',
  summary: 'Validate the keys with Datadog',
  description: "Asks `GET /api/v1/validate` at the account's base URL whether its API key is valid.",
  request: { params: NameParam },
  responses: {
    200: json(
      z.object({ account: z.string(), base_url: z.string(), valid: z.boolean(), status: z.number().int().optional(), message: z.string() }),
      'what Datadog said',
    ),
    401: UNAUTHORIZED,
    404: NOT_FOUND,
  },
});

export const accountRoutes = ({ accounts, auth, config }: ApiDeps): ApiRoutes => {
  const found = async <T>(name: string, value: Promise<T | undefined>): Promise<T> => {
    const v = await value;
    if (v === undefined) throw new ApiError('NOT_FOUND', `no account named "${name}"`);
    return v;
  };
  const conflicts = <T>(p: Promise<T>) =>
    p.catch((err) => {
      throw err instanceof AccountConflictError ? new ApiError('CONFLICT', err.message) : err;
    });

  const policy = { allowedHosts: config.RAYNE_DATADOG_ALLOWED_HOSTS, allowPrivate: config.RAYNE_DATADOG_ALLOW_PRIVATE_ADDRESSES };
  const allowedBaseUrl = (url: string | undefined) => {
    const problem = url === undefined ? undefined : baseUrlProblem(url, policy);
    if (problem) throw new ApiError('BAD_REQUEST', 'base_url is not allowed', [{ field: 'base_url', message: problem }]);
  };

  const prometheusSettings = (p: z.output<typeof PrometheusInput>): PrometheusSettings => ({
    url: p.url.replace(/\/+$/, ''),
    auth: p.bearer_token ? { kind: 'bearer', token: p.bearer_token } : p.basic_auth ? { kind: 'basic', ...p.basic_auth } : { kind: 'none' },
  });

  const app = openApiApp();
  app.use(requireApiToken(auth));
  return app
    .openapi(listAccounts, async (c) => c.json({ accounts: await accounts.list() }, 200))
    .openapi(createAccount, async (c) => {
      const value = c.req.valid('json');
      allowedBaseUrl(value.base_url);
      const { prometheus, ...rest } = value;
      const input = {
        ...rest,
        base_url: value.base_url ?? config.DD_API_URL,
        ...(prometheus ? { prometheus: prometheusSettings(prometheus) } : {}),
      };
      return c.json(await conflicts(accounts.create(input)), 201);
    })
    .openapi(getAccount, async (c) => {
      const { name } = c.req.valid('param');
      return c.json(await found(name, accounts.get(name)), 200);
    })
    .openapi(updateAccount, async (c) => {
      const { name } = c.req.valid('param');
      const { org_id, prometheus, ...rest } = c.req.valid('json');
      const current = await found(name, accounts.get(name));
      allowedBaseUrl(rest.base_url);
      // The stored keys are sent to base_url: a new host must come with keys meant for it.
      if (rest.base_url !== undefined && rest.base_url !== current.base_url && !(rest.api_key && rest.app_key)) {
        throw new ApiError('BAD_REQUEST', 'changing base_url needs api_key and app_key in the same request', [
          { field: 'base_url', message: 'the stored keys are not sent to a new base URL: give api_key and app_key with it' },
        ]);
      }
      // One key alone replaces one of a pair; an account without keys needs both.
      if (!current.api_key_set && !keysTogether(rest))
        throw new ApiError('BAD_REQUEST', KEYS_TOGETHER.message, [{ field: 'app_key', message: KEYS_TOGETHER.message }]);
      const patch: AccountPatch = {
        ...rest,
        ...(org_id === undefined ? {} : { org_id: org_id ?? undefined }),
        ...(prometheus === undefined ? {} : { prometheus: prometheus && prometheusSettings(prometheus) }),
      };
      return c.json(await found(name, conflicts(accounts.update(name, patch))), 200);
    })
    .openapi(removeAccount, async (c) => {
      const { name } = c.req.valid('param');
      if (!(await accounts.remove(name))) throw new ApiError('NOT_FOUND', `no account named "${name}"`);
      return c.body(null, 204);
    })
    .openapi(makeDefault, async (c) => {
      const { name } = c.req.valid('param');
      return c.json(await found(name, accounts.setDefault(name)), 200);
    })
    .openapi(testKeys, async (c) => {
      const { name } = c.req.valid('param');
      const credentials = await found(name, accounts.credentials(name));
      const result = await validateDatadogKeys(credentials);
      return c.json({ account: credentials.name, base_url: credentials.baseUrl, ...result }, 200);
    });
};
