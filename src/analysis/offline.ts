import type { EventEvidence, EvidenceBundle, LogTemplateEvidence, MetricEvidence } from '../evidence/bundle';
import { deriveVerdict, noUsage, type AnalysisResult, type Hypothesis as ReportHypothesis, type RcaCategory, type RcaReport } from './report';

/**
 * The offline analyst: no model, only rules a senior SRE applies to the evidence bundle. Each rule
 * that fires adds weight to a category and, when it can name one, to a culprit; the best category
 * names its best culprit in the root cause, and the margin over the runner-up sets the confidence.
 */

type EvidenceItem = RcaReport['evidence'][number];

/** One rule firing: what it supports, how strongly, and what it rests on. */
interface Finding {
  rule: string;
  category: RcaCategory;
  weight: number;
  /** Why, for the reasoning trail. */
  detail: string;
  culprit?: string;
  /** A clause for the root-cause sentence, e.g. "deployed 12 min before the alert". */
  context?: string;
  /** Names what inside the culprit host did it (a job, a cache, a campaign): refines the culprit, adds no score. */
  specific?: boolean;
  evidence: EvidenceItem[];
}

interface Hypothesis {
  category: RcaCategory;
  score: number;
  culprit: string;
  /** The host or service the specific culprit acted on, when there is one. */
  where?: string;
  context: string[];
  findings: Finding[];
}

// How much of an anomaly a template is: new beats bursting beats merely present.
function templateAnomaly(t: LogTemplateEvidence): number {
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
const levelFactor = (t: LogTemplateEvidence) => (/^(error|critical|fatal|emerg|alert)/i.test(t.level) ? 1 : 0.7);
const textOf = (t: LogTemplateEvidence) => `${t.template}\n${t.example}`;
const eventText = (e: EventEvidence) => `${e.title}\n${e.text}\n${e.tags.join(' ')}`;
const minutesBefore = (at: string, alertMs: number) => Math.round((alertMs - Date.parse(at)) / 60_000);
const tagValue = (tags: string[], ...keys: string[]) => {
  for (const key of keys) {
    const hit = tags.find((t) => t.toLowerCase().startsWith(`${key}:`));
    if (hit) return hit.slice(key.length + 1);
  }
  return undefined;
};
const clip = (s: string, n = 160) => (s.length > n ? `${s.slice(0, n - 1)}…` : s);
const firstLine = (s: string) => s.split('\n')[0]!.trim();

// A log template is classified into its most specific symptom; the order is the precedence.
const SYMPTOMS: ReadonlyArray<[RcaCategory, RegExp]> = [
  ['disk_full', /ENOSPC|no space left|disk (is )?full|disk quota|filesystem .* full|read-only file system/i],
  ['memory_exhaustion', /OutOfMemory|\bOOM|heap space|GC overhead|Cannot allocate memory|memory limit|Old Gen|full GC|heap out of memory/i],
  ['certificate', /SSLHandshake|certificate|\bPKIX\b|x509|CertPath|TLS handshake|\bSSL\b.*(error|fail)|cert(ificate)? (has )?expired/i],
  ['database', /too many connections|remaining connection slots|connection pool|pool (is probably )?(full|exhausted)|pool exhausted|acquiring a connection|Connection is not available|CannotCreateTransaction|deadlock|lock wait|slow query|replication lag|replica lag|could not obtain lock|max_connections/i],
  ['network', /packet loss|retransmi|connection reset|Connection rese|interface errors|CRC|link (is )?down|flapping|network is unreachable/i],
  ['dependency_failure', /ETIMEDOUT|ECONNREFUSED|ECONNRESET|EAI_AGAIN|ENOTFOUND|getaddrinfo|timed out|timeout|connection refused|No route to host|Service Unavailable|Bad Gateway|Gateway Time-?out|\b50[234]\b|circuit\b.*\bopen|upstream|call failed|rate limit/i],
];
const symptomOf = (text: string) => SYMPTOMS.find(([, re]) => re.test(text))?.[0];

// Events that are failures, not changes, even when they mention restarts or terminations.
const FAILURE_EVENT = /OOMKilled|back-?off|crashloop|failed|not reporting|status check|unhealthy|error|evict/i;
const DEPLOY_EVENT = /\b(deploy(ed|ment|ing)?|release[ds]?|rolled out|rollout|sync (succeeded|started)|upgrade[ds]?|image .*:v?\d)/i;
const CONFIG_EVENT = /\b(config(uration)?|properties changed|keys changed|feature[- ]flag|flag|toggle|setting|parameter group)\b/i;
const SCALE_EVENT = /\b(scaled?|scaling|autoscal\w*|replicas)\b/i;
const RESTART_EVENT = /\b(restart(ed)?|reboot(ed)?|drain(ed)?|cordon(ed)?)\b/i;
const CERT_EVENT = /\b(cert(ificate)?s?|tls|ssl)\b.*\b(rotat\w*|renew\w*|replac\w*|expir\w*)|\b(rotat\w*|renew\w*)\b.*\b(cert(ificate)?s?|key)\b/i;
const MERGE_EVENT = /\b(merge[ds]?|pull request|commit|pushed)\b/i;
const CHANGE_SOURCES = /^(deploy|deployment|jenkins|argocd|spinnaker|github|gitlab|config|terraform|launchdarkly|chef|puppet|ansible|kubernetes|helm|circleci)$/i;

const HOST_DOWN_EVENT = /status check failed|agent (is )?not reporting|no data received from the agent|host (is )?(down|unreachable)|instance (stopped|terminated|retired)|kernel panic|hardware (may be )?impaired|node ?not ?ready/i;
const NETWORK_EVENT = /interface|input errors|output errors|\bCRC\b|flapp|packet loss|retransmi|link (down|up)|port .*down|BGP|optic|spanning tree|\bswitch\b|\bTOR\b/i;
const TRAFFIC_EVENT = /\bcampaign\b|\bpromo(tion)?\b|newsletter|flash sale|push notification|\bsale\b|marketing|utm_/i;
const JOB_EVENT = /\b(job|cron(job)?|batch|backup|script|task|process)\b.*\b(started|running|created|launched|kicked off)\b|\bscheduled by cron\b/i;
const DB_WORDS = /postgres|mysql|mariadb|\brds\b|aurora|mongo|redis|database|\bdb\b|max_connections|replica/i;

const VERSION = /\bv\d+(?:\.\d+){1,3}(?:[-+][\w.]+)?\b|\b\d+\.\d+\.\d+(?:[-+][\w.]+)?\b/;
const URL_HOST = /https?:\/\/([a-z0-9][a-z0-9.-]*[a-z])(?::\d+)?/gi;

/** Hostnames (not IPs) in URLs, with www. stripped. */
function urlHosts(text: string): string[] {
  return [...text.matchAll(URL_HOST)].map((m) => m[1]!.toLowerCase().replace(/^www\./, ''));
}

/** Names a dependency error points at: URL hosts, upstream=, "X call failed", a named circuit. */
function dependencyNames(text: string): string[] {
  const names = urlHosts(text).filter((h) => !/docs?\.|\/docs/.test(h));
  for (const re of [/upstream[=:]\s*"?([A-Za-z][\w.-]+)/gi, /\b([a-z][\w-]*[a-z0-9]) (?:call|request)s? (?:failed|timed out)/gi, /circuit\s+"?([\w.-]+)"?\s+(?:is\s+)?open/gi, /(?:connect(?:ing)? to|calling) ([a-z][\w.-]*[a-z])/gi]) {
    for (const m of text.matchAll(re)) names.push(m[1]!);
  }
  return names.filter((n) => !/^(http|https|upstream)$/i.test(n));
}

// A bounded in-process holder growing without limit is the memory culprit an SRE looks for.
const UNBOUNDED = /unbounded|eviction (is )?disabled|max(imum)?_?size not (configured|set)|no (max|limit)|grow(s|ing)? without|memory leak|leak detected/i;
function memoryHolder(text: string): string | undefined {
  const sized = /\b([A-Za-z_][\w.]*?)\s+size\s*[=:]/.exec(text);
  if (sized) return sized[1];
  return /\b([A-Za-z_]\w*(?:Cache|Map|Buffer|Queue|Pool|Registry|List))\b/.exec(text)?.[1];
}

/** Runs the rules over a bundle and returns an RCA report with the rules that fired as reasoning. */
export function analyseOffline(bundle: EvidenceBundle, now: Date = new Date()): AnalysisResult {
  // `now` stamps the run (tests pin it); the duration is measured on the clock.
  const clock = performance.now();
  const findings = collectFindings(bundle);
  const hypotheses = rankHypotheses(findings, bundle);
  const report = buildReport(bundle, hypotheses);
  const ms = Math.round(performance.now() - clock);
  const started = now;
  const finished = new Date(now.getTime() + ms);
  const reasoning = [
    ...findings.map((f) => `${f.rule} → ${f.category}${f.culprit ? ` (${f.culprit})` : ''} +${f.weight.toFixed(2)}: ${f.detail}`),
    ...hypotheses.slice(0, 3).map((h, i) => `${i === 0 ? 'chosen' : `runner-up ${i}`}: ${h.category} ${h.score.toFixed(2)} culprit ${h.culprit}`),
  ];
  return {
    report,
    analyst: 'offline',
    usage: noUsage(),
    timings: { startedAt: started.toISOString(), finishedAt: finished.toISOString(), ms },
    reasoning,
  };
}

function collectFindings(b: EvidenceBundle): Finding[] {
  const alertMs = Date.parse(b.alert.alertTime);
  const templates = b.logTemplates.map((t) => ({ t, anomaly: templateAnomaly(t), symptom: symptomOf(textOf(t)) }));
  const anomalous = templates.filter((x) => x.anomaly > 0);
  const firstAnomalyMs = Math.min(...anomalous.map((x) => Date.parse(x.t.firstSeen)), alertMs);
  const logCorpus = b.logTemplates.map(textOf).join('\n').toLowerCase();
  const anomalousCorpus = anomalous.map((x) => textOf(x.t)).join('\n').toLowerCase();
  const findings: Finding[] = [];
  const trafficSurge = surgeOf(b.metrics);

  // 1. Changes shortly before the alert on the service, its host or a dependency named in the logs.
  for (const e of b.events) findings.push(...changeFindings(e, b, alertMs, firstAnomalyMs, logCorpus, anomalousCorpus));

  // 2. New or bursting log templates, by the symptom they show.
  for (const { t, anomaly, symptom } of anomalous) {
    if (!symptom) continue;
    const weight = 2.5 * anomaly * levelFactor(t) * (symptom === 'certificate' || symptom === 'disk_full' ? 1.2 : 1);
    const when = t.why.find((w) => w.startsWith('new')) ?? t.why[0] ?? '';
    const evidence = [{ claim: `${t.count} ${t.level} lines "${clip(firstLine(t.example), 140)}" (${when})`, source: 'logs', link: t.link ?? b.links.logs }];
    const text = textOf(t);
    const base = { rule: 'anomalous-log-template', category: symptom, weight, evidence, detail: `${when}: ${clip(t.template, 100)}` };
    if (symptom === 'disk_full' || symptom === 'memory_exhaustion') {
      findings.push({ ...base, culprit: t.hosts[0] ?? b.alert.hostname, context: `logs "${clip(firstLine(t.example), 90)}" since ${t.firstSeen.slice(11, 16)} UTC` });
    } else if (symptom === 'certificate') {
      const server = urlHosts(text)[0] ?? /server[=: ]+"?([\w.-]+)/i.exec(text)?.[1];
      findings.push({ ...base, culprit: server, context: `TLS handshakes fail ("${clip(firstLine(t.example), 90)}")` });
    } else if (symptom === 'database') {
      findings.push({ ...base, culprit: databaseNameIn(text), context: `the application cannot get database connections ("${clip(firstLine(t.example), 90)}")` });
    } else if (symptom === 'dependency_failure') {
      const names = dependencyNames(text);
      if (names.length === 0) findings.push({ ...base, culprit: undefined });
      for (const n of [...new Set(names)]) findings.push({ ...base, weight: weight / Math.min(2, new Set(names).size), culprit: n, context: `calls to it fail ("${clip(firstLine(t.example), 90)}")` });
    } else {
      findings.push({ ...base, culprit: undefined });
    }
  }

  // A component holding memory without bound, named in any template, is the memory culprit.
  for (const t of b.logTemplates) {
    const text = textOf(t);
    if (!UNBOUNDED.test(text)) continue;
    const holder = memoryHolder(text);
    if (holder) findings.push({ rule: 'unbounded-memory-holder', category: 'memory_exhaustion', weight: 1, culprit: holder, specific: true, detail: clip(firstLine(t.example), 120), context: `${holder} grows without bound ("${clip(firstLine(t.example), 100)}")`, evidence: [{ claim: `${holder} is unbounded: ${clip(firstLine(t.example), 140)}`, source: 'logs', link: t.link ?? b.links.logs }] });
  }

  // 3. Resource metrics against thresholds; a surge in requests explains saturation as a symptom.
  for (const m of b.metrics) findings.push(...metricFindings(m, b, trafficSurge));
  const hostMetrics = (b.host?.metrics ?? {}) as Record<string, number>;
  const hostName = typeof b.host?.name === 'string' ? b.host.name : b.alert.hostname;
  if (typeof hostMetrics.cpu === 'number' && hostMetrics.cpu > 90 && hostName) {
    findings.push({ rule: 'host-cpu-above-90', category: 'cpu_saturation', weight: trafficSurge >= 2 ? 0.5 : 1, culprit: hostName, detail: `host reports cpu ${hostMetrics.cpu}%`, context: `CPU at ${hostMetrics.cpu}%`, evidence: [{ claim: `${hostName} reports CPU ${hostMetrics.cpu}% and load ${hostMetrics.load ?? '?'}`, source: 'host', link: b.links.host }] });
  }
  if (trafficSurge >= 2) {
    const m = b.metrics.find((x) => isHitsMetric(x))!;
    findings.push({ rule: 'request-rate-surge', category: 'traffic_spike', weight: 3 + Math.min(2, trafficSurge - 2), detail: `${m.label} ×${trafficSurge}`, context: `requests rose ${trafficSurge}× (${Math.round(m.baseline)} → ${Math.round(m.recent)})`, evidence: [{ claim: `${m.label} rose from ${Math.round(m.baseline)} to ${Math.round(m.recent)} (×${trafficSurge})`, source: 'metrics', link: m.link }] });
  }

  // 4. Non-change events: hosts down, network devices, metric readings, campaigns, jobs on a saturated host.
  const hostTagValues = new Set(tagsOfHost(b).map((t) => t.split(':').slice(1).join(':').toLowerCase()));
  for (const e of b.events) findings.push(...stateEventFindings(e, b, alertMs, logCorpus, anomalousCorpus, hostTagValues, trafficSurge));

  // 5. Confirmed similar incidents: a prior, weaker than anything seen directly.
  for (const s of b.similar) {
    if (!s.confirmed || s.score < 0.25 || !isCategory(s.category)) continue;
    findings.push({ rule: 'similar-incident-prior', category: s.category, weight: Math.min(0.8, 1.5 * s.score), detail: `"${s.title}" (score ${s.score})`, evidence: [{ claim: `similar past incident "${s.title}": ${s.rootCause}`, source: 'similar_incidents', link: Object.values(s.links).find((l): l is string => !!l) }] });
  }
  return findings.filter((f) => f.weight > 0);
}

function isCategory(c: string): c is RcaCategory {
  return ['deployment', 'config_change', 'cpu_saturation', 'memory_exhaustion', 'disk_full', 'dependency_failure', 'database', 'network', 'certificate', 'traffic_spike', 'host_failure'].includes(c);
}

const isHitsMetric = (m: MetricEvidence) => /\bhits\b|request(s)?\.count|requests?_per|\brps\b|request rate/i.test(`${m.label} ${m.query}`);
function surgeOf(metrics: MetricEvidence[]): number {
  const m = metrics.find(isHitsMetric);
  return m?.change !== undefined && m.change > 0 ? m.change : 1;
}

function tagsOfHost(b: EvidenceBundle): string[] {
  const tags = b.host?.tags;
  return Array.isArray(tags) ? tags.filter((t): t is string => typeof t === 'string') : [];
}

/** Hosts or services in a text that look like a database. */
function databaseNameIn(text: string): string | undefined {
  return /\b((?:pg|postgres|mysql|maria|db|rds|mongo|redis)[\w-]*-\d+[\w-]*)\b/i.exec(text)?.[1];
}

function metricFindings(m: MetricEvidence, b: EvidenceBundle, surge: number): Finding[] {
  const id = `${m.label} ${m.query}`.toLowerCase();
  const host = /host:([^,\s}]+)/.exec(m.scope)?.[1] ?? b.alert.hostname;
  const peak = Math.max(m.recent, m.last);
  const ev = (claim: string) => [{ claim, source: 'metrics', link: m.link }];
  const out: Finding[] = [];
  if (/cpu/.test(id) && !/iowait|idle/.test(id) && peak > 90) {
    // Saturation that follows a request surge is the surge's symptom, not its cause.
    out.push({ rule: 'cpu-above-90', category: 'cpu_saturation', weight: surge >= 2 ? 1.5 : 3, culprit: host, detail: `${m.label} ${peak.toFixed(1)} on ${host}`, context: `CPU at ${peak.toFixed(1)}% (baseline ${m.baseline.toFixed(1)}%)`, evidence: ev(`${m.label} on ${host} at ${peak.toFixed(1)}% (baseline ${m.baseline.toFixed(1)}%)`) });
  }
  if (/mem.*(usable|free|avail)/.test(id)) {
    const usable = m.last <= 1 ? m.last * 100 : m.last;
    if (usable < 10) out.push({ rule: 'memory-usable-below-10pct', category: 'memory_exhaustion', weight: 3, culprit: host, detail: `${usable.toFixed(1)}% usable on ${host}`, context: `only ${usable.toFixed(1)}% memory usable`, evidence: ev(`${m.label} on ${host} down to ${usable.toFixed(1)}% usable`) });
  }
  if (/disk.*(in_use|used|pct)/.test(id)) {
    const used = m.last <= 1 ? m.last : m.last / 100;
    if (used > 0.9) out.push({ rule: 'disk-in-use-above-90pct', category: 'disk_full', weight: 3, culprit: host, detail: `${(used * 100).toFixed(0)}% in use on ${host}`, context: `disk ${(used * 100).toFixed(0)}% full`, evidence: ev(`${m.label} on ${host} at ${(used * 100).toFixed(0)}% in use`) });
  }
  if (/load/.test(id) && (m.change ?? 1) >= 1.5 && surge < 2) {
    out.push({ rule: 'load-rising', category: 'cpu_saturation', weight: 0.5, culprit: host, detail: `${m.label} ×${m.change}`, evidence: ev(`${m.label} on ${host} rose ×${m.change} to ${m.last.toFixed(1)}`) });
  }
  return out;
}

interface ChangeKind { category: RcaCategory; kind: string; base: number }
function changeKind(e: EventEvidence): ChangeKind | undefined {
  const text = `${e.title}\n${e.text}`;
  const source = (e.source ?? '').toLowerCase();
  if (FAILURE_EVENT.test(e.title) && !/sync succeeded/i.test(e.title)) return undefined;
  if (CERT_EVENT.test(text)) return { category: 'certificate', kind: 'certificate rotation', base: 3 };
  if (source === 'config' || /properties changed|keys changed|feature[- ]flag|flag .* (turned|set|enabled|disabled)/i.test(text) || (CONFIG_EVENT.test(e.title) && !DEPLOY_EVENT.test(e.title))) return { category: 'config_change', kind: 'config change', base: 3 };
  if (DEPLOY_EVENT.test(e.title) || (/argocd|spinnaker|deploy/.test(source) && !MERGE_EVENT.test(e.title))) return { category: 'deployment', kind: 'deploy', base: 3 };
  if (MERGE_EVENT.test(e.title) && /github|gitlab/.test(source)) return { category: 'deployment', kind: 'merged change', base: 0.8 };
  if (SCALE_EVENT.test(e.title)) return { category: 'deployment', kind: 'scaling', base: 1 };
  if (RESTART_EVENT.test(e.title) && CHANGE_SOURCES.test(source)) return { category: 'deployment', kind: 'restart', base: 1 };
  return undefined;
}

/** The name of what changed: a version (with its service), a config key or flag, else the service. */
function changeCulprit(e: EventEvidence, kind: ChangeKind, service: string | undefined): string | undefined {
  const text = `${e.title}\n${e.text}`;
  if (kind.category === 'config_change') {
    const key = /keys? changed:?\s*\[?\s*([\w.-]+)/i.exec(text)?.[1]
      ?? /^[-+~]\s*([\w.-]+)\s*[:=]/m.exec(e.text)?.[1]
      ?? /\bflag\s+"?([\w.-]+)"?/i.exec(text)?.[1]
      ?? tagValue(e.tags, 'flag', 'feature_flag', 'key');
    return key ?? service;
  }
  const version = VERSION.exec(e.title)?.[0] ?? VERSION.exec(e.text)?.[0] ?? tagValue(e.tags, 'version');
  if (version && service) return `${service} ${version}`;
  return version ?? service;
}

function eventServices(e: EventEvidence): string[] {
  const names = [tagValue(e.tags, 'service'), tagValue(e.tags, 'kube_deployment', 'app'), tagValue(e.tags, 'repo')?.split('/').pop()];
  const titled = /^(?:[\w ]+:\s*)?(?:[\w.-]+\/)?([a-z][\w-]*[a-z0-9])(?::|\s+v?\d)/i.exec(e.title)?.[1];
  return [...new Set([...names, titled].filter((n): n is string => !!n && n.length > 2).map((n) => n.toLowerCase()))];
}

function changeFindings(e: EventEvidence, b: EvidenceBundle, alertMs: number, firstAnomalyMs: number, logCorpus: string, anomalousCorpus: string): Finding[] {
  const kind = changeKind(e);
  if (!kind) return [];
  const at = Date.parse(e.at);
  const mins = minutesBefore(e.at, alertMs);
  if (mins < 0 || mins > 120) return [];
  const text = eventText(e).toLowerCase();
  const own = [b.alert.service, b.alert.hostname].filter((n): n is string => !!n).map((n) => n.toLowerCase());
  const services = eventServices(e);
  const onOwn = own.some((n) => services.includes(n) || text.includes(n));
  const dependency = services.find((s) => !own.includes(s) && logCorpus.includes(s));
  const scope = onOwn ? 'the alerting service' : dependency ? `${dependency}, a dependency named in the logs` : undefined;
  const service = onOwn ? (services.find((s) => own.includes(s)) ?? b.alert.service) : dependency ?? services[0];
  const culprit = changeCulprit(e, kind, service);
  const ev = [{ claim: `${kind.kind} ${mins} min before the alert: ${clip(e.title, 140)}`, source: 'events', link: e.link }];
  if (!scope) {
    return [{ rule: 'unrelated-change', category: kind.category, weight: 0.2, culprit, detail: `${e.title} touches neither the service nor a dependency in the logs`, evidence: ev }];
  }
  let weight = kind.base;
  const reasons = [`${kind.kind} on ${scope}, ${mins} min before the alert`];
  if (at <= firstAnomalyMs && firstAnomalyMs - at <= 30 * 60_000) { weight += 1; reasons.push('precedes the first anomalous log template'); }
  else if (at > firstAnomalyMs + 60_000) { weight *= 0.25; reasons.push('after the errors began: an effect, not a cause'); }
  // A change whose own words reappear in the failing logs (a key, a class, a dependency) is tied to them.
  const shared = distinctiveTokens(`${e.title} ${e.text}`).filter((tok) => anomalousCorpus.includes(tok));
  if (shared.length >= 2 && at <= firstAnomalyMs + 60_000) { weight += 1; reasons.push(`shares ${shared.slice(0, 4).join(', ')} with the failing logs`); }
  const context = `${kind.kind === 'config change' ? 'changed' : kind.kind === 'deploy' ? 'deployed' : kind.kind} ${mins} min before the alert (${clip(firstLine(e.title), 100)})`;
  return [{ rule: `change-before-alert:${kind.kind}`, category: kind.category, weight, culprit, context, detail: reasons.join('; '), evidence: ev }];
}

const STOP = new Set(['the', 'and', 'for', 'with', 'from', 'prod', 'env', 'service', 'deployed', 'deploy', 'started', 'succeeded', 'changed', 'change', 'commit', 'build', 'health', 'checks', 'green', 'new', 'was', 'are', 'into', 'this', 'that', 'http', 'https', 'error', 'request', 'requests', 'true', 'false', 'brightcart', 'com', 'net', 'internal']);
function distinctiveTokens(text: string): string[] {
  const toks = text.toLowerCase().split(/[^a-z0-9_]+/).filter((t) => t.length >= 4 && !STOP.has(t) && !/^\d+$/.test(t));
  return [...new Set(toks)];
}

function stateEventFindings(e: EventEvidence, b: EvidenceBundle, alertMs: number, logCorpus: string, anomalousCorpus: string, hostTagValues: Set<string>, surge: number): Finding[] {
  const text = `${e.title}\n${e.text}`;
  const mins = minutesBefore(e.at, alertMs);
  if (mins < -5 || mins > 120) return [];
  const ev = [{ claim: `${mins} min before the alert: ${clip(e.title, 120)} — ${clip(firstLine(e.text), 120)}`, source: 'events', link: e.link }];
  const eventHost = tagValue(e.tags, 'host') ?? /\{host:([\w.-]+)/.exec(e.title)?.[1] ?? /\(([a-z][\w-]*-\d+[\w-]*)[,)]/i.exec(text)?.[1];
  const out: Finding[] = [];
  if (/scheduled downtime/i.test(text)) return out;

  if (HOST_DOWN_EVENT.test(text) && eventHost) {
    const corroborated = /no route to host|host unreachable|connection refused|upstream server temporarily disabled|connect\(\) failed/i.test(anomalousCorpus);
    out.push({ rule: 'host-down-event', category: 'host_failure', weight: 3.5 + (corroborated ? 1 : 0), culprit: eventHost, detail: `${e.title}${corroborated ? '; callers log unreachable upstreams' : ''}`, context: `${clip(firstLine(e.title), 100)} ${mins} min before the alert`, evidence: ev });
  }
  const device = tagValue(e.tags, 'snmp_device', 'device_name', 'switch') ?? (/^([\w.-]+):\s/.exec(e.title)?.[1]);
  if ((NETWORK_EVENT.test(text) || /snmp|netflow|network/i.test(e.source ?? '')) && device && !/^\/dev\//.test(device)) {
    const onPath = hostTagValues.has(device.toLowerCase());
    const corroborated = /connection reset|i\/o error|socket|timed out|retransmi/i.test(logCorpus);
    out.push({ rule: 'network-device-event', category: 'network', weight: 2.5 + (onPath ? 2 : 0) + (corroborated ? 0.5 : 0), culprit: device, detail: `${e.title}${onPath ? '; the alerting host is behind this device' : ''}`, context: `${clip(firstLine(e.title), 100)} ${mins} min before the alert`, evidence: ev });
  }
  // Monitor events carry readings ("system.disk.in_use is 0.95 on media-02").
  const reading = /([a-z_][\w.]+) is ([\d.]+)%? on ([\w.-]+)/i.exec(text);
  if (reading) {
    const [, metric, raw, on] = reading;
    const value = Number(raw);
    const host = eventHost ?? on!;
    if (/disk/.test(metric!) && (value > 0.9 && value <= 1 || value > 90)) out.push({ rule: 'disk-reading-in-event', category: 'disk_full', weight: 2, culprit: host, detail: `${metric} ${value} on ${host}`, context: `${metric} at ${value} on ${host}`, evidence: ev });
    if (/connection/.test(metric!) && DB_WORDS.test(text) && (value > 0.8 && value <= 1 || value > 80)) out.push({ rule: 'db-connections-reading-in-event', category: 'database', weight: 2, culprit: host, detail: `${metric} ${value} on ${host}`, context: `${metric} at ${value} on ${host}`, evidence: ev });
    if (/mem/.test(metric!) && /usable|free|avail/.test(metric!) && value < 0.1) out.push({ rule: 'memory-reading-in-event', category: 'memory_exhaustion', weight: 2, culprit: host, detail: `${metric} ${value} on ${host}`, evidence: ev });
    if (/cpu/.test(metric!) && value > 90) out.push({ rule: 'cpu-reading-in-event', category: 'cpu_saturation', weight: surge >= 2 ? 0.5 : 1.5, culprit: host, detail: `${metric} ${value} on ${host}`, evidence: ev });
  } else if (DB_WORDS.test(text) && /connections|locks?|deadlock|replication|slow quer|lag/i.test(e.title) && eventHost && !changeKind(e)) {
    out.push({ rule: 'database-event', category: 'database', weight: 1.5, culprit: eventHost, detail: e.title, evidence: ev });
  }
  // A database a change or job names while the logs show database trouble.
  if (changeKind(e) || JOB_EVENT.test(text)) {
    const db = databaseNameIn(text);
    if (db && symptomOf(anomalousCorpus) !== undefined && /connection|pool|slot/i.test(anomalousCorpus)) {
      out.push({ rule: 'job-against-database', category: 'database', weight: 0.5, culprit: db, detail: `${e.title} runs against ${db}`, context: `while ${clip(firstLine(e.title), 80)} ran against it`, evidence: ev });
    }
  }
  // Marketing pushes and campaigns explain a surge in requests.
  const campaign = tagValue(e.tags, 'campaign', 'utm_campaign') ?? /campaign(?: sent)?:\s*([\w.-]+)/i.exec(e.title)?.[1];
  if (TRAFFIC_EVENT.test(text) && campaign) {
    const inLogs = logCorpus.includes(campaign.toLowerCase());
    const weight = (surge >= 2 ? 2 : 0.8) + (inLogs ? 1 : 0);
    out.push({ rule: 'campaign-event', category: 'traffic_spike', weight, culprit: campaign, specific: true, detail: `${e.title}${inLogs ? '; the campaign appears in request logs' : ''}`, context: `after the ${campaign} campaign went out ${mins} min before the alert`, evidence: ev });
  }
  // A job or process started on the saturated host is the likely consumer.
  if (JOB_EVENT.test(text) && !changeKind(e)) {
    const job = tagValue(e.tags, 'job', 'kube_cronjob', 'cronjob', 'process') ?? /\bjob\s+([\w.-]+)/i.exec(e.title)?.[1];
    if (job) {
      const onAlertHost = !!b.alert.hostname && (eventHost === b.alert.hostname || text.includes(b.alert.hostname));
      const inLogs = logCorpus.includes(job.toLowerCase());
      const mentionsService = !!b.alert.service && text.toLowerCase().includes(b.alert.service.toLowerCase());
      if (onAlertHost || mentionsService) {
        for (const category of ['cpu_saturation', 'memory_exhaustion', 'disk_full'] as const) {
          out.push({ rule: 'job-started-on-host', category, weight: 0.3 + (inLogs ? 0.5 : 0), specific: true, culprit: `${job} job`, detail: `${e.title} ${mins} min before the alert${inLogs ? '; its process logs on the host' : ''}`, context: `started ${mins} min before the alert (${clip(firstLine(e.title), 80)})`, evidence: ev });
        }
      }
    }
  }
  return out;
}

// The score of a category counts each rule's strongest firing fully and its repeats at a third.
function rankHypotheses(findings: Finding[], b: EvidenceBundle): Hypothesis[] {
  const byCategory = new Map<RcaCategory, Finding[]>();
  for (const f of findings) byCategory.set(f.category, [...(byCategory.get(f.category) ?? []), f]);
  const hypotheses: Hypothesis[] = [];
  for (const [category, fs] of byCategory) {
    const byRule = new Map<string, number[]>();
    // Refinements (a job, a cache) only name the culprit of a category that other rules establish.
    for (const f of fs) if (!f.specific || f.rule === 'campaign-event' || f.rule === 'unbounded-memory-holder') byRule.set(f.rule, [...(byRule.get(f.rule) ?? []), f.weight]);
    let score = 0;
    for (const ws of byRule.values()) {
      const sorted = ws.sort((x, y) => y - x);
      score += sorted[0]! + sorted.slice(1).reduce((s, w) => s + w / 3, 0);
    }
    if (score <= 0) continue;
    const pick = (specific: boolean) => {
      const culprits = new Map<string, { weight: number; context: string[] }>();
      for (const f of fs) {
        if (!f.culprit || !!f.specific !== specific) continue;
        const c = culprits.get(f.culprit) ?? { weight: 0, context: [] };
        c.weight += f.weight;
        if (f.context && !c.context.includes(f.context)) c.context.push(f.context);
        culprits.set(f.culprit, c);
      }
      const best = [...culprits.entries()].sort((x, y) => y[1].weight - x[1].weight)[0];
      return best ? { name: best[0], context: best[1].context } : undefined;
    };
    const general = pick(false);
    const specific = pick(true);
    const fallback = category === 'traffic_spike' ? 'a surge in requests' : b.alert.hostname ?? b.alert.service ?? 'the alerting service';
    const chosen = specific ?? general;
    hypotheses.push({
      category, score,
      culprit: chosen?.name ?? fallback,
      where: specific && general && general.name !== specific.name ? general.name : undefined,
      context: [...(specific?.context ?? []).slice(0, 1), ...(general?.context ?? [])].slice(0, 2),
      findings: fs,
    });
  }
  return hypotheses.sort((x, y) => y.score - x.score);
}

const REMEDIATION: Record<RcaCategory, (c: string) => string[]> = {
  deployment: (c) => [`Roll back ${c} to the previous version`, 'Compare the failing code path against the release diff and add a regression test', 'Gate the next rollout behind a canary watching the error rate'],
  config_change: (c) => [`Revert the change to ${c}`, 'Confirm the error rate and latency recover after the refresh', 'Review config changes to this key and require a canary for them'],
  cpu_saturation: (c) => [`Stop or throttle ${c}, or move it off the serving host`, 'Shift traffic away from the saturated host until CPU recovers', 'Schedule heavy batch work off-peak with CPU limits (nice/cgroups)'],
  memory_exhaustion: (c) => [`Bound ${c} (size limit or eviction) and redeploy`, 'Raise the memory limit temporarily to stop the restarts', 'Take a heap dump on the next occurrence to confirm the largest retainer'],
  disk_full: (c) => [`Free space on ${c}: remove temporary or partial files, rotate logs`, 'Extend the volume if the usage is legitimate', 'Alert on disk in use at 80% and clean up temporary files automatically'],
  dependency_failure: (c) => [`Check ${c}'s status page or owners and fail over if possible`, 'Keep the circuit breaker open and queue or degrade instead of retrying hard', 'Add timeouts and alerts on the dependency\'s error rate'],
  database: (c) => [`Relieve ${c}: find and stop the sessions holding connections or locks`, 'Cap per-client connections (pooler such as PgBouncer) so one client cannot starve the others', 'Review max_connections and pool sizes across clients'],
  network: (c) => [`Drain or fail over traffic away from ${c}; replace the faulty optic or cable`, 'Check interface error counters on both ends of the link', 'Alert on interface errors and flapping before applications notice'],
  certificate: (c) => [`Renew or fix the certificate chain presented by ${c}`, 'Verify the chain from the client side (openssl s_client) and update trust stores if the CA changed', 'Monitor certificate expiry and chain validity for every upstream'],
  traffic_spike: (c) => [`Scale out for the load from ${c} (raise autoscaling limits)`, 'Shed or rate-limit non-critical traffic and cache hot queries', 'Have marketing announce campaigns to SRE so capacity is added beforehand'],
  host_failure: (c) => [`Take ${c} out of the load balancer and replace or restart it`, 'Check the provider status for the underlying hardware', 'Make health checks remove dead upstreams faster'],
};

const PHRASE: Record<RcaCategory, string> = {
  deployment: 'a faulty deployment', config_change: 'a configuration change', cpu_saturation: 'CPU saturation',
  memory_exhaustion: 'memory exhaustion', disk_full: 'a full disk', dependency_failure: 'a failing dependency',
  database: 'database connection exhaustion', network: 'a network fault', certificate: 'a TLS certificate failure',
  traffic_spike: 'a traffic spike', host_failure: 'a host failure',
};

function rootCauseSentence(h: Hypothesis, b: EvidenceBundle): string {
  const subject = b.alert.service ?? b.alert.hostname ?? 'the service';
  const ctx = h.context.length ? ` (${h.context.join('; ')})` : '';
  const c = h.culprit;
  const on = h.where ? ` on ${h.where}` : '';
  switch (h.category) {
    case 'deployment': return `${subject} fails because of the deployment of ${c}${ctx}.`;
    case 'config_change': return `${subject} degraded after a configuration change to ${c}${ctx}.`;
    case 'cpu_saturation': return `${subject} is slow because ${c} saturates the CPU${on}${ctx}.`;
    case 'memory_exhaustion': return `${subject} runs out of memory${on} because of ${c}${ctx}.`;
    case 'disk_full': return h.where ? `${subject} fails because ${c} filled the disk${on}${ctx}.` : `${subject} fails because the disk on ${c} is full${ctx}.`;
    case 'dependency_failure': return `${subject} fails because its dependency ${c} is failing${ctx}.`;
    case 'database': return `${subject} fails because the database ${c} is out of connections or blocked${ctx}.`;
    case 'network': return `${subject} degraded because of a network fault on ${c}${ctx}.`;
    case 'certificate': return `${subject} fails TLS handshakes with ${c}, whose certificate chain no longer validates${ctx}.`;
    case 'traffic_spike': return `${subject} is overloaded by a traffic spike from ${c}${ctx}.`;
    case 'host_failure': return `${subject} fails because host ${c} is down${ctx}.`;
  }
}

function buildReport(b: EvidenceBundle, hypotheses: Hypothesis[]): RcaReport {
  const missing_data = b.missing.map((m) => `${m.source}: ${m.reason}`);
  const best = hypotheses[0];
  if (!best) {
    const evidence = [{ claim: 'the monitor that fired', source: 'monitor', link: b.links.monitor }];
    return {
      verdict: 'inconclusive',
      hypotheses: [{ category: 'dependency_failure', culprit: b.alert.service ?? b.alert.hostname ?? 'the service', statement: 'No rule found a cause; a failing dependency is only the default guess.', score: 0.1, supporting: [], against: [] }],
      summary: `${b.alert.title ?? b.alert.monitorName ?? 'The alert'} fired, and no rule found a cause in the evidence.`,
      root_cause: `Undetermined: no change, resource, dependency or host signal explains the alert on ${b.alert.service ?? b.alert.hostname ?? 'the service'}.`,
      category: 'dependency_failure',
      confidence: 0.1,
      evidence,
      remediation: ['Inspect the logs and events linked from the alert by hand'],
      missing_data: [...missing_data, 'a new error, change or resource signal before the alert'],
    };
  }
  const second = hypotheses[1];
  const margin = second ? (best.score - second.score) / best.score : 1;
  const strength = Math.min(1, best.score / 5);
  const confidence = Math.round(Math.max(0.15, Math.min(0.95, (0.3 + 0.6 * margin) * (0.5 + 0.5 * strength))) * 100) / 100;
  const seen = new Set<string>();
  // The cause's own evidence first, then the strongest symptoms in the logs it explains.
  const symptoms = hypotheses.flatMap((h) => h.findings).filter((f) => f.rule === 'anomalous-log-template' && f.category !== best.category).sort((x, y) => y.weight - x.weight).slice(0, 2);
  const evidence = [...[...best.findings].sort((x, y) => y.weight - x.weight), ...symptoms].flatMap((f) => f.evidence).filter((e) => {
    const key = `${e.link} ${e.claim}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  }).slice(0, 8);
  const root_cause = rootCauseSentence(best, b);
  const top = Math.max(...hypotheses.map((h) => h.score));
  const ranked: ReportHypothesis[] = hypotheses.slice(0, 3).map((h) => ({
    category: h.category, culprit: h.culprit, statement: rootCauseSentence(h, b), score: Math.round((h.score / top) * confidence * 100) / 100,
    supporting: h.findings.flatMap((f) => f.evidence).slice(0, 4), against: [],
  }));
  const runnerUp = second ? ` The runner-up explanation is ${PHRASE[second.category]} (score ${second.score.toFixed(1)} against ${best.score.toFixed(1)}).` : '';
  return {
    summary: `${b.alert.title ?? b.alert.monitorName ?? 'The alert'} points to ${PHRASE[best.category]}, with ${best.culprit} as the culprit.${runnerUp}`,
    root_cause,
    category: best.category,
    confidence,
    verdict: deriveVerdict(ranked),
    hypotheses: ranked,
    evidence,
    remediation: REMEDIATION[best.category](best.culprit),
    missing_data,
  };
}
