import type { EventEvidence, EvidenceBundle, LogTemplateEvidence, MetricEvidence } from '../../evidence/bundle';
import { RCA_CATEGORIES, type RcaCategory } from '../report';

/**
 * Signals: what the offline analyst reads in evidence, by shape and wording that hold in any
 * company (a symptom class of a log line, a kind of change, a name an error points at).
 */
// How much of an anomaly a template is: new beats bursting beats merely present.
export function templateAnomaly(t: LogTemplateEvidence): number {
  if (t.why.some((w) => w.startsWith('new'))) return 1;
  for (const w of t.why) {
    const m = /(\d+) lines in the last 15 min, ([\d.]+) expected/.exec(w);
    if (!m) continue;
    const ratio = Number(m[1]) / Math.max(1, Number(m[2]));
    if (ratio >= 3) return 0.7;
    if (ratio >= 1.5) return 0.4;
  }
  return 0;
}
export const levelFactor = (t: LogTemplateEvidence) => (/^(error|critical|fatal|emerg|alert)/i.test(t.level) ? 1 : 0.7);
export const textOf = (t: LogTemplateEvidence) => `${t.template}\n${t.example}`;
export const eventText = (e: EventEvidence) => `${e.title}\n${e.text}\n${e.tags.join(' ')}`;
export const minutesBefore = (at: string, alertMs: number) => Math.round((alertMs - Date.parse(at)) / 60_000);
export const tagValue = (tags: string[], ...keys: string[]) => {
  for (const key of keys) {
    const hit = tags.find((t) => t.toLowerCase().startsWith(`${key}:`));
    if (hit) return hit.slice(key.length + 1);
  }
  return undefined;
};
export const clip = (s: string, n = 160) => (s.length > n ? `${s.slice(0, n - 1)}…` : s);
export const firstLine = (s: string) => s.split('\n')[0]!.trim();

// A log template is classified into its most specific symptom; the order is the precedence.
export const SYMPTOMS: ReadonlyArray<[RcaCategory, RegExp]> = [
  ['disk_full', /ENOSPC|no space left|disk (is )?full|disk quota|filesystem .* full|read-only file system/i],
  [
    'memory_exhaustion',
    /OutOfMemory|out of memory|killed process|\bOOM|heap space|GC overhead|Cannot allocate memory|memory limit|Old Gen|full GC|heap out of memory/i,
  ],
  ['certificate', /SSLHandshake|certificate|\bPKIX\b|x509|CertPath|TLS handshake|\bSSL\b.*(error|fail)|cert(ificate)? (has )?expired/i],
  [
    'database',
    /too many connections|remaining connection slots|connection pool|pool (is probably )?(full|exhausted)|pool exhausted|acquiring a connection|Connection is not available|CannotCreateTransaction|deadlock|lock wait|lock timeout|waiting for (a )?lock|statement timeout|canceling statement|slow query|replication lag|replica lag|could not obtain lock|max_connections/i,
  ],
  [
    'network',
    /packet loss|retransmi|connection reset|Connection rese|interface errors|CRC|link (is )?down|flapping|network is unreachable|lookup \S+ on [\d.]+:53|EAI_AGAIN|server misbehaving|no such host|name resolution|NXDOMAIN|SERVFAIL/i,
  ],
  [
    'dependency_failure',
    /ETIMEDOUT|ECONNREFUSED|ECONNRESET|EAI_AGAIN|ENOTFOUND|getaddrinfo|timed out|timeout|connection refused|No route to host|Service Unavailable|Bad Gateway|Gateway Time-?out|\b50[234]\b|circuit\b.*\bopen|upstream|call failed|rate limit/i,
  ],
];
export const symptomOf = (text: string) => SYMPTOMS.find(([, re]) => re.test(text))?.[0];

// Events that are failures, not changes, even when they mention restarts or terminations.
export const FAILURE_EVENT = /OOMKilled|back-?off|crashloop|failed|not reporting|status check|unhealthy|error|evict/i;
export const DEPLOY_EVENT = /\b(deploy(ed|ment|ing)?|release[ds]?|rolled out|rollout|sync (succeeded|started)|upgrade[ds]?|image .*:v?\d)/i;
export const CONFIG_EVENT = /\b(config(uration)?|properties changed|keys changed|feature[- ]flag|flag|toggle|setting|parameter group)\b/i;
export const SCALE_EVENT = /\b(scaled?|scaling|autoscal\w*|replicas)\b/i;
export const RESTART_EVENT = /\b(restart(ed)?|reboot(ed)?|drain(ed)?|cordon(ed)?)\b/i;
export const CERT_EVENT =
  /\b(cert(ificate)?s?|tls|ssl)\b.*\b(rotat\w*|renew\w*|replac\w*|expir\w*)|\b(rotat\w*|renew\w*)\b.*\b(cert(ificate)?s?|key)\b/i;
export const MERGE_EVENT = /\b(merge[ds]?|pull request|commit|pushed)\b/i;
export const CHANGE_SOURCES =
  /^(deploy|deployment|jenkins|argocd|spinnaker|github|gitlab|config|terraform|launchdarkly|chef|puppet|ansible|kubernetes|helm|circleci)$/i;

export const HOST_DOWN_EVENT =
  /status check failed|agent (is )?not reporting|no data received from the agent|host (is )?(down|unreachable)|instance (stopped|terminated|retired)|kernel panic|hardware (may be )?impaired|node ?not ?ready/i;
export const NETWORK_EVENT =
  /interface|input errors|output errors|\bCRC\b|flapp|packet loss|retransmi|link (down|up)|port .*down|BGP|optic|spanning tree|\bswitch\b|\bTOR\b/i;
export const TRAFFIC_EVENT = /\bcampaign\b|\bpromo(tion)?\b|newsletter|flash sale|push notification|\bsale\b|marketing|utm_/i;
export const JOB_EVENT =
  /\b(jobs?|cron(job)?|batch|backup|script|tasks?|process|application)\b.*\b(started|running|created|launched|kicked off|enqueued|submitted)\b|\bscheduled by cron\b|\benqueued \d[\d,]* \w+/i;
export const DB_WORDS = /postgres|mysql|mariadb|\brds\b|aurora|mongo|redis|database|\bdb\b|max_connections|replica/i;

export const VERSION = /\bv\d+(?:\.\d+){1,3}(?:[-+][\w.]+)?\b|\b\d+\.\d+\.\d+(?:[-+][\w.]+)?\b/;
export const URL_HOST = /https?:\/\/([a-z0-9][a-z0-9.-]*[a-z])(?::\d+)?/gi;

/** Hostnames (not IPs) in URLs, with www. stripped. */
export function urlHosts(text: string): string[] {
  return [...text.matchAll(URL_HOST)].map((m) => m[1]!.toLowerCase().replace(/^www\./, ''));
}

/** Names a dependency error points at: URL hosts, upstream=, "X call failed", a named circuit. */
export function dependencyNames(text: string): string[] {
  const names = urlHosts(text).filter((h) => !/docs?\.|\/docs/.test(h));
  for (const re of [
    /upstream[=:]\s*"?([A-Za-z][\w.-]+)/gi,
    /\b([a-z][\w-]*[-_.][\w-]*[a-z0-9]|[A-Z][\w-]*[a-z0-9]) (?:call|request)s? (?:failed|timed out)/g,
    /circuit\s+"?([\w.-]+)"?\s+(?:is\s+)?open/gi,
    /(?:connect(?:ing)? to|calling) ([a-z][\w.-]*[a-z])/gi,
  ]) {
    for (const m of text.matchAll(re)) names.push(m[1]!);
  }
  return names.filter((n) => !/^(http|https|upstream)$/i.test(n));
}

// A bounded in-process holder growing without limit is the memory culprit an SRE looks for.
export const UNBOUNDED =
  /unbounded|eviction (is )?disabled|max(imum)?_?size not (configured|set)|no (max|limit)|grow(s|ing)? without|memory leak|leak detected/i;
export function memoryHolder(text: string): string | undefined {
  const sized = /\b([A-Za-z_][\w.]*?)\s+size\s*[=:]/.exec(text);
  if (sized) return sized[1];
  return /\b([A-Za-z_]\w*(?:Cache|Map|Buffer|Queue|Pool|Registry|List))\b/.exec(text)?.[1];
}

export function isCategory(c: string): c is RcaCategory {
  return (RCA_CATEGORIES as readonly string[]).includes(c);
}

export const isHitsMetric = (m: MetricEvidence) =>
  /\bhits\b|request(s)?\.count|requests?_per|\brps\b|request rate/i.test(`${m.label} ${m.query}`);
export function surgeOf(metrics: MetricEvidence[]): number {
  const m = metrics.find(isHitsMetric);
  return m?.change !== undefined && m.change > 0 ? m.change : 1;
}

export function tagsOfHost(b: EvidenceBundle): string[] {
  const tags = b.host?.tags;
  return Array.isArray(tags) ? tags.filter((t): t is string => typeof t === 'string') : [];
}

/** Hosts or services in a text that look like a database. */
export function databaseNameIn(text: string): string | undefined {
  return /\b((?:pg|postgres|mysql|maria|db|rds|mongo|redis)[\w-]*-\d+[\w-]*)\b/i.exec(text)?.[1];
}

export interface ChangeKind {
  category: RcaCategory;
  kind: string;
  base: number;
}
export function changeKind(e: EventEvidence): ChangeKind | undefined {
  const text = `${e.title}\n${e.text}`;
  const source = (e.source ?? '').toLowerCase();
  if (FAILURE_EVENT.test(e.title) && !/sync succeeded/i.test(e.title)) return undefined;
  if (CERT_EVENT.test(text)) return { category: 'certificate', kind: 'certificate rotation', base: 3 };
  if (SCHEMA_CHANGE.test(text) && !DEPLOY_EVENT.test(e.title)) return { category: 'database', kind: 'schema change', base: 2 };
  if (
    source === 'config' ||
    /properties changed|keys changed|feature[- ]flag|flag .* (turned|set|enabled|disabled)/i.test(text) ||
    describesConfigDiff(e.text) ||
    (CONFIG_EVENT.test(e.title) && !DEPLOY_EVENT.test(e.title))
  )
    return { category: 'config_change', kind: 'config change', base: 3 };
  if (DEPLOY_EVENT.test(e.title) || (/argocd|spinnaker|deploy/.test(source) && !MERGE_EVENT.test(e.title)))
    return { category: 'deployment', kind: 'deploy', base: 3 };
  if (MERGE_EVENT.test(e.title) && /github|gitlab/.test(source)) return { category: 'deployment', kind: 'merged change', base: 0.8 };
  if (SCALE_EVENT.test(e.title)) return { category: 'deployment', kind: 'scaling', base: 1 };
  if (RESTART_EVENT.test(e.title) && CHANGE_SOURCES.test(source)) return { category: 'deployment', kind: 'restart', base: 1 };
  return undefined;
}

/** The name of what changed: a version (with its service), a config key or flag, else the service. */
export function changeCulprit(e: EventEvidence, kind: ChangeKind, service: string | undefined): string | undefined {
  const text = `${e.title}\n${e.text}`;
  if (kind.category === 'config_change') {
    const key =
      /keys? changed:?\s*\[?\s*([\w.-]+)/i.exec(text)?.[1] ??
      changedSetting(e.text) ??
      /\bflag\s+"?([\w.-]+)"?/i.exec(text)?.[1] ??
      tagValue(e.tags, 'flag', 'feature_flag', 'key');
    return key ?? service;
  }
  if (kind.category === 'database') return schemaObject(text) ?? service;
  const version = VERSION.exec(e.title)?.[0] ?? VERSION.exec(e.text)?.[0] ?? tagValue(e.tags, 'version');
  if (version && service) return `${service} ${version}`;
  return version ?? service;
}

export function eventServices(e: EventEvidence): string[] {
  const names = [tagValue(e.tags, 'service'), tagValue(e.tags, 'kube_deployment', 'app'), tagValue(e.tags, 'repo')?.split('/').pop()];
  const titled = /^(?:[\w ]+:\s*)?(?:[\w.-]+\/)?([a-z][\w-]*[a-z0-9])(?::|\s+v?\d)/i.exec(e.title)?.[1];
  return [...new Set([...names, titled].filter((n): n is string => !!n && n.length > 2).map((n) => n.toLowerCase()))];
}

export const STOP = new Set([
  'the',
  'and',
  'for',
  'with',
  'from',
  'prod',
  'env',
  'service',
  'deployed',
  'deploy',
  'started',
  'succeeded',
  'changed',
  'change',
  'commit',
  'build',
  'health',
  'checks',
  'green',
  'new',
  'was',
  'are',
  'into',
  'this',
  'that',
  'http',
  'https',
  'error',
  'request',
  'requests',
  'true',
  'false',
  'com',
  'net',
  'internal',
]);
export function distinctiveTokens(text: string): string[] {
  const toks = text
    .toLowerCase()
    .split(/[^a-z0-9_]+/)
    .filter((t) => t.length >= 4 && !STOP.has(t) && !/^\d+$/.test(t));
  return [...new Set(toks)];
}

// Name-resolution failures: many dependencies failing at once through the one resolver they share.
export const DNS_FAILURE = /lookup \S+ on [\d.]+:53|EAI_AGAIN|server misbehaving|no such host|name resolution|NXDOMAIN|SERVFAIL/i;
export const DNS_COMPONENT = /\b(core-?dns|kube-?dns|dns|resolver|resolv\.conf|nameserver)\b/i;
/** The node a workload was placed on, as schedulers word it ("assigned pod to node-1"). */
export const placedOn = (text: string) => /\bassigned \S+ to ([\w.-]+[\w])/i.exec(text)?.[1];

// A schema change: migrations and DDL take locks that queue every query on the table.
export const SCHEMA_CHANGE = /\b(migrat\w*|flyway|liquibase|alembic|alter table|add column|create index|drop column|schema change)\b/i;
/** What a schema change touches: a migration's name (V12__add_orders_status.sql), a column or a table. */
export function schemaObject(text: string): string | undefined {
  const migration = /\bV?\d+__([a-z][\w]*?)\.sql\b/i.exec(text)?.[1]?.replace(/^(add|drop|alter|rename|create|backfill)_/i, '');
  return (
    migration ??
    /\b(?:add|drop) column (?:if (?:not )?exists )?"?(\w+)/i.exec(text)?.[1] ??
    /\b(?:alter table|create index \w+ on) "?([\w.]+)/i.exec(text)?.[1]
  );
}

/** The table a slow or failing query reads or writes. */
export const queriedTable = (text: string) => /\b(?:from|update|into|join)\s+"?([a-z_][\w]*(?:\.[a-z_][\w]*)?)"?/i.exec(text)?.[1];

// A unified diff or an "old -> new" list in a change's text: a configuration changed, whatever the tool.
const DIFF_LINE = /^[-+]\s*"?([\w.-]+)"?\s*[:=]/m;
const ARROW_CHANGE = /\b([a-z][\w.-]*)\s*[:=]?\s*"?[\w.]+"?\s*->\s*"?[\w.]+/i;
const CHANGED_OBJECT = /\bchanged objects?:\s*(?:[a-z]+\s+)*\/?(?:[\w.-]+\/)*([\w.-]+)\s*\{/i;
/** The key, object or setting a change's text says it changed. */
export function changedSetting(text: string): string | undefined {
  return CHANGED_OBJECT.exec(text)?.[1] ?? DIFF_LINE.exec(text)?.[1] ?? ARROW_CHANGE.exec(text)?.[1];
}
export const describesConfigDiff = (text: string) => DIFF_LINE.test(text) || CHANGED_OBJECT.test(text);

/**
 * The directory failing writes go to, named by its last word-like part: in
 * /srv/app/msg-archive/2026/03/12/x.dat that is msg-archive, what is filling the disk.
 */
export function writtenDirectory(text: string): string | undefined {
  const path = /(?:^|[\s"'=(])((?:\/[\w.-]+){2,})/.exec(text)?.[1];
  if (!path) return undefined;
  const dirs = path.split('/').filter(Boolean).slice(0, -1);
  return dirs
    .reverse()
    .find((d) => /[a-z]{3,}/i.test(d) && !/^\d/.test(d) && !/^(tmp|var|srv|opt|data|home|mnt|usr|lib|log|logs)$/i.test(d));
}

/** A job's name as events word it: a tag, "job NAME", a job class (ReportExportJob), or "N NAME jobs". */
export function jobName(e: EventEvidence): string | undefined {
  const text = `${e.title}\n${e.text}`;
  return (
    tagValue(e.tags, 'job', 'kube_cronjob', 'cronjob', 'process', 'app') ??
    /\bjob\s+([\w.-]*\d[\w.-]*|[\w.-]+\/[\w.-]+)/i.exec(e.title)?.[1] ??
    /\b([A-Z][A-Za-z0-9]+(?:Job|Task|Worker))\b/.exec(text)?.[1] ??
    /\b\d[\d,]* ([A-Za-z][\w.-]+) (?:jobs|tasks)\b/.exec(text)?.[1] ??
    /\bjob\s+([\w.-]+)/i.exec(e.title)?.[1]
  );
}

// Lines that are trouble by what they say, with or without a baseline to compare against.
export const INHERENTLY_BAD = /out of memory|oom-?kill|killed process|no space left|kernel panic|segfault|core dumped/i;

/**
 * The workload a line names as a pod (namespace/name-replicaset-hash), without the hashes; the first
 * of a list of pods ranked for eviction is the one using the most memory over its request.
 */
export function podWorkloads(text: string): string[] {
  return [...text.matchAll(/\b[a-z0-9-]+\/([a-z][a-z0-9-]*?)(?:-[a-f0-9]{8,10})?-[a-z0-9]{5}\b/g)].map((m) => m[1]!);
}

// Library and runtime code: a frame there is where the time was spent, not whose code spent it.
const LIBRARY_PATH =
  /site-packages|dist-packages|node_modules|\/lib\/python|\/usr\/lib|^(java|javax|jdk|sun|kotlin|scala|org\.apache|org\.springframework|io\.netty|com\.zaxxer)\.|^internal\//;

/**
 * The innermost frame of the application's own code in a stack trace (Python "File …, in fn";
 * Java "at pkg.Class.fn(…)"; Node "at fn (/path…)"): in a request aborted while the CPU is
 * saturated, the code that was running.
 */
export function innermostAppFrame(text: string): string | undefined {
  const python = [...text.matchAll(/File "([^"]+)", line \d+, in ([\w<>]+)/g)].map((m) => ({ where: m[1]!, fn: m[2]! }));
  if (python.length) return python.filter((f) => !LIBRARY_PATH.test(f.where) && !f.fn.startsWith('<')).at(-1)?.fn;
  const java = [...text.matchAll(/\bat ([\w$.]+)\.([\w$<>]+)\([\w$.]*(?::\d+)?\)/g)].map((m) => ({ where: m[1]!, fn: m[2]! }));
  const node = [...text.matchAll(/\bat ([\w$.<>]+) \(([^)]+)\)/g)].map((m) => ({ where: m[2]!, fn: m[1]! }));
  // Java and Node print the innermost frame first.
  return [...java, ...node].find((f) => !LIBRARY_PATH.test(f.where) && !f.fn.startsWith('<'))?.fn;
}
const ABORTED = /worker timeout|handle_abort|SystemExit|request timeout|timed out|deadline exceeded|interrupted/i;
export const abortedWithTrace = (text: string) => ABORTED.test(text) && innermostAppFrame(text) !== undefined;
