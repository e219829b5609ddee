import { Hono, type Context } from 'hono';
import { deleteCookie, getCookie, setCookie } from 'hono/cookie';
import type { Config } from '../config';
import { type ApiAuth, CONSOLE_COOKIE, CONSOLE_HEADER, sameSecret } from '../api/auth';
import { CONSOLE_SESSION_HOURS } from '../accounts/console-sessions';
import { requestOrigin } from '../api/request-origin';
import { temporalRunLink } from '../api/links';
import { CONSOLE_CSS, CONSOLE_JS } from './assets';
import type { Html } from './html';
import type { EvidenceBundle } from '../evidence/bundle';
import {
  type DeliveryDetailJson,
  type DeliveryJson,
  type EventDetailJson,
  type EventJson,
  type GroupJson,
  errorPage,
  groupPage,
  incidentPage,
  incidentsPage,
  layout,
  loginPage,
  type RcaDetailJson,
  type RcaJson,
  rcaPage,
  triagePage,
  triagesPage,
} from './pages';

type EventPage = { events: EventJson[]; next_cursor: string | null };
type RcaPage = { rcas: RcaJson[] };

/**
 * Calls the API in-process with the browser's own request headers and connection: the console is
 * a view over the API, not a second one, and the API checks the session and limits as for the browser.
 */
export type ApiFetch = (path: string, init: RequestInit, env: unknown) => Response | Promise<Response>;

type ConsoleConfig = Pick<Config, 'TEMPORAL_UI_URL' | 'TEMPORAL_NAMESPACE'>;

// Pages load only the console's own script and stylesheet; nothing may frame them.
const CSP =
  "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; base-uri 'self'; form-action 'self'; frame-ancestors 'none'";

/** An answer the API refused, shown as a page with the same status (a bad filter stays a 400). */
class ApiRefusal extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/** A path under the console to return to after signing in; anything else (another site, a scheme) returns to the list. */
const returnPath = (value: unknown) =>
  typeof value === 'string' && /^[\w\-.~%/?=&]*$/.test(value) && !value.startsWith('/') && !value.includes('//') ? value : '';

/**
 * The report console at `/`: server-rendered pages over the API (incidents, an incident, an RCA
 * with its evidence timeline, an incident group with its members' timeline and service map, GitHub triages). Signing in with the API's token starts a session;
 * the browser keeps only the session's id.
 */
export function consoleRoutes(auth: ApiAuth, config: ConsoleConfig, api: ApiFetch) {
  const { token, sessions } = auth;
  const signedIn = async (c: Context) => !token || (await sessions.isActive(getCookie(c, CONSOLE_COOKIE)));

  const getJson = async <T>(c: Context, path: string): Promise<T> => {
    const headers = new Headers(c.req.raw.headers);
    headers.set(CONSOLE_HEADER, '1');
    const res = await api(path, { headers }, c.env);
    const body = (await res.json().catch(() => ({}))) as { error?: { message?: string } };
    if (!res.ok) throw new ApiRefusal(res.status, body.error?.message ?? `the API answered ${res.status}`);
    return body as T;
  };

  const page = (depth: 0 | 1, title: string, render: (c: Context) => Promise<Html>) => async (c: Context) => {
    c.header('content-security-policy', CSP);
    if (!(await signedIn(c)))
      return c.html(layout('Sign in', depth, loginPage(undefined, c.req.path.slice(1) + new URL(c.req.url).search)), 401);
    try {
      return c.html(layout(title, depth, await render(c), { signedIn: !!token }));
    } catch (err) {
      if (!(err instanceof ApiRefusal)) throw err;
      return c.html(layout('Error', depth, errorPage(err.status, err.message), { signedIn: !!token }), err.status as 400);
    }
  };
  const query = (c: Context, names: string[]) => Object.fromEntries(names.map((n) => [n, c.req.query(n) || undefined]));
  const search = (values: Record<string, string | undefined>) =>
    new URLSearchParams(Object.entries(values).filter((e): e is [string, string] => !!e[1])).toString();

  return new Hono()
    .get('/console/console.css', (c) => c.body(CONSOLE_CSS, 200, { 'content-type': 'text/css; charset=utf-8' }))
    .get('/console/console.js', (c) => c.body(CONSOLE_JS, 200, { 'content-type': 'text/javascript; charset=utf-8' }))
    .get('/login', (c) => {
      c.header('content-security-policy', CSP);
      return c.html(layout('Sign in', 0, loginPage()));
    })
    .post('/login', async (c) => {
      const form = await c.req.parseBody();
      if (!token) return c.redirect('./', 303);
      c.header('content-security-policy', CSP);
      const origin = requestOrigin(c, auth.proxies);
      const next = returnPath(form.next);
      const wait = auth.failures.waitSeconds(origin.client);
      if (wait > 0) {
        c.header('Retry-After', String(wait));
        return c.html(layout('Sign in', 0, loginPage(`Too many wrong tokens from here; try again in ${wait} s.`, next)), 429);
      }
      if (typeof form.token !== 'string' || !sameSecret(form.token, token)) {
        auth.failures.recordFailure(origin.client);
        return c.html(layout('Sign in', 0, loginPage('That is not the API token.', next)), 401);
      }
      auth.failures.forget(origin.client);
      setCookie(c, CONSOLE_COOKIE, await sessions.start(), {
        httpOnly: true,
        sameSite: 'Strict',
        path: '/',
        maxAge: CONSOLE_SESSION_HOURS * 3600,
        secure: origin.https,
      });
      return c.redirect(`./${next}`, 303);
    })
    .post('/logout', async (c) => {
      await sessions.end(getCookie(c, CONSOLE_COOKIE));
      deleteCookie(c, CONSOLE_COOKIE, { path: '/', secure: requestOrigin(c, auth.proxies).https });
      return c.redirect('./', 303);
    })
    .get(
      '/',
      page(0, 'Incidents', async (c) => {
        const filters = query(c, ['alert_status', 'status', 'source', 'monitor_id', 'account', 'cursor']);
        const { events, next_cursor } = await getJson<EventPage>(c, `/v1/webhooks/events?${search(filters)}`);
        const { rcas } = await getJson<RcaPage>(c, '/v1/rca?limit=200');
        // Newest first, so the first RCA seen for an event is its latest run.
        const rcaByEvent = new Map<string, RcaJson>();
        for (const rca of rcas) if (!rcaByEvent.has(rca.event_id)) rcaByEvent.set(rca.event_id, rca);
        return incidentsPage(events, rcaByEvent, filters, next_cursor);
      }),
    )
    .get(
      '/incidents/:id',
      page(1, 'Incident', async (c) => {
        const id = encodeURIComponent(c.req.param('id') ?? '');
        const event = await getJson<EventDetailJson>(c, `/v1/webhooks/events/${id}`);
        const { events } = await getJson<EventPage>(
          c,
          `/v1/webhooks/events?${search({ monitor_id: event.monitor_id, account: event.account, limit: '200' })}`,
        );
        const { rcas } = await getJson<RcaPage>(c, `/v1/rca?event_id=${id}`);
        return incidentPage(
          event,
          events.filter((e) => e.workflow_id === event.workflow_id),
          rcas,
        );
      }),
    )
    .get(
      '/rca/:id',
      page(1, 'RCA', async (c) => {
        const id = encodeURIComponent(c.req.param('id') ?? '');
        const rca = await getJson<RcaDetailJson>(c, `/v1/rca/${id}`);
        const evidence = await getJson<{ evidence?: EvidenceBundle | null }>(c, `/v1/rca/${id}/evidence`);
        const { rcas } = await getJson<RcaPage>(c, `/v1/rca?event_id=${rca.event_id}`);
        return rcaPage(rca, evidence, rcas);
      }),
    )
    .get(
      '/groups/:id',
      page(1, 'Incident group', async (c) => {
        const group = await getJson<GroupJson>(c, `/v1/groups/${encodeURIComponent(c.req.param('id') ?? '')}`);
        return groupPage(group, temporalRunLink(config, group.workflow_id));
      }),
    )
    .get(
      '/github',
      page(0, 'GitHub triages', async (c) => {
        const filters = query(c, ['repository', 'status']);
        const { events } = await getJson<{ events: DeliveryJson[] }>(c, `/v1/webhooks/github/issues?${search(filters)}`);
        return triagesPage(events, filters);
      }),
    )
    .get(
      '/github/:id',
      page(1, 'Triage', async (c) => {
        const delivery = await getJson<DeliveryDetailJson>(c, `/v1/webhooks/github/issues/${encodeURIComponent(c.req.param('id') ?? '')}`);
        return triagePage(delivery, delivery.workflow_id ? temporalRunLink(config, delivery.workflow_id, delivery.run_id) : null);
      }),
    );
}
