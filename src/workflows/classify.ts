import type { Role } from '../contracts/rca';

/** What the classifier looks at; all optional, as Datadog payloads often leave fields out. */
export interface AlertSignals {
  monitorType?: string;
  /** Monitor name and alert title: people name monitors after what they watch. */
  monitorName?: string;
  title?: string;
  /** The monitor's query, when the monitor definition is known. */
  query?: string;
  tags?: string[];
  service?: string;
  hostname?: string;
}

export interface Classification {
  role: Role;
  /** Which rule decided, for people reading the run. */
  reason: string;
}

interface Rule {
  role: Role;
  words: readonly string[];
}

// Ordered: the first rule that matches wins, so "api-gateway" is always network (gateway) and never a coin toss.
const NAME_RULES: readonly Rule[] = [
  {
    role: 'database',
    words: [
      'db',
      'database',
      'postgres',
      'postgresql',
      'pg',
      'mysql',
      'mariadb',
      'redis',
      'mongo',
      'mongodb',
      'cassandra',
      'elasticsearch',
      'opensearch',
      'rds',
      'dynamodb',
      'memcached',
      'clickhouse',
    ],
  },
  {
    role: 'network',
    words: [
      'lb',
      'elb',
      'alb',
      'nlb',
      'nginx',
      'haproxy',
      'envoy',
      'gateway',
      'gw',
      'proxy',
      'dns',
      'cdn',
      'edge',
      'ingress',
      'vpn',
      'firewall',
      'router',
      'switch',
      'tor',
    ],
  },
  { role: 'application', words: ['api', 'app', 'service', 'svc', 'web', 'frontend', 'backend', 'bff', 'worker', 'server'] },
];

const MONITOR_TYPE_ROLES: Record<string, Role> = {
  'log alert': 'logs',
  'database-monitoring alert': 'database',
  'trace-analytics alert': 'application',
  'apm alert': 'application',
  'rum alert': 'application',
  'error-tracking alert': 'application',
  'process alert': 'infrastructure',
  'synthetics alert': 'network',
  'network-performance alert': 'network',
};

// Metric namespaces in a monitor query, most specific first.
const METRIC_ROLES: ReadonlyArray<[RegExp, Role, string]> = [
  [/\b(postgresql|mysql|redis|mongodb|cassandra|elasticsearch|dbm|aws\.rds)\./, 'database', 'database metrics'],
  [/\b(system\.net|snmp|nginx|haproxy|envoy|aws\.elb|network|tls|dns)\./, 'network', 'network metrics'],
  [/\b(trace|jvm|runtime|http)\./, 'application', 'APM or runtime metrics'],
  [/\b(system|kubernetes|docker|container|aws\.ec2)\./, 'infrastructure', 'host or container metrics'],
];

// Words in a monitor's name or title that say what it watches, in the same first-match order.
const WATCH_RULES: readonly Rule[] = [
  { role: 'database', words: ['replication', 'deadlock', 'deadlocks', 'query', 'queries', 'connections', 'postgres', 'mysql', 'redis'] },
  {
    role: 'network',
    words: ['packet', 'packets', 'retransmits', 'retransmission', 'dns', 'tls', 'ssl', 'certificate', 'bandwidth', '502', '504'],
  },
  { role: 'infrastructure', words: ['cpu', 'memory', 'disk', 'load', 'swap', 'inode', 'inodes', 'oom', 'restarts', 'pod', 'node', 'host'] },
  { role: 'application', words: ['latency', 'errors', 'error', 'exceptions', '5xx', 'p95', 'p99', 'apdex', 'throughput', 'requests'] },
];

const TAG_KEYS: Record<string, Role> = {
  db: 'database',
  database: 'database',
  db_cluster: 'database',
  network: 'network',
  device: 'infrastructure',
};

/** Lowercase words of a name, split on anything that is not a letter or digit: whole-word matching only. */
const wordsOf = (name: string) =>
  name
    .toLowerCase()
    .split(/[^a-z0-9]+/)
    .filter(Boolean);

function byName(name: string | undefined): Role | undefined {
  if (!name) return undefined;
  const words = new Set(wordsOf(name));
  return NAME_RULES.find((rule) => rule.words.some((w) => words.has(w)))?.role;
}

function byWatchWords(text: string): Role | undefined {
  const words = new Set(wordsOf(text));
  return WATCH_RULES.find((rule) => rule.words.some((w) => words.has(w)))?.role;
}

function byTags(tags: string[]): Classification | undefined {
  for (const tag of tags) {
    const [key, value = ''] = tag.toLowerCase().split(/:(.*)/s);
    if (key && TAG_KEYS[key]) return { role: TAG_KEYS[key], reason: `tag ${tag}` };
    if (key === 'role' || key === 'team') {
      const role = byName(value);
      if (role) return { role, reason: `tag ${tag}` };
    }
  }
  return undefined;
}

/**
 * The alert's role, from the most specific signal to the least: monitor type, the metrics in
 * the monitor's query, what the monitor's name or title says it watches, tags, service name,
 * host name; general when nothing matches. Pure and
 * deterministic, so it runs inside the workflow.
 */
export function classifyAlert(s: AlertSignals): Classification {
  const type = s.monitorType?.toLowerCase().trim();
  if (type && MONITOR_TYPE_ROLES[type]) return { role: MONITOR_TYPE_ROLES[type], reason: `monitor type "${s.monitorType}"` };
  const metric = s.query ? METRIC_ROLES.find(([pattern]) => pattern.test(s.query!.toLowerCase())) : undefined;
  if (metric) return { role: metric[1], reason: `monitor query uses ${metric[2]}` };
  for (const [field, text] of [
    ['monitor name', s.monitorName],
    ['alert title', s.title],
  ] as const) {
    const watched = text ? byWatchWords(text) : undefined;
    if (watched) return { role: watched, reason: `${field} "${text}"` };
  }
  const tagged = byTags(s.tags ?? []);
  if (tagged) return tagged;
  const service = byName(s.service);
  if (service) return { role: service, reason: `service "${s.service}"` };
  const host = byName(s.hostname);
  if (host) return { role: host, reason: `host "${s.hostname}"` };
  if (s.hostname) return { role: 'infrastructure', reason: `host "${s.hostname}" with no service` };
  return { role: 'general', reason: 'no rule matched' };
}
