import type { EventEvidence, EvidenceBundle, LogTemplateEvidence, MetricEvidence } from '../../evidence/bundle';
import type { RcaCategory, RcaReport } from '../report';
import {
  abortedWithTrace,
  innermostAppFrame,
  INHERENTLY_BAD,
  jobName,
  podWorkloads,
  writtenDirectory,
  DB_WORDS,
  DNS_COMPONENT,
  DNS_FAILURE,
  HOST_DOWN_EVENT,
  JOB_EVENT,
  NETWORK_EVENT,
  SYMPTOMS,
  TRAFFIC_EVENT,
  UNBOUNDED,
  changeCulprit,
  changeKind,
  clip,
  databaseNameIn,
  dependencyNames,
  distinctiveTokens,
  eventServices,
  eventText,
  firstLine,
  isCategory,
  isHitsMetric,
  levelFactor,
  memoryHolder,
  minutesBefore,
  placedOn,
  queriedTable,
  surgeOf,
  symptomOf,
  tagValue,
  tagsOfHost,
  templateAnomaly,
  textOf,
  urlHosts,
} from './signals';

/** Findings: the rules of a senior SRE, each firing on signals and saying what it supports and why. */

export type EvidenceItem = RcaReport['evidence'][number];

/** One rule firing: what it supports, how strongly, and what it rests on. */
export interface Finding {
  rule: string;
  category: RcaCategory;
  weight: number;
  /** Why, for the reasoning trail. */
  detail: string;
  culprit?: string;
  /** A clause for the root-cause sentence, e.g. "deployed 12 min before the alert". */
  context?: string;
  /** Names what inside the culprit host did it (a job, a cache, a campaign): refines the culprit, adds no score... */
  specific?: boolean;
  /** ...unless it is evidence of the category on its own (a campaign, an unbounded cache). */
  scored?: boolean;
  /** What speaks against this finding's explanation. */
  against?: EvidenceItem[];
  evidence: EvidenceItem[];
}

const UNNAMED_DEPENDENCY = 0.4;

export function collectFindings(b: EvidenceBundle): Finding[] {
  const alertMs = Date.parse(b.alert.alertTime);
  const templates = b.logTemplates.map((t) => ({ t, anomaly: templateAnomaly(t), symptom: symptomOf(textOf(t)) }));
  // An OOM kill or a full disk is trouble by what it says, even without a baseline to burst against.
  for (const x of templates) if (x.anomaly === 0 && INHERENTLY_BAD.test(textOf(x.t))) x.anomaly = 0.4;
  const anomalous = templates.filter((x) => x.anomaly > 0);
  const firstAnomalyMs = Math.min(...anomalous.map((x) => Date.parse(x.t.firstSeen)), alertMs);
  const logCorpus = b.logTemplates.map(textOf).join('\n').toLowerCase();
  const anomalousCorpus = anomalous
    .map((x) => textOf(x.t))
    .join('\n')
    .toLowerCase();
  const findings: Finding[] = [];
  const trafficSurge = surgeOf(b.metrics);
  // Demand that rose, measured or announced (a campaign went out), explains saturation as its symptom.
  const campaignBefore = b.events.some(
    (e) => TRAFFIC_EVENT.test(eventText(e)) && minutesBefore(e.at, alertMs) >= 0 && minutesBefore(e.at, alertMs) <= 90,
  );
  const demand = campaignBefore ? Math.max(2, trafficSurge) : trafficSurge;

  // 1. Changes shortly before the alert on the service, its host or a dependency named in the logs.
  const errorTargets = [
    ...new Set(anomalous.filter((x) => x.symptom && x.symptom !== 'certificate').flatMap((x) => failingTargets(textOf(x.t)))),
  ];
  for (const e of b.events) findings.push(...changeFindings(e, b, alertMs, firstAnomalyMs, logCorpus, anomalousCorpus, errorTargets));

  // 2. New or bursting log templates, by the symptom they show.
  for (const { t, anomaly, symptom } of anomalous) {
    if (!symptom) continue;
    // Pools and connections running out while demand rises are the demand's symptom.
    const demandSymptom = demand >= 2 && symptom === 'database' && /pool|connections|too many/i.test(textOf(t));
    const weight =
      2.5 * anomaly * levelFactor(t) * (symptom === 'certificate' || symptom === 'disk_full' ? 1.2 : 1) * (demandSymptom ? 0.5 : 1);
    const when = t.why.find((w) => w.startsWith('new')) ?? t.why[0] ?? '';
    const evidence = [
      { claim: `${t.count} ${t.level} lines "${clip(firstLine(t.example), 140)}" (${when})`, source: 'logs', link: t.link ?? b.links.logs },
    ];
    const text = textOf(t);
    const base = { rule: 'anomalous-log-template', category: symptom, weight, evidence, detail: `${when}: ${clip(t.template, 100)}` };
    if (symptom === 'disk_full' || symptom === 'memory_exhaustion') {
      findings.push({
        ...base,
        culprit: t.hosts[0] ?? b.alert.hostname,
        context: `logs "${clip(firstLine(t.example), 90)}" since ${t.firstSeen.slice(11, 16)} UTC`,
      });
      const directory = symptom === 'disk_full' ? writtenDirectory(t.example) : undefined;
      if (directory)
        findings.push({
          ...base,
          rule: 'disk-written-directory',
          weight: 0.5,
          culprit: directory,
          specific: true,
          context: `writes to ${directory} fail`,
        });
      // Another service failing this way on its own host is the consumer, not a victim of the alerting one.
      const consumer = t.services.find((sv) => sv !== b.alert.service && !/^(kernel|kubelet|syslog|systemd)$/i.test(sv));
      if (consumer)
        findings.push({
          ...base,
          rule: 'resource-consumer-service',
          weight: 0.5,
          culprit: consumer,
          specific: true,
          context: `${consumer} logs "${clip(firstLine(t.example), 70)}"`,
        });
    } else if (symptom === 'certificate') {
      const server = urlHosts(text)[0] ?? /server[=: ]+"?([\w.-]+)/i.exec(text)?.[1];
      findings.push({ ...base, culprit: server, context: `TLS handshakes fail ("${clip(firstLine(t.example), 90)}")` });
    } else if (symptom === 'database') {
      findings.push({
        ...base,
        culprit: databaseNameIn(text) ?? queriedTable(text),
        context: `the application cannot get database connections ("${clip(firstLine(t.example), 90)}")`,
      });
    } else if (symptom === 'dependency_failure') {
      const names = dependencyNames(text);
      // A timeout that names nothing it waited for is the service's own slowness, not yet a dependency's fault.
      if (names.length === 0) findings.push({ ...base, weight: weight * UNNAMED_DEPENDENCY, culprit: undefined });
      for (const n of [...new Set(names)])
        findings.push({
          ...base,
          weight: weight / Math.min(2, new Set(names).size),
          culprit: n,
          context: `calls to it fail ("${clip(firstLine(t.example), 90)}")`,
        });
    } else {
      findings.push({ ...base, culprit: undefined });
    }
  }

  findings.push(
    ...resolverFindings(
      b,
      anomalous.map((x) => x.t),
      alertMs,
    ),
  );
  findings.push(...namedHostFindings(b), ...originFindings(b), ...processFindings(b));

  findings.push(...evictionFindings(b));
  if (
    findings.some((f) => f.category === 'cpu_saturation') ||
    b.metrics.some((m) => /cpu/i.test(m.label) && Math.max(m.recent, m.last) > 90)
  )
    findings.push(...hotCodeFindings(b));

  // A component holding memory without bound, named in any template, is the memory culprit.
  for (const t of b.logTemplates) {
    const text = textOf(t);
    if (!UNBOUNDED.test(text)) continue;
    const holder = memoryHolder(text);
    if (holder)
      findings.push({
        rule: 'unbounded-memory-holder',
        category: 'memory_exhaustion',
        weight: 1,
        culprit: holder,
        specific: true,
        scored: true,
        detail: clip(firstLine(t.example), 120),
        context: `${holder} grows without bound ("${clip(firstLine(t.example), 100)}")`,
        evidence: [{ claim: `${holder} is unbounded: ${clip(firstLine(t.example), 140)}`, source: 'logs', link: t.link ?? b.links.logs }],
      });
  }

  // 3. Resource metrics against thresholds; a surge in requests explains saturation as a symptom.
  for (const m of b.metrics) findings.push(...metricFindings(m, b, demand));
  const hostMetrics = (b.host?.metrics ?? {}) as Record<string, number>;
  const hostName = typeof b.host?.name === 'string' ? b.host.name : b.alert.hostname;
  if (typeof hostMetrics.cpu === 'number' && hostMetrics.cpu > 90 && hostName) {
    findings.push({
      rule: 'host-cpu-above-90',
      category: 'cpu_saturation',
      weight: demand >= 2 ? 0.5 : 1,
      culprit: hostName,
      detail: `host reports cpu ${hostMetrics.cpu}%`,
      context: `CPU at ${hostMetrics.cpu}%`,
      evidence: [
        { claim: `${hostName} reports CPU ${hostMetrics.cpu}% and load ${hostMetrics.load ?? '?'}`, source: 'host', link: b.links.host },
      ],
    });
  }
  if (trafficSurge >= 2) {
    const m = b.metrics.find((x) => isHitsMetric(x))!;
    findings.push({
      rule: 'request-rate-surge',
      category: 'traffic_spike',
      weight: 3 + Math.min(2, trafficSurge - 2),
      detail: `${m.label} ×${trafficSurge}`,
      context: `requests rose ${trafficSurge}× (${Math.round(m.baseline)} → ${Math.round(m.recent)})`,
      evidence: [
        {
          claim: `${m.label} rose from ${Math.round(m.baseline)} to ${Math.round(m.recent)} (×${trafficSurge})`,
          source: 'metrics',
          link: m.link,
        },
      ],
    });
  }

  // 4. Non-change events: hosts down, network devices, metric readings, campaigns, jobs on a saturated host.
  const hostTagValues = new Set(tagsOfHost(b).map((t) => t.split(':').slice(1).join(':').toLowerCase()));
  for (const e of b.events) findings.push(...stateEventFindings(e, b, alertMs, logCorpus, anomalousCorpus, hostTagValues, trafficSurge));

  // 5. Confirmed similar incidents: a prior, weaker than anything seen directly.
  for (const s of b.similar) {
    if (!s.confirmed || s.score < 0.25 || !isCategory(s.category)) continue;
    findings.push({
      rule: 'similar-incident-prior',
      category: s.category,
      weight: Math.min(0.8, 1.5 * s.score),
      detail: `"${s.title}" (score ${s.score})`,
      evidence: [
        {
          claim: `similar past incident "${s.title}": ${s.rootCause}`,
          source: 'similar_incidents',
          link: Object.values(s.links).find((l): l is string => !!l),
        },
      ],
    });
  }
  return findings.filter((f) => f.weight > 0);
}

function metricFindings(m: MetricEvidence, b: EvidenceBundle, surge: number): Finding[] {
  const id = `${m.label} ${m.query}`.toLowerCase();
  const host = /host:([^,\s}]+)/.exec(m.scope)?.[1] ?? b.alert.hostname;
  const peak = Math.max(m.recent, m.last);
  const ev = (claim: string) => [{ claim, source: 'metrics', link: m.link }];
  const out: Finding[] = [];
  if (/cpu/.test(id) && !/iowait|idle/.test(id) && peak > 90) {
    // Saturation that follows a request surge is the surge's symptom, not its cause.
    const against =
      surge >= 2
        ? [
            {
              claim: 'demand rose (more requests, or a campaign went out): the saturation may be its symptom',
              source: 'metrics',
              link: m.link,
            },
          ]
        : undefined;
    out.push({
      rule: 'cpu-above-90',
      category: 'cpu_saturation',
      weight: surge >= 2 ? 1.5 : 3,
      culprit: host,
      against,
      detail: `${m.label} ${peak.toFixed(1)} on ${host}`,
      context: `CPU at ${peak.toFixed(1)}% (baseline ${m.baseline.toFixed(1)}%)`,
      evidence: ev(`${m.label} on ${host} at ${peak.toFixed(1)}% (baseline ${m.baseline.toFixed(1)}%)`),
    });
  }
  if (/mem.*(usable|free|avail)/.test(id)) {
    const usable = m.last <= 1 ? m.last * 100 : m.last;
    if (usable < 10)
      out.push({
        rule: 'memory-usable-below-10pct',
        category: 'memory_exhaustion',
        weight: 3,
        culprit: host,
        detail: `${usable.toFixed(1)}% usable on ${host}`,
        context: `only ${usable.toFixed(1)}% memory usable`,
        evidence: ev(`${m.label} on ${host} down to ${usable.toFixed(1)}% usable`),
      });
  }
  if (/disk.*(in_use|used|pct)/.test(id)) {
    const used = m.last <= 1 ? m.last : m.last / 100;
    if (used > 0.9)
      out.push({
        rule: 'disk-in-use-above-90pct',
        category: 'disk_full',
        weight: 3,
        culprit: host,
        detail: `${(used * 100).toFixed(0)}% in use on ${host}`,
        context: `disk ${(used * 100).toFixed(0)}% full`,
        evidence: ev(`${m.label} on ${host} at ${(used * 100).toFixed(0)}% in use`),
      });
  }
  if (/load/.test(id) && (m.change ?? 1) >= 1.5 && surge < 2) {
    out.push({
      rule: 'load-rising',
      category: 'cpu_saturation',
      weight: 0.5,
      culprit: host,
      detail: `${m.label} ×${m.change}`,
      evidence: ev(`${m.label} on ${host} rose ×${m.change} to ${m.last.toFixed(1)}`),
    });
  }
  return out;
}

// Changes older than this are not weighed: the evidence window for changes is a few hours.
const CHANGE_HORIZON_MIN = 180;

function changeFindings(
  e: EventEvidence,
  b: EvidenceBundle,
  alertMs: number,
  firstAnomalyMs: number,
  logCorpus: string,
  anomalousCorpus: string,
  errorTargets: string[],
): Finding[] {
  const kind = changeKind(e);
  if (!kind) return [];
  const at = Date.parse(e.at);
  const mins = minutesBefore(e.at, alertMs);
  if (mins < 0 || mins > CHANGE_HORIZON_MIN) return [];
  const text = eventText(e).toLowerCase();
  const own = [b.alert.service, b.alert.hostname].filter((n): n is string => !!n).map((n) => n.toLowerCase());
  const services = eventServices(e);
  const onOwn = own.some((n) => services.includes(n) || text.includes(n));
  const dependency = services.find((s) => !own.includes(s) && logCorpus.includes(s));
  // A change's own words in the failing logs (a key, a component, a table) tie it to them, wherever it ran;
  // the alerting service's own name says nothing, it is in every line.
  const ownWords = new Set(own.flatMap((n) => n.split(/[^a-z0-9_]+/)));
  const shared = distinctiveTokens(`${e.title} ${e.text}`).filter((tok) => !ownWords.has(tok) && anomalousCorpus.includes(tok));
  const databaseTrouble =
    kind.category === 'database' &&
    symptomOf(anomalousCorpus) !== undefined &&
    SYMPTOMS.find(([c]) => c === 'database')![1].test(anomalousCorpus);
  const scope = onOwn
    ? 'the alerting service'
    : dependency
      ? `${dependency}, a dependency named in the logs`
      : databaseTrouble
        ? 'the database while queries fail'
        : shared.length >= 2
          ? `what the failing logs name (${shared.slice(0, 3).join(', ')})`
          : undefined;
  const service = onOwn ? (services.find((s) => own.includes(s)) ?? b.alert.service) : (dependency ?? services[0]);
  const culprit = changeCulprit(e, kind, service);
  const ev = [{ claim: `${kind.kind} ${mins} min before the alert: ${clip(e.title, 140)}`, source: 'events', link: e.link }];
  if (!scope) {
    const against = [
      {
        claim: `${clip(e.title, 100)} touches neither ${own.join(' nor ') || 'the alerting service'} nor a dependency named in the logs`,
        source: 'events',
        link: e.link,
      },
    ];
    return [
      {
        rule: 'unrelated-change',
        category: kind.category,
        weight: 0.2,
        culprit,
        detail: `${e.title} touches neither the service nor a dependency in the logs`,
        evidence: ev,
        against,
      },
    ];
  }
  let weight = kind.base;
  const reasons = [`${kind.kind} on ${scope}, ${mins} min before the alert`];
  const against: EvidenceItem[] = [];
  const lead = (firstAnomalyMs - at) / 60_000;
  if (lead >= 0 && lead <= 30) {
    weight += 1;
    reasons.push('precedes the first anomalous log template');
  } else if (lead > 30) {
    // The longer a change ran without trouble, the less it explains trouble now.
    weight *= lead > 120 ? 0.3 : 0.6;
    reasons.push(`ran ${Math.round(lead)} min before the first anomaly`);
  } else if (at > firstAnomalyMs + 60_000) {
    weight *= 0.25;
    reasons.push('after the errors began: an effect, not a cause');
    against.push({
      claim: `the errors began ${Math.round((at - firstAnomalyMs) / 60_000)} min before this change`,
      source: 'logs',
      link: b.links.logs,
    });
  }
  if (shared.length >= 2 && at <= firstAnomalyMs + 60_000) {
    weight += 1;
    reasons.push(`shares ${shared.slice(0, 4).join(', ')} with the failing logs`);
  }
  // Errors that name a failing target the change never mentions point away from the change.
  const untouched = kind.category === 'deployment' ? errorTargets.filter((t) => !text.includes(t.toLowerCase())) : [];
  if (untouched.length > 0 && untouched.length === errorTargets.length) {
    weight *= 0.6;
    reasons.push(`the errors name ${untouched.slice(0, 2).join(', ')}, which it does not touch`);
    against.push({
      claim: `the failing calls name ${untouched.slice(0, 3).join(', ')}, which this change does not mention`,
      source: 'logs',
      link: b.links.logs,
    });
  }
  const context = `${kind.kind === 'config change' ? 'changed' : kind.kind === 'deploy' ? 'deployed' : kind.kind} ${mins} min before the alert (${clip(firstLine(e.title), 100)})`;
  return [
    {
      rule: `change-before-alert:${kind.kind}`,
      category: kind.category,
      weight,
      culprit,
      context,
      detail: reasons.join('; '),
      evidence: ev,
      against,
    },
  ];
}

function stateEventFindings(
  e: EventEvidence,
  b: EvidenceBundle,
  alertMs: number,
  logCorpus: string,
  anomalousCorpus: string,
  hostTagValues: Set<string>,
  surge: number,
): Finding[] {
  const text = `${e.title}\n${e.text}`;
  const mins = minutesBefore(e.at, alertMs);
  if (mins < -5 || mins > 120) return [];
  const ev = [
    { claim: `${mins} min before the alert: ${clip(e.title, 120)} — ${clip(firstLine(e.text), 120)}`, source: 'events', link: e.link },
  ];
  const eventHost = tagValue(e.tags, 'host') ?? /\{host:([\w.-]+)/.exec(e.title)?.[1] ?? /\(([a-z][\w-]*-\d+[\w-]*)[,)]/i.exec(text)?.[1];
  const out: Finding[] = [];
  if (/scheduled downtime/i.test(text)) return out;

  if (HOST_DOWN_EVENT.test(text) && eventHost) {
    // Callers that cannot connect, or errors that name the host itself, tie its failure to the alert.
    const corroborated =
      /no route to host|host unreachable|connection refused|upstream server temporarily disabled|connect\(\) failed|etimedout|connect timed out|connection timed out/i.test(
        anomalousCorpus,
      ) || anomalousCorpus.includes(eventHost.toLowerCase());
    out.push({
      rule: 'host-down-event',
      category: 'host_failure',
      weight: 3.5 + (corroborated ? 1 : 0),
      culprit: eventHost,
      detail: `${e.title}${corroborated ? '; callers log unreachable upstreams' : ''}`,
      context: `${clip(firstLine(e.title), 100)} ${mins} min before the alert`,
      evidence: ev,
    });
  }
  const device = tagValue(e.tags, 'snmp_device', 'device_name', 'switch') ?? /^([\w.-]+):\s/.exec(e.title)?.[1];
  if ((NETWORK_EVENT.test(text) || /snmp|netflow|network/i.test(e.source ?? '')) && device && !/^\/dev\//.test(device)) {
    const onPath = hostTagValues.has(device.toLowerCase());
    const corroborated = /connection reset|i\/o error|socket|timed out|retransmi/i.test(logCorpus);
    out.push({
      rule: 'network-device-event',
      category: 'network',
      weight: 2.5 + (onPath ? 2 : 0) + (corroborated ? 0.5 : 0),
      culprit: device,
      detail: `${e.title}${onPath ? '; the alerting host is behind this device' : ''}`,
      context: `${clip(firstLine(e.title), 100)} ${mins} min before the alert`,
      evidence: ev,
    });
  }
  // Monitor events carry readings ("system.disk.in_use is 0.95 on files-02").
  const reading = /([a-z_][\w.]+) is ([\d.]+)%? on ([\w.-]+)/i.exec(text);
  if (reading) {
    const [, metric, raw, on] = reading;
    const value = Number(raw);
    const host = eventHost ?? on!;
    if (/disk/.test(metric!) && ((value > 0.9 && value <= 1) || value > 90))
      out.push({
        rule: 'disk-reading-in-event',
        category: 'disk_full',
        weight: 2,
        culprit: host,
        detail: `${metric} ${value} on ${host}`,
        context: `${metric} at ${value} on ${host}`,
        evidence: ev,
      });
    if (/connection/.test(metric!) && DB_WORDS.test(text) && ((value > 0.8 && value <= 1) || value > 80))
      out.push({
        rule: 'db-connections-reading-in-event',
        category: 'database',
        weight: 2,
        culprit: host,
        detail: `${metric} ${value} on ${host}`,
        context: `${metric} at ${value} on ${host}`,
        evidence: ev,
      });
    if (/mem/.test(metric!) && /usable|free|avail/.test(metric!) && value < 0.1)
      out.push({
        rule: 'memory-reading-in-event',
        category: 'memory_exhaustion',
        weight: 2,
        culprit: host,
        detail: `${metric} ${value} on ${host}`,
        evidence: ev,
      });
    if (/cpu/.test(metric!) && value > 90)
      out.push({
        rule: 'cpu-reading-in-event',
        category: 'cpu_saturation',
        weight: surge >= 2 ? 0.5 : 1.5,
        culprit: host,
        detail: `${metric} ${value} on ${host}`,
        evidence: ev,
      });
  } else if (DB_WORDS.test(text) && /connections|locks?|deadlock|replication|slow quer|lag/i.test(e.title) && eventHost && !changeKind(e)) {
    out.push({ rule: 'database-event', category: 'database', weight: 1.5, culprit: eventHost, detail: e.title, evidence: ev });
  }
  // A database a change or job names while the logs show database trouble.
  if (changeKind(e) || JOB_EVENT.test(text)) {
    const db = databaseNameIn(text);
    if (db && symptomOf(anomalousCorpus) !== undefined && /connection|pool|slot/i.test(anomalousCorpus)) {
      out.push({
        rule: 'job-against-database',
        category: 'database',
        weight: 0.5,
        culprit: db,
        detail: `${e.title} runs against ${db}`,
        context: `while ${clip(firstLine(e.title), 80)} ran against it`,
        evidence: ev,
      });
    }
  }
  // Marketing pushes and campaigns explain a surge in requests.
  const campaign = tagValue(e.tags, 'campaign', 'utm_campaign') ?? /campaign(?: sent)?:\s*([\w.-]+)/i.exec(e.title)?.[1];
  if (TRAFFIC_EVENT.test(text) && campaign) {
    const inLogs = logCorpus.includes(campaign.toLowerCase());
    // Saturation of the alerting service right after a campaign is the campaign's load, even without a request metric.
    const saturated =
      surge >= 2 ||
      /pool|queue|backlog|saturat|exhaust|throttl/i.test(anomalousCorpus) ||
      b.metrics.some((m) => /cpu/i.test(m.label) && Math.max(m.recent, m.last) > 90);
    const weight = (saturated ? 2 : 0.8) + (inLogs ? 1 : 0);
    out.push({
      rule: 'campaign-event',
      category: 'traffic_spike',
      weight,
      culprit: campaign,
      specific: true,
      scored: true,
      detail: `${e.title}${inLogs ? '; the campaign appears in request logs' : ''}`,
      context: `after the ${campaign} campaign went out ${mins} min before the alert`,
      evidence: ev,
    });
  }
  // A job or process started on the saturated host is the likely consumer.
  if (JOB_EVENT.test(text) && !changeKind(e)) {
    const job = jobName(e);
    if (job) {
      const onAlertHost = !!b.alert.hostname && (eventHost === b.alert.hostname || text.includes(b.alert.hostname));
      const inLogs = logCorpus.includes(job.toLowerCase());
      const mentionsService =
        !!b.alert.service && (text.toLowerCase().includes(b.alert.service.toLowerCase()) || e.tags.includes(`service:${b.alert.service}`));
      if (onAlertHost || mentionsService || inLogs) {
        for (const category of ['cpu_saturation', 'memory_exhaustion', 'disk_full'] as const) {
          out.push({
            rule: 'job-started-on-host',
            category,
            weight: 0.3 + (inLogs ? 0.5 : 0),
            specific: true,
            culprit: `${job} job`,
            detail: `${e.title} ${mins} min before the alert${inLogs ? '; its process logs on the host' : ''}`,
            context: `started ${mins} min before the alert (${clip(firstLine(e.title), 80)})`,
            evidence: ev,
          });
        }
      }
    }
  }
  return out;
}

/** What a failing log line names as the thing that failed: a dependency, a database host or a table. */
function failingTargets(text: string): string[] {
  return [...dependencyNames(text), databaseNameIn(text), queriedTable(text)].filter((n): n is string => !!n && n.length > 3);
}

/**
 * Lookups of several different names failing at once: the resolver they share is at fault, not
 * each dependency. A recent change to the resolver (where it was placed) names the culprit.
 */
function resolverFindings(b: EvidenceBundle, anomalous: LogTemplateEvidence[], alertMs: number): Finding[] {
  const failing = anomalous.filter((t) => DNS_FAILURE.test(textOf(t)));
  const names = new Set(failing.flatMap((t) => dependencyNames(textOf(t))));
  if (failing.length === 0 || names.size < 2) return [];
  const evidence = failing
    .slice(0, 2)
    .map((t) => ({ claim: `${t.count} lines "${clip(firstLine(t.example), 140)}"`, source: 'logs', link: t.link ?? b.links.logs }));
  const resolver = /\bon ([\d.]+):53\b/.exec(failing.map(textOf).join('\n'))?.[1];
  const base = {
    rule: 'shared-resolver-failing',
    category: 'network' as const,
    weight: 3,
    detail: `lookups of ${names.size} different names fail at once`,
    evidence,
  };
  const moved = b.events.filter((e) => DNS_COMPONENT.test(`${e.title} ${e.text}`) && minutesBefore(e.at, alertMs) >= 0 && placedOn(e.text));
  if (moved.length === 0)
    return [
      { ...base, culprit: resolver && `the DNS resolver ${resolver}`, context: `lookups of ${[...names].slice(0, 3).join(', ')} fail` },
    ];
  return moved.map((e) => ({
    ...base,
    weight: 4,
    culprit: placedOn(e.text)!,
    context: `the resolver was placed there ${minutesBefore(e.at, alertMs)} min before the alert (${clip(firstLine(e.title), 80)}) and lookups of ${[...names].slice(0, 2).join(', ')} fail`,
    evidence: [...evidence, { claim: clip(`${e.title}: ${e.text}`, 200), source: 'events', link: e.link }],
  }));
}

/** A host the errors name that is down: the callers fail because it is gone, whatever they call it. */
function namedHostFindings(b: EvidenceBundle): Finding[] {
  return (b.namedHosts ?? [])
    .filter((h) => h.up === false)
    .map((h) => ({
      rule: 'named-host-down',
      category: 'host_failure' as const,
      weight: 3 + Math.min(1.5, h.lines / 40),
      culprit: h.host,
      detail: `${h.lines} error lines name ${h.named}, which is ${h.host}, and it is down`,
      context: `${h.lines} error lines name ${h.named} (${h.host}), which stopped reporting`,
      evidence: [
        {
          claim: `${h.lines} error lines name ${h.named}; ${h.host} is down${h.lastReportedTime ? ` since ${new Date(h.lastReportedTime * 1000).toISOString().slice(11, 16)} UTC` : ''}`,
          source: 'host',
          link: b.links.logs,
        },
      ],
    }));
}

// An origin that sent little before and most requests now has taken over the traffic.
const ORIGIN_TAKEOVER = { recent: 0.3, growth: 3 };
const MIN_ORIGIN_SAMPLE = 10;

/** Traffic by origin: one user agent, network or campaign that now sends most requests. */
function originFindings(b: EvidenceBundle): Finding[] {
  const origins = b.origins;
  // Without an earlier sample there is no rise to see.
  if (!origins || origins.earlierLines < MIN_ORIGIN_SAMPLE) return [];
  const risen = origins.top.filter((o) => o.recent >= ORIGIN_TAKEOVER.recent && o.recent >= ORIGIN_TAKEOVER.growth * o.earlier);
  return risen.map((o, i) => ({
    rule: 'origin-takes-over-traffic',
    category: 'traffic_spike' as const,
    weight: i === 0 ? 3 : 1,
    culprit: o.value,
    specific: true,
    scored: true,
    detail: `${o.by} ${o.value}: ${Math.round(o.recent * 100)}% of requests, ${Math.round(o.earlier * 100)}% an hour earlier`,
    context: `${o.by} ${o.value} sends ${Math.round(o.recent * 100)}% of requests, against ${Math.round(o.earlier * 100)}% an hour earlier`,
    evidence: [
      {
        claim: `${o.by} ${o.value} sent ${Math.round(o.recent * 100)}% of ${origins.recentLines} sampled requests, ${Math.round(o.earlier * 100)}% of ${origins.earlierLines} an hour earlier`,
        source: 'logs',
        link: b.links.logs,
      },
    ],
  }));
}

/**
 * The process behind a host's saturation: its own CPU or memory rose far above where it was, or,
 * on a host whose CPU is saturated, it is the process using the most.
 */
function processFindings(b: EvidenceBundle): Finding[] {
  const perProcess = b.metrics.flatMap((m) => {
    const process = /process_name:([^,\s}]+)/.exec(m.scope)?.[1];
    return process ? [{ m, process, memory: /mem|rss/i.test(`${m.label} ${m.query}`) }] : [];
  });
  const hostSaturated = b.metrics.some((m) => /host cpu/i.test(m.label) && Math.max(m.recent, m.last) > 90);
  const topCpu = perProcess.filter((p) => !p.memory).sort((x, y) => y.m.recent - x.m.recent)[0];
  return perProcess.flatMap(({ m, process, memory }) => {
    const rising = m.recent >= 3 * Math.max(m.baseline, 1);
    if (!rising && !(hostSaturated && topCpu?.m === m)) return [];
    return [
      {
        rule: 'process-resource-rising',
        category: memory ? ('memory_exhaustion' as const) : ('cpu_saturation' as const),
        weight: 1,
        culprit: process,
        specific: true,
        detail: `${m.label} of ${process} ${Math.round(m.baseline)} → ${Math.round(m.recent)}${rising ? '' : ', the most on the saturated host'}`,
        context: `${process} at ${Math.round(m.recent)} (${m.label}, from ${Math.round(m.baseline)})`,
        evidence: [
          { claim: `${m.label} of ${process} at ${Math.round(m.recent)}, from ${Math.round(m.baseline)}`, source: 'metrics', link: m.link },
        ],
      },
    ];
  });
}

/**
 * Memory pressure on a node: the pod the kubelet ranks first for eviction, or cannot evict, is the
 * neighbour using the memory; the alerting service's own pods are its victims.
 */
function evictionFindings(b: EvidenceBundle): Finding[] {
  const out: Finding[] = [];
  for (const t of b.logTemplates) {
    if (!/evict/i.test(t.example) || !/ranked for eviction|cannot evict|critical pod/i.test(t.example)) continue;
    const neighbour = podWorkloads(t.example).find((w) => !b.alert.service || !w.includes(b.alert.service));
    if (!neighbour) continue;
    out.push({
      rule: 'eviction-names-neighbour',
      category: 'memory_exhaustion',
      weight: 1,
      culprit: neighbour,
      specific: true,
      scored: true,
      detail: clip(firstLine(t.example), 120),
      context: `the kubelet names ${neighbour} ("${clip(firstLine(t.example), 80)}")`,
      evidence: [{ claim: `${t.count} lines: ${clip(firstLine(t.example), 150)}`, source: 'logs', link: t.link ?? b.links.logs }],
    });
  }
  return out;
}

/** On a saturated CPU, requests aborted mid-flight show in their stack trace the code that was running. */
function hotCodeFindings(b: EvidenceBundle): Finding[] {
  const byFunction = new Map<string, LogTemplateEvidence[]>();
  for (const t of b.logTemplates) {
    if (!abortedWithTrace(t.example)) continue;
    const fn = innermostAppFrame(t.example)!;
    byFunction.set(fn, [...(byFunction.get(fn) ?? []), t]);
  }
  return [...byFunction].map(([fn, ts]) => ({
    rule: 'hot-code-in-aborted-requests',
    category: 'cpu_saturation' as const,
    weight: 1,
    culprit: fn,
    specific: true,
    detail: `${ts.reduce((n, t) => n + t.count, 0)} aborted requests were running ${fn}`,
    context: `requests aborted while running ${fn}`,
    evidence: ts.slice(0, 2).map((t) => ({
      claim: `${t.count} aborted requests were in ${fn}: ${clip(firstLine(t.example), 100)}`,
      source: 'logs',
      link: t.link ?? b.links.logs,
    })),
  }));
}
