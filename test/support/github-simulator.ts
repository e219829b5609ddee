import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface GithubComment {
  id: number;
  node_id: string;
  url: string;
  html_url: string;
  issue_url: string;
  body: string;
  user: { login: string; id: number; type: string };
  created_at: string;
  updated_at: string;
  author_association: string;
}

export interface GithubRequest {
  method: string;
  path: string;
  query: URLSearchParams;
  body: any;
  authorization?: string;
}

interface Issue {
  state: 'open' | 'closed';
  state_reason: string | null;
  labels: string[];
  comments: GithubComment[];
}

/**
 * A loopback stand-in for the parts of GitHub's REST API the triage uses, in their public shapes:
 * issue comments (list with `since` and Link-header pages, create), repository labels, adding
 * labels, and updating an issue. Checks the token, records every request, and can hold or fail
 * the next matching request.
 */
export interface GithubSimulator {
  url: string;
  requests: GithubRequest[];
  /** Non-GET requests: everything that changed something. */
  writes(): GithubRequest[];
  issue(repository: string, number: number): Issue;
  /** Labels that exist in a repository. */
  setLabels(repository: string, labels: string[]): void;
  /** The next request matching method and path suffix is carried out, then answered only after holdMs. */
  holdNext(method: string, pathEnd: string, holdMs: number): void;
  /** The next request matching method and path suffix is refused with this status, changing nothing. */
  failNext(method: string, pathEnd: string, status: number, headers?: Record<string, string>): void;
  close(): Promise<void>;
}

const BOT = { login: 'rayne-bot', id: 4242, type: 'Bot' };

export async function startGithubSimulator(token: string): Promise<GithubSimulator> {
  const requests: GithubRequest[] = [];
  const issues = new Map<string, Issue>();
  const labels = new Map<string, string[]>();
  const holds: Array<{ method: string; pathEnd: string; ms: number }> = [];
  const failures: Array<{ method: string; pathEnd: string; status: number; headers: Record<string, string> }> = [];
  const timers = new Set<NodeJS.Timeout>();
  let nextId = 1000;
  let url = '';

  const issueOf = (repository: string, number: number): Issue => {
    const key = `${repository}#${number}`;
    if (!issues.has(key)) issues.set(key, { state: 'open', state_reason: null, labels: [], comments: [] });
    return issues.get(key)!;
  };
  const take = <T extends { method: string; pathEnd: string }>(list: T[], method: string, path: string): T | undefined => {
    const i = list.findIndex((h) => h.method === method && path.endsWith(h.pathEnd));
    return i < 0 ? undefined : list.splice(i, 1)[0];
  };
  const labelObject = (repository: string, name: string) => ({
    id: name.length,
    node_id: `L_${name}`,
    url: `${url}/repos/${repository}/labels/${encodeURIComponent(name)}`,
    name,
    color: 'ededed',
    default: false,
    description: null,
  });

  function handle(req: GithubRequest): { status: number; body: unknown; headers?: Record<string, string> } {
    if (req.authorization !== `token ${token}` && req.authorization !== `Bearer ${token}`) {
      return { status: 401, body: { message: 'Bad credentials', documentation_url: 'https://docs.github.com/rest', status: '401' } };
    }
    const m = req.path.match(/^\/repos\/([^/]+\/[^/]+)\/(labels|issues\/(\d+)(\/comments|\/labels)?)$/);
    if (!m) return { status: 404, body: { message: 'Not Found', documentation_url: 'https://docs.github.com/rest' } };
    const [, repository, , number, sub] = m as unknown as [string, string, string, string | undefined, string | undefined];
    if (!number) {
      if (req.method !== 'GET') return { status: 404, body: { message: 'Not Found' } };
      return { status: 200, body: (labels.get(repository!) ?? []).map((l) => labelObject(repository!, l)) };
    }
    const issue = issueOf(repository!, Number(number));
    if (sub === '/comments' && req.method === 'GET') {
      const since = req.query.get('since');
      const all = issue.comments.filter((c) => !since || c.updated_at >= new Date(since).toISOString());
      const perPage = Number(req.query.get('per_page') ?? 30);
      const page = Number(req.query.get('page') ?? 1);
      const pages = Math.max(1, Math.ceil(all.length / perPage));
      const headers: Record<string, string> = {};
      if (page < pages) {
        const next = new URL(`${url}${req.path}`);
        req.query.forEach((v, k) => next.searchParams.set(k, v));
        next.searchParams.set('page', String(page + 1));
        headers.link = `<${next}>; rel="next"`;
      }
      return { status: 200, body: all.slice((page - 1) * perPage, page * perPage), headers };
    }
    if (sub === '/comments' && req.method === 'POST') {
      if (typeof req.body?.body !== 'string' || req.body.body === '')
        return {
          status: 422,
          body: { message: 'Validation Failed', errors: [{ resource: 'IssueComment', code: 'missing_field', field: 'body' }] },
        };
      const id = nextId++;
      const now = new Date().toISOString();
      const comment: GithubComment = {
        id,
        node_id: `IC_${id}`,
        url: `${url}/repos/${repository}/issues/comments/${id}`,
        html_url: `https://github.com/${repository}/issues/${number}#issuecomment-${id}`,
        issue_url: `${url}/repos/${repository}/issues/${number}`,
        body: req.body.body,
        user: BOT,
        created_at: now,
        updated_at: now,
        author_association: 'NONE',
      };
      issue.comments.push(comment);
      return { status: 201, body: comment };
    }
    if (sub === '/labels' && req.method === 'POST') {
      for (const l of req.body?.labels ?? []) if (!issue.labels.includes(l)) issue.labels.push(l);
      return { status: 200, body: issue.labels.map((l) => labelObject(repository!, l)) };
    }
    if (!sub && req.method === 'PATCH') {
      if (req.body?.state) issue.state = req.body.state;
      if ('state_reason' in (req.body ?? {})) issue.state_reason = req.body.state_reason;
      return {
        status: 200,
        body: {
          number: Number(number),
          state: issue.state,
          state_reason: issue.state_reason,
          html_url: `https://github.com/${repository}/issues/${number}`,
        },
      };
    }
    return { status: 404, body: { message: 'Not Found' } };
  }

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const parsed = new URL(req.url ?? '/', 'http://simulator');
      const text = Buffer.concat(chunks).toString('utf8');
      const request: GithubRequest = {
        method: req.method ?? 'GET',
        path: decodeURIComponent(parsed.pathname),
        query: parsed.searchParams,
        body: text ? JSON.parse(text) : undefined,
        authorization: req.headers.authorization,
      };
      requests.push(request);
      const failure = take(failures, request.method, request.path);
      const answer = failure
        ? { status: failure.status, body: { message: `simulated ${failure.status}` }, headers: failure.headers }
        : handle(request);
      const hold = take(holds, request.method, request.path);
      const timer = setTimeout(() => {
        timers.delete(timer);
        if (res.destroyed) return;
        res
          .writeHead(answer.status, { 'content-type': 'application/json; charset=utf-8', ...(answer.headers ?? {}) })
          .end(JSON.stringify(answer.body));
      }, hold?.ms ?? 0);
      timers.add(timer);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    requests,
    writes: () => requests.filter((r) => r.method !== 'GET'),
    issue: issueOf,
    setLabels: (repository, names) => labels.set(repository, names),
    holdNext: (method, pathEnd, ms) => holds.push({ method, pathEnd, ms }),
    failNext: (method, pathEnd, status, headers = {}) => failures.push({ method, pathEnd, status, headers }),
    close: () =>
      new Promise((resolve) => {
        for (const timer of timers) clearTimeout(timer);
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
