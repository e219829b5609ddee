import type { RcaCategory } from '../report';

/**
 * What the investigating analyst knows before it reads anything: one table from the phrases in
 * which software states its own trouble to the kind of trouble and the category of a root cause
 * there. It names mechanisms (a full disk, a refused connection, an expired certificate), never a
 * company, host or incident. A component whose own lines, events or metrics match a row reports
 * its own trouble; the row at the root of the chain gives the report its category.
 */

/** How a component is in trouble: its own, not a symptom it passes on. */
export type TroubleKind = 'exhaustion' | 'refusal' | 'crash' | 'expiry' | 'rejection' | 'saturation' | 'timeout' | 'failure' | 'defect';

/**
 * Trouble kinds that are the writer's own: it is the one running out, saturated or falling over
 * (an anomaly is a metric of its own far off its baseline). The others (refused, timed out,
 * rejected, expired, failed) point at what the line names.
 */
export const OWN_KINDS: ReadonlySet<TroubleKind | 'anomaly'> = new Set(['exhaustion', 'crash', 'saturation', 'anomaly', 'defect']);

export interface ReasonRow {
  /** A short name for the mechanism, used in the report's sentences. */
  mechanism: string;
  /** Matched case-insensitively against a log line, an event or a metric name. */
  phrase: RegExp;
  kind: TroubleKind;
  category: RcaCategory;
  /**
   * Where the trouble usually lives when the line that states it is a client's: words that name
   * such components (service names, tags), searched for when the line names no component itself.
   */
  lookIn?: string[];
  /**
   * An error the table cannot name: the writer's own only when its line names no other place (an
   * address, a domain), and weaker evidence than a stated reason.
   */
  unrecognised?: boolean;
  /** The settings that govern the resource that ran out: a change that sets one speaks of this trouble. */
  governedBy?: RegExp;
  /**
   * The line is a client quoting its server's own trouble (a cache out of memory): the servers of the
   * technology the line speaks of are found in the infrastructure list and read.
   */
  quotesServer?: boolean;
}

/** Ordered: the first row whose phrase matches a text names its mechanism. */
export const REASONS: readonly ReasonRow[] = [
  // A database's own log that cannot be reused (a transaction log waiting on a replica or a backup): the database's trouble.
  {
    mechanism: 'database log full',
    phrase: /(transaction|redo|WAL|write-ahead) log .{0,60}\bis full\b|log_reuse_wait/i,
    kind: 'exhaustion',
    category: 'database',
  },
  {
    mechanism: 'disk full',
    phrase:
      /no space left|disk (is )?full|ENOSPC|disk ?pressure|filesystem .*full|inodes? exhausted|disk quota|disk (usage )?(watermark|exceeded)|disk usage .{0,30}watermark|(not enough|insufficient) (free )?space|volume .{0,60}\bis full\b|(disk|volume|filesystem) .{0,60}\b(9[5-9]|100)(\.\d+)? ?%/i,
    kind: 'exhaustion',
    category: 'disk_full',
    governedBy: /retention|disk|volume|log.?rotat|\bquota\b/i,
  },
  // A server turning writes away because its memory is full (Redis past maxmemory): the client quotes the server's refusal.
  {
    mechanism: 'server out of memory',
    phrase: /OOM command not allowed|used memory > .?maxmemory/i,
    kind: 'refusal',
    category: 'memory_exhaustion',
    lookIn: ['redis'],
    quotesServer: true,
    governedBy: /maxmemory|eviction|memory/i,
  },
  {
    mechanism: 'out of memory',
    phrase:
      /out ?of ?memory|OOM[- ]?kill|OutOfMemoryError|memory pressure|cannot allocate memory|heap space|evict(ed|ion).{0,40}memory|memory limit|memory (resource limit )?alarm|alarm.{0,20}memory|memory.{0,20}high.?watermark|gc\]?.{0,20}overhead|memory .{0,60}\b(9[5-9]|100)(\.\d+)? ?%/i,
    kind: 'exhaustion',
    category: 'memory_exhaustion',
    governedBy: /memory|heap|-Xmx|\bmem\b|oom/i,
  },
  {
    mechanism: 'certificate expired or untrusted',
    phrase:
      /certificate (has )?expired|cert(ificate)? .{0,30}(expired|not yet valid)|certificate\b.{0,80}\bis expired|(expired|bad|revoked|unknown) certificate|certificate[ _]?(expired|revoked|unknown)|unknown ca\b|x509|PKIX|handshake fail|SSL(Handshake)?Exception|certificate[ _]verify[ _]failed|SSL\/TLS secure channel|alert (code|number):? 45\b/i,
    kind: 'expiry',
    category: 'certificate',
    governedBy: /certificate|\btls\b|\bssl\b|x509|trust.?store/i,
  },
  {
    mechanism: 'name resolution (DNS) failing',
    phrase:
      /name resolution|UnknownHost|NXDOMAIN|SERVFAIL|no such host|dial tcp: lookup|lookup [\w.-]+ on [\d.:]+|dns (lookup|resolution|query).{0,30}(fail|timeout)|[\d.]+:53: i\/o timeout/i,
    kind: 'timeout',
    category: 'network',
    lookIn: ['dns', 'resolver'],
    governedBy: /\bdns\b|resolv|ndots|nameserver|route ?53|hosted zone|zone association|private zone/i,
  },
  {
    mechanism: 'network loss',
    phrase:
      /packet loss|packets? (dropped|lost)|retransmi|link (is )?down|interface .{0,40}(is |state to )?down\b|line protocol .{0,60}\bdown\b|\bCRC\b|input errors|(port|link|interface|uplink).{0,40}flapping|allowance.exceeded|conntrack|network unreachable|allocation.{0,30}dropped|(nat|snat|source ports?).{0,30}(exhaust|out.of.resources)|bgp (session|peer|neighbou?r).{0,60}\bdown\b|hold.?timer.?expired|tunnel.{0,40}\bdown\b|DPD timeout/i,
    kind: 'saturation',
    category: 'network',
  },
  {
    mechanism: 'connections exhausted',
    phrase:
      /connection slots|too many (clients|connections)|max_?connections|remaining connection|connection pool .{0,30}(exhausted|full|timeout)|pool (is )?(probably )?(full|exhausted)|timeout acquiring a connection|connection is not available/i,
    kind: 'exhaustion',
    category: 'database',
    lookIn: ['postgres', 'mysql', 'db'],
    governedBy: /pool.?size|max.?connections|max.?pool|connection.?limit/i,
  },
  {
    mechanism: 'file descriptors exhausted',
    phrase: /too many open files|\bE[MN]FILE\b|file descriptors? (limit|exhausted)|ulimit -n/i,
    kind: 'exhaustion',
    category: 'host_failure',
    governedBy: /nofile|ulimit|file.?descriptor|open.?files/i,
  },
  // A server that turns work away to protect itself states its own trouble (a database near wraparound, read-only, in recovery).
  {
    mechanism: 'refusing work',
    phrase:
      /not accepting (commands|connections|writes)|read-only (mode|state|transaction)|in recovery mode|wraparound|shutting down|starting up/i,
    kind: 'exhaustion',
    category: 'database',
  },
  // A key or counter past the largest value its type holds (a signed INT primary key at 2^31-1): no row can be added.
  {
    mechanism: 'key space exhausted',
    phrase:
      /\b(2147483647|4294967295|9223372036854775807)\b|integer out of range|out of range value for column|reached maximum value of sequence/i,
    kind: 'exhaustion',
    category: 'database',
  },
  {
    mechanism: 'database contention',
    phrase:
      /deadlock|lock wait|conflict on keys?|wounded by a higher priority|contention time|(write|read) ?too ?old|long-running transaction|idle in transaction|lock_waiters|lock timeout|waiting for (a |table )?(metadata )?lock|tombstone|(large|wide|hot) (partition|key|shard)|replication lag|slow query|statement timeout|query (took|timed out)|query_time:|duration: [\d.]+ ms +(statement|execute)/i,
    kind: 'saturation',
    category: 'database',
  },
  {
    mechanism: 'CPU saturated',
    // A worker pool that turns work away is a server saturated, as a pegged CPU is.
    phrase:
      /cpu (throttl|saturat|at 100|usage (high|above))|load average|throttled.{0,20}cpu|cpu\.user|cpu_usage|cpu\.util|rejected ?execution|thread ?pool.{0,30}(rejected|rejections|exhausted)/i,
    kind: 'saturation',
    category: 'cpu_saturation',
    governedBy: /\bcpu\b|threads|concurrency|workers/i,
  },
  {
    mechanism: 'host down',
    phrase:
      /host (is )?down|NotReady|kernel panic|soft lockup|hard lockup|hardware (fault|failure|error)|instance .{0,30}(stopped|terminated|impaired)|(instance|system) status check failed|unresponsive|not responding|node .{0,20}(lost|down)/i,
    kind: 'crash',
    category: 'host_failure',
  },
  // The writer's own code failing on what it was given: the trouble is in a change to that code, or to what feeds it.
  {
    mechanism: 'code failing',
    phrase:
      /NullPointer|nil pointer dereference|index out of range|TypeError|ReferenceError|ClassCast|NoSuchMethod|AttributeError|KeyError|cannot read propert|is not a function|undefined is not|invalid_type|(schema|payload|input|request|body|field) validation failed|unmarshal|deserializ|cannot be cast/i,
    kind: 'defect',
    category: 'deployment',
  },
  // A process that crashes on a stated defect (a nil pointer in a panic) is the code failing, above.
  {
    mechanism: 'crashing',
    phrase:
      /CrashLoopBackOff|segfault|segmentation fault|SIGSEGV|SIGABRT|core dumped|exited with (code|status) [1-9]|exit_?code[=: ]+[1-9]|panic:|fatal error|liveness probe failed/i,
    kind: 'crash',
    category: 'host_failure',
  },
  // A host that does not answer at all, named by the line that tried to reach it.
  {
    mechanism: 'host unreachable',
    phrase: /no route to host|EHOSTUNREACH|host (is )?unreachable/i,
    kind: 'refusal',
    category: 'host_failure',
  },
  // A proxy's session-end code (HAProxy's termination state, case-sensitive): the server refused
  // (SC) or dropped (SH) the connection, or did not answer in time (sC, sH). It points at the server named.
  {
    mechanism: 'backend refused',
    phrase: /\s[sS][CH](?:--|\s|$)/,
    kind: 'refusal',
    category: 'dependency_failure',
  },
  {
    mechanism: 'connection refused',
    phrase: /connection refused|ECONNREFUSED|connection reset|ECONNRESET|broken pipe/i,
    kind: 'refusal',
    category: 'dependency_failure',
  },
  // A managed database refusing requests past its provisioned capacity (request units, throughput): the database is the limit.
  {
    mechanism: 'database throttled',
    phrase:
      /request rate is large|ProvisionedThroughputExceeded|RequestRateTooLarge|(cosmos|dynamo\w*|spanner|bigtable).{0,80}\b429\b|\b429\b.{0,80}(cosmos|dynamo|request units|partition)/i,
    kind: 'exhaustion',
    category: 'database',
    // How much it reads (a new scan, a dropped index) or what it may read (its capacity) governs it.
    governedBy: /\bscan|capacity|throughput|provisioned|request units|\bindex/i,
  },
  {
    mechanism: 'rate limited',
    phrase: /rate.?limit|too many requests|\b429\b|throttl(ed|ing)|quota exceeded/i,
    kind: 'rejection',
    category: 'dependency_failure',
  },
  // A proxy shedding requests past its own limits (Envoy's UO flag, pending overflow): whoever set the limit.
  {
    mechanism: 'request limit reached',
    // HAProxy's sQ: the session waited in the server's queue until it timed out (every server at its maxconn).
    phrase: /upstream_rq_pending_overflow|pending.?overflow|\{overflow\}|\sUO\s|circuit breaker.{0,20}(overflow|max)|\ssQ--/i,
    kind: 'exhaustion',
    category: 'dependency_failure',
    governedBy: /max.?pending|max.?requests|max.?conn(ections)?\b|circuit.?break|concurrency|connection.?pool|timeout queue/i,
  },
  // A firewall or an edge blocking requests by a rule of its own (a WAF's action=block): its rule, and whoever set it.
  {
    mechanism: 'requests blocked by a rule',
    phrase: /(\b|security|waf)action"?\s*[=:]\s*"?(block|deny|drop)\b|\bblocked by (a |the )?(rule|policy|waf|firewall)/i,
    kind: 'defect',
    category: 'config_change',
    governedBy: /\brules?\b|ruleset|polic(y|ies)|\bwaf\b|firewall/i,
  },
  // A call turned away by an authorization check: whoever changed who may call what (a policy, a role, a key).
  {
    mechanism: 'access denied',
    phrase: /permission ?denied|access denied|\bforbidden\b|\bunauthori[sz]ed\b|not authori[sz]ed|\brbac\b|\b403\b/i,
    kind: 'rejection',
    category: 'config_change',
    governedBy: /authoriz|\brbac\b|polic(y|ies)|permission|principal|\bacl\b|\biam\b|\brole|credential|api.?key|token/i,
  },
  {
    mechanism: 'upstream unavailable',
    phrase:
      /service unavailable|\b50[234]\b|bad gateway|gateway time-?out|upstream .{0,30}(error|unavailable|timed out|reset)|circuit (breaker )?open/i,
    kind: 'failure',
    category: 'dependency_failure',
  },
  {
    mechanism: 'timing out',
    phrase: /timed? ?out|timeout|deadline exceeded|i\/o timeout|execution expired/i,
    kind: 'timeout',
    category: 'dependency_failure',
  },
  {
    // A backlog says the consumer is slower than the producer: it points at both, it is neither's own trouble.
    mechanism: 'queue backing up',
    phrase: /backlog|queue (depth|full|growing)|consumer lag|lag (is )?(growing|high)|saturat/i,
    kind: 'failure',
    category: 'traffic_spike',
  },
  // Last: an exception the table has no row for is the writer's own code failing, unless it names where it failed.
  {
    mechanism: 'application error',
    phrase: /\b[A-Z]\w*(Error|Exception)\b(?!\s*(Code|Rate|Count))|Traceback \(most recent call last\)/,
    kind: 'defect',
    category: 'deployment',
    unrecognised: true,
  },
];

/**
 * What a client's words say it talks to: its library, protocol or error names the kind of server,
 * and servers are named after their kind (a service or host called *rabbit*, *mysql*, *redis*). A
 * failing line that names no server by name still says where to look.
 */
export const TECHNOLOGIES: ReadonlyArray<{ client: RegExp; lookIn: string[] }> = [
  // SQL clients and ORMs name no product: look at the SQL servers.
  { client: /\b(django\.db|sqlalchemy|jdbc|activerecord|sqlstate|sql ?exception)\b/i, lookIn: ['sql', 'db'] },
  { client: /postgres|psycopg|asyncpg|npgsql|\bpq:|\bPG::/i, lookIn: ['postgres', 'pg'] },
  { client: /mysql|mariadb/i, lookIn: ['mysql', 'maria'] },
  { client: /mongo/i, lookIn: ['mongo'] },
  { client: /redis|jedis|lettuce/i, lookIn: ['redis'] },
  { client: /\bamqp|rabbit|kombu|\bpika\b/i, lookIn: ['rabbit', 'amqp'] },
  { client: /kafka/i, lookIn: ['kafka'] },
  { client: /elasticsearch|opensearch|cluster_block_exception/i, lookIn: ['elastic', 'opensearch', 'es-'] },
  { client: /cassandra|datastax|gocql|scylla/i, lookIn: ['cassandra', 'scylla'] },
  { client: /memcache/i, lookIn: ['memcache'] },
  { client: /zookeeper|KeeperException|\betcd/i, lookIn: ['zookeeper', 'etcd'] },
  { client: /\bnats\b|jetstream/i, lookIn: ['nats'] },
  // Managed databases answer as their service: a client names the product, the account names the table or container.
  { client: /cosmos|dynamodb|spanner|bigtable|firestore/i, lookIn: ['cosmos', 'dynamo', 'spanner', 'bigtable'] },
];

/**
 * Where traffic to the outside leaves our network, by the words such hosts are named by: what
 * failures toward several public places, none in trouble of its own, have in common.
 */
export const EGRESS: readonly string[] = ['nat', 'egress'];

/** What a metric's name says it measures, for metrics that report a component's own trouble. */
export const METRIC_KINDS: ReadonlyArray<{ name: RegExp; category: RcaCategory; mechanism: string }> = [
  { name: /disk|inode|filesystem|\bfs\b|volume/i, category: 'disk_full', mechanism: 'disk filling' },
  { name: /mem|oom|swap|rss|heap/i, category: 'memory_exhaustion', mechanism: 'memory rising' },
  { name: /cpu|load\b|load\.|throttl/i, category: 'cpu_saturation', mechanism: 'CPU saturated' },
  // A network metric counts errors or drops; bytes, requests and clients over it are demand (and kubernetes is no network).
  {
    name: /packet|retrans|conntrack|allowance|dns|bandwidth|port.?alloc|(\bnet|network|tcp|\bnat)[\w.]*(err|drop|loss|fail|reset|discard)/i,
    category: 'network',
    mechanism: 'network errors rising',
  },
  {
    name: /connection|lock|replica|deadlock|query|tombstone|db\.|postgres|mysql|redis|cassandra/i,
    category: 'database',
    mechanism: 'database under strain',
  },
  // Demand is what arrives, not how it fares: errors and latency of requests are symptoms, and a client's calls out are not demand on it.
  {
    name: /^(?!.*(error|fail|duration|latency|time|p\d\d|5xx|4xx|client|outbound|upstream|egress)).*(request|hits|rps|throughput|sessions|traffic|qps|connections_opened)/i,
    category: 'traffic_spike',
    mechanism: 'demand rising',
  },
];

/** Events that change something, and what kind of change each is. */
export const CHANGES: ReadonlyArray<{ phrase: RegExp; category: RcaCategory | 'trigger'; kind: string }> = [
  { phrase: /migration|schema|index (build|creat)|alter table/i, category: 'database', kind: 'migration' },
  {
    phrase:
      /feature flag|\bflag|\bfeature\b.{0,60}\b(enabled|disabled|rolled out|rollout)\b|toggle|config(uration)?|setting|parameter|\.(ya?ml|conf|cfg|ini|toml|properties)\b|terraform|env(ironment)? var|authoriz|\brbac\b|\bacl\b|firewall|security group|allow.?list/i,
    category: 'config_change',
    kind: 'config change',
  },
  {
    phrase:
      /deploy|release|rollout|rolled out|sync(ed)? (succeeded|to revision)|upgrade|image|version|\bv\d+\.\d+|pull request|\bmerged?\b|\bcommit\b/i,
    category: 'deployment',
    kind: 'deployment',
  },
  // A campaign or a launch is a trigger of demand: it brings users, so it explains demand without naming a component.
  {
    phrase:
      /campaign|launch|newsletter|email blast|push notification|promotion|sale\b|\b(event|season|sale) (window )?(opened|opens|started|begins|went live)\b/i,
    category: 'trigger',
    kind: 'campaign',
  },
  // A job or a backfill is a trigger of load on what it works on: it explains only a component it names.
  // Either way the root's own category stays (a job that fills a disk is disk_full).
  {
    phrase: /\bjob\b|cron|backfill|batch|export|reindex|rebuild/i,
    category: 'trigger',
    kind: 'job',
  },
];

/** A change or a component named only by these words, or by numbers, says nothing about a cause. */
export const COMMON_WORDS = new Set(
  (
    'the a an and or of to in on at for from by with without is are was were be been has have had not no new old ' +
    'prod production staging env error errors warn warning info failed failure fails started start finished ' +
    'completed succeeded success ok service services host hosts server pod pods node nodes request requests ' +
    'response responses api app application http https get post put delete status code ms sec seconds minutes ' +
    'min max avg count total rate value values true false null none all any some more less than after before ' +
    'default changed change update updated set from into per via using use user users data time times job'
  ).split(' '),
);

/** Where the servers a client's text speaks of are found (TECHNOLOGIES). */
export const technologiesIn = (text: string): string[] => TECHNOLOGIES.filter((t) => t.client.test(text)).flatMap((t) => t.lookIn);

// A reason said not to hold ("watermark 0.4 not reached", "disk space is sufficient") is no reason.
const NEGATED_BEFORE = /\b(?:not|never|no longer|without)\s+$/i;
const NEGATED_AFTER =
  /^[^a-z;,\n]{0,24}(?:is |was |has )?(?:not (?:reached|exceeded|triggered|breached|hit|detected)|cleared|recovered|resolved|is ok\b|sufficient)/i;

/** Whether a phrase holds somewhere in a text: a match that its own clause denies does not count. */
function states(phrase: RegExp, text: string): boolean {
  const all = new RegExp(phrase.source, phrase.flags.includes('g') ? phrase.flags : `${phrase.flags}g`);
  for (const m of text.matchAll(all)) {
    const before = text.slice(Math.max(0, m.index - 40), m.index);
    const after = text.slice(m.index + m[0].length, m.index + m[0].length + 60);
    if (!NEGATED_BEFORE.test(before) && !NEGATED_AFTER.test(after)) return true;
  }
  return false;
}

/** The first row of the table that a text states (and does not deny). */
export const reasonIn = (text: string): ReasonRow | undefined => REASONS.find((r) => states(r.phrase, text));

/** The row for a metric's name, if it names a resource. */
export const metricKindOf = (metric: string) => METRIC_KINDS.find((k) => k.name.test(metric));

// A title that says a change shipped (a release), and a text naming a configuration file or a playbook.
const SHIPPED = /deploy|release|rollout|rolled out|sync|upgrade|image|version|\bv\d+\.\d+/i;
const CONFIG_FILE = /\bplaybook\b|\.(ya?ml|conf|cfg|ini|toml|properties)\b/i;

/**
 * The kind of change an event is, if it is one: what its title says it is ("ECS deployment
 * started"), else what its text does; a deploy whose notes mention a configuration is a deploy.
 */
export const changeOf = (text: string) => {
  const [title = ''] = text.split('\n', 1);
  const titled = CHANGES.find((c) => c.phrase.test(title));
  // An audit of someone reading (a secret read, a record viewed) changed nothing, whatever its text lists.
  if (!titled && READ_ONLY.test(title)) return undefined;
  // A commit merged (not shipped as a release) is what it changes: a configuration file makes it a config change.
  const config = CHANGES.find((c) => c.kind === 'config change')!;
  if (titled?.kind === 'deployment' && !SHIPPED.test(title) && config.phrase.test(text)) return config;
  // So is a job that renders configuration files (a configuration-management run).
  if (titled?.kind === 'job' && CONFIG_FILE.test(text)) return config;
  return titled ?? CHANGES.find((c) => c.phrase.test(text));
};

const READ_ONLY = /\b(read|accessed|viewed|fetched|listed|queried)\b(?![-_])/i;
