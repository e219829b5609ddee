import examples from '@octokit/webhooks-examples';
import { ApplicationFailure } from '@temporalio/common';
import { toApplicationFailure } from '../../src/errors';
import { toGithubFailure } from '../../src/github/client';
import { commentMarker, neutralise, renderComment } from '../../src/github/comment';
import { findMentions } from '../../src/github/mentions';
import { classifyIssue, triageOffline } from '../../src/github/offline-triage';
import { IssuesEventSchema, triageDecision } from '../../src/github/payload';
import { groundTriage, type Triage, type TriageContext } from '../../src/github/triage';
import { examplePayload } from '../support/github-deliveries';

const context = (overrides: Partial<TriageContext> & { title?: string; body?: string; labels?: string[] } = {}): TriageContext => ({
  issue: {
    repository: 'acme/shop',
    number: 12,
    title: overrides.title ?? 'Something',
    url: 'https://github.com/acme/shop/issues/12',
    body: overrides.body ?? '',
    labels: overrides.labels ?? [],
    createdAt: '2026-11-24T10:00:00.000Z',
  },
  mentions: { services: [], hosts: [], monitors: [] },
  recentAlerts: [],
  similarIncidents: [],
  similarIssues: [],
  looksLikeIncident: false,
  missing: [],
  ...overrides,
});

const triage: Triage = {
  kind: 'bug',
  summary: 'Checkout fails',
  duplicates: [],
  affected_service: 'checkout-service',
  suggested_labels: ['bug'],
  diagnosis: 'A bad deploy',
  next_steps: ['Roll back'],
  confidence: 0.7,
};

describe('triageDecision', () => {
  const event = (action: string, label?: string) =>
    IssuesEventSchema.parse({ ...examplePayload('issues', action), ...(label ? { label: { name: label } } : {}) });

  it.each([
    ['opened', undefined, true],
    ['reopened', undefined, true],
    ['labeled', 'rayne', true],
    ['labeled', 'bug', false],
    ['edited', undefined, false],
    ['deleted', undefined, false],
  ])('%s (label %s) triages: %s', (action, label, expected) => {
    expect(triageDecision(event(action, label), 'rayne').triage).toBe(expected);
  });

  it('parses every issues example GitHub documents', () => {
    const issues = (examples as Array<{ name: string; examples: unknown[] }>).find((e) => e.name === 'issues')!.examples;
    expect(issues.length).toBeGreaterThan(20);
    expect(issues.filter((e) => !IssuesEventSchema.safeParse(e).success)).toEqual([]);
  });
});

describe('findMentions', () => {
  const known = {
    services: ['checkout-service', 'api', 'web'],
    hosts: ['web-01', 'db-primary'],
    monitors: [{ id: '4242', name: 'Checkout error rate' }],
  };

  it('finds known names as whole names, tags and monitor links', () => {
    const found = findMentions(
      'checkout-service is slow on web-01 since 9:00. See https://app.datadoghq.com/monitors/4242 and host:db-replica. The website is fine.',
      known,
    );
    expect(found.services).toEqual(['checkout-service']);
    expect(found.hosts).toEqual(['web-01', 'db-replica']);
    expect(found.monitors).toEqual([{ id: '4242', name: 'Checkout error rate' }]);
  });

  it('does not take a name inside a longer one', () => {
    expect(findMentions('web-01b and checkout-service-v2 and apis', known)).toEqual({ services: [], hosts: [], monitors: [] });
  });

  it('finds monitors by name and by "monitor 123" ids', () => {
    expect(findMentions('The Checkout error rate monitor fired; also monitor #9001', known).monitors).toEqual([
      { id: '9001' },
      { id: '4242', name: 'Checkout error rate' },
    ]);
  });
});

describe('classifyIssue', () => {
  it.each([
    ['Production outage: checkout is down', 'Customers get 502 errors since the deploy, we were paged.', [], 'incident'],
    [
      'Crash when saving a cart',
      'Steps to reproduce: add an item. Expected behaviour: saved. Actual: exception and stack trace.',
      [],
      'bug',
    ],
    ['How do I rotate the API key?', 'Is there a way to do it without downtime?', [], 'question'],
    ['Add support for Opsgenie', 'It would be nice to page through Opsgenie as well. Feature request.', [], 'feature_request'],
    ['Odd behaviour', 'Something happens', ['enhancement'], 'feature_request'],
  ])('%s → %s', (title, body, labels, kind) => {
    expect(classifyIssue(context({ title, body, labels })).kind).toBe(kind);
  });

  it('leans to incident when the issue names monitored things that alerted', () => {
    const named = context({
      title: 'checkout is weird',
      body: 'not sure what happened',
      mentions: { services: ['checkout-service'], hosts: [], monitors: [] },
      recentAlerts: [{ eventId: '1', monitorId: '42', status: 'Alert', at: '2026-11-24T09:00:00Z' }],
    });
    expect(classifyIssue(named).kind).toBe('incident');
  });
});

describe('triageOffline', () => {
  it('offers earlier issues above the bar as duplicates and cites a recent RCA', () => {
    const result = triageOffline(
      context({
        title: 'Checkout returns 502',
        body: 'customers see errors',
        mentions: { services: ['checkout-service'], hosts: [], monitors: [] },
        recentAlerts: [
          {
            eventId: '9',
            monitorId: '42',
            monitorName: 'Checkout 5xx',
            status: 'Alert',
            service: 'checkout-service',
            at: '2026-11-24T09:00:00Z',
            rootCause: 'v4.12.0 broke the payment client',
          },
        ],
        similarIssues: [
          { id: 'github/acme/shop#3', title: '#3 Checkout 502s', score: 0.82, url: 'https://github.com/acme/shop/issues/3' },
          { id: 'github/acme/shop#4', title: '#4 Slow search', score: 0.41, url: 'https://github.com/acme/shop/issues/4' },
        ],
      }),
    );
    expect(result.triage.kind).toBe('incident');
    expect(result.triage.duplicates.map((d) => d.url)).toEqual(['https://github.com/acme/shop/issues/3']);
    expect(result.triage.affected_service).toBe('checkout-service');
    expect(result.triage.diagnosis).toContain('v4.12.0 broke the payment client');
    expect(result.triage.suggested_labels).toEqual(['incident', 'duplicate']);
    expect(result.reasoning.join('\n')).toContain('event 9');
  });

  it('says it has nothing to go on instead of guessing', () => {
    const result = triageOffline(context({ title: 'How do I export reports?', body: 'Is there a way?' }));
    expect(result.triage.kind).toBe('question');
    expect(result.triage.duplicates).toEqual([]);
    expect(result.triage.diagnosis).toContain('needs a person');
    expect(result.triage.confidence).toBeLessThan(0.7);
  });
});

describe('groundTriage', () => {
  it('keeps only duplicates the search found and drops the trigger label', () => {
    const grounded = groundTriage(
      {
        ...triage,
        duplicates: [
          { url: 'https://github.com/acme/shop/issues/3', reason: 'same' },
          { url: 'https://evil.example/issues/1', reason: 'made up' },
        ],
        suggested_labels: ['bug', 'Rayne', 'bug'],
      },
      { similarIssues: [{ id: 'x', title: '#3', score: 0.9, url: 'https://github.com/acme/shop/issues/3' }] },
      'rayne',
    );
    expect(grounded.triage.duplicates.map((d) => d.url)).toEqual(['https://github.com/acme/shop/issues/3']);
    expect(grounded.triage.suggested_labels).toEqual(['bug']);
    expect(grounded.dropped[0]).toContain('evil.example');
  });
});

describe('the comment', () => {
  it('neutralises mentions, HTML and forged markers in analyst text', () => {
    const text = neutralise('ping @octocat and @acme/security <!-- rayne:github/other --> <img src=x onerror=alert(1)> mail a@b.com');
    expect(text).not.toMatch(/(^|\s)@[a-z]/);
    expect(text).not.toContain('<!--');
    expect(text).not.toContain('<img');
    expect(text).toContain('a@b.com');
  });

  it('renders the triage and ends with the marker of its workflow', () => {
    const body = renderComment(
      { ...triage, duplicates: [{ url: 'https://github.com/acme/shop/issues/3', title: '#3 Checkout 502s', reason: 'same errors' }] },
      {
        similarIncidents: [{ id: 'rca/1', title: 'Checkout 5xx', score: 0.7, rootCause: 'bad deploy', url: 'https://dd/notebook/1' }],
        recentAlerts: [],
      },
      { workflowId: 'github/abc', analyst: 'claude', model: 'claude-sonnet-4-6', runUrl: 'http://ui/run' },
    );
    expect(body.endsWith(commentMarker('github/abc'))).toBe(true);
    expect(body).toContain('Rayne triage: Bug (confidence 70%)');
    expect(body).toContain('https://github.com/acme/shop/issues/3');
    expect(body).toContain('[report](https://dd/notebook/1)');
    expect(body).toContain('claude (claude-sonnet-4-6)');
  });
});

describe('toGithubFailure', () => {
  const httpError = (status: number, headers: Record<string, string> = {}) =>
    Object.assign(new Error(`status ${status}`), { name: 'HttpError', status, response: { headers } });

  it.each([
    [401, {}, 'Unauthorized', true],
    [403, {}, 'Forbidden', true],
    [404, {}, 'NotFound', true],
    [422, {}, 'Rejected', true],
    [429, { 'retry-after': '7' }, 'RateLimited', false],
    [403, { 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': String(Math.floor(Date.now() / 1000) + 60) }, 'RateLimited', false],
  ])('%i %j → %s', (status, headers, type, nonRetryable) => {
    const failure = toApplicationFailure(toGithubFailure(httpError(status, headers), 'create comment')) as ApplicationFailure;
    expect(failure).toBeInstanceOf(ApplicationFailure);
    expect(failure.type).toBe(type);
    expect(failure.nonRetryable).toBe(nonRetryable);
    expect(failure.message).toContain('create comment');
  });

  it('waits for retry-after on a rate limit and leaves 5xx and network errors retryable as they are', () => {
    expect((toApplicationFailure(toGithubFailure(httpError(429, { 'retry-after': '7' }), 'x')) as ApplicationFailure).nextRetryDelay).toBe(
      7000,
    );
    const busy = httpError(502);
    expect(toGithubFailure(busy, 'x')).toBe(busy);
    const network = new TypeError('fetch failed');
    expect(toGithubFailure(network, 'x')).toBe(network);
  });
});
