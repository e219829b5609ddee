import fs from 'node:fs';
import path from 'node:path';
import { investigate, type Observation, POLICY_LIMITS } from '../../src/analysis/investigator';
import { confidenceOf, crossValidatedConfidence, fitCalibration, TRANSFER_SHIFT } from '../../src/analysis/investigator/calibration';
import type { AnswerFeatures } from '../../src/analysis/investigator/conclude';
import { contentWords, entitiesIn } from '../../src/analysis/investigator/entities';
import {
  CHANGES,
  changeOf,
  EGRESS,
  METRIC_KINDS,
  metricKindOf,
  REASONS,
  reasonIn,
  TECHNOLOGIES,
  technologiesIn,
} from '../../src/analysis/investigator/knowledge';
import { readingsOf } from '../../src/analysis/investigator/observations';
import { calleesNamed, callId, EVERYTHING_FAILING } from '../../src/analysis/investigator/policy';
import { seriesAnomaly } from '../../src/analysis/investigator/trouble';
import type { AlertContext } from '../../src/contracts/rca';
import { loadScenario } from '../../src/demo/scenario';

const ALERT_MS = Date.parse('2026-11-24T03:00:00Z');
const at = (minutes: number) => new Date(ALERT_MS + minutes * 60_000).toISOString();
const alert: AlertContext = {
  eventId: '1',
  account: 'acme',
  status: 'Alert',
  monitorId: '7',
  tags: ['service:orders'],
  service: 'orders',
  hostname: 'orders-app-01',
  scope: 'service:orders',
  alertTime: new Date(ALERT_MS).toISOString(),
};
const ctx = { alert, alertMs: ALERT_MS };

/** A search_logs result as the tool runner writes it. */
const logs = (query: string, templates: Array<Record<string, unknown>>): string => JSON.stringify({ query, templates });
const line = (services: string[], hosts: string[], level: string, example: string, firstSeenMin: number, count = 40) => ({
  template: example,
  example,
  count,
  level,
  firstSeen: at(firstSeenMin),
  lastSeen: at(-1),
  hosts,
  services,
  why: [`new ${-firstSeenMin} min before the alert`],
});
const events = (list: Array<{ at: number; title: string; text?: string; tags?: string[]; alertType?: string }>) =>
  JSON.stringify({
    events: list.map((e) => ({ at: at(e.at), title: e.title, text: e.text ?? '', tags: e.tags ?? [], alertType: e.alertType ?? 'info' })),
  });

/** The alerting service's request rate, nine times its baseline for the last half hour: demand rising. */
const ORDERS_DEMAND_RISING = JSON.stringify({
  series: [
    {
      label: 'trace.http.request.hits',
      scope: 'service:orders',
      query: 'avg:trace.http.request.hits{service:orders}',
      points: [-60, -50, -40, -30, -20, -10, -5].map((m, i) => [at(m), i < 4 ? 100 : 900]),
    },
  ],
});

/** Answers every call the policy makes from canned outputs, keyed by tool and a word of the input. */
function runPolicy(answer: (call: Observation['call']) => string): { observations: Observation[]; move: ReturnType<typeof investigate> } {
  const observations: Observation[] = [];
  for (let turn = 1; turn <= 8; turn++) {
    const move = investigate(ctx, observations, turn === 8);
    if ('report' in move) return { observations, move };
    for (const call of move.calls) observations.push({ call, ok: true, text: answer(call) });
  }
  throw new Error('the policy did not report within 8 turns');
}

/** The report the policy ends with, from canned answers. */
function reportFrom(answer: (call: Observation['call']) => string) {
  const { move } = runPolicy(answer);
  if (!('report' in move)) throw new Error('expected a report');
  return move.report;
}

type Line = ReturnType<typeof line>;

/** A line of the alerting service on the alert's host. */
const ordersLine = (level: string, example: string, firstSeenMin: number, count?: number) =>
  line(['orders'], ['orders-app-01'], level, example, firstSeenMin, count);

/**
 * Canned answers: a log search gets the lines of the first key its query starts with (bare or
 * quoted), get_events the events, service_dependencies the map; anything else reads as empty.
 */
const answering =
  (searches: Array<[string, Line[]]>, eventList: Parameters<typeof events>[0] = [], dependencies?: Record<string, string[]>) =>
  (call: Observation['call']): string => {
    const q = String(call.input.query ?? '');
    const found = call.name === 'search_logs' ? searches.find(([key]) => q.startsWith(key) || q.startsWith(`"${key}"`)) : undefined;
    if (found) return logs(q, found[1]);
    if (call.name === 'get_events') return events(eventList);
    if (call.name === 'service_dependencies' && dependencies) return JSON.stringify({ dependencies });
    return '{}';
  };

/** The commonest investigation here: one failing line of the alerting service, some events, nothing else. */
const ordersFailing = (level: string, example: string, minute: number, eventList: Parameters<typeof events>[0] = []) =>
  answering([['service:orders', [ordersLine(level, example, minute)]]], eventList);

describe('entities named in a failing line', () => {
  it('finds hosts, addresses, domains and the objects a line failed on', () => {
    const names = entitiesIn(
      'connect to db-main-02 (10.2.3.4:5432) failed; POST https://api.vendor.io/v1/charge; lock wait on table "ledger_holds"',
    ).map((e) => `${e.shape}:${e.name}`);
    expect(names).toEqual(expect.arrayContaining(['host:db-main-02', 'address:10.2.3.4', 'domain:api.vendor.io', 'object:ledger_holds']));
  });

  it("takes an access line's caller for who called, not a place: the server it names is", () => {
    const names = (text: string) => entitiesIn(text).map((e) => e.name);
    expect(names('98.22.40.7:40194 [10/Dec/2024:14:49:10.552] fe_https~ be_scheduling/sched-a2 0/0/0/-1/30002 504 sH--')).toEqual([
      'sched-a2',
    ]);
    expect(names('10.1.2.3 - - [10/Dec/2024:14:49:10 +0000] "GET / HTTP/1.1" 502 upstream 10.4.5.6:8080')).toEqual(['10.4.5.6']);
    expect(names('[n1,client=10.42.4.22:43110,user=clearing_svc] SQL statement took 8.714s')).toEqual([]);
  });

  it("takes a peer on an ephemeral port, or after user@, for the caller's end of a connection", () => {
    const names = (text: string) => entitiesIn(text).map((e) => e.name);
    expect(names('WARNING C-0x55d3: payroll/bw_app@10.40.11.52:39114 pooler error: query_wait_timeout')).toEqual([]);
    expect(names('Disconnected 10.20.11.21:50312 (read: Connection reset by peer)')).toEqual([]);
    // The server's end stays: a listening port, or one the line says it connects to.
    expect(names('closing AMQP connection (10.40.14.22:44310 -> 10.40.20.11:5671)')).toEqual(['10.40.20.11']);
    expect(names('dial tcp 10.2.3.4:50051: connect: connection refused')).toEqual(['10.2.3.4']);
  });

  it('leaves out thread names, record ids, code, files and loopback', () => {
    const names = entitiesIn(
      'ERROR [http-nio-8080-exec-4] c.a.Orders : ORDER-00912 failed at buffer.from, wrote /tmp/a1b2.jpg via http://127.0.0.1:3000/x',
    ).map((e) => e.name);
    expect(names).toEqual([]);
    // Tables come from statements; "from" in a sentence names none.
    expect(entitiesIn('could not receive data from client: Connection timed out').map((e) => e.name)).toEqual([]);
    expect(entitiesIn('slow query: SELECT id FROM chat.messages WHERE id=?').map((e) => e.name)).toEqual(['chat.messages']);
  });

  it('takes the word after an object kind as a name only when it looks like one', () => {
    const names = (text: string) => entitiesIn(text).map((e) => e.name);
    expect(names('redis: connection pool timeout; worker pool saturated')).toEqual([]);
    expect(names('ticket write failed queue ranked-squads; table "orders"; index=content_v7')).toEqual([
      'ranked-squads',
      'orders',
      'content_v7',
    ]);
  });

  it('splits identifiers into content words and drops numbers, common words and plurals', () => {
    expect([...contentWords('PromoRuleResolver rules maximum-pool-size 50 requests timed out')].sort()).toEqual(
      expect.arrayContaining(['promo', 'rule', 'resolver', 'maximum', 'pool', 'size']),
    );
    expect(contentWords('50 requests')).toEqual(new Set());
  });
});

describe('callees named by their word', () => {
  it('finds a callee by a distinctive word of its name, also inside a backend or table name', () => {
    const failing = (text: string) => [
      {
        template: text,
        example: text,
        count: 1,
        level: 'error',
        firstSeen: 0,
        lastSeen: 0,
        hosts: [],
        services: ['lb'],
        why: [],
        query: '',
      },
    ];
    const map = { lb: ['scheduling-api', 'billing-api'] };
    expect(calleesNamed('lb', failing('fe_https be_scheduling/sched-a2 504 sH--'), map)).toEqual(['scheduling-api']);
    expect(calleesNamed('lb', failing('GET /api 504'), map)).toEqual([]);
  });
});

describe('the knowledge table', () => {
  it('does not take a reason its own clause denies', () => {
    expect(reasonIn('Free disk space is sufficient: 41.2GB free; vm_memory_high_watermark 0.4 not reached (used 1.1GB)')).toBeUndefined();
    expect(reasonIn('memory high watermark cleared on node rabbit@mq-01')).toBeUndefined();
    expect(reasonIn('vm_memory_high_watermark set. Memory used:2.1GB allowed:2GB')?.category).toBe('memory_exhaustion');
    // "Could not" denies the attempt, not the reason that follows it.
    expect(reasonIn('The request was aborted: Could not create SSL/TLS secure channel.')?.category).toBe('certificate');
  });

  it('reads running out of space as the software at hand says it', () => {
    expect(reasonIn('DB::Exception: Cannot reserve 118.52 MiB, not enough space. (NOT_ENOUGH_SPACE)')?.category).toBe('disk_full');
    // A resource at its ceiling, as a server reports its own usage.
    expect(reasonIn('used_memory 6.41G of maxmemory 6.44G (99.5%), maxmemory-policy noeviction')?.category).toBe('memory_exhaustion');
    expect(reasonIn('Volume vol_docs is nearly full (using or reserving 97% of space)')?.category).toBe('disk_full');
    expect(reasonIn('memory usage 62% of limit')).toBeUndefined();
    expect(reasonIn('System.IO.IOException: There is not enough space on the disk.')?.category).toBe('disk_full');
    expect(reasonIn("The transaction log for database 'Docs' is full due to 'AVAILABILITY_REPLICA'.")).toMatchObject({
      mechanism: 'database log full',
      category: 'database',
    });
  });

  it('maps the stated reasons to kinds of trouble and categories', () => {
    expect(reasonIn('ENOSPC: no space left on device')?.category).toBe('disk_full');
    expect(reasonIn('java.lang.OutOfMemoryError: Java heap space')?.category).toBe('memory_exhaustion');
    expect(reasonIn('x509: certificate has expired or is not yet valid')?.kind).toBe('expiry');
    expect(reasonIn('dial tcp 10.2.3.4:6379: connect: connection refused')?.kind).toBe('refusal');
    expect(reasonIn('connect() failed (113: No route to host) while connecting to upstream')?.category).toBe('host_failure');
    expect(reasonIn('session lookup failed: Command timed out')?.mechanism).toBe('timing out');
    expect(reasonIn('Failed to open TCP connection to api.twilio.com:443 (execution expired)')?.mechanism).toBe('timing out');
    expect(reasonIn('recovered from panic err="runtime error: invalid memory address or nil pointer dereference"')?.mechanism).toBe(
      'code failing',
    );
    // A panic that states a defect is the code failing; a crash that states none is a crash.
    expect(reasonIn('panic: runtime error: invalid memory address or nil pointer dereference')?.mechanism).toBe('code failing');
    expect(reasonIn('Back-off restarting failed container (CrashLoopBackOff)')?.mechanism).toBe('crashing');
    expect(reasonIn('task "gameserver" exited: exit_code=139 signal=11')?.mechanism).toBe('crashing');
    // A transaction holding locks others wait on, as lock monitors report it (who holds them is in the line).
    expect(reasonIn('long-running transaction on db-01: user=reconcile trx_rows_locked=212480 lock_waiters=74')?.category).toBe('database');
    expect(reasonIn("Error 1062 (23000): Duplicate entry '2147483647' for key 'event_batches.PRIMARY'")).toMatchObject({
      mechanism: 'key space exhausted',
      category: 'database',
    });
    // What governs a reason is matched as words: a TLS bundle governs certificates, a CPU limit CPU, a hosted zone lookups.
    const governs = (mechanism: string, text: string) => REASONS.find((r) => r.mechanism === mechanism)!.governedBy!.test(text);
    expect(governs('certificate expired or untrusted', 'rotate the TLS bundle on the gateways')).toBe(true);
    expect(governs('CPU saturated', 'raise the CPU limit to 2')).toBe(true);
    expect(governs('name resolution (DNS) failing', 'disassociate the private hosted zone from vpc-apps')).toBe(true);
    // A new scan reads more than the table may serve.
    expect(governs('database throttled', 'look up by email (ScanCommand with FilterExpression email = :e)')).toBe(true);
    // A server turning writes away because its memory is full: the client quotes the server's refusal.
    expect(reasonIn("ReplyError: OOM command not allowed when used memory > 'maxmemory'.")).toMatchObject({
      kind: 'refusal',
      category: 'memory_exhaustion',
    });
    // A switch port going down, as monitoring and the switch itself word it.
    expect(reasonIn('[NDM] Interface Ethernet49/1 on tor-r12 is down')?.category).toBe('network');
    expect(
      reasonIn('%LINEPROTO-5-UPDOWN: Line protocol on Interface Ethernet49/1 (uplink spine-01), changed state to down')?.category,
    ).toBe('network');
    // A worker pool turning work away is the server saturated, not a limit someone else imposed.
    expect(reasonIn('rejected execution of TimedRunnable on EsThreadPoolExecutor[search, queue capacity = 1000]')?.kind).toBe('saturation');
    expect(reasonIn('[gc][40112] overhead, spent [1.2s] collecting in the last [1.5s]')?.category).toBe('memory_exhaustion');
    // A proxy's termination state: the server side refused the connection; a client abort (CD) is no one's trouble.
    expect(reasonIn('10.44.81.2:40122 [11/Jun/2025:13:17:41.004] fe_tls be_tls/app-01 1/-1/1 0 SC 612/612/0/0/0 0/0')?.kind).toBe(
      'refusal',
    );
    expect(
      reasonIn('10.44.81.2:40122 [11/Jun/2025:13:17:41.004] fe_web be_web/app-01 0/0/1/2/3 200 812 - - CD-- 1/1/0/0/0 0/0'),
    ).toBeUndefined();
    // A gateway that translates addresses running out of ports drops new connections: network loss.
    expect(reasonIn('{"allocation_status":"DROPPED","connection":{"dest_ip":"34.1.2.3"}}')?.category).toBe('network');
    expect(reasonIn('SNAT port exhaustion on the load balancer frontend')?.category).toBe('network');
    expect(reasonIn('all good, 200 OK')).toBeUndefined();
    // A network metric counts errors or drops; clients and requests over it, and kubernetes, are not network trouble.
    expect(metricKindOf('system.net.tcp.retrans_segs')?.category).toBe('network');
    expect(metricKindOf('kubernetes_state.deployment.replicas_unavailable')?.category).not.toBe('network');
    expect(metricKindOf('nginx.net.request_per_s')?.category).toBe('traffic_spike');
    // A client's calls out are not demand on it.
    expect(metricKindOf('http.client.requests')).toBeUndefined();
    // A check that failed for a stated reason is that reason; a schema that fails to validate is the code's.
    expect(reasonIn('ticket validation failed: Get "https://partner.example.com/auth": context deadline exceeded')?.mechanism).toBe(
      'timing out',
    );
    expect(reasonIn('dropping event: schema validation failed')?.mechanism).toBe('code failing');
    expect(reasonIn('# Query_time: 3.912118  Lock_time: 0.000012 Rows_sent: 40  Rows_examined: 5918822')?.category).toBe('database');
    // A launch window opening brings users as a campaign does.
    expect(changeOf('Live-ops: Frostfall event window opened\nflag frostfall_event=true at 10:00')?.kind).toBe('campaign');
    // A firewall that blocks by its own rule, as WAF logs say it.
    expect(reasonIn('{"EdgeResponseStatus": 403, "SecurityAction": "block", "SecurityRuleDescription": "block-xml"}')?.mechanism).toBe(
      'requests blocked by a rule',
    );
    expect(reasonIn('{"SecurityAction": "", "EdgeResponseStatus": 202}')).toBeUndefined();
    // Transactions aborted on a conflict are contention; a BGP session or VPN tunnel going down is network loss.
    expect(reasonIn('Transaction was aborted. It was wounded by a higher priority transaction due to conflict on keys')?.category).toBe(
      'database',
    );
    expect(reasonIn('BGP session bgp-ash1-tunnel-0 down: state Established -> Idle, reason: HOLD_TIMER_EXPIRED')?.category).toBe('network');
    expect(reasonIn('IKE SA tunnel-0: DPD timeout, peer not responding; initiating rekey')?.category).toBe('network');
    // A query to port 53 timing out is name resolution failing, as CoreDNS logs its upstream.
    expect(reasonIn('[ERROR] plugin/errors: 2 api.example.com. A: read udp 10.4.3.2:41877->10.4.0.2:53: i/o timeout')?.category).toBe(
      'network',
    );
    // A partition grown too wide to read in time, as Cassandra and Scylla warn of it.
    expect(reasonIn('Writing large partition telemetry/positions_by_day:V1:2025-06-11 (1.187GiB) to sstable')?.category).toBe('database');
    expect(technologiesIn('gocql: Operation timed out for inventory.player_items')).toEqual(['cassandra', 'scylla']);
    // A proxy shedding requests past its own limit is in trouble of its own, which its limit's settings govern.
    expect(reasonIn('"GET /v1/items HTTP/2" 503 UO upstream_reset_before_response_started{overflow}')?.mechanism).toBe(
      'request limit reached',
    );
    expect(technologiesIn('publish match.result failed: nats: timeout')).toEqual(['nats']);
    // A managed database past its provisioned capacity is the database's trouble, not a vendor's rate limit.
    expect(
      reasonIn('CosmosException: TooManyRequests (429); Reason: Request rate is large. More Request Units may be needed')?.category,
    ).toBe('database');
    expect(reasonIn('HTTP 429 Too Many Requests from api.vendor.com')?.mechanism).toBe('rate limited');
    expect(technologiesIn('Cosmos request diagnostics: StatusCode=429 SubStatusCode=3200')).toContain('cosmos');
    // A change is what its title says it is: a deploy whose notes mention a configuration is a deploy.
    expect(changeOf('ECS deployment started: orders\nimage orders:2.1.0. Changes: ObjectMapper configuration')?.kind).toBe('deployment');
    // A job that renders configuration files is a configuration change; a job that exports data is a job.
    expect(changeOf("AWX job #18842 'site-pgbouncer' successful\nPlaybook site-pgbouncer.yml: render pgbouncer.ini")?.kind).toBe(
      'config change',
    );
    expect(changeOf('Cron job nightly-export started\nexporting orders to s3://exports')?.kind).toBe('job');
    // An audit of a read changed nothing, whatever version its text lists.
    expect(changeOf('Vault: secret read kv/gw/client\nread by role gw-prod (lease renewed, version 3)')).toBeUndefined();
    // Expiry as TLS stacks word it: Go's alert from the peer, BoringSSL's alert name, OpenSSL's verify failure.
    for (const text of [
      'Post "https://api.acq.example.com/v2/auth": remote error: tls: expired certificate',
      'TLS_error:|268436501:SSL routines:OPENSSL_internal:SSLV3_ALERT_CERTIFICATE_EXPIRED',
      'TLS server: In state certify received CLIENT ALERT: Fatal - Certificate Expired',
    ])
      expect(reasonIn(text)?.category).toBe('certificate');
  });

  it('holds no company, host, service or scenario words, and stays small', () => {
    const source = fs.readFileSync(path.resolve(__dirname, '../../src/analysis/investigator/knowledge.ts'), 'utf8').toLowerCase();
    const dirs = ['../../scenarios', '../../scenarios/held-out'].map((d) => path.resolve(__dirname, d));
    const names = new Set<string>();
    // A plain word (a culprit called "certificate", a service called "haproxy") names a mechanism the table may hold;
    // a company, and a name with digits, dashes or dots, are one incident's.
    const specific = (n: string) => !/^[a-z]+$/.test(n);
    for (const file of dirs.flatMap((dir) =>
      fs
        .readdirSync(dir)
        .filter((f) => f.endsWith('.json'))
        .map((f) => path.join(dir, f)),
    )) {
      const s = loadScenario(file);
      if (typeof s.alert.org_name === 'string') names.add(s.alert.org_name.toLowerCase());
      for (const n of [s.alert.service, s.alert.hostname, ...s.datadog.hosts.map((h) => h.name), ...s.expected.culprit_terms])
        if (typeof n === 'string' && n.length > 3 && specific(n.toLowerCase())) names.add(n.toLowerCase());
    }
    expect([...names].filter((n) => source.includes(n))).toEqual([]);
    expect(REASONS.length + METRIC_KINDS.length + CHANGES.length + TECHNOLOGIES.length + EGRESS.length).toBeLessThanOrEqual(54);
  });
});

describe('a metric against its own baseline', () => {
  const series = (metric: string, values: number[]) => ({
    metric,
    points: values.map((v, i): [number, number] => [ALERT_MS - (values.length - i) * 60_000, v]),
  });

  it('sees a rise, a fall of what should stay free, and a percentage near its ceiling, with when it began', () => {
    const rise = seriesAnomaly(series('coredns.request_count', [400, 410, 395, 405, 2300, 2400, 2390]));
    expect(rise?.onset).toBe(ALERT_MS - 3 * 60_000);
    expect(seriesAnomaly(series('system.mem.usable', [8, 8, 8, 8, 1, 0.5, 0.4]))).toBeDefined();
    expect(seriesAnomaly(series('system.disk.in_use', [0.6, 0.62, 0.7, 0.8, 0.97, 0.99, 1]))).toBeDefined();
  });

  it('leaves a flat or noisy series alone', () => {
    expect(seriesAnomaly(series('system.cpu.user', [40, 44, 38, 42, 45, 41, 43]))).toBeUndefined();
  });
});

describe('the investigation policy', () => {
  it('starts at the alerting service and its host, and asks the same calls for the same readings whatever the key order', () => {
    const first = investigate(ctx, []);
    if (!('calls' in first)) throw new Error('expected calls');
    expect(first.calls.map((c) => c.name)).toEqual([
      'service_dependencies',
      'span_aggregates',
      'search_logs',
      'get_events',
      'scope_metrics',
      'search_logs',
      'search_logs',
      'host_metrics',
      'get_host',
    ]);
    const reordered = first.calls.map((c) => ({ ...c, input: Object.fromEntries(Object.entries(c.input).reverse()) }));
    expect(reordered.map(callId)).toEqual(first.calls.map(callId));
    const answered = reordered.map((call) => ({ call, ok: true, text: '{}' }));
    // The service logged no error: what else is failing is read once, then nothing is left to read.
    const second = investigate(ctx, answered);
    if (!('calls' in second)) throw new Error('expected calls');
    expect(second.calls.map((c) => c.input.query)).toEqual(['status:(error OR warn)']);
    const next = investigate(ctx, [...answered, ...second.calls.map((call) => ({ call, ok: true, text: '{}' }))]);
    // Nothing was found: the report comes, inconclusive, with nothing made up.
    expect('report' in next).toBe(true);
    if ('report' in next) expect(next.report.confidence).toBeLessThan(0.5);
  });

  it('reads the service map and the spans once, and follows the deepest dependency whose own spans failed first', () => {
    const endpoint = (service: string, failing: boolean, beganMin?: number) => ({
      service,
      resource: 'GET /',
      failing,
      ...(beganMin === undefined ? {} : { errors_began: at(beganMin) }),
    });
    const { observations } = runPolicy((call) => {
      if (call.name === 'service_dependencies')
        return JSON.stringify({ dependencies: { orders: ['pricing', 'stock'], pricing: ['rates-db'], stock: [], 'rates-db': [] } });
      if (call.name === 'span_aggregates')
        return JSON.stringify({
          endpoints: [
            endpoint('orders', true, -5),
            endpoint('pricing', true, -8),
            endpoint('rates-db', true, -9),
            endpoint('stock', false),
          ],
        });
      return '{}';
    });
    const names = observations.map((o) => o.call.name);
    expect(names.filter((n) => n === 'service_dependencies')).toHaveLength(1);
    expect(names.filter((n) => n === 'span_aggregates')).toHaveLength(1);
    expect(observations.map((o) => o.call.input)).toContainEqual(expect.objectContaining({ query: 'service:rates-db OR "rates-db"' }));
    expect(observations.map((o) => String(o.call.input.query ?? ''))).not.toContainEqual(expect.stringContaining('service:pricing'));
  });

  it('follows the failing lines to the component that reports its own trouble, and to that component’s host', () => {
    const { move, observations } = runPolicy((call) => {
      const q = String(call.input.query ?? call.input.hostname ?? call.input.scope ?? '');
      if (call.name === 'search_logs' && q.startsWith('service:orders'))
        return logs(q, [ordersLine('error', 'payment call failed: connect to ledger-db-03:5432 timed out', -12)]);
      if (call.name === 'search_logs' && q.includes('ledger-db-03'))
        return logs(q, [
          line(['postgres'], ['ledger-db-03'], 'error', 'could not write to file "base/16384": No space left on device', -20),
        ]);
      if (call.name === 'get_events') return events([{ at: -90, title: 'orders v2.3.0 deployed', tags: ['service:orders'] }]);
      return '{}';
    });
    if (!('report' in move)) throw new Error('expected a report');
    expect(move.report.category).toBe('disk_full');
    expect(move.report.root_cause).toContain('ledger-db-03');
    // An unrelated deploy of the alerting service is not blamed: it shares no word with "no space left".
    expect(move.report.root_cause).not.toContain('v2.3.0');
    expect(observations.some((o) => o.call.name === 'host_metrics' && o.call.input.hostname === 'ledger-db-03')).toBe(true);
    expect(observations.length).toBeLessThanOrEqual(POLICY_LIMITS.maxCalls);
  });

  it('does not tie a change to a failure by a number or the service’s own name, and does tie it by the reason it states', () => {
    const run = (change: string) =>
      runPolicy((call) => {
        const q = String(call.input.query ?? '');
        if (call.name === 'search_logs' && q.startsWith('service:orders'))
          return logs(q, [ordersLine('error', 'orders: 50 requests timed out; HikariPool-1 - Connection is not available', -10)]);
        if (call.name === 'get_events')
          return events([{ at: -25, title: 'orders config changed', text: change, tags: ['service:orders'] }]);
        return '{}';
      }).move;
    const numberOnly = run('orders worker threads 20 -> 50');
    const reasonWord = run('spring.datasource.hikari.maximum-pool-size: 40 -> 4');
    if (!('report' in numberOnly) || !('report' in reasonWord)) throw new Error('expected reports');
    expect(numberOnly.report.category).not.toBe('config_change');
    expect(reasonWord.report.category).toBe('config_change');
    expect(reasonWord.report.root_cause).toContain('maximum-pool-size');
  });

  it("blames the peer the alerting service's errors name, when another of its errors says the peer reset or timed out", () => {
    const report = reportFrom(
      answering([
        [
          'service:orders',
          [
            line(
              ['orders'],
              ['orders-app-01'],
              'error',
              'paramiko.transport: Error reading SSH protocol banner[Errno 104] Connection reset by peer',
              -20,
            ),
            line(
              ['orders'],
              ['orders-app-01'],
              'error',
              "Task transmit raised: SSHException('Error reading SSH protocol banner') host=sftp.bank-partner.com:22",
              -19,
            ),
          ],
        ],
      ]),
    );
    expect(report.root_cause).toMatch(/^sftp\.bank-partner\.com/);
    expect(report.category).toBe('dependency_failure');
  });

  it('blames the place the errors name over the alerting service timing out toward no one a little earlier', () => {
    const report = reportFrom(
      answering([
        [
          'service:orders',
          [
            ordersLine('warn', 'Slow request: GET /orders took 7.9s: read timed out', -15),
            ordersLine('error', 'OperationalError: read timed out (host=pool.orders.internal port=6432)', -9),
          ],
        ],
      ]),
    );
    expect(report.root_cause).toMatch(/^pool\.orders\.internal/);
  });

  it('ties the change that names, whole, what the failing lines name, over a later one sharing only words', () => {
    const report = reportFrom(
      ordersFailing('error', 'ApiError: Index orders_by_rating_v2 does not exist { status: 404 }', -6, [
        {
          at: -7,
          title: "Flag 'orders-sort-index' updated",
          text: "default variation changed from 'orders_by_rating' to 'orders_by_rating_v2'",
        },
        { at: -3, title: 'Config change: orders error pages', text: 'ApiError status page text updated (index of pages)' },
      ]),
    );
    expect(report.root_cause).toContain('orders-sort-index');
    expect(report.category).toBe('config_change');
  });

  it('follows the trouble the alerting service states to whoever stated it first, and not to a different trouble', () => {
    const filerFull = line(
      ['netapp-ems'],
      ['filer-01'],
      'error',
      'monitor.volume.full: Volume vol_scans01 is full (using 100% of space)',
      -22,
      5,
    );
    const slowSearch = line(['search'], ['search-01'], 'warn', 'slow query took=1212ms index=tutors_v7', -25, 3);
    const report = reportFrom(
      answering([
        ['service:orders', [ordersLine('error', 'POST /upload 500 IOException: There is not enough space on the disk.', -20)]],
        [EVERYTHING_FAILING, [filerFull, slowSearch]],
      ]),
    );
    expect(report.root_cause).toMatch(/^(filer-01|netapp-ems): disk full/);
    expect(report.category).toBe('disk_full');
  });

  it("ties a change by words in common only when it was made to a service the failure went through, and not by its places' names", () => {
    const failing = 'Authorisation failed: PaymentGatewayTimeout after 15s, basket reservation released';
    const run = (tags: string[], title = 'App setting changed: payment gateway basket reservation timeout', text = title) =>
      reportFrom(ordersFailing('error', failing, -10, [{ at: -20, title, text, tags }]));
    expect(run(['service:orders']).root_cause).toContain('App setting changed');
    expect(run(['service:checkout-api']).root_cause).not.toContain('App setting changed');
    const onPlace = run(['service:orders'], 'App setting changed: app-payment-gateway-basket-01', 'max_retries 3 -> 5');
    expect(onPlace.root_cause).not.toContain('App setting changed');
  });

  it('names the certificate as its owner manages it, from an event about it failing to renew', () => {
    const report = reportFrom(
      answering(
        [
          [
            'service:orders',
            [
              line(
                ['orders'],
                ['orders-app-01'],
                'error',
                'GET /feed 503 fastly_error="SSL handshake error: certificate has expired" backend=F_origin',
                -5,
              ),
            ],
          ],
        ],
        [
          {
            at: -45,
            title: 'Certificate edge/api-origin-tls: Issuing failed',
            text: 'DNS-01 challenge not presented',
            tags: ['certificate:api-origin-tls'],
          },
        ],
      ),
    );
    expect(report.category).toBe('certificate');
    expect(report.root_cause).toContain('api-origin-tls');
  });

  it("takes an expired client credential for the alerting service's own, before the authentication failures it then causes", () => {
    const report = reportFrom(
      answering([
        [
          'service:orders',
          [
            line(
              ['orders'],
              ['orders-app-01'],
              'error',
              'MsalServiceException: AADSTS700027: The certificate used to sign the client assertion is expired.',
              -40,
            ),
            line(
              ['orders'],
              ['orders-app-01'],
              'error',
              'export circuit open: 50 consecutive authentication failures against https://crm.vendor.com/api',
              -8,
            ),
          ],
        ],
      ]),
    );
    expect(report.category).toBe('certificate');
    expect(report.root_cause).toMatch(/^orders: certificate/);
  });

  it("takes a device's expired client certificate for its own trouble, whatever server it presents it to", () => {
    const gateway = line(
      ['cloud-bridge'],
      ['site-gw01'],
      'error',
      'TLS handshake with iot.example.com:8883 failed: received fatal alert: CertificateExpired (client cert CN=site-gw01)',
      -15,
    );
    const linkDown = line(['cloud-bridge'], ['site-gw01'], 'warn', 'cloud link down; buffering site events', -14, 30);
    const report = reportFrom(
      answering([
        ['service:orders', [ordersLine('error', 'POST /sites/7/jobs 503 site_unreachable: no ack from site-gw01', -10)]],
        ['host:site-gw01', [gateway, linkDown]],
      ]),
    );
    expect(report.category).toBe('certificate');
    expect(report.root_cause).toMatch(/^site-gw01/);
  });

  it('blames the place the alerting service timed out toward first, over the pool it then ran out of for that place', () => {
    const report = reportFrom(
      answering([
        [
          'service:orders',
          [
            line(
              ['orders'],
              ['orders-app-01'],
              'warn',
              'bid request failed endpoint=https://rtb.partner.io/bid err="context deadline exceeded"',
              -9,
            ),
            line(
              ['orders'],
              ['orders-app-01'],
              'warn',
              'connection pool exhausted, waiting for conn host=rtb.partner.io:443 waiters=1944',
              -4,
            ),
          ],
        ],
      ]),
    );
    expect(report.root_cause).toMatch(/^rtb\.partner\.io/);
  });

  it('does not tie a change by a field name every line carries (request_id=…)', () => {
    const report = reportFrom(
      ordersFailing('error', "insert failed: Error 1062: Duplicate entry '2147483647' for key 'batches.PRIMARY' request_id=7c1e0b4d", -5, [
        {
          at: -60,
          title: 'Deployed orders v4.12.2',
          text: 'changelog: bump aws-sdk, add request_id to access log',
          tags: ['service:orders'],
        },
      ]),
    );
    expect(report.root_cause).not.toContain('Deployed orders');
  });

  it('with nothing reporting trouble of its own, names the latest change that touches the service as the only lead, at no more confidence', () => {
    const report = reportFrom(
      answering(
        [],
        [
          { at: -40, title: 'Deployed orders 2.0.0', text: 'image orders:2.0.0', tags: ['service:orders'] },
          { at: -36, title: 'Rollout orders: 2/2 pods ready', text: 'ReplicaSet orders-7f9c4d available', tags: ['service:orders'] },
          { at: -20, title: 'Deployed billing 1.4.2', text: 'invoice copy', tags: ['service:billing'] },
          { at: -15, title: 'Config change: grafana dashboards', text: 'provisioned via terraform', tags: ['team:observability'] },
        ],
      ),
    );
    expect(report.root_cause).toMatch(/^No component .* the only lead: Deployed orders 2\.0\.0/);
    expect(report.category).toBe('deployment');
    expect(report.confidence).toBeLessThanOrEqual(0.1);
    expect(reportFrom(answering([], [{ at: -20, title: 'Deployed billing 1.4.2', text: 'invoice copy' }])).root_cause).toContain(
      'the cause is not in the data read',
    );
  });

  it("does not blame the alerting service's own host for a server that does not answer it", () => {
    const report = reportFrom(
      ordersFailing(
        'error',
        'GET /orders failed: SqlException: Execution Timeout Expired. The timeout period elapsed or the server is not responding.',
        -20,
      ),
    );
    expect(report.root_cause).not.toMatch(/orders-app-01: host down/);
  });

  it('names the certificate a line says expired, when the component whose certificate it is names none', () => {
    const report = reportFrom(
      answering(
        [
          ['service:orders', [ordersLine('error', 'rpc to consul-server failed: remote error: tls: expired certificate', -20)]],
          [
            'service:consul-server',
            [line(['consul-server'], ['consul-01'], 'error', 'agent.server.rpc: TLS handshake error: certificate has expired', -25)],
          ],
          [
            'host:consul-01',
            [
              line(
                ['cert-check'],
                ['consul-01'],
                'warn',
                'cert-check: /etc/tls/server.dc1.crt EXPIRED (notAfter 2025-06-12); subject CN=server.dc1.consul',
                -30,
                1,
              ),
            ],
          ],
        ],
        [],
        { orders: ['consul-server'] },
      ),
    );
    expect(report.category).toBe('certificate');
    expect(report.root_cause).toContain('CN=server.dc1.consul');
  });

  it("does not tie a change to the alerting service's own demand by the service's name", () => {
    const report = reportFrom((call) => {
      if (call.name === 'scope_metrics') return ORDERS_DEMAND_RISING;
      if (call.name === 'get_events')
        return events([{ at: -35, title: 'Argo CD sync succeeded: orders (config only)', tags: ['service:orders'] }]);
      return '{}';
    });
    expect(report.category).toBe('traffic_spike');
    expect(report.root_cause).not.toContain('Argo CD');
  });

  it('blames demand on a campaign whatever it names, and on a job only when the job names the service', () => {
    const run = (change: { title: string; text: string }) =>
      runPolicy((call) => {
        if (call.name === 'scope_metrics') return ORDERS_DEMAND_RISING;
        if (call.name === 'get_events') return events([{ at: -35, ...change }]);
        return '{}';
      }).move;
    const campaign = run({ title: 'Email campaign sent: spring sale', text: '2.1M recipients' });
    const unrelatedJob = run({
      title: 'Job batch/comments-purge started',
      text: 'CronJob comments-purge: delete comments older than 24 months',
    });
    const namingJob = run({ title: 'Job batch/orders-replay started', text: "CronJob replays yesterday's requests against orders" });
    if (!('report' in campaign) || !('report' in unrelatedJob) || !('report' in namingJob)) throw new Error('expected reports');
    expect(campaign.report.root_cause).toContain('spring sale');
    expect(unrelatedJob.report.root_cause).not.toContain('comments-purge');
    expect(namingJob.report.root_cause).toContain('orders-replay');
    expect([campaign, unrelatedJob, namingJob].map((m) => ('report' in m ? m.report.category : ''))).toEqual([
      'traffic_spike',
      'traffic_spike',
      'traffic_spike',
    ]);
  });

  it('ranks a component stating its own trouble above an address a proxy only blames, however deep', () => {
    const report = reportFrom((call) => {
      const q = String(call.input.query ?? '');
      if (call.name === 'search_logs' && q.startsWith('service:orders'))
        return logs(q, [
          ordersLine('error', 'POST /checkout failed: 504 from edge-proxy-01', -10),
          line(['orders'], ['batch-node-02'], 'warn', 'spill to /var/tmp failed: No space left on device', -14, 6),
        ]);
      if (call.name === 'search_logs' && q.includes('edge-proxy-01'))
        return logs(q, [
          line(['nginx'], ['edge-proxy-01'], 'error', 'upstream timed out (110: Operation timed out) upstream: 10.9.8.7:8080', -9),
        ]);
      if (call.name === 'search_logs' && q.includes('batch-node-02'))
        return logs(q, [line(['spark'], ['batch-node-02'], 'warn', 'Lost task 12.0: No space left on device', -15, 6)]);
      return '{}';
    });
    expect(report.category).toBe('disk_full');
    expect(report.root_cause).toContain('batch-node-02');
  });

  it('blames the network path when failures toward several places meet a network event, and not for one place', () => {
    const run = (failing: string[]) =>
      runPolicy((call) => {
        const q = String(call.input.query ?? '');
        if (call.name === 'search_logs' && q.startsWith('service:orders'))
          return logs(
            q,
            failing.map((f) => ordersLine('error', f, -20)),
          );
        if (call.name === 'get_events')
          return events([
            // A change to the same gateway an hour before: the provider's own statement of loss is not explained by it.
            { at: -60, title: 'Terraform apply: network#12', text: 'Added a static route on net-gw-0a1b2c3.', tags: ['team:network'] },
            {
              at: -8,
              title: 'Provider health: increased packet loss for gateway attachments',
              text: 'Increased packet loss affecting traffic through gateway net-gw-0a1b2c3.',
              tags: ['gatewayid:net-gw-0a1b2c3'],
              alertType: 'warning',
            },
          ]);
        return '{}';
      }).move;
    const two = run([
      'lookup failed: connection timeout expired (host=accounts-db.internal, hostaddr=10.60.4.21, port=5432)',
      'pricing call failed: ReadTimeout GET http://pricing.shared.internal/v2/quote (10.80.2.44:80)',
    ]);
    const one = run(['lookup failed: connection timeout expired (host=accounts-db.internal, hostaddr=10.60.4.21, port=5432)']);
    if (!('report' in two) || !('report' in one)) throw new Error('expected reports');
    expect(two.report.category).toBe('network');
    expect(two.report.root_cause).toContain('net-gw-0a1b2c3');
    expect(two.report.root_cause).not.toContain('Terraform');
    expect(one.report.root_cause).not.toContain('net-gw-0a1b2c3');
  });

  it('ties a change that sets the limit a resource ran out of, and follows a proxy to the server it says refused', () => {
    const run = (change: string) =>
      runPolicy((call) => {
        const q = String(call.input.query ?? '');
        if (call.name === 'search_logs' && q.startsWith('service:orders'))
          return logs(q, [
            line(
              ['haproxy'],
              ['orders-app-01'],
              'warn',
              '10.44.81.2:40122 [11/Jun/2025:13:17:41.004] fe_tls be_tls/broker-07 1/-1/1 0 SC 612/612/0/0/0 0/0',
              -15,
            ),
          ]);
        if (call.name === 'search_logs' && q.includes('broker-07'))
          return logs(q, [line(['broker'], ['broker-07'], 'error', "msg: failed_to_accept, listener: 'ssl:default', reason: emfile", -16)]);
        if (call.name === 'get_events')
          return events([{ at: -20, title: 'state.apply baseline.hardening on brokers', text: change, tags: ['roles:broker'] }]);
        return '{}';
      }).move;
    const limit = run('/etc/systemd/system/broker.service.d/limits.conf changed (LimitNOFILE=1048576 -> LimitNOFILE=65536)');
    const other = run('/etc/motd.conf changed (banner text)');
    if (!('report' in limit) || !('report' in other)) throw new Error('expected reports');
    expect(limit.report.category).toBe('config_change');
    expect(limit.report.root_cause).toContain('LimitNOFILE');
    expect(other.report.root_cause).toContain('broker-07');
    expect(other.report.root_cause).not.toContain('motd');
  });

  it("ties a proxy's overflow to the mesh change that lowered its connection pool, quoting the resource it changed", () => {
    const pricing = 'pricing.shop.svc.cluster.local';
    const report = reportFrom(
      answering(
        [
          [
            'service:orders',
            [
              line(
                ['orders'],
                ['mesh-node-1'],
                'error',
                `msg="price lookup failed" url=http://${pricing}:8080/v1/price/A-1 status=503`,
                -9,
              ),
            ],
          ],
          [
            pricing,
            [
              line(
                ['istio-proxy'],
                ['mesh-node-1'],
                'warn',
                `"GET /v1/price/A-1" 503 UO upstream_reset_before_response_started{overflow} "${pricing}"`,
                -9,
                300,
              ),
            ],
          ],
        ],
        [
          {
            at: -10,
            title: 'Argo CD: mesh-policies-prod synced to 9c41e2d',
            text:
              'Application mesh-policies-prod sync succeeded (auto-sync). Revision 9c41e2d "pricing: tighten connection pool ahead of peak load test ' +
              '(#2207)" by dpetrakis. Resources changed: networking.istio.io/v1beta1 DestinationRule shop/pricing-traffic (configured). Diff: ' +
              'trafficPolicy.connectionPool.http.http1MaxPendingRequests: 1024 -> 1; trafficPolicy.connectionPool.http.http2MaxRequests: 1024 -> 16; ' +
              'trafficPolicy.connectionPool.http.maxRequestsPerConnection: 0 -> 1.',
          },
        ],
      ),
    );
    expect(report.category).toBe('config_change');
    expect(report.root_cause).toContain(
      'shop/pricing-traffic (configured). Diff: trafficPolicy.connectionPool.http.http1MaxPendingRequests',
    );
  });

  it('blames the callee whose own lines say a certificate expired and name no one else, not its unrelated deploy', () => {
    const report = reportFrom(
      answering(
        [
          ['service:orders', [ordersLine('error', 'capture failed: upstream payments-gw returned 502 Bad Gateway', -8)]],
          [
            'payments-gw',
            [
              line(
                ['payments-gw'],
                ['gw-01'],
                'error',
                'Capture failed: HttpRequestException: The SSL connection could not be established ---> SslException: sslv3 alert certificate expired',
                -9,
              ),
            ],
          ],
        ],
        [{ at: -30, title: 'payments-gw v5.2.0 deployed', text: 'PR #611 add store id to the audit log; PR #614 retry 502 once' }],
        { orders: ['payments-gw'] },
      ),
    );
    expect(report.category).toBe('certificate');
    expect(report.root_cause).toContain('payments-gw');
    expect(report.root_cause).not.toContain('v5.2.0');
  });

  it('looks at what else began failing when the errors name an address of ours that nothing resolves, and ties its crash to its rollout', () => {
    const report = reportFrom(
      answering(
        [
          [
            'service:orders',
            [
              line(
                ['orders'],
                ['orders-app-01'],
                'error',
                'join match 88124 failed: server 10.50.11.11:7781 handshake timeout after 8s',
                -8,
              ),
            ],
          ],
          [
            'status:(error OR warn)',
            [
              line(
                ['gameserver'],
                ['gs-ash-11'],
                'error',
                '*** Received signal 11 (SIGSEGV) address 0x18 *** #0 Net::ReliableChannel::ProcessAckRanges reliable_channel.cpp:412',
                -10,
              ),
            ],
          ],
        ],
        [
          {
            at: -12,
            title: 'gameserver 1.48.3 rollout: ash1 100%',
            text: 'artifact gameserver-linux-x64-1.48.3 (was 1.48.2)',
            tags: ['service:gameserver'],
          },
        ],
      ),
    );
    expect(report.category).toBe('deployment');
    expect(report.root_cause).toContain('1.48.3');
  });

  it("takes a provider's notice of trouble with a product the failing lines name as the cause, and an all-clear as none", () => {
    const report = reportFrom(
      ordersFailing('error', 'PutRecords to stream clicks failed: KinesisException: Service Unavailable (Status Code: 503)', -9, [
        { at: -4, title: 'AWS Health: Increased error rates - Amazon Kinesis Data Streams (us-east-1)', text: 'We are investigating' },
        { at: -6, title: 'Stripe Status: All Systems Operational', text: 'no incidents reported' },
        { at: -30, title: 'orders v2.4.0 deployed', text: 'add coupon field to the checkout form', tags: ['service:orders'] },
      ]),
    );
    expect(report.category).toBe('dependency_failure');
    expect(report.root_cause).toContain('Amazon Kinesis Data Streams');
    expect(report.root_cause).not.toContain('v2.4.0');
  });

  it('counts a failure absent from the first half of the look-back as new when the alerting service logs nothing', () => {
    const old = { ...line(['collector'], ['col-01'], 'error', 'PutRecords failed: KinesisException: Service Unavailable', -50), why: [] };
    const report = reportFrom(
      answering(
        [['status:(error OR warn)', [old]]],
        [{ at: -48, title: 'AWS Health: Increased error rates - Amazon Kinesis Data Streams', text: 'We are investigating' }],
      ),
    );
    expect(report.root_cause).toContain('Kinesis');
  });

  it('finds the cache whose memory stands at its ceiling when a client quotes its out-of-memory refusal without naming it', () => {
    const memory = (cluster: string, level: number) =>
      JSON.stringify({
        series: [
          {
            label: 'aws.elasticache.database_memory_usage_percentage',
            scope: `cacheclusterid:${cluster}`,
            query: `avg:aws.elasticache.database_memory_usage_percentage{cacheclusterid:${cluster}}`,
            recent: level,
            points: [-60, -30, -5].map((m) => [at(m), level]),
          },
        ],
      });
    const host = (name: string) => JSON.stringify({ hostname: name, found: true, apps: ['redis'], tags: [`cacheclusterid:${name}`] });
    const canned = answering([
      [
        'service:orders',
        [
          line(
            ['orders'],
            ['orders-app-01'],
            'error',
            "SET idem:c1 NX failed: OOM command not allowed when used memory > 'maxmemory'.",
            -7,
          ),
        ],
      ],
    ]);
    const report = reportFrom((call) => {
      const input = call.input as Record<string, string>;
      if (call.name === 'get_host' && input.hostname === 'redis')
        return JSON.stringify({ hostname: 'redis', found: false, similar: ['cache-sessions-001', 'cache-idem-001'] });
      if (call.name === 'get_host') return host(input.hostname!);
      if (call.name === 'scope_metrics' && input.scope?.startsWith('cacheclusterid:'))
        return memory(input.scope.split(':')[1]!, input.scope.includes('idem') ? 99.6 : 41);
      return canned(call);
    });
    expect(report.category).toBe('memory_exhaustion');
    expect(report.root_cause).toMatch(/^cache-idem-001/);
  });

  it('takes a service failing elsewhere that the failing words name as the callee when there is no service map', () => {
    const report = reportFrom(
      answering([
        ['service:orders', [ordersLine('error', 'end ride: capture payment failed: rpc error: code = DeadlineExceeded', -8)]],
        [
          'status:(error OR warn)',
          [
            line(
              ['payments-service'],
              ['pay-01'],
              'error',
              'authorise failed: POST https://checkout.psp.example.com/v71/payments: 503 Service Unavailable',
              -10,
            ),
            line(['search'], ['search-01'], 'warn', 'slow query took 900 ms', -9),
          ],
        ],
      ]),
    );
    expect(report.root_cause).toContain('checkout.psp.example.com');
  });

  it("ties demand on a callee to the flag named after the caller's failing operation", () => {
    const demand = JSON.stringify({
      series: [
        {
          label: 'trace.django.request.hits',
          scope: 'service:eligibility-svc',
          query: 'avg:trace.django.request.hits{service:eligibility-svc}',
          recent: 120,
          points: [-60, -50, -40, -30, -20, -10, -5].map((m, i) => [at(m), i < 4 ? 3 : 120]),
        },
      ],
    });
    const canned = answering(
      [
        ['service:orders', [ordersLine('error', 'eligibility check failed, booking left pending: ReadTimeout', -8)]],
        ['status:(error OR warn)', [line(['eligibility-svc'], ['elig-01'], 'warn', 'worker pool busy, queueing request', -9)]],
      ],
      [{ at: -25, title: 'Flag eligibility_realtime_check updated', text: 'enabled=true for all identities (pilot segment removed)' }],
    );
    const report = reportFrom((call) =>
      call.name === 'scope_metrics' && call.input.scope === 'service:eligibility-svc' ? demand : canned(call),
    );
    expect(report.root_cause).toContain('eligibility_realtime_check');
  });

  it("says the symptom in its own words beside the cause's when they differ", () => {
    const report = reportFrom(
      answering([
        ['service:orders', [ordersLine('error', 'dial tcp: lookup db-main-02 on 10.0.0.2:53: no such host', -8)]],
        ['host:orders-app-01', [line(['kernel'], ['orders-app-01'], 'error', 'nf_conntrack: table full, dropping packet', -10)]],
      ]),
    );
    expect(report.root_cause).toContain('its errors saying name resolution (DNS) failing');
  });

  it('looks at whatever reports trouble of its own when the failing lines lead nowhere, and ties a firewall blocking to its new rule', () => {
    const report = reportFrom(
      answering(
        [
          ['service:orders', [ordersLine('warn', 'GC pause 212 ms (gen2) heap=1.4GB', -8)]],
          [
            'status:(error OR warn)',
            [
              line(
                ['frontdoor'],
                ['edge'],
                'warn',
                'FrontDoorWebApplicationFirewallLog: action=Block ruleName=LimitBodySize requestUri=https://ingest.example.com/v2/batch',
                -19,
              ),
            ],
          ],
        ],
        [
          {
            at: -21,
            title: 'Terraform apply: firewall_policy.prod',
            text: "PR #842 'waf: block oversized request bodies'. custom_rule 'LimitBodySize' added: match RequestBody size GreaterThan 8192, action Block",
          },
        ],
      ),
    );
    expect(report.category).toBe('config_change');
    expect(report.root_cause).toContain('LimitBodySize');
  });

  it("ties a callee's demand that came before its CPU to a campaign, not to the callee's own deploy", () => {
    const series = (label: string, before: number, after: number, from: number) => ({
      label,
      scope: 'service:portal-web',
      query: `avg:${label}{service:portal-web}`,
      recent: after,
      points: [-60, -50, -40, -30, -20, -15, -10, -5].map((m) => [at(m), m < from ? before : after]),
    });
    const metrics = JSON.stringify({ series: [series('trace.http.request.hits', 90, 11000, -20), series('system.cpu.user', 20, 95, -15)] });
    const canned = answering(
      [['service:orders', [ordersLine('error', 'booking page via portal-web returned 503', -12)]]],
      [
        { at: -60, title: 'Deployed portal-web 5.41.0', text: 'show clinic parking info', tags: ['service:portal-web'] },
        { at: -22, title: 'Campaign dispatched: flu shots', text: '382,114 SMS with a booking link' },
      ],
      { orders: ['portal-web'] },
    );
    const report = reportFrom((call) =>
      call.name === 'scope_metrics' && call.input.scope === 'service:portal-web' ? metrics : canned(call),
    );
    expect(report.category).toBe('traffic_spike');
    expect(report.root_cause).toContain('flu shots');
  });

  it("ties a database's slow query to the job whose name its lines carry, not to the alerting service's own job", () => {
    const slow =
      '# Query_time: 1912.402  Lock_time: 0.000  Rows_examined: 18230119\n# User@Host: bordereaux_ro[bordereaux_ro]\nSELECT c.id FROM claim_history c JOIN policies p';
    const report = reportFrom(
      answering(
        [
          ['service:orders', [ordersLine('error', 'QueryTimeoutException: SQL [select * from claim_history where id = ?]', -8)]],
          ['claim_history', [line(['aurora-mysql'], ['aurora-2'], 'warn', slow, -40)]],
        ],
        [
          {
            at: -70,
            title: 'ECS scheduled task started: bordereaux-export',
            text: 'monthly broker export',
            tags: ['service:bordereaux-export'],
          },
          { at: -50, title: 'cronjob orders-reconcile completed', text: 'reconciled orders', tags: ['service:orders'] },
        ],
      ),
    );
    expect(report.root_cause).toContain('bordereaux-export');
  });

  it("does not tie a service's exhausted pool to another service's pool setting", () => {
    const report = reportFrom(
      ordersFailing('error', 'HikariPool-1 - Connection is not available, request timed out after 30000ms (active=40, waiting=112)', -9, [
        {
          at: -20,
          title: 'Config: hsm-gateway pool size 16 -> 24',
          text: 'CHG-4410 applied to hsm-gateway',
          tags: ['service:hsm-gateway'],
        },
      ]),
    );
    expect(report.root_cause).not.toContain('hsm-gateway');
  });

  it('quotes a long line where it states its reason, so the table it failed on is in the statement', () => {
    const long =
      'start ride failed {"city": "PAR", "attempt": 4, "request_id": "a8f1c2d3e4f5a6b7c8d9", "error": "spanner: code = Aborted, desc = Transaction was aborted. It was wounded by a higher priority transaction due to conflict on keys in range [[PAR], [PAR]], column active_rides in table city_live_stats."}';
    const report = reportFrom(ordersFailing('error', long, -9));
    expect(report.category).toBe('database');
    expect(report.root_cause).toContain('city_live_stats');
    expect(report.root_cause).toContain('start ride failed');
  });

  it("follows the proxy that fails with the alerting service's name while it logs nothing, to the merged limit its config run shipped", () => {
    const queued =
      '10.0.4.18:51234 [14/Mar/2025:19:43:11.412] fe_https~ be_orders/<NOSRV> 0/30001/-1/-1/30001 503 217 - - sQ-- 1024/1012/980/0/0 0/980 "GET /cart HTTP/1.1"';
    const report = reportFrom(
      answering(
        [['"orders" -service:orders', [line(['haproxy'], ['lb-01'], 'warn', queued, -16)]]],
        [
          {
            at: -18,
            title: 'puppet-control: commit c5e19b7 merged (OPS-1422)',
            text: "Tune per-server limits for the php backends. Reviewed by the platform team after the load test of week 9, applied to every backend of the storefront pool, php-fpm included. templates/haproxy/backends.cfg.erb: '- default-server maxconn 200' '+ default-server maxconn 20'",
          },
          {
            at: -17,
            title: 'Puppet run on lb-01: 1 resource changed',
            text: 'Catalog c5e19b7 applied: File[/etc/haproxy/haproxy.cfg] changed',
          },
        ],
      ),
    );
    expect(report.category).toBe('config_change');
    expect(report.root_cause).toContain("'- default-server maxconn 200'");
    expect(report.root_cause).toContain('shipped by Puppet run on lb-01');
    // A quote from inside the change keeps its opening words: what it is for.
    expect(report.root_cause).toContain('Tune per-server limits for the php backends.');
  });

  it('quotes the file a full disk refused, from the line of the error that names it', () => {
    const report = reportFrom(
      ordersFailing(
        'error',
        "Error: ENOSPC: no space left on device, write\n    at async writeFile (node:internal/fs/promises:1201:14) errno: -28, code: 'ENOSPC', path: '/tmp/src-88517.tif'",
        -9,
      ),
    );
    expect(report.category).toBe('disk_full');
    expect(report.root_cause).toContain("path: '/tmp/src-88517.tif");
  });

  it("ties a saturated host to a change of the service it was reached as running, quoting the setting the change's diff flips", () => {
    const cpu = JSON.stringify({
      series: [
        {
          label: 'system.cpu.user',
          scope: 'host:consul-01',
          query: 'avg:system.cpu.user{host:consul-01}',
          points: [-60, -50, -40, -30, -20, -10, -5].map((m, i) => [at(m), i < 4 ? 17 : 93]),
        },
      ],
    });
    const canned = answering(
      [
        ['service:orders', [ordersLine('error', 'consul kv get failed: context deadline exceeded', -9)]],
        [
          'service:consul',
          [line(['consul'], ['consul-01'], 'warn', 'agent.server.rpc: RPC failed to server: rpc error making call: i/o timeout', -12)],
        ],
      ],
      [
        {
          at: -38,
          title: 'Ansible play consul-agent.yml applied to 214 hosts (changed=214)',
          text: "Triggered by sre-bot (PR infra-ansible#4127 'consul: enable streaming for health queries'). The play ran on every agent and server of the datacenter in batches of twenty. --- /etc/consul.d/agent.hcl +++ /etc/consul.d/agent.hcl -use_streaming_backend = false +use_streaming_backend = true",
          tags: ['service:consul'],
        },
      ],
      { orders: ['consul'] },
    );
    const report = reportFrom((call) => (call.name === 'host_metrics' && call.input.hostname === 'consul-01' ? cpu : canned(call)));
    expect(report.category).toBe('config_change');
    expect(report.root_cause).toContain('use_streaming_backend');
  });

  it('says what the alerting service failed on when the path to the cause does not name it', () => {
    const report = reportFrom(
      answering([
        [
          'service:orders',
          [
            line(
              ['orders'],
              ['orders-app-01'],
              'error',
              'read failed: Cassandra timeout during read query [coordinator=/10.40.3.17:9042, table=viewing.watch_events]',
              -8,
            ),
          ],
        ],
        ['"10.40.3.17"', [line(['kernel'], ['cass-07'], 'error', 'Out of memory: Killed process 4121 (java)', -10)]],
      ]),
    );
    expect(report.root_cause).toContain('on viewing.watch_events');
  });

  it('follows a callee that logs nothing wrong to the proxy that writes about it while turning calls away', () => {
    const report = reportFrom(
      answering(
        [
          [
            'service:orders',
            [
              line(
                ['orders'],
                ['orders-app-01'],
                'error',
                'inventory ListItems failed: code = Unavailable desc = reset reason: overflow',
                -10,
              ),
            ],
          ],
          [
            'service:inventory-svc',
            [
              line(
                ['envoy-sidecar'],
                ['orders-app-01'],
                'warn',
                '"GET /inventory.v1.Inventory/ListItems HTTP/2" 503 UO 0 81 0 - "inventory-svc"',
                -11,
              ),
              line(['inventory-svc'], ['inv-01'], 'info', 'served ListItems in 4ms', -30, 900),
            ],
          ],
        ],
        [
          {
            at: -18,
            title: 'xDS config pushed: clusters v2026.05.14-3',
            text: 'cluster inventory-svc: circuit_breakers.thresholds[DEFAULT].max_pending_requests 1024 -> 64',
          },
        ],
        { orders: ['inventory-svc'] },
      ),
    );
    expect(report.category).toBe('config_change');
    expect(report.root_cause).toContain('max_pending_requests 1024 -> 64');
  });

  it('ties the errors only a new version writes to the deploy of that version, over a caller quoting them back', () => {
    const report = reportFrom((call) => {
      const q = String(call.input.query ?? '');
      if (call.name === 'search_logs' && q.startsWith('service:orders'))
        return logs(q, [
          line(
            ['orders'],
            ['orders-app-01'],
            'error',
            '{"msg":"lock failed","error":"redis: connection pool timeout","version":"v2.4.0"}',
            -15,
          ),
        ]);
      if (call.name === 'search_logs' && q.startsWith('"orders" -service:orders'))
        return logs(q, [
          line(
            ['checkout'],
            ['co-node-01'],
            'error',
            'payment failed: orders returned 503 (last error: redis: connection pool timeout)',
            -12,
          ),
        ]);
      if (call.name === 'get_events')
        return events([
          {
            at: -20,
            title: 'Rollout orders canary started',
            text: 'orders -> registry/orders:v2.4.0',
            tags: ['service:orders', 'version:v2.4.0'],
          },
          { at: -18, title: 'Argo CD sync succeeded: checkout v9.1.0', tags: ['service:checkout', 'version:v9.1.0'] },
        ]);
      return '{}';
    });
    expect(report.category).toBe('deployment');
    expect(report.root_cause).toContain('v2.4.0');
    expect(report.root_cause).not.toContain('co-node-01');
  });

  it('blames rising demand on a dependency on who asks, not on a deploy of it, and takes no reason code for a client', () => {
    const report = reportFrom((call) => {
      const q = String(call.input.query ?? call.input.scope ?? '');
      if (call.name === 'service_dependencies') return JSON.stringify({ dependencies: { orders: ['pricing'], pricing: [] } });
      if (call.name === 'span_aggregates')
        return JSON.stringify({
          endpoints: [
            { service: 'orders', resource: 'GET /', failing: true, errors_began: at(-5) },
            { service: 'pricing', resource: 'GET /', failing: true, errors_began: at(-8) },
          ],
        });
      if (call.name === 'scope_metrics' && q === 'service:pricing')
        return ORDERS_DEMAND_RISING.replaceAll('service:orders', 'service:pricing');
      if (call.name === 'search_logs' && q.startsWith('service:pricing'))
        return logs(q, [
          line(['pricing'], ['ip-10-1-2-3'], 'info', 'POST /v1/quote 200 client=acct_9Zq2Platform reason=requested_by_customer', -28, 40),
          line(
            ['pricing'],
            ['ip-10-1-2-4'],
            'info',
            'POST /v1/quote 200 client=acct_9Zq2Platform reason=requested_by_customer bulk',
            -27,
            40,
          ),
        ]);
      if (call.name === 'get_events') return events([{ at: -80, title: 'Deployed pricing v3.4.2 to prod', tags: ['service:pricing'] }]);
      return '{}';
    });
    expect(report.category).toBe('traffic_spike');
    expect(report.root_cause).not.toContain('v3.4.2');
    expect(report.root_cause).toContain('acct_9Zq2Platform');
  });

  it('ties a saturated host to the job that started on it just before, not to the same job run on another host or a config change', () => {
    const cpu = JSON.stringify({
      series: [
        {
          label: 'system.cpu.user',
          scope: 'host:orders-app-01',
          query: 'avg:system.cpu.user{host:orders-app-01}',
          points: [-60, -50, -40, -30, -20, -10, -5].map((m, i) => [at(m), i < 4 ? 30 : 97]),
        },
      ],
    });
    const report = reportFrom((call) => {
      const q = String(call.input.query ?? call.input.hostname ?? '');
      if (call.name === 'host_metrics') return cpu;
      if (call.name === 'search_logs' && q.startsWith('service:orders'))
        return logs(q, [ordersLine('warn', 'event loop delay p99=612ms (threshold 200ms)', -18)]);
      if (call.name === 'search_logs' && q.startsWith('host:orders-app-01'))
        return logs(q, [
          line(['thumbs-backfill'], ['orders-app-01'], 'info', 'worker 3/12 starting: ffmpeg -threads 0 (shard 3 of 12)', -24, 1),
        ]);
      if (call.name === 'get_events')
        return events([
          { at: -26, title: 'Job media/thumbs-backfill-manual-9qk2 created', text: 'kubectl create job --from=cronjob/thumbs-backfill' },
          { at: -25, title: 'orders config reload', text: 'orders cache_ttl 300s' },
          { at: -22, title: 'systemd: thumbs-backfill.timer elapsed on batch-01', text: 'Triggered thumbs-backfill.service' },
        ]);
      return '{}';
    });
    expect(report.category).toBe('cpu_saturation');
    expect(report.root_cause).toContain('thumbs-backfill-manual-9qk2');
    expect(report.root_cause).not.toContain('batch-01');
  });

  it('follows a callee its failing lines name by its word, and ties a denial to the policy change that governs who may call', () => {
    const { move, observations } = runPolicy(
      answering(
        [
          [
            'service:orders',
            [
              line(
                ['orders'],
                ['orders-app-01'],
                'error',
                'capture payment failed: rpc error: code = PermissionDenied desc = RBAC: access denied',
                -9,
              ),
            ],
          ],
        ],
        [
          { at: -40, title: 'ECS deployment started: orders', text: 'image orders:2.1.0 (was 2.0.9). Changes: logging configuration' },
          {
            at: -10,
            title: 'Argo CD: mesh-policies synced to a41c9e2',
            text: 'PR #4127 restrict callers. Changed: AuthorizationPolicy/payments/allow-callers rules[0].from[0].source.principals',
          },
        ],
        { orders: ['payments-service', 'pricing-service'] },
      ),
    );
    if (!('report' in move)) throw new Error('expected a report');
    expect(observations.map((o) => o.call.input.query)).toContain('service:payments-service OR "payments-service"');
    expect(observations.map((o) => o.call.input.query)).not.toContain('service:pricing-service OR "pricing-service"');
    expect(move.report.category).toBe('config_change');
    expect(move.report.root_cause).toContain('AuthorizationPolicy');
  });

  it('names who asks behind rising demand from the request lines in front of the service', () => {
    const report = reportFrom((call) => {
      const q = String(call.input.query ?? '');
      if (call.name === 'scope_metrics') return ORDERS_DEMAND_RISING;
      if (call.name === 'search_logs' && q.startsWith('host:orders-app-01'))
        return logs(q, [
          line(
            ['ingress'],
            ['orders-app-01'],
            'warn',
            '{"path":"/s/a1","status":503,"user_agent":"Crawly/3.2.1 (+https://crawly.example)"}',
            -25,
            45,
          ),
          line(
            ['ingress'],
            ['orders-app-01'],
            'info',
            '{"path":"/s/b2","status":200,"user_agent":"Crawly/3.2.1 (+https://crawly.example)"}',
            -26,
            40,
          ),
        ]);
      return '{}';
    });
    expect(report.category).toBe('traffic_spike');
    expect(report.root_cause).toContain('Crawly');
  });

  it('follows a host in network trouble to what its tags say it sits on, when an event says that is in trouble', () => {
    const run = (switchEvent: boolean) =>
      runPolicy((call) => {
        const q = String(call.input.query ?? '');
        if (call.name === 'search_logs' && q.startsWith('service:orders'))
          return logs(q, [ordersLine('error', 'rates call failed: Connection reset', -20)]);
        if (call.name === 'host_metrics' && call.input.hostname === 'orders-app-01')
          return JSON.stringify({
            series: [
              {
                label: 'system.net.tcp.retrans_segs',
                scope: 'host:orders-app-01',
                query: 'avg:system.net.tcp.retrans_segs{host:orders-app-01}',
                points: [-60, -50, -40, -30, -20, -10, -5].map((m, i) => [at(m), i < 3 ? 2 : 400]),
              },
            ],
          });
        if (call.name === 'get_host' && call.input.hostname === 'orders-app-01')
          return JSON.stringify({
            hostname: 'orders-app-01',
            found: true,
            up: true,
            apps: [],
            tags: ['rack:r9', 'tor:sw-r9-b', 'dc:east1'],
          });
        if (call.name === 'get_events')
          return events(
            switchEvent
              ? [{ at: -25, title: 'sw-r9-b: Port Ethernet1/49 (uplink) flapping', tags: ['snmp_device:sw-r9-b'], alertType: 'error' }]
              : [],
          );
        return '{}';
      }).move;
    const withEvent = run(true);
    const without = run(false);
    if (!('report' in withEvent) || !('report' in without)) throw new Error('expected reports');
    expect(withEvent.report.category).toBe('network');
    expect(withEvent.report.root_cause).toContain('sw-r9-b');
    expect(without.report.root_cause).toContain('orders-app-01');
  });

  it('names the group member nearest the cause: the one on the chain deepest toward the culprit', () => {
    const member = (monitorId: string, service: string, hostname: string, minutes: number) => ({
      eventId: monitorId,
      monitorId,
      monitorName: `${service} errors`,
      service,
      hostname,
      status: 'Alert',
      at: at(minutes),
    });
    const group = {
      groupId: 'g1',
      memberCount: 3,
      services: ['orders', 'postgres', 'billing'],
      hosts: ['orders-app-01', 'ledger-db-03', 'billing-01'],
      firstToFire: 'orders errors',
      members: [
        member('1', 'orders', 'orders-app-01', -10),
        member('2', 'billing', 'billing-01', -9),
        member('3', 'postgres', 'ledger-db-03', -8),
      ],
    };
    const answer = (call: Observation['call']) => {
      const q = String(call.input.query ?? '');
      if (call.name === 'search_logs' && q.startsWith('service:orders'))
        return logs(q, [ordersLine('error', 'payment call failed: connect to ledger-db-03:5432 timed out', -12)]);
      if (call.name === 'search_logs' && q.includes('ledger-db-03'))
        return logs(q, [
          line(['postgres'], ['ledger-db-03'], 'error', 'could not write to file "base/16384": No space left on device', -20),
        ]);
      return '{}';
    };
    const observations: Observation[] = [];
    let move = investigate({ ...ctx, group }, observations);
    for (let turn = 0; 'calls' in move && turn < 8; turn++) {
      for (const call of move.calls) observations.push({ call, ok: true, text: answer(call) });
      move = investigate({ ...ctx, group }, observations, turn === 7);
    }
    if (!('report' in move)) throw new Error('expected a report');
    expect(move.report.summary).toContain("Of the group's 3 alerts, postgres errors (postgres on ledger-db-03) is nearest the cause.");
  });

  it('finds the hosts behind a name the failing lines give, by the infrastructure search, and reads them', () => {
    const { observations } = runPolicy((call) => {
      const q = String(call.input.query ?? '');
      if (call.name === 'search_logs' && q.startsWith('service:orders'))
        return logs(q, [ordersLine('error', 'read from http://ledger-db.internal:5432 timed out', -10)]);
      if (call.name === 'get_host' && call.input.hostname === 'ledger-db')
        return JSON.stringify({ hostname: 'ledger-db', found: false, similar: ['ledger-db-07'] });
      return '{}';
    });
    expect(observations.some((o) => o.call.name === 'host_metrics' && o.call.input.hostname === 'ledger-db-07')).toBe(true);
  });

  it('finds the host at an address the failing lines give, by the infrastructure search, and sees it down', () => {
    const { move, observations } = runPolicy((call) => {
      const q = String(call.input.query ?? '');
      if (call.name === 'search_logs' && q.startsWith('service:orders'))
        return logs(q, [ordersLine('error', 'dispatch failed node=10.40.2.13:8080: ConnectTimeoutError', -10)]);
      if (call.name === 'get_host' && call.input.hostname === '10.40.2.13')
        return JSON.stringify({ hostname: '10.40.2.13', found: false, similar: ['query-node-03'] });
      if (call.name === 'get_host' && call.input.hostname === 'query-node-03')
        return JSON.stringify({ hostname: 'query-node-03', found: true, up: false, apps: ['query'], tags: ['internal_ip:10.40.2.13'] });
      return '{}';
    });
    expect(observations.some((o) => o.call.name === 'get_host' && o.call.input.hostname === '10.40.2.13')).toBe(true);
    if (!('report' in move)) throw new Error('expected a report');
    expect(move.report.category).toBe('host_failure');
    expect(move.report.root_cause).toContain('query-node-03');
  });

  it('looks at the way out when calls to several public APIs time out, and finds the NAT gateway whose own metrics say it drops', () => {
    const natMetrics = (id: string, errors: boolean) =>
      JSON.stringify({
        series: [
          {
            label: 'aws.natgateway.error_port_allocation',
            scope: `natgatewayid:${id}`,
            query: `avg:aws.natgateway.error_port_allocation{natgatewayid:${id}}`,
            points: [-60, -50, -40, -30, -20, -10, -5].map((m, i) => [at(m), errors && i >= 3 ? 9000 : 0]),
          },
        ],
      });
    const run = (apis: string[]) =>
      runPolicy((call) => {
        const q = String(call.input.query ?? '');
        const host = String(call.input.hostname ?? '');
        const scope = String(call.input.scope ?? '');
        if (call.name === 'search_logs' && q.startsWith('service:orders'))
          return logs(
            q,
            apis.map((api) => ordersLine('error', `Failed to open TCP connection to ${api}:443 (execution expired)`, -10)),
          );
        if (call.name === 'get_host' && host === 'nat')
          return JSON.stringify({ hostname: 'nat', found: false, similar: ['nat-0a1', 'nat-0b2'] });
        if (call.name === 'get_host' && host.startsWith('nat-'))
          return JSON.stringify({ hostname: host, found: true, up: true, apps: ['natgateway'], tags: [`natgatewayid:${host}`] });
        if (call.name === 'scope_metrics' && scope.startsWith('natgatewayid:'))
          return natMetrics(scope.split(':')[1]!, scope.endsWith('0a1'));
        return '{}';
      });
    const several = run(['api.stripe.com', 'api.twilio.com']);
    const one = run(['api.stripe.com']);
    if (!('report' in several.move) || !('report' in one.move)) throw new Error('expected reports');
    expect(several.move.report.category).toBe('network');
    expect(several.move.report.root_cause).toMatch(/^nat-0a1: network errors rising/);
    expect(one.observations.some((o) => o.call.name === 'get_host' && o.call.input.hostname === 'nat')).toBe(false);
  });

  it('looks at what else is failing when the alerting service logs nothing, and follows it', () => {
    const { move, observations } = runPolicy((call) => {
      const q = String(call.input.query ?? '');
      if (call.name === 'search_logs' && q === 'status:(error OR warn)')
        return logs(q, [line(['edge-lb'], ['lb-07'], 'error', 'worker process exited on signal 9 after OOM kill: Out of memory', -15)]);
      return '{}';
    });
    expect(observations.map((o) => o.call.input.query)).toContain('status:(error OR warn)');
    if (!('report' in move)) throw new Error('expected a report');
    expect(move.report.category).toBe('memory_exhaustion');
    expect(move.report.root_cause).toMatch(/edge-lb|lb-07/);
  });

  it('follows a thing the errors name to the server that writes about it first, not to a client that repeats it', () => {
    const refusal = 'ERROR: database is not accepting commands to avoid wraparound data loss in database "ledger"';
    const report = reportFrom((call) => {
      const q = String(call.input.query ?? '');
      if (call.name === 'search_logs' && q.startsWith('service:orders'))
        return logs(q, [ordersLine('error', `insert failed: PSQLException: ${refusal}`, -5)]);
      if (call.name === 'search_logs' && q === '"ledger"')
        return logs(q, [
          line(['postgres'], ['ledger-pg-01'], 'error', refusal, -6),
          line(['billing'], ['billing-app-02'], 'error', `charge failed: PSQLException: ${refusal}`, -4),
        ]);
      return '{}';
    });
    expect(report.category).toBe('database');
    expect(report.root_cause).toMatch(/ledger-pg-01|postgres/);
    expect(report.root_cause).not.toContain('billing');
  });

  it('follows a server that reports its own trouble while naming the alerting service', () => {
    const { move, observations } = runPolicy((call) => {
      const q = String(call.input.query ?? '');
      if (call.name === 'search_logs' && q.startsWith('service:orders'))
        return logs(q, [ordersLine('error', 'publish confirm timeout; retrying', -5)]);
      if (call.name === 'search_logs' && q === '"orders" -service:orders')
        return logs(q, [line(['broker'], ['mq-02'], 'info', 'connection from orders blocked: resource alarm memory on mq-02', -6)]);
      return '{}';
    });
    expect(observations.some((o) => o.call.input.query === '"orders" -service:orders')).toBe(true);
    if (!('report' in move)) throw new Error('expected a report');
    expect(move.report.category).toBe('memory_exhaustion');
    expect(move.report.root_cause).toMatch(/mq-02|broker/);
  });

  it("does not blame the host a service's pool ran out on, but names the service and follows the host's other services", () => {
    const report = reportFrom((call) => {
      const q = String(call.input.query ?? '');
      if (call.name === 'search_logs' && q.startsWith('service:orders'))
        return logs(q, [
          line(
            ['orders'],
            ['orders-app-01'],
            'error',
            'quote failed: rpc error: code = DeadlineExceeded (pricing.shop.svc.cluster.local:9090)',
            -8,
          ),
        ]);
      if (call.name === 'search_logs' && q.includes('pricing'))
        return logs(q, [
          line(['pricing'], ['ip-10-1-2-3'], 'warn', 'ApacheHttpClient - Connection pool exhausted: leased=50 pending=133 max=50', -12),
          line(['billing'], ['ip-10-1-2-3'], 'warn', 'slow query (812ms): SELECT sum(amount) FROM entries', -50, 2),
        ]);
      if (call.name === 'get_host') return JSON.stringify({ found: false, similar: ['ip-10-1-2-3'] });
      if (call.name === 'get_events')
        return events([
          { at: -14, title: 'Deployed pricing 5.7.0 to prod', text: 'rule bundles fetched per merchant', tags: ['service:pricing'] },
        ]);
      return '{}';
    });
    // The change to the service behind the in-cluster name is the cause, not the host its pool ran out on.
    expect(report.category).toBe('deployment');
    expect(report.root_cause).toContain('pricing 5.7.0');
    expect(report.root_cause).not.toMatch(/^ip-10-1-2-3/);
  });

  it('does not take a change that names a public API as a change to it', () => {
    const report = reportFrom(
      ordersFailing('error', 'export failed: 503 Service Unavailable from https://bigquery.googleapis.com/v2/jobs', -8, [
        { at: -50, title: 'Terraform apply iam', text: 'roles/bigquery.user -> roles/bigquery.jobUser', tags: ['team:platform'] },
      ]),
    );
    expect(report.root_cause).toContain('bigquery.googleapis.com');
    expect(report.category).toBe('dependency_failure');
  });

  it('blames what the failing lines name by the loudest reason they state, whatever order the lines come in', () => {
    const answerWith = (order: 'unnamed-first' | 'timeout-first') =>
      runPolicy((call) => {
        const q = String(call.input.query ?? '');
        const unnamed = line(
          ['orders'],
          ['orders-app-01'],
          'error',
          'verify failed: StoreApiError: GET https://api.store.example.com/tx -> 500 unknown',
          -9,
          18,
        );
        const timeout = line(
          ['orders'],
          ['orders-app-01'],
          'error',
          'verify failed: ReadTimeout: read timed out (https://api.store.example.com/history)',
          -9,
          14,
        );
        if (call.name === 'search_logs' && q.startsWith('service:orders'))
          return logs(q, order === 'unnamed-first' ? [unnamed, timeout] : [timeout, unnamed]);
        return '{}';
      }).move;
    for (const order of ['unnamed-first', 'timeout-first'] as const) {
      const move = answerWith(order);
      if (!('report' in move)) throw new Error('expected a report');
      expect(move.report.root_cause).toMatch(/^api\.store\.example\.com: timing out/);
    }
  });

  it('looks for the server a client library names by its kind, and follows it to its host', () => {
    const { move, observations } = runPolicy((call) => {
      const q = String(call.input.query ?? call.input.hostname ?? '');
      if (call.name === 'search_logs' && q.startsWith('service:orders'))
        return logs(q, [ordersLine('warn', "amqp: connection blocked by broker: reason='low on memory'", -10)]);
      if (call.name === 'search_logs' && q.startsWith('service:*rabbit*'))
        return logs(q, [line(['rabbitmq'], ['mq-02'], 'error', "memory resource limit alarm set on node 'rabbit@mq-02'", -12)]);
      return '{}';
    });
    if (!('report' in move)) throw new Error('expected a report');
    expect(observations.some((o) => o.call.input.query === 'service:*rabbit* status:(error OR warn)')).toBe(true);
    expect(move.report.category).toBe('memory_exhaustion');
    expect(move.report.root_cause).toContain('mq-02');
  });

  it('ranks trouble that began before the symptom above trouble that followed it', () => {
    const report = reportFrom((call) => {
      const q = String(call.input.query ?? '');
      if (call.name === 'search_logs' && q.startsWith('service:orders'))
        return logs(q, [ordersLine('error', 'lookup failed: connect to cache-a-01:6379 and cache-b-02:6379 timed out', -10)]);
      if (call.name === 'search_logs' && q.includes('cache-a-01'))
        return logs(q, [line(['cache'], ['cache-a-01'], 'error', 'Out of memory: Killed process 2281 (cache-server)', -12)]);
      if (call.name === 'search_logs' && q.includes('cache-b-02'))
        return logs(q, [line(['cache'], ['cache-b-02'], 'error', 'Out of memory: Killed process 1901 (cache-server)', -4, 400)]);
      return '{}';
    });
    expect(report.root_cause).toMatch(/^cache-a-01/);
  });

  it('dates the symptom from its errors, not a stray warning before them, and quotes a blamed line where it names the component', () => {
    const mqFailure =
      'c.a.orders.mq.Sender : Could not refresh JMS Connection for destination queue:///ORD.REQ - retrying using FixedBackOff{interval=5000, ' +
      "currentAttempts=0, maxAttempts=unlimited}. Cause: JMSWMQ0018: Failed to connect to queue manager 'QMORD02' with connection mode " +
      "'Client' and host name 'mq-ord-02.dc1.example.local(1414)'. Caused by: javax.net.ssl.SSLHandshakeException: PKIX path validation failed";
    const report = reportFrom(
      answering([
        [
          'service:orders',
          [
            ordersLine('warn', 'HikariPool-1 - Failed to validate connection (Closed Connection)', -25, 1),
            ordersLine('error', mqFailure, -7),
            ordersLine('error', 'c.a.orders.api.OrderController : POST /orders failed -> HTTP 503', -7),
          ],
        ],
      ]),
    );
    expect(report.category).toBe('certificate');
    expect(report.root_cause).toMatch(/^mq-ord-02/);
    expect(report.root_cause).toContain("queue manager 'QMORD02'");
  });

  it('takes an exception it cannot name as the code failing only when the line names no other place', () => {
    const answerWith = (example: string) =>
      runPolicy((call) => {
        const q = String(call.input.query ?? '');
        if (call.name === 'search_logs' && q.startsWith('service:orders')) return logs(q, [ordersLine('error', example, -5)]);
        if (call.name === 'get_events')
          return events([
            {
              at: -8,
              title: 'orders v4.1.0 deployed',
              text: 'scripts rendered with Subresource Integrity from sri-manifest.json',
              tags: ['service:orders'],
            },
          ]);
        return '{}';
      }).move;
    const own = answerWith('IntegrityError: no integrity hash for /assets/app.js in sri-manifest.json');
    const remote = answerWith('InternalServerError: 500 POST https://warehouse.example.com/jobs failed');
    if (!('report' in own) || !('report' in remote)) throw new Error('expected reports');
    expect(own.report.category).toBe('deployment');
    expect(own.report.root_cause).toContain('v4.1.0');
    // Naming another place, the line is no code failing: the deploy is at most the only lead, at no confidence.
    expect(remote.report.root_cause).toMatch(/^No component/);
    expect(remote.report.confidence).toBeLessThanOrEqual(0.1);
  });

  it('ties a failing operation to the flag named after it, even when the upstream it waits on is named', () => {
    const report = reportFrom(
      ordersFailing('error', "eligibility check failed: ReadTimeout: HTTPConnectionPool(host='eligibility.internal', port=8000)", -8, [
        {
          at: -19,
          title: 'Flagsmith: feature eligibility_realtime_check updated',
          text: "Environment 'production': feature eligibility_realtime_check enabled=true for all identities",
        },
        { at: -25, title: 'Deployed billing 3.12.0', text: 'parse EB segments', tags: ['service:billing'] },
      ]),
    );
    expect(report.category).toBe('config_change');
    expect(report.root_cause).toContain('eligibility_realtime_check');
  });

  it('takes a timeout that names no one else as the service’s own, and ties it to the change that speaks of it', () => {
    const report = reportFrom(
      ordersFailing('warn', 'ConsumerCoordinator: poll timeout has expired, longer than max.poll.interval.ms', -10, [
        {
          at: -30,
          title: 'orders config synced',
          text: 'PR #88 reduce overhead. Application orders synced to revision 51af09e by the deploy bot with a rolling restart; ConfigMap orders-config: consumer max.poll.records 250 -> 5000',
          tags: ['service:orders'],
        },
      ]),
    );
    expect(report.category).toBe('config_change');
    // The quote of the change is taken where it speaks of the trouble, not cut at its start.
    expect(report.root_cause).toContain('max.poll.records');
  });

  it('names the certificate a failing handshake names', () => {
    const report = reportFrom((call) => {
      const q = String(call.input.query ?? '');
      if (call.name === 'search_logs' && q.startsWith('service:orders'))
        return logs(q, [
          ordersLine('error', 'submit to https://api.partner.com failed: SSLError certificate verify failed', -10),
          line(
            ['orders'],
            ['orders-app-01'],
            'warn',
            'tls_diag host=api.partner.com (certificate has expired) subject="/O=Trust Co./CN=Old Root CA X1"',
            -10,
            5,
          ),
        ]);
      return '{}';
    });
    expect(report.category).toBe('certificate');
    expect(report.root_cause).toContain('Old Root CA X1');
  });

  it('names the certificate from another line stating the expiry when the failing client gives only an address', () => {
    const report = reportFrom((call) => {
      const q = String(call.input.query ?? '');
      if (call.name === 'search_logs' && q.startsWith('service:orders'))
        return logs(q, [
          line(
            ['orders'],
            ['orders-app-01'],
            'error',
            'RPC to server=10.30.0.11:8300 failed: x509: certificate has expired or is not yet valid',
            -10,
          ),
        ]);
      if (call.name === 'search_logs' && q.includes('10.30.0.11'))
        return logs(q, [
          line(
            ['mesh-server'],
            ['mesh-02'],
            'error',
            'failed to heartbeat to peer=10.30.0.11:8300 error="x509: certificate has expired"',
            -11,
          ),
          line(
            ['expiry-check'],
            ['mesh-01'],
            'error',
            'expiry-check: /etc/tls/server.mesh.crt EXPIRED; subject CN=server.mesh.local; issuer CN=Mesh CA',
            -9,
            1,
          ),
        ]);
      return '{}';
    });
    expect(report.category).toBe('certificate');
    expect(report.root_cause).toContain('the certificate: CN=server.mesh.local');
  });

  it('records a call that failed as missing evidence, and reports on the final turn with what it read', () => {
    const observations: Observation[] = [
      {
        call: { name: 'search_logs', input: { query: 'service:orders status:(error OR warn)' } },
        ok: false,
        text: 'search logs failed: 503',
      },
    ];
    const move = investigate(ctx, observations, true);
    if (!('report' in move)) throw new Error('expected a report');
    expect(move.report.missing_data.join('\n')).toContain('search logs failed: 503');
    expect(readingsOf(observations).failed).toHaveLength(1);
  });
});

describe('calibration', () => {
  const f = (own: boolean, depth: number, change = false): AnswerFeatures => ({
    depth,
    own,
    sourceKinds: own ? 2 : 1,
    margin: 0.5,
    change,
    candidates: 3,
  });

  it('fits a map under which answers like the right ones get more confidence than answers like the wrong ones', () => {
    const samples = [
      ...Array.from({ length: 12 }, () => ({ features: f(true, 2), right: true })),
      ...Array.from({ length: 12 }, () => ({ features: f(false, 1), right: false })),
    ];
    const calibration = fitCalibration(samples);
    expect(confidenceOf(f(true, 2), calibration)).toBeGreaterThan(0.7);
    expect(confidenceOf(f(false, 1), calibration)).toBeLessThan(0.3);
  });

  it('ships a map moved by the measured transfer gap, so no answer claims the in-sample rate', () => {
    const logit = (p: number) => Math.log(p / (1 - p));
    expect(TRANSFER_SHIFT).toBeCloseTo(logit(0.17) - logit(0.54), 1);
    // Whatever its features, no answer claims the in-sample rate (45 of 56 solved).
    for (const own of [true, false]) for (const change of [true, false]) expect(confidenceOf(f(own, 2, change))).toBeLessThan(45 / 56);
    // Finding nothing is the least confident answer of all.
    expect(confidenceOf({ ...f(false, 0), candidates: 0 })).toBeLessThan(confidenceOf(f(false, 1)));
  });

  it("estimates each group's confidence from the other groups only", () => {
    const answers = [
      ...Array.from({ length: 6 }, (_, i) => ({ group: `a${i % 2}`, features: f(true, 2), right: true })),
      // Group "z" is right with features the others were wrong with: out of sample, it is not believed.
      { group: 'z', features: f(false, 1), right: true },
      ...Array.from({ length: 6 }, (_, i) => ({ group: `b${i % 2}`, features: f(false, 1), right: false })),
    ];
    const z = crossValidatedConfidence(answers).find((a) => a.group === 'z')!;
    expect(z.confidence).toBeLessThan(0.3);
  });
});
