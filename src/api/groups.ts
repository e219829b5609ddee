import { z } from 'zod';
import { jsonShape } from '../db/rows';
import { GroupMemberRow, GroupRcaRow, GroupStore, GroupSummaryRow } from '../groups/store';
import type { ApiDeps } from './deps';
import { requireApiToken } from './auth';
import { ApiError } from './errors';
import { type ApiRoutes, BAD_REQUEST, json, openApiApp, problem, routesOf, security, UNAUTHORIZED } from './openapi';
import { storableText } from './request';

const GroupIdParam = z.object({
  id: z
    .string()
    .regex(/^[0-9a-f]{16}$/, 'a group id is 16 hex digits')
    .meta({ description: 'the group id (16 hex digits); its workflow is group/{id}', example: '3f2a9c0b1d4e5f60' }),
});
const GroupFilters = z.object({
  account: storableText().optional(),
  status: GroupSummaryRow.shape.status.optional(),
  limit: z.coerce.number().int().min(1).max(200).default(50),
});

const GroupSummary = z
  .looseObject({
    ...jsonShape(GroupSummaryRow.shape),
    group_key: GroupSummaryRow.shape.group_key.meta({
      description: "the account rule's name and group_by values that formed it; null when grouped by topology",
    }),
    merged_into: GroupSummaryRow.shape.merged_into.meta({
      description: 'status merged: the older group an alert linked this one to; its members and RCAs are there now',
    }),
  })
  .meta({ id: 'IncidentGroupSummary' });
const Group = GroupSummary.extend({
  members: z.array(z.looseObject(jsonShape(GroupMemberRow.shape))),
  rcas: z.array(z.looseObject(jsonShape(GroupRcaRow.shape))),
}).meta({ id: 'IncidentGroup' });

const route = routesOf('Groups', security.apiToken);
const listGroups = route({
  method: 'get',
  path: '/',
  summary: 'List incident groups',
  description:
    "Newest first. A group is the alerts of one outage (one account, a shared host or service, or an account rule's group_by values), investigated by one RCA.",
  request: { query: GroupFilters },
  responses: { 200: json(z.object({ groups: z.array(GroupSummary) }), 'the groups'), 400: BAD_REQUEST, 401: UNAUTHORIZED },
});
const getGroup = route({
  method: 'get',
  path: '/{id}',
  summary: 'Show an incident group',
  description: 'Its members in firing order (each with whether its incident recovered) and its RCAs.',
  request: { params: GroupIdParam },
  responses: { 200: json(Group, 'the group'), 400: BAD_REQUEST, 401: UNAUTHORIZED, 404: problem('no group with that id') },
});

export const groupRoutes = ({ db, auth }: ApiDeps): ApiRoutes => {
  const groups = new GroupStore(db);
  const app = openApiApp();
  app.use(requireApiToken(auth));
  return app
    .openapi(listGroups, async (c) => c.json({ groups: await groups.list(c.req.valid('query')) }, 200))
    .openapi(getGroup, async (c) => {
      const { id } = c.req.valid('param');
      const group = await groups.find(id);
      if (!group) throw new ApiError('NOT_FOUND', `no group ${id}`);
      return c.json(group, 200);
    });
};
