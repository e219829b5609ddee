import { Hono } from 'hono';
import { z } from 'zod';
import { AccountConflictError } from '../accounts/store';
import { validateDatadogKeys } from '../datadog/validate-keys';
import type { ApiDeps } from './app';
import { requireApiToken } from './auth';
import { ApiError } from './errors';
import { readJson } from './request';

// Names appear in webhook URLs and workflow ids, so they stay URL- and id-safe.
const Name = z.string().regex(/^[a-z0-9][a-z0-9_-]{0,62}$/, 'must be 1-63 lowercase letters, digits, "-" or "_"');
const OrgId = z.union([z.string().regex(/^\d+$/, 'must be a number'), z.number().int()]).transform(String);
const Key = z.string().min(1, 'must not be empty').max(512);

const CreateAccount = z.strictObject({
  name: Name,
  org_id: OrgId.optional(),
  base_url: z.string().url().optional(),
  api_key: Key,
  app_key: Key,
  is_default: z.boolean().optional(),
});
const UpdateAccount = CreateAccount.omit({ name: true }).partial().extend({ org_id: OrgId.nullable().optional() });

export const accountRoutes = ({ accounts, config }: ApiDeps) => {
  const found = async <T>(name: string, value: Promise<T | undefined>): Promise<T> => {
    const v = await value;
    if (v === undefined) throw new ApiError('NOT_FOUND', `no account named "${name}"`);
    return v;
  };
  const conflicts = <T>(p: Promise<T>) =>
    p.catch((err) => {
      throw err instanceof AccountConflictError ? new ApiError('CONFLICT', err.message) : err;
    });

  return new Hono()
    .use(requireApiToken(config.RAYNE_API_TOKEN))
    .get('/', async (c) => c.json({ accounts: await accounts.list() }))
    .post('/', async (c) => {
      const { value } = await readJson(c, CreateAccount);
      return c.json(await conflicts(accounts.create({ ...value, base_url: value.base_url ?? config.DD_API_URL })), 201);
    })
    .get('/:name', async (c) => c.json(await found(c.req.param('name'), accounts.get(c.req.param('name')))))
    .put('/:name', async (c) => {
      const { value } = await readJson(c, UpdateAccount);
      const { org_id, ...rest } = value;
      const patch = org_id === undefined ? rest : { ...rest, org_id: org_id ?? undefined };
      return c.json(await found(c.req.param('name'), conflicts(accounts.update(c.req.param('name'), patch))));
    })
    .delete('/:name', async (c) => {
      if (!(await accounts.remove(c.req.param('name')))) throw new ApiError('NOT_FOUND', `no account named "${c.req.param('name')}"`);
      return c.body(null, 204);
    })
    .post('/:name/default', async (c) => c.json(await found(c.req.param('name'), accounts.setDefault(c.req.param('name')))))
    .post('/:name/test', async (c) => {
      const credentials = await found(c.req.param('name'), accounts.credentials(c.req.param('name')));
      const result = await validateDatadogKeys(credentials);
      return c.json({ account: credentials.name, base_url: credentials.baseUrl, ...result });
    });
};
