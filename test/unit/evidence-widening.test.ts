import { DatadogLinks } from '../../src/datadog/links';
import { hostActivityLogsQuery, peerErrorLogsQuery, processMetricQueries, REQUEST_LOGS_QUERY } from '../../src/datadog/queries';
import { matchesQuery, parseSearchQuery } from '../../src/demo/sandbox-logs-query';
import { buildEvidenceBundle, rankEvents, summarizeBundle } from '../../src/evidence/bundle';
import { condenseMultiline, keepChangedLines } from '../../src/evidence/condense';
import { mineAllLogTemplates } from '../../src/evidence/log-templates';
import { hostAnswersTo, namedInErrors } from '../../src/evidence/named-hosts';
import { clientNetwork, originsOf, summariseOrigins, userAgentFamily } from '../../src/evidence/origins';
import type { AlertContext } from '../../src/contracts/rca';
import { peersOf, type StoredLogLine, topSeries } from '../../src/evidence/sources';

const alertTime = new Date('2026-11-20T12:00:00Z');
const minutesBefore = (m: number) => new Date(alertTime.getTime() - m * 60_000).toISOString();
const window = { from: new Date(alertTime.getTime() - 30 * 60_000), to: alertTime };
const alert: AlertContext = {
  eventId: '7',
  account: 'default',
  status: 'Alert',
  monitorId: '42',
  tags: ['env:prod'],
  service: 'api',
  hostname: 'app-02',
  scope: 'service:api',
  alertTime: alertTime.toISOString(),
};

describe('wider log and metric queries', () => {
  it("read the alert host's other lines, the peers' other services' errors and request logs", () => {
    expect(hostActivityLogsQuery('app-02')).toBe('host:app-02 AND -status:(error OR warn)');
    expect(peerErrorLogsQuery(['app-01', 'app 3'], 'api')).toBe('host:(app-01 OR "app 3") AND -service:api AND status:(error OR warn)');
    expect(peerErrorLogsQuery([], 'api')).toBeUndefined();
    const requests = parseSearchQuery(REQUEST_LOGS_QUERY);
    expect(matchesQuery(requests, { facets: { '@user_agent': ['curl/8'] }, text: '' })).toBe(true);
    expect(matchesQuery(requests, { facets: { '@level': ['info'] }, text: 'user_agent' })).toBe(false);
  });

  it("ask for each process's CPU and memory on the alert's host", () => {
    expect(processMetricQueries('app-02').map((q) => q.query)).toEqual([
      'avg:system.processes.cpu.pct{host:app-02} by {process_name}',
      'avg:system.processes.mem.rss{host:app-02} by {process_name}',
    ]);
  });

  it('keep the processes highest just before the alert', () => {
    const series = (scope: string, recent: number) => ({
      label: 'process CPU %',
      query: 'q',
      scope,
      points: [],
      min: 0,
      max: recent,
      last: recent,
      baseline: 1,
      recent,
    });
    expect(topSeries([series('a', 5), series('b', 600), series('c', 40), series('d', 1)], 2).map((s) => s.scope)).toEqual(['b', 'c']);
  });

  it('take peers from the hosts where the alerting service logged, not the alert host', () => {
    const line = (host: string, service: string): StoredLogLine => ({ at: minutesBefore(1), host, service, status: 'error', message: 'x' });
    expect(
      peersOf(
        [line('app-02', 'api'), line('app-03', 'api'), line('app-01', 'api'), line('db-1', 'postgres'), line('app-03', 'api')],
        alert,
      ),
    ).toEqual(['app-01', 'app-03']);
  });
});

describe('condensing long text', () => {
  it("keeps a config diff's changed lines when event text is cut", () => {
    const text = `${'Rolled out by the config pipeline after review. '.repeat(12)}\n--- /etc/app.conf\n+++ /etc/app.conf\n@@ -1,3 +1,3 @@\n-pool_size = 10\n+pool_size = 1\n keep = yes`;
    const cut = keepChangedLines(text, 400);
    expect(cut.length).toBeLessThanOrEqual(400);
    expect(cut).toContain('-pool_size = 10\n+pool_size = 1');
    expect(cut).not.toContain('+++');
    expect(cut.startsWith('Rolled out')).toBe(true);
    expect(keepChangedLines('short', 400)).toBe('short');
    expect(keepChangedLines('x'.repeat(500), 400)).toBe('x'.repeat(400));
  });

  it("keeps a stack trace's first line, its exception and innermost frames", () => {
    const frames = Array.from({ length: 30 }, (_, i) => `  File "/usr/lib/python3/site-packages/lib${i}.py", line ${i}, in call${i}`);
    const trace = [
      '[7] [ERROR] Error handling request /home',
      'Traceback (most recent call last):',
      ...frames,
      '  File "/app/text.py", line 41, in normalise_name',
      '    return PATTERN.sub("", value)',
      'ValueError: bad input',
    ].join('\n');
    const short = condenseMultiline(trace, 300);
    expect(short.length).toBeLessThanOrEqual(300);
    expect(short.split('\n')[0]).toBe('[7] [ERROR] Error handling request /home');
    expect(short).toContain('normalise_name');
    expect(short.endsWith('ValueError: bad input')).toBe(true);
    expect(short).toContain('…');
  });

  it("keeps a Java trace's Caused by line even when it is not at the end", () => {
    const frames = (n: number) => Array.from({ length: n }, (_, i) => `\tat com.example.Worker.step${i}(Worker.java:${i})`);
    const trace = [
      'ERROR Job failed',
      'java.lang.RuntimeException: wrapper',
      ...frames(20),
      'Caused by: java.io.IOException: No space left on device',
      ...frames(20),
    ].join('\n');
    const short = condenseMultiline(trace, 400);
    expect(short).toContain('Caused by: java.io.IOException: No space left on device');
    expect(short).toContain('java.lang.RuntimeException: wrapper');
  });
});

describe('request origins', () => {
  it('name a user agent by its tool, bot or browser', () => {
    expect(userAgentFamily('Scrapy/2.11.2 (+https://scrapy.org)')).toBe('Scrapy');
    expect(userAgentFamily('Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)')).toBe('Googlebot');
    expect(userAgentFamily('Mozilla/5.0 (Macintosh) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.6 Safari/605.1.15')).toBe('Safari');
    expect(userAgentFamily('Mozilla/5.0 (X11) AppleWebKit/537.36 Chrome/120.0 Safari/537.36')).toBe('Chrome');
    expect(clientNetwork('43.153.27.114')).toBe('43.153.0.0/16');
  });

  it('read origins from attributes or a JSON message', () => {
    expect(
      originsOf({ attributes: { http: { useragent: 'curl/8.1' }, network: { client: { ip: '10.1.2.3' } } }, message: 'GET /' }),
    ).toEqual([
      ['user agent', 'curl'],
      ['client /16', '10.1.0.0/16'],
    ]);
    expect(originsOf({ message: '{"remote_addr":"8.8.4.4","user_agent":"okhttp/4","query":"utm_source=feed&x=1"}' })).toEqual([
      ['user agent', 'okhttp'],
      ['client /16', '8.8.0.0/16'],
      ['campaign', 'feed'],
    ]);
    expect(originsOf({ message: 'plain text' })).toEqual([]);
  });

  it('put the origin that took over the traffic first, with its earlier share', () => {
    const request = (ua: string, ip: string) => ({ attributes: { user_agent: ua, remote_addr: ip }, message: '' });
    const earlier = [...Array(9)]
      .map(() => request('Mozilla/5.0 Firefox/120.0', '81.2.1.1'))
      .concat([request('crawler-x/1', '43.153.1.1')]);
    const recent = [...Array(8)]
      .map(() => request('crawler-x/1', '43.153.1.1'))
      .concat([request('Mozilla/5.0 Firefox/120.0', '81.2.1.1'), request('Mozilla/5.0 Firefox/120.0', '81.2.1.1')]);
    const top = summariseOrigins(recent, earlier);
    expect(top[0]).toEqual({ by: 'user agent', value: 'crawler-x', recent: 0.8, earlier: 0.1 });
    expect(top.find((o) => o.value === 'Firefox')).toEqual({ by: 'user agent', value: 'Firefox', recent: 0.2, earlier: 0.9 });
    expect(top.filter((o) => o.by === 'client /16')).toHaveLength(2);
  });
});

describe('hosts named in errors', () => {
  const line = (status: string, message: string): StoredLogLine => ({
    at: minutesBefore(2),
    host: 'app-02',
    service: 'api',
    status,
    message,
  });

  it('count addresses and keyed host names of error lines, most named first, skipping loopback and the alert host', () => {
    const named = namedInErrors(
      [
        line('error', 'connect to 10.40.2.13:8080 timed out (from 127.0.0.1)'),
        line('error', "ReadTimeout(host='10.40.2.13', port=8080)"),
        line('warn', 'retrying against host=db-replica-3 after failure on host=app-02'),
        line('info', 'dispatched to 10.40.2.11'),
      ],
      ['app-02'],
      5,
    );
    expect(named).toEqual([
      { named: '10.40.2.13', lines: 2 },
      { named: 'db-replica-3', lines: 1 },
    ]);
  });

  it('match a listed host by name, alias or tag value, not by a longer address', () => {
    expect(hostAnswersTo({ name: 'q-3', tags: ['internal_ip:10.40.2.13'] }, '10.40.2.13')).toBe(true);
    expect(hostAnswersTo({ name: 'q-3', tags: ['internal_ip:10.40.2.130'] }, '10.40.2.13')).toBe(false);
    expect(hostAnswersTo({ name: 'db-replica-3.internal', aliases: ['db-replica-3'] }, 'db-replica-3')).toBe(true);
  });
});

describe('wider evidence in the bundle', () => {
  const links = new DatadogLinks('https://api.datadoghq.com', window);

  it('lists a change made after the alert without counting it as a change', () => {
    const ranked = rankEvents(
      [
        {
          at: new Date(alertTime.getTime() + 4 * 60_000).toISOString(),
          title: 'api config reloaded',
          text: '',
          source: 'config',
          tags: [],
        },
        { at: minutesBefore(100), title: 'api v2 deployed', text: '', source: 'deploy', tags: [] },
      ],
      alert,
      links,
      alertTime.getTime(),
    );
    expect(ranked.map((e) => e.title)).toEqual(['api v2 deployed', 'api config reloaded']);
    expect(ranked[1]!.why).toEqual(['mentions api', '4 min after the alert']);
  });

  it("mines the wider searches' templates, keeping only new, bursting or error ones with their search", () => {
    const search = { query: 'host:app-02 AND -status:(error OR warn)', why: "on the alert's host, not an error", newWithinMinutes: 30 };
    const old = Array.from({ length: 20 }, (_, i): StoredLogLine => ({
      at: minutesBefore(110 - i * 5),
      host: 'app-02',
      service: 'cron',
      status: 'info',
      message: `heartbeat ok seq ${i}`,
    }));
    const started: StoredLogLine = {
      at: minutesBefore(25),
      host: 'app-02',
      service: 'reindex-job',
      status: 'info',
      message: 'reindex-job starting with 32 threads',
    };
    const templates = mineAllLogTemplates(
      [{ at: minutesBefore(3), host: 'app-02', service: 'api', status: 'error', message: 'request timed out' }],
      [{ ...search, lines: [...old, started] }],
      alertTime,
    );
    expect(templates.map((t) => t.template)).toEqual(['request timed out', 'reindex-job starting with <*> threads']);
    expect(templates[1]!.search).toBe(search.query);
    expect(templates[1]!.why).toContain(search.why);

    const bundle = buildEvidenceBundle({
      rcaId: 'rca/7',
      role: { role: 'application', reason: 'test' },
      alert,
      accountBaseUrl: 'https://api.datadoghq.com',
      window,
      changeWindow: { from: new Date(alertTime.getTime() - 3 * 3600_000), to: new Date(alertTime.getTime() + 600_000) },
      sources: [],
      logLines: 1,
      templates,
      events: [],
      metrics: [],
      similar: [],
      tokenBudget: 12_000,
      namedHosts: [{ named: '10.0.0.9', lines: 3, host: 'db-9', up: false, apps: [], tags: [] }],
    });
    expect(new URL(bundle.logTemplates[1]!.link!).searchParams.get('query')).toBe(`${search.query} "reindex-job starting with"`);
    expect(bundle.changeWindow).toEqual({ from: '2026-11-20T09:00:00.000Z', to: '2026-11-20T12:10:00.000Z' });
    expect(bundle.namedHosts?.[0]?.host).toBe('db-9');
    expect(bundle.origins).toBeUndefined();
    expect(summarizeBundle(bundle)).toMatch(/1 hosts named in errors \(1 down\)/);
  });
});
