import type { DatadogLinks } from '../../datadog/links';
import type { GroupEvidence } from '../../evidence/bundle';
import type { OriginSummary } from '../../evidence/origins';
import type { EvidenceItem, Hypothesis, RcaCategory, SubmittedReport } from '../report';
import { escapeRegExp } from '../../text-format';
import { contentWords, entitiesIn, mentionOf, PRIVATE_ZONE } from './entities';
import { changeOf, COMMON_WORDS, metricKindOf, OWN_KINDS, REASONS, type ReasonRow, reasonIn } from './knowledge';
import { clip, hhmm, isFailing, type Readings, type SeenEvent, type SeenLine, type SeenSeries } from './observations';
import { type ChainNode, chainOf, hostsFoundFor, isNewOrBursting, ownLines, type PolicyContext, quotedServerWords } from './policy';
import { topTalker } from './talker';
import { causingTrouble, HOST_RESOURCES, namesPlace, ownTrouble, PERCENT, seriesAnomaly, type Trouble, troubleOf } from './trouble';

/**
 * From what the investigation read to a ranked set of candidates and the report. A candidate is
 * a component on the chain that reports its own trouble, no later than the alerting service's
 * own failures began; deeper in the chain, earlier, and further from its own baseline ranks first.
 * A change is blamed only when the trouble follows it and its content speaks of the same thing.
 */

export interface ConcludeContext extends PolicyContext {
  origins?: OriginSummary;
  links?: DatadogLinks;
  /** The other alerts of the RCA's incident group, when it investigates one. */
  group?: GroupEvidence;
}

export interface Candidate {
  node: ChainNode;
  path: ChainNode[];
  troubles: Trouble[];
  /** The trouble is the component's own (it ran out, fell over, expired), not only failures it reports. */
  own: boolean;
  category: RcaCategory;
  culprit: string;
  statement: string;
  onset: number;
  score: number;
  change?: SeenEvent;
  /** The word or component that ties the change to the trouble. */
  relatedBy?: string;
  /** The deploy that shipped the change, when the change is a merge or a commit. */
  rollout?: SeenEvent;
  /** Who sent the extra demand, for a traffic candidate. */
  origin?: string;
  /** What the component's new lines name most around the onset: the client, job or key behind it. */
  talker?: string;
}

/** What the calibration reads of an answer: the features its confidence is estimated from. */
export interface AnswerFeatures {
  depth: number;
  own: boolean;
  /** Kinds of source (logs, metrics, events, host) that show the root's trouble. */
  sourceKinds: number;
  /** The best candidate's lead over the next, in score. */
  margin: number;
  change: boolean;
  candidates: number;
}

export interface Conclusion {
  candidates: Candidate[];
  features: AnswerFeatures;
  symptomOnset: number;
}

/** Trouble that began this long after the alert fired is its effect, not its cause. */
const AFTER_ALERT_MS = 5 * 60_000;
/** A change at most this long before the trouble may have caused it. */
const CHANGE_LAG_MS = 3 * 60 * 60_000;

const alertOf = (ctx: PolicyContext) => ({ alertMs: ctx.alertMs, service: ctx.alert.service ?? ctx.alert.hostname ?? '' });

/** Whether a component states any trouble of its own account: what the policy follows. */
export const inTrouble = (ctx: PolicyContext) => (node: ChainNode, readings: Readings) =>
  troubleOf(node, readings, alertOf(ctx)).length > 0;

function pathTo(node: ChainNode, chain: readonly ChainNode[]): ChainNode[] {
  const path = [node];
  for (let parent = node.parent; parent;) {
    const up = chain.find((n) => n.key === parent);
    if (!up) break;
    path.unshift(up);
    parent = up.parent;
  }
  return path;
}

/** The category the strongest of a component's troubles gives, summed over its troubles. */
function dominantCategory(troubles: readonly Trouble[]): RcaCategory {
  const weight = new Map<RcaCategory, number>();
  for (const t of troubles) weight.set(t.category, (weight.get(t.category) ?? 0) + t.strength);
  return [...weight.entries()].sort((a, b) => b[1] - a[1])[0]![0];
}

/** Changes in the window, each with its kind. */
function changesIn(readings: Readings) {
  return readings.events.flatMap((e) => {
    const change = changeOf(`${e.title}\n${e.text}`);
    // An alert about trouble is not a change someone made.
    if (!change || e.alertType === 'error' || /^\[(triggered|warn|recovered|alert)/i.test(e.title)) return [];
    return [{ event: e, change }];
  });
}

// An identifier as code and configs write them: CamelCase, snake_case, kebab-case or dotted.
const IDENTIFIER = /\b(?:[A-Za-z]+[a-z0-9]*[A-Z][A-Za-z0-9]*|[a-z][a-z0-9]*(?:[_.-][a-z0-9]+)+)\b/g;

/**
 * The words a trouble states its reason in: the reason phrase itself, the identifiers on the lines
 * that state it (the pool, the table, the class), and the application frames under them. Hosts and
 * domains are left out: a change that shares only a dependency's name with a failure does not
 * explain how it fails.
 */
function statedWords(t: Trouble): Set<string> {
  const reason = reasonIn(t.text);
  const lines = t.text.split('\n');
  const stating = lines.filter((l) => reason?.phrase.test(l));
  const frames = lines.filter((l) => /^\s*at\s/.test(l) || /File "/.test(l));
  const places = new Set(
    entitiesIn(t.text)
      .filter((e) => e.shape !== 'object')
      .map((e) => e.name.toLowerCase()),
  );
  const identifiers = [...stating, ...frames].flatMap((l) => l.match(IDENTIFIER) ?? []).filter((id) => !places.has(id.toLowerCase()));
  const phrase = stating.map((l) => reason?.phrase.exec(l)?.[0] ?? '');
  return contentWords([...phrase, ...identifiers].join(' '));
}

/** An identifier this long, shared whole, is no coincidence: a rule, a flag or an index the failure names. */
const NAMED_IDENTIFIER = 8;

// Coined rather than a word or a product's name (BigQuery): joined by separators, numbered, or three words in CamelCase.
const COINED = /[_.-]|\d|[A-Z][a-z0-9]+[A-Z][a-z0-9]+[A-Z]/;

/** The identifiers a trouble's lines name (not places, not the alerting service): what a change may name exactly. */
function namedIdentifiers(troubles: readonly Pick<Trouble, 'text'>[], alertService: string): string[] {
  const ids = troubles.flatMap((t) => {
    const places = new Set(
      entitiesIn(t.text)
        .filter((e) => e.shape !== 'object')
        .map((e) => e.name.toLowerCase()),
    );
    // A URL's path names resources by where they live (a project, a bucket): places, not what failed.
    const text = t.text.replace(/\b[a-z][a-z0-9+.-]*:\/\/[^\s"',<>]+/gi, ' ');
    // A key (request_id=…, "ruleName":) names a field every line has; the value after it is what failed.
    const values = [...text.matchAll(IDENTIFIER)].filter((m) => !/^["']?\s*[=:]/.test(text.slice(m.index + m[0].length))).map((m) => m[0]);
    return values.filter((id) => id.length >= NAMED_IDENTIFIER && COINED.test(id) && !places.has(id.toLowerCase()));
  });
  return [...new Set(ids)].filter((id) => id.toLowerCase() !== alertService.toLowerCase());
}

/** Distinct words a change must share with a failure's stated reason to be tied to it by content. */
const SHARED_WORDS = 2;

/** A word in more than this many, and this share, of the lines and events read says nothing distinctive (sql, request, redis). */
const DISTINCTIVE_AT_MOST = 3;
const WIDESPREAD_SHARE = 0.15;

/** Words that appear in the lines of many services, or in many events: too widespread to tie a change to a failure. */
function widespreadWords(readings: Readings): Set<string> {
  // A failure repeats its own words in every line it writes: lines count once per service that wrote them.
  const byService = new Map<string, string[]>();
  for (const l of readings.lines) {
    const key = l.services.join(',') || l.hosts.join(',');
    byService.set(key, [...(byService.get(key) ?? []), `${l.template}\n${l.example}`]);
  }
  const documents = [...[...byService.values()].map((texts) => texts.join('\n')), ...readings.events.map((e) => `${e.title}\n${e.text}`)];
  const df = new Map<string, number>();
  for (const d of documents) for (const w of contentWords(d)) df.set(w, (df.get(w) ?? 0) + 1);
  const limit = Math.max(DISTINCTIVE_AT_MOST, WIDESPREAD_SHARE * documents.length);
  return new Set([...df.entries()].filter(([, n]) => n > limit).map(([w]) => w));
}

// A deploy, or a configuration tool applying a commit (a Puppet or Terraform apply).
const DEPLOY = /deploy|sync|rolled|rollout|release|\bappl(y|ied)\b|puppet run|ansible play/i;
const COMMIT = /\b[0-9a-f]{7,40}\b/g;

/** The rollout that shipped a change that is not one itself (a merged pull request): a later deploy of the same commit or repository. */
function rolloutOf(change: SeenEvent, readings: Readings, before: number): SeenEvent | undefined {
  if (DEPLOY.test(change.title)) return undefined;
  const text = (e: SeenEvent) => `${e.title}\n${e.text}\n${e.tags.join(' ')}`;
  const commits = new Set(text(change).match(COMMIT) ?? []);
  const repo = /([\w.-]+)\/([\w.-]+)/.exec(change.title)?.[2]?.toLowerCase();
  return readings.events
    .filter((e) => e.at >= change.at && e.at <= before && DEPLOY.test(e.title) && e !== change)
    .filter((e) => (text(e).match(COMMIT) ?? []).some((c) => commits.has(c)) || (!!repo && text(e).toLowerCase().includes(repo)))
    .sort((a, b) => a.at - b.at)[0];
}

const ERROR_NAME = /\b[A-Z]\w*(?:Error|Exception)\b/g;

/**
 * When a candidate's trouble was first seen: its onset, or earlier when the component's lines show
 * the same error (by its exception name) before then. A change after that did not start it.
 */
function firstSighting(candidate: Pick<Candidate, 'node' | 'troubles' | 'onset'>, readings: Readings): number {
  const stated = candidate.troubles.some((t) => !t.weak) ? candidate.troubles.filter((t) => !t.weak) : candidate.troubles;
  const names = new Set(stated.flatMap((t) => t.text.match(ERROR_NAME) ?? []));
  const same = ownLines(candidate.node, readings.lines).filter(
    (l) => isFailing(l) && (`${l.template}\n${l.example}`.match(ERROR_NAME) ?? []).some((n) => names.has(n)),
  );
  return Math.min(candidate.onset, ...same.map((l) => l.firstSeen));
}

/** The services an event is tagged with, lower-cased. */
const serviceTagsOf = (event: SeenEvent) =>
  event.tags.filter((t) => t.toLowerCase().startsWith('service:')).map((t) => t.slice('service:'.length).toLowerCase());

/**
 * Whether a change is to a component: it names it as a word, and its service tag, when it has
 * one, is that component (a deploy of a client that upgrades its kafka library is not a change to kafka).
 */
function isSubject(event: SeenEvent, name: string): boolean {
  const services = serviceTagsOf(event);
  if (services.length && !services.includes(name)) return false;
  return mentionOf(name).test(`${event.title}\n${event.text}\n${event.tags.join(' ')}`);
}

const VERSION = /(?<![\w.])v?\d+\.\d+\.\d+(?:[-+][\w.]+)?(?![\w.])/g;

/**
 * The version a deploy of the component shipped, when the component's failing lines carry it: as
 * a canary is judged, errors that only the new version writes are the new version's.
 */
function shippedVersion(event: SeenEvent, candidate: Pick<Candidate, 'node'>, readings: Readings): string | undefined {
  if (changeOf(`${event.title}\n${event.text}`)?.category !== 'deployment' || !isSubject(event, candidate.node.name.toLowerCase()))
    return undefined;
  const versions = new Set([...`${event.title}\n${event.tags.join(' ')}`.matchAll(VERSION)].map((m) => m[0].replace(/^v/, '')));
  const failing = ownLines(candidate.node, readings.lines).filter(isFailing);
  return [...versions].find((v) => failing.some((l) => [...l.example.matchAll(VERSION)].some((m) => m[0].replace(/^v/, '') === v)));
}

/**
 * The change that explains a trouble: before its onset by a plausible lag, and about the same
 * thing. A job or a campaign relates when it names a component on the path; a deploy or a config
 * change when it names the component in trouble (not the alerting service) or shares a word with
 * the reason the trouble states. Numbers, common words and the alerting service's name never count.
 */
function explainingChange(
  candidate: Pick<Candidate, 'node' | 'path' | 'troubles' | 'onset'>,
  readings: Readings,
  alertService: string,
  common: ReadonlySet<string>,
) {
  const own = contentWords(alertService);
  const onPath = candidate.path
    .filter((n) => n.depth > 0 && n.name.toLowerCase() !== alertService.toLowerCase())
    .map((n) => n.name.toLowerCase());
  // A rollout names the hosts it went to; only a change to the component itself names it as its subject.
  // The alerting service's own name never ties a change to its trouble, at whatever depth it sits (demand on it sits at 1).
  const culprit =
    candidate.node.shape !== 'host' && candidate.node.name.toLowerCase() !== alertService.toLowerCase()
      ? candidate.node.name.toLowerCase()
      : undefined;
  // A private domain names our service behind it by its first label (risk-engine.risk.svc.cluster.local is risk-engine);
  // a public one is someone else's (bigquery.googleapis.com is not a change to anything called bigquery).
  // A host's trouble is also that of the service it was reached as running (a change to consul saturates the consul servers).
  const hosted =
    candidate.node.shape === 'host' ? candidate.path.filter((n) => n.shape === 'service' && n.depth > 0).at(-1)?.name : undefined;
  const subjects = [
    ...(culprit ? [culprit, ...(candidate.node.shape === 'domain' && PRIVATE_ZONE.test(culprit) ? [culprit.split('.')[0]!] : [])] : []),
    ...(hosted && hosted.toLowerCase() !== alertService.toLowerCase() ? [hosted.toLowerCase()] : []),
  ];
  const stated = new Set(candidate.troubles.flatMap((t) => [...statedWords(t)]).filter((w) => !own.has(w) && !common.has(w)));
  const began = firstSighting(candidate, readings);
  // A change that sets what governs the resource that ran out (its limit, size or retention) speaks of the trouble.
  // A metric's trouble (memory rising) is governed as the stated reason of its category is.
  const governs = candidate.troubles.flatMap(
    (t) =>
      REASONS.find((r) => r.mechanism === t.mechanism || (t.kind === 'anomaly' && r.category === t.category && r.governedBy))?.governedBy ??
      [],
  );
  // More requests arriving come from outside: a campaign or a job brings them, a deploy or a setting of the component does not.
  // Demand that came first, or with the rest, leads (a CPU saturating under it follows it).
  const demandAt = Math.min(...candidate.troubles.filter((t) => t.category === 'traffic_spike').map((t) => t.onset));
  const demandOnly = candidate.troubles.every((t) => t.category === 'traffic_spike' || t.onset >= demandAt - 60_000);
  const arrived = newWorkOn(candidate, readings, alertService);
  // Demand is named by the callers' failing operations, not by the request counts that show it.
  const callers = demandOnly ? ownLines({ name: alertService, shape: 'service' }, readings.lines).filter(isFailing) : [];
  const operations = failedOperations([...candidate.troubles, ...callers.map((l) => ({ text: `${l.template}\n${l.example}` }))]);
  // Expiry runs on a clock: only a change that speaks of what expires (a certificate, its trust store) explains it.
  const expiring = candidate.troubles.every((t) => REASONS.find((r) => r.mechanism === t.mechanism)?.kind === 'expiry');
  // The alerting service's trouble is all its failing lines say: a change naming what any of them names speaks of it.
  const alertFailing =
    candidate.node.depth === 0
      ? ownLines(candidate.node, readings.lines)
          .filter(isFailing)
          .map((l) => ({ text: `${l.template}\n${l.example}` }))
      : [];
  const identifiers = namedIdentifiers([...candidate.troubles, ...alertFailing], alertService);
  const related = changesIn(readings).flatMap(
    ({ event, change }): Array<{ event: SeenEvent; change: NonNullable<ReturnType<typeof changeOf>>; by: string; exact?: boolean }> => {
      if (event.at > began + 2 * 60_000 || candidate.onset - event.at > CHANGE_LAG_MS) return [];
      // ...unless it switches on the very operation that fails (a flag named after it sends every call there).
      if (demandOnly && change.category !== 'trigger') {
        const by = namingIdentifier(`${event.title}\n${event.text}`, operations);
        return by ? [{ event, change, by }] : [];
      }
      const said = `${event.title}\n${event.text}`;
      if (expiring) {
        const by = governingWords(governs, said);
        return by ? [{ event, change, by }] : [];
      }
      // A change that names, whole, an identifier the failing lines name (the rule that blocks, the index queried) speaks of it.
      const exact = identifiers.find((id) => mentionOf(id).test(said));
      if (exact) return [{ event, change, by: exact, exact: true }];
      const text = `${said}\n${event.tags.join(' ')}`.toLowerCase();
      // One shared word is a coincidence as often as not; two distinct ones (not parts of one identifier) are a topic.
      // The change's words, not the names of the places it was made on (app-mrf-checkout-api-prod is where, not what).
      const where = entitiesIn(said).filter((e) => e.shape !== 'object');
      const shared = [...contentWords(where.reduce((t, e) => t.replace(mentionOf(e.name), ' '), said))].filter(
        (w) => stated.has(w) && !/[-_]/.test(w),
      );
      const by =
        shippedVersion(event, candidate, readings) ??
        (change.category === 'trigger' ? onPath.find((n) => text.includes(n)) : undefined) ??
        // A campaign brings users to whoever serves them.
        (demandOnly && change.kind === 'campaign' ? 'a campaign' : undefined) ??
        subjects.find((name) => isSubject(event, name)) ??
        // A flag or setting named after the operation that fails ("eligibility check failed": eligibility_realtime_check).
        namingIdentifier(said, operations) ??
        // A job the trouble's own lines name (a database's slow query runs as its user, bordereaux_ro).
        (change.kind === 'job' ? jobNamedIn(event, candidate.troubles, alertService) : undefined) ??
        // A job started on a host whose CPU, memory or disk it then takes (a noisy neighbour): on that host, not another.
        (change.category === 'trigger' && !ranElsewhere(event, candidate.node.name)
          ? arrived.find((name) => mentionOf(name).test(text))
          : undefined) ??
        // Words in common, or a setting that governs the resource, tie only a change to a service the failure went
        // through: another service's pool is another pool.
        (aboutAnotherService(event, [alertService, ...onPath])
          ? undefined
          : ((shared.length >= SHARED_WORDS ? shared.join(', ') : undefined) ?? governingWords(governs, said)));
      return by ? [{ event, change, by }] : [];
    },
  );
  // The latest change tied most exactly.
  const latest = related.sort((a, b) => Number(!!b.exact) - Number(!!a.exact) || b.event.at - a.event.at)[0];
  // A rollout that shipped another related change (a merged commit) is told as that change, shipped by it.
  const best =
    related.find((r) => r !== latest && latest && rolloutOf(r.event, readings, candidate.onset + 2 * 60_000) === latest.event) ?? latest;
  return best && { ...best, rollout: rolloutOf(best.event, readings, candidate.onset + 2 * 60_000) };
}

// The operation a failing line says failed: the two or three words before "failed" or "error".
const FAILED_OPERATION = /\b([a-z][a-z]+(?:[ _-][a-z][a-z]+){1,2})\s+(?:failed|failure|error|timed out)\b/gi;

/** The operations the troubles' lines say failed, each as its content words (two or more). */
function failedOperations(troubles: ReadonlyArray<Pick<Trouble, 'text'>>): string[][] {
  return troubles.flatMap((t) =>
    [...t.text.matchAll(FAILED_OPERATION)].map((m) => [...contentWords(m[1]!)]).filter((words) => words.length >= 2),
  );
}

/** An identifier of a change (a flag, a key) whose parts hold every word of a failed operation. */
function namingIdentifier(text: string, operations: readonly string[][]): string | undefined {
  for (const id of text.match(IDENTIFIER) ?? []) {
    const parts = contentWords(id);
    if (operations.some((op) => op.every((w) => parts.has(w)))) return id;
  }
  return undefined;
}

/** Whether an event is tagged with services off the candidate's path only, and names none on it. */
const aboutAnotherService = (event: SeenEvent, path: readonly string[]) => {
  const services = serviceTagsOf(event);
  const onPath = (name: string) => path.some((p) => p.toLowerCase().includes(name) || name.includes(p.toLowerCase()));
  return services.length > 0 && !services.some(onPath) && !path.some((p) => mentionOf(p).test(`${event.title}\n${event.text}`));
};

/** A job's longest word, when it has one this long: shorter ones (export, sync) are every job's. */
const JOB_WORD = 8;

/** The service a job event is tagged with (not the alerting one), when the troubles' lines carry its longest word. */
function jobNamedIn(event: SeenEvent, troubles: readonly Trouble[], alertService: string): string | undefined {
  const text = troubles.map((t) => t.text.toLowerCase()).join('\n');
  return serviceTagsOf(event)
    .filter((service) => service !== alertService.toLowerCase())
    .find((service) => {
      const word = [...contentWords(service)].filter((w) => !/[-_]/.test(w)).sort((a, b) => b.length - a.length)[0];
      return !!word && word.length >= JOB_WORD && text.includes(word);
    });
}

/** Every word of a change that sets what governs the trouble, so its quote can centre on them all; undefined when none. */
function governingWords(governs: readonly RegExp[], text: string): string | undefined {
  const words = new Set(governs.flatMap((g) => [...text.matchAll(new RegExp(g.source, 'gi'))].map((m) => m[0])));
  return words.size ? [...words].join(', ') : undefined;
}

/** How long before a host's trouble new work on it may have started and still be what took the host's resources. */
const NEW_WORK_MS = 30 * 60_000;

/**
 * Services that began writing on a host shortly before its own resources ran short, first to
 * arrive first: what an SRE looks for on a saturated node (a batch job scheduled beside the service).
 */
function newWorkOn(candidate: Pick<Candidate, 'node' | 'troubles' | 'onset'>, readings: Readings, alertService: string): string[] {
  if (candidate.node.shape !== 'host' || !candidate.troubles.some((t) => HOST_RESOURCES.has(t.category))) return [];
  const first = new Map<string, number>();
  for (const l of ownLines(candidate.node, readings.lines))
    for (const s of l.services) first.set(s, Math.min(first.get(s) ?? Infinity, l.firstSeen));
  return [...first.entries()]
    .filter(
      ([s, at]) =>
        s.toLowerCase() !== alertService.toLowerCase() && at >= candidate.onset - NEW_WORK_MS && at <= candidate.onset + 2 * 60_000,
    )
    .sort((a, b) => a[1] - b[1] || a[0].localeCompare(b[0]))
    .map(([s]) => s);
}

/** Whether an event says it ran on a host (its host tag, or "… on batch-01") other than `host`. */
function ranElsewhere(event: SeenEvent, host: string): boolean {
  const said = [...`${event.title}\n${event.text}`.matchAll(/\bon\s+([a-z0-9][\w.-]*[a-z0-9])/gi)].map((m) => m[1]!);
  const tagged = event.tags.filter((t) => t.startsWith('host:')).map((t) => t.slice('host:'.length));
  const where = [...tagged, ...said.filter((w) => entitiesIn(w).some((e) => e.shape === 'host' && e.name === w))];
  return where.length > 0 && !where.some((w) => w.toLowerCase() === host.toLowerCase());
}

const QUOTE_CHARS = 160;

// A setting a diff changes: "-use_streaming = false", "+ maxconn 20", "pool_size: 20 -> 50", "include_query_string: false => true".
const DIFF_SETTING = /(?:^|\s|')[-+]\s*([a-z_][\w.-]*[a-z_])\s*[=: ]|\b([a-z_][\w.]*[a-z_])\s*[:=]?\s*\S+\s*(?:->|=>|→)/gi;

/** The settings a change's text says it changed, by the shapes diffs and change notes write them in. */
function changedSettings(text: string): string[] {
  return [...new Set([...text.matchAll(DIFF_SETTING)].map((m) => (m[1] ?? m[2])!).filter((w) => w.length >= 4 && !COMMON_WORDS.has(w)))];
}

/** A change's text quoted where it speaks most of the words that tie it to the trouble. */
function quoteAround(text: string, words: readonly string[]): string {
  const lower = text.toLowerCase();
  const hits = words.flatMap((w) => [...lower.matchAll(new RegExp(escapeRegExp(w.toLowerCase()), 'g'))].map((m) => m.index));
  const covered = (start: number) => new Set(hits.filter((i) => i >= start && i < start + QUOTE_CHARS - 20)).size;
  const starts = [0, ...[...lower.matchAll(/ /g)].map((m) => m.index + 1)];
  const best = starts.reduce((a, b) => (covered(b) > covered(a) ? b : a), 0);
  return best === 0 ? text.slice(0, QUOTE_CHARS) : `…${text.slice(best, best + QUOTE_CHARS).trim()}`;
}

function describe(
  c: Omit<Candidate, 'statement' | 'culprit' | 'score'>,
  alertService: string,
  symptom: { reason?: string; object?: string },
): { culprit: string; statement: string } {
  // The earliest trouble leads; a breakdown that names who inside the component is busy joins it.
  const first = c.troubles[0]!;
  const who = c.troubles.map((t) => /, led by [^)]*\)/.exec(t.claim)?.[0]).find(Boolean);
  const lead = who && !first.claim.includes(who) ? { ...first, claim: `${first.claim}${who}` } : first;
  const via = c.path.slice(1, -1).map((n) => n.name);
  // The symptom in its own words, when they differ from the cause's: what ties the two for the reader.
  const saying = symptom.reason && symptom.reason !== lead.mechanism ? `, its errors saying ${symptom.reason}` : '';
  // What the alerting service failed on, when the path does not name it already.
  const on = symptom.object && !c.path.some((n) => n.name === symptom.object) ? ` on ${symptom.object}` : '';
  const reach = c.node.depth === 0 ? '' : `; ${alertService} fails through ${[...via, c.node.name].join(' → ')}${saying}${on}`;
  if (c.change) {
    const title = clip(c.change.title, 120);
    // What the change did, in its own words: the title alone rarely says which setting or table.
    const text = c.change.text
      .split('\n')
      .map((l) => l.trim())
      .filter(Boolean)
      .join(' ');
    // Its words that tie it, and where it names the components the failure went through (which resource it changed);
    // then, when that misses them, the settings its diff changes.
    const tied = quoteAround(text, [
      ...(c.relatedBy?.split(', ') ?? []),
      ...c.path.slice(1).flatMap((n) => [n.name, n.name.split('.')[0]!]),
    ]);
    const settings = changedSettings(text).filter((w) => !tied.includes(w));
    // A quote from inside the text keeps the text's opening words too: they say what the change is for (its PR's title).
    const opening = tied.startsWith('…') ? `${clip(text.split(/(?<=[.;:])\s/, 1)[0]!, 100)} ` : '';
    const detail = `${opening}${tied}${settings.length ? ` … ${quoteAround(text, settings).replace(/^…/, '')}` : ''}`;
    const shipped = c.rollout ? `, shipped by ${clip(c.rollout.title, 120)} (${hhmm(c.rollout.at)} UTC)` : '';
    return {
      culprit: c.rollout ? clip(c.rollout.title, 120) : title,
      statement: `${title} (${hhmm(c.change.at)} UTC${detail ? `: ${detail}` : ''})${shipped} preceded ${c.node.name}'s ${lead.mechanism}: ${lead.claim}${reach}.`,
    };
  }
  if (c.origin) return { culprit: c.origin, statement: `Demand on ${c.node.name} rose, led by ${c.origin}: ${lead.claim}.` };
  const driver = c.talker ? ` Its new lines name ${c.talker} most.` : '';
  return { culprit: c.node.name, statement: `${c.node.name}: ${lead.mechanism} — ${lead.claim}${reach}.${driver}` };
}

/** The origin whose share grew most just before the alert. */
function risingOrigin(origins: OriginSummary | undefined): string | undefined {
  const top = [...(origins?.top ?? [])].sort((a, b) => b.recent - b.earlier - (a.recent - a.earlier))[0];
  return top && top.recent - top.earlier >= 0.2 ? `${top.value} (${top.by})` : undefined;
}

/**
 * Depth counts what was verified: a component's own trouble at any depth, but a thing only blamed
 * by another's failing lines (an address a proxy could not reach) no deeper than one step, so a
 * proxy's complaint never outranks a component stating that it ran out.
 */
const BLAMED_DEPTH = 1;

function score(c: Pick<Candidate, 'node' | 'own' | 'troubles' | 'change'>): number {
  const strength = Math.max(...c.troubles.map((t) => t.strength));
  const kinds = new Set(c.troubles.map((t) => t.source)).size;
  // Weak leads alone (an error nobody named) earn nothing for depth: a server found by its kind is no cause by an unnamed error.
  const depth = c.troubles.every((t) => t.weak) ? 0 : Math.min(c.node.depth, c.own ? 3 : BLAMED_DEPTH);
  return 0.8 * depth + (c.own ? 1 : 0.4) + 0.8 * strength + 0.3 * (kinds - 1) + (c.change ? 0.5 : 0);
}

/**
 * The latest change before the symptom that touches the alerting service: it shares a word with
 * the service's name, the alert's title or its scopes (site:brno, a team), and it is not a campaign
 * (demand is no lead when nothing is saturated).
 */
function changeTouching(ctx: ConcludeContext, readings: Readings, onset: number) {
  const alert = ctx.alert;
  const scopes = alert.tags.filter((t) => !/^env:/i.test(t)).map((t) => t.slice(t.indexOf(':') + 1));
  const touching = contentWords([alert.service ?? '', alert.monitorName ?? alert.title ?? '', ...scopes].join(' '));
  const changes = changesIn(readings).filter(
    ({ event, change }) => change.kind !== 'campaign' && event.at <= onset + 2 * 60_000 && onset - event.at <= CHANGE_LAG_MS,
  );
  const wordsOf = (e: SeenEvent) => contentWords(`${e.title}\n${e.text}\n${e.tags.join(' ')}`);
  // A word most changes share (the company's, the environment's) touches nothing in particular.
  const seen = new Map<string, number>();
  for (const { event } of changes) for (const w of wordsOf(event)) seen.set(w, (seen.get(w) ?? 0) + 1);
  const everywhere = (w: string) => changes.length > 2 && (seen.get(w) ?? 0) > changes.length / 2;
  return changes
    .map(({ event, change }) => ({ event, change, by: [...wordsOf(event)].filter((w) => touching.has(w) && !everywhere(w)) }))
    .filter((c) => c.by.length > 0)
    .sort((a, b) => b.event.at - a.event.at)
    .map((c) => ({ ...c, by: c.by.join(', ') }))
    .find((c, _, all) => !all.some((o) => startedBy(o.event, c.event)));
}

/** How long a change takes to complete: its completion event follows its start within this. */
const CHANGE_COMPLETES_MS = 15 * 60_000;

/** A change's completion ("2/2 pods ready") is told as the change that started it minutes before, which says what it shipped. */
const startedBy = (earlier: SeenEvent, later: SeenEvent) => {
  const services = serviceTagsOf(later);
  return (
    earlier !== later &&
    earlier.at < later.at &&
    later.at - earlier.at <= CHANGE_COMPLETES_MS &&
    services.length > 0 &&
    serviceTagsOf(earlier).some((s) => services.includes(s))
  );
};

/** The certificate a failing handshake's lines name by its subject (CN=…), when they name one. */
function certificateNamed(lines: readonly SeenLine[]): string | undefined {
  for (const l of lines) {
    const cn = /\bCN\s*=\s*([^,;/"\n]+)/.exec(`${l.example}\n${l.template}`)?.[1]?.trim();
    if (cn && !cn.includes('<')) return `CN=${cn}`;
  }
  return undefined;
}

// An event about a certificate running out or failing to renew, and the name it gives it (a tag, or quoted after the word).
const CERTIFICATE_EVENT = /expir|renew|issu/i;
const CERTIFICATE_NAME = /\bcertificate:?\s+['"]?((?=[\w./-]*[-_./])[A-Za-z0-9][\w./-]{3,80}[A-Za-z0-9])/i;

/** The certificate that a line stating an expiry names, else an event about one expiring or failing to renew. */
function expiringCertificate(readings: Readings, naming: readonly SeenLine[] = []): string | undefined {
  const subject =
    certificateNamed(naming) ?? certificateNamed(readings.lines.filter((l) => /expir|notAfter/i.test(`${l.template}\n${l.example}`)));
  // The certificate as its owner manages it (a Kubernetes Certificate, a vault entry) names what to renew.
  const managed = managedCertificate(readings);
  return [subject, managed].filter(Boolean).join(', ') || undefined;
}

/** The certificate an event about one expiring or failing to renew names: by a tag, or quoted after the word. */
function managedCertificate(readings: Readings): string | undefined {
  for (const e of readings.events.filter((x) => CERTIFICATE_EVENT.test(`${x.title}\n${x.text}`)).sort((a, b) => b.at - a.at)) {
    const tagged = e.tags.find((t) => /^certificate:/i.test(t));
    const name = tagged?.slice(tagged.indexOf(':') + 1) ?? CERTIFICATE_NAME.exec(`${e.title}\n${e.text}`)?.[1];
    if (name) return name;
  }
  return undefined;
}

/** The loudest line that states a reason the table knows, and that reason. */
function loudestStated(lines: readonly SeenLine[]): { l: SeenLine; reason: ReasonRow } | undefined {
  return lines
    .flatMap((l) => {
      const reason = reasonIn(`${l.template}\n${l.example}`);
      return reason && !reason.unrecognised ? [{ l, reason }] : [];
    })
    .sort((a, b) => b.l.count - a.l.count || a.l.template.localeCompare(b.l.template))[0];
}

/** Metrics are read a minute apart: trouble within this of the symptom's onset may have come first. */
const LATE_SLACK_MS = 2 * 60_000;
/** What a candidate whose trouble began after the symptom loses. */
const LATE_PENALTY = 0.5;

/** What a candidate loses for repeating a trouble another stated first. */
const ECHO_PENALTY = 1;

/**
 * The candidate another repeats, when it does: both reached through the same thing the alerting
 * service named (or the other is the alerting service itself), in the same words, the other first.
 * Clients of a failing database quote its refusal a moment after it states it, and a service's
 * callers quote its errors back; the first to say it is the source.
 */
function echoed(c: Candidate, all: readonly Candidate[]): Candidate | undefined {
  // The alerting service running out of something it keeps for a place (its pool for that host), after it began
  // failing toward that place, follows from the place.
  if (c.node.depth === 0 && c.own)
    return all.find(
      (d) => !d.own && d.node.depth === 1 && d.onset < c.onset - LATE_SLACK_MS && mentionOf(d.node.name).test(c.troubles[0]!.text),
    );
  const via = c.path[1]?.key;
  if (via === undefined) return undefined;
  return all.find(
    (d) =>
      d.node.key !== c.node.key &&
      d.own &&
      // A weak lead (timing out toward no one) is no source: the place the same errors name explains it.
      !d.troubles[0]!.weak &&
      (d.path[1]?.key === via || d.node.depth === 0) &&
      // The same trouble said again, or a place blamed only after the alerting service's own trouble began (the
      // authentication its expired certificate fails).
      (d.troubles[0]!.mechanism === c.troubles[0]!.mechanism || (!c.own && d.node.depth === 0 && d.onset < c.onset - LATE_SLACK_MS)) &&
      d.onset < c.onset,
  );
}

/** The components a host's tags say it sits on (tor:sw-12-b, nodepool:pool-7): values shaped as names, not yet on the chain. */
function underneath(host: ChainNode, readings: Readings, known: ReadonlySet<string>): string[] {
  const tags = readings.hosts.find((h) => h.hostname.toLowerCase() === host.name.toLowerCase())?.tags ?? [];
  const values = tags.map((t) => t.slice(t.indexOf(':') + 1)).filter((v) => entitiesIn(v).some((e) => e.name === v));
  return [...new Set(values)].filter((v) => !known.has(v.toLowerCase()));
}

/** Failures toward at least this many places, none of them in trouble of its own, point at the path they share. */
const SHARED_PATH_PLACES = 2;

/** The thing a network event is about: the entity its tags name (events tag their subject), else the first it names. */
function subjectOf(e: SeenEvent): string {
  const named = entitiesIn(`${e.title}\n${e.text}`).map((x) => x.name);
  const tagged = named.find((n) => e.tags.some((t) => t.toLowerCase().endsWith(`:${n.toLowerCase()}`)));
  return tagged ?? named[0] ?? clip(e.title, 80);
}

/**
 * The network path as a candidate: when the chain's failing lines time out or are refused toward
 * several places and none of those places states trouble of its own, what they share is the path
 * between, and an event in the window that states network trouble is about that path. Providers
 * announce late, so the event may come after the failures began; its onset is theirs.
 */
function sharedPathCandidates(candidates: readonly Candidate[], readings: Readings, from: number, to: number) {
  const outward = candidates.filter((c) => !c.own && (c.troubles[0]!.kind === 'timeout' || c.troubles[0]!.kind === 'refusal'));
  // One failing line that names a place twice (a name and its address) is one place.
  const places = new Set(outward.map((c) => c.troubles[0]!.text));
  if (places.size < SHARED_PATH_PLACES) return [];
  const onset = Math.min(...outward.map((c) => c.onset));
  // The path lies beneath the places and whatever they were followed to (the hosts behind their names).
  const placeKeys = new Set(outward.map((c) => c.node.key));
  const deepest = Math.max(...candidates.filter((c) => c.path.some((n) => placeKeys.has(n.key))).map((c) => c.node.depth));
  return readings.events
    .filter((e) => e.alertType !== 'success' && e.at >= from && e.at <= to && reasonIn(`${e.title}\n${e.text}`)?.category === 'network')
    .map((e) => ({ event: e, name: subjectOf(e), onset, depth: deepest + 1, outward }));
}

// A provider's notice about its own service: a status page or a cloud's health dashboard, saying something is wrong.
const NOTICE = /\b(status|health)\b/i;
const NOTICE_TROUBLE = /investigating|identified|degraded|elevated|increased|outage|disruption|intermittent|timeouts|unavailable|delays/i;
const NOTICE_CLEAR = /operational|resolved|completed|scheduled|maintenance|retirement/i;
// Words every notice uses, and the clouds that host many products: none says which product is in trouble.
const NOTICE_WORDS = new Set(
  (
    'status health investigating identified monitoring degraded elevated increased rates latency outage partial major ' +
    'disruption intermittent timeouts delays region west east north south central europe asia amazon aws azure google ' +
    'gcp cloud customers subset experience'
  ).split(' '),
);

/**
 * A provider's own notice that it is in trouble, about a product the chain's failing lines speak of
 * (Kinesis in a KinesisException, Steam in a steam ticket check): the owner states the trouble, so it is
 * a candidate of its own, one step beyond the deepest component that fails toward it. Providers announce
 * late, so its onset is that of the first failing line that names the product.
 */
function providerNotices(chain: readonly ChainNode[], readings: Readings, from: number, to: number) {
  const failing = chain.flatMap((node) =>
    ownLines(node, readings.lines)
      .filter(isFailing)
      .map((line) => ({ node, line })),
  );
  return readings.events
    .filter((e) => e.at >= from && e.at <= to && NOTICE.test(e.title) && NOTICE_TROUBLE.test(`${e.title}\n${e.text}`))
    .filter((e) => !NOTICE_CLEAR.test(e.title))
    .flatMap((event) => {
      const product = [...contentWords(event.title)].filter((w) => !NOTICE_WORDS.has(w));
      const naming = failing.filter(({ line }) => [...contentWords(`${line.template}\n${line.example}`)].some((w) => product.includes(w)));
      if (naming.length === 0) return [];
      const onset = Math.min(event.at, ...naming.map(({ line }) => line.firstSeen));
      return [{ event, onset, depth: Math.max(...naming.map(({ node }) => node.depth)) + 1 }];
    });
}

/** A share at least this full (in percent) is at its ceiling. */
const AT_CEILING = 90;

/**
 * The server a client's quote of its server's own trouble points at (a Redis refusing writes out of
 * memory): of the servers of that technology the infrastructure list found, the one whose own
 * metric of that kind stands at its ceiling, fullest first.
 */
function quotedServer(symptoms: readonly SeenLine[], readings: Readings) {
  const quote = symptoms.find((l) => reasonIn(`${l.template}\n${l.example}`)?.quotesServer);
  if (!quote) return undefined;
  const reason = reasonIn(`${quote.template}\n${quote.example}`)!;
  const servers = new Set(quotedServerWords([quote]).flatMap((word) => hostsFoundFor(word, readings).map((h) => h.toLowerCase())));
  const percent = (s: SeenSeries) => (Math.max(...s.points.map(([, v]) => v)) <= 1.5 ? 100 : 1) * s.recent;
  const fullest = readings.series
    .map((series) => ({ series, server: tagValueIn(series.scope, servers) }))
    .filter(({ series, server }) => server && PERCENT.test(series.metric) && metricKindOf(series.metric)?.category === reason.category)
    .filter(({ series }) => percent(series) >= AT_CEILING)
    .sort((a, b) => percent(b.series) - percent(a.series))[0];
  return fullest && { quote, reason, server: fullest.server!, series: fullest.series, percent: percent(fullest.series) };
}

/** The tag value of a scope (host:x, cacheclusterid:x) that is one of the names, if any. */
const tagValueIn = (scope: string, names: ReadonlySet<string>) =>
  scope
    .split(',')
    .map((t) => t.slice(t.indexOf(':') + 1).toLowerCase())
    .find((v) => names.has(v));

/** The candidates the readings support, best first. */
export function conclude(ctx: ConcludeContext, readings: Readings): Conclusion {
  const chain = chainOf(ctx, readings, inTrouble(ctx));
  const [alertNode] = chain;
  const service = alertNode!.name;
  const symptoms = ownLines(alertNode!, readings.lines).filter(isFailing);
  const fresh = symptoms.filter(isNewOrBursting);
  // The symptom began with its errors: a stray warning before them (a pool dropping one stale connection) is not its onset.
  const errors = fresh.filter((l) => l.level === 'error' || l.level === 'critical');
  const symptomOnset = Math.min(ctx.alertMs, ...(errors.length > 0 ? errors : fresh).map((l) => l.firstSeen));
  // What the alerting service's loudest stated error says went wrong, and what it failed on (a table, a queue).
  const loudest = [...(errors.length > 0 ? errors : symptoms)].sort((a, b) => b.count - a.count);
  const symptom = {
    reason: loudest.map((l) => reasonIn(`${l.template}\n${l.example}`)).find((r) => r && !r.unrecognised)?.mechanism,
    object: loudest.flatMap((l) => entitiesIn(l.example)).find((e) => e.shape === 'object')?.name,
  };
  const candidates: Candidate[] = [];
  // Read once: which words are too widespread to tie any change to any trouble.
  const common = widespreadWords(readings);
  const named = new Set([...chain.map((n) => n.name.toLowerCase()), service.toLowerCase()]);
  // `stated`: the trouble is stated by whoever owns the component (a provider's health event); no change of ours explains it.
  const add = (c: Omit<Candidate, 'statement' | 'culprit' | 'score'>, { stated = false } = {}) => {
    const explaining = c.change || stated ? undefined : explainingChange(c, readings, service, common);
    const change = c.change ?? explaining?.event;
    // Demand is named by whoever asks, in the request lines in front of the component, not in its own.
    const asking = c.category === 'traffic_spike' ? readings.lines : ownLines(c.node, readings.lines);
    const talker = c.own && !change ? topTalker(asking, readings.lines, c.onset, named) : undefined;
    const full = { ...c, change, rollout: explaining?.rollout, relatedBy: explaining?.by, talker };
    if (change) {
      const kind = changeOf(`${change.title}\n${change.text}`)!;
      // A campaign's trouble is the demand it brings; a job's is what it took on the component (a disk it filled).
      full.category = kind.kind === 'campaign' ? 'traffic_spike' : kind.category === 'trigger' ? c.category : kind.category;
    }
    const described = describe(full, service, symptom);
    // A certificate's trouble is fixed by renewing it: name the one whichever line read says expired.
    const certificate = full.category === 'certificate' ? expiringCertificate(readings) : undefined;
    if (certificate && !described.statement.includes(certificate)) described.statement += ` The certificate: ${certificate}.`;
    candidates.push({ ...full, ...described, score: score(full) });
  };

  for (const node of chain) {
    const troubles = troubleOf(node, readings, alertOf(ctx)).filter((t) => t.onset <= ctx.alertMs + AFTER_ALERT_MS);
    const own = causingTrouble(node, troubles);
    // A component is a cause by its own running out or falling over; the failures it reports point elsewhere.
    if (own.length === 0) continue;
    // Weak leads (an unnamed error, a timeout toward no one) date and describe a candidate only when nothing stronger does.
    const leading = own.some((t) => !t.weak) ? [...own.filter((t) => !t.weak), ...own.filter((t) => t.weak)] : own;
    add({
      node,
      path: pathTo(node, chain),
      troubles: leading,
      own: true,
      category: dominantCategory(own),
      onset: Math.min(...leading.filter((t) => t.weak === leading[0]!.weak).map((t) => t.onset)),
    });
  }

  // Blamed: what a component's failing lines name when the failure points outward (refused, timed
  // out, rejected, expired), whether or not it reports trouble of its own.
  for (const node of chain.filter((n) => n.depth > 0 && n.shape !== 'host' && !candidates.some((c) => c.node.key === n.key))) {
    const parent = chain.find((n) => n.key === node.parent)!;
    const naming = ownLines(parent, readings.lines)
      .filter(isFailing)
      .filter((l) => `${l.example}\n${l.template}`.toLowerCase().includes(node.name.toLowerCase()));
    // The loudest line that says how it failed toward the node: an error the table cannot name says nothing of that.
    // A place the alerting service's errors name without saying how it failed ("SSHException … host=sftp.bank.com") is
    // the peer its other errors say reset or timed out (a traceback's "Connection reset by peer" names no one).
    const outward = () => {
      const other = loudestStated(ownLines(parent, readings.lines).filter(isFailing));
      const toNoOne = (l: SeenLine) => !namesPlace(`${l.template}\n${l.example}`, true);
      return other && (other.reason.kind === 'refusal' || other.reason.kind === 'timeout') && toNoOne(other.l) ? other : undefined;
    };
    const said = loudestStated(naming);
    const pointing = said ?? (parent.depth === 0 && naming.length ? outward() : undefined);
    const reason = pointing?.reason;
    if (!reason || OWN_KINDS.has(reason.kind)) continue;
    const first = Math.min(...naming.map((l) => l.firstSeen));
    // The line quoted names the node: the stated one, else the loudest that names it.
    const loudest = said ? pointing.l : [...naming].sort((a, b) => b.count - a.count)[0]!;
    // The client's line may give only an address; whichever line read states the expiry may name the certificate.
    const certificate = reason.kind === 'expiry' ? expiringCertificate(readings, naming) : undefined;
    add({
      node,
      path: pathTo(node, chain),
      troubles: [
        {
          mechanism: reason.mechanism,
          kind: reason.kind,
          category: reason.kind === 'expiry' ? 'certificate' : reason.category === 'traffic_spike' ? 'dependency_failure' : reason.category,
          onset: first,
          strength: 0.5,
          source: 'logs',
          // Where the line names the node: what it says of the node, and of whom else there (a queue manager and its host).
          claim: `${parent.name} reports "${quoteAround(loudest.example.split('\n')[0]!, [node.name])}" (${loudest.count} lines since ${hhmm(first)} UTC)${certificate ? `; the certificate: ${certificate}` : ''}`,
          text: `${loudest.template}\n${loudest.example}`,
          query: loudest.query,
        },
      ],
      own: false,
      category: reason.kind === 'expiry' ? 'certificate' : reason.category === 'traffic_spike' ? 'dependency_failure' : reason.category,
      onset: first,
    });
  }

  const quoted = quotedServer(symptoms, readings);
  const server = quoted && chain.find((n) => n.key === quoted.server);
  if (quoted && server && !candidates.some((c) => c.node.key === server.key)) {
    const { series } = quoted;
    add({
      node: server,
      path: pathTo(server, chain),
      troubles: [
        {
          // The server's own words for it (memory rising), so the client's quote does not read as the first to say it.
          mechanism: metricKindOf(series.metric)!.mechanism,
          kind: 'exhaustion',
          category: quoted.reason.category,
          onset: quoted.quote.firstSeen,
          strength: 0.8,
          source: 'metrics',
          claim: `${series.metric} on ${series.scope} at ${Math.round(quoted.percent)}% while ${service} reports "${clip(quoted.quote.example.split('\n')[0]!, 140)}"`,
          text: `${quoted.quote.template}\n${quoted.quote.example}`,
          query: series.query,
        },
      ],
      own: true,
      category: quoted.reason.category,
      onset: quoted.quote.firstSeen,
    });
  }

  // What a host in trouble sits on (its tags name a switch, a rack, a node pool): an event about that stating trouble is deeper.
  for (const host of candidates.filter((c) => c.own && c.node.shape === 'host').map((c) => c.node)) {
    for (const name of underneath(host, readings, named)) {
      const node: ChainNode = {
        key: name.toLowerCase(),
        name,
        shape: 'host',
        depth: host.depth + 1,
        parent: host.key,
        why: `${host.name} sits on it`,
      };
      const troubles = ownTrouble(troubleOf(node, readings, alertOf(ctx))).filter(
        (t) => t.source === 'events' && t.onset <= ctx.alertMs + AFTER_ALERT_MS,
      );
      if (troubles.length === 0) continue;
      named.add(name.toLowerCase());
      add({
        node,
        path: [...pathTo(host, chain), node],
        troubles,
        own: true,
        category: dominantCategory(troubles),
        onset: troubles[0]!.onset,
      });
    }
  }

  for (const path of sharedPathCandidates(candidates, readings, symptomOnset - CHANGE_LAG_MS, ctx.alertMs + AFTER_ALERT_MS)) {
    const reason = reasonIn(`${path.event.title}\n${path.event.text}`)!;
    const trouble: Trouble = {
      mechanism: reason.mechanism,
      kind: 'saturation',
      category: 'network',
      onset: path.onset,
      strength: 0.6,
      source: 'events',
      claim: `event at ${hhmm(path.event.at)} UTC: "${clip(path.event.title, 160)}"; ${service} fails toward ${path.outward.length} places on it, none in trouble of its own`,
      text: `${path.event.title}\n${path.event.text}`,
    };
    const node: ChainNode = {
      key: path.name.toLowerCase(),
      name: path.name,
      shape: 'object',
      depth: path.depth,
      why: 'the path the failing places share',
    };
    add({ node, path: [alertNode!, node], troubles: [trouble], own: true, category: 'network', onset: path.onset }, { stated: true });
  }

  for (const notice of providerNotices(chain, readings, symptomOnset - CHANGE_LAG_MS, ctx.alertMs + AFTER_ALERT_MS)) {
    const trouble: Trouble = {
      mechanism: 'provider reports trouble',
      kind: 'failure',
      category: 'dependency_failure',
      onset: notice.onset,
      strength: 0.8,
      source: 'events',
      claim: `event at ${hhmm(notice.event.at)} UTC: "${clip(notice.event.title, 160)}"`,
      text: `${notice.event.title}\n${notice.event.text}`,
    };
    const name = clip(notice.event.title, 120);
    const node: ChainNode = { key: name.toLowerCase(), name, shape: 'object', depth: notice.depth, why: "the provider's own notice" };
    add(
      { node, path: [alertNode!, node], troubles: [trouble], own: true, category: 'dependency_failure', onset: notice.onset },
      { stated: true },
    );
  }

  // Demand: the alerting service's own request metrics far above their baseline before it failed.
  for (const s of readings.series.filter((x) => x.scope.toLowerCase() === `service:${service.toLowerCase()}`)) {
    const anomaly = seriesAnomaly(s);
    if (metricKindOf(s.metric)?.category !== 'traffic_spike' || !anomaly || anomaly.onset > ctx.alertMs + AFTER_ALERT_MS) continue;
    const trouble: Trouble = {
      mechanism: 'demand rising',
      kind: 'saturation',
      category: 'traffic_spike',
      onset: anomaly.onset,
      strength: anomaly.strength,
      source: 'metrics',
      claim: `${s.metric} went from ${Math.round(s.baseline)} to ${Math.round(s.recent)} (from ${hhmm(anomaly.onset)} UTC)`,
      text: s.metric,
      query: s.query,
    };
    // A campaign brings demand to whoever serves users; a job brings it only to what it names.
    const trigger = changesIn(readings)
      .filter(
        ({ event, change }) =>
          change.category === 'trigger' &&
          (change.kind === 'campaign' || isSubject(event, service.toLowerCase())) &&
          event.at <= anomaly.onset + 2 * 60_000 &&
          anomaly.onset - event.at <= CHANGE_LAG_MS,
      )
      .sort((a, b) => b.event.at - a.event.at)[0]?.event;
    add({
      node: { ...alertNode!, depth: 1 },
      path: [alertNode!],
      troubles: [trouble],
      own: true,
      category: 'traffic_spike',
      onset: anomaly.onset,
      change: trigger,
      origin: trigger ? undefined : risingOrigin(ctx.origins),
    });
    break;
  }

  // An echo never outranks its source, however deep it was reached.
  const sources = candidates.map((c) => echoed(c, candidates));
  candidates.forEach((c, i) => {
    const source = sources[i];
    if (source) c.score = Math.min(c.score - ECHO_PENALTY, source.score - 0.01);
  });
  // Trouble that began after the alerting service was already failing follows from the outage (clients
  // moving to a new primary, retries piling up); it is a cause only when nothing began before.
  // A host found down has no onset of its own to compare.
  const late = (c: Candidate) => c.node.depth > 0 && c.onset > symptomOnset + LATE_SLACK_MS && !c.troubles.some((t) => t.source === 'host');
  for (const c of candidates) if (late(c)) c.score -= LATE_PENALTY;
  candidates.sort((a, b) => b.score - a.score || a.onset - b.onset || a.culprit.localeCompare(b.culprit));
  const [best, second] = candidates;
  return {
    candidates,
    symptomOnset,
    features: {
      depth: best?.node.depth ?? 0,
      own: best?.own ?? false,
      sourceKinds: best ? new Set(best.troubles.map((t) => t.source)).size : 0,
      margin: best ? best.score - (second?.score ?? 0) : 0,
      change: !!best?.change,
      candidates: candidates.length,
    },
  };
}

const REMEDIATION: Record<RcaCategory, string> = {
  deployment: 'Roll back the release named above, then compare its diff with the failing lines.',
  config_change: 'Revert the configuration change named above and confirm the errors stop.',
  cpu_saturation: 'Find and stop or throttle what is using the CPU on the component named above; add capacity if it is demand.',
  memory_exhaustion: 'Restart or scale the component that ran out of memory and find what holds the memory.',
  disk_full: 'Free space on the named component (stop what is writing, rotate or move data), then add an alert on disk headroom.',
  dependency_failure: 'Fail over or degrade around the dependency named above and contact its owner or vendor.',
  database: 'Relieve the database named above (kill the blocking sessions, free connections) and find what took them.',
  network: 'Check the network path or resolver named above and move traffic away from it.',
  certificate: 'Renew or re-chain the certificate named above and check the trust store of its clients.',
  traffic_spike: 'Rate-limit or block the origin named above, or scale out for it.',
  host_failure: 'Take the host named above out of rotation and replace it.',
};

/** Evidence items for a candidate: each trouble as a claim, linked into Datadog where a query says where. */
function evidenceOf(c: Candidate, links: DatadogLinks | undefined): EvidenceItem[] {
  const items = c.troubles.slice(0, 4).map((t) => ({
    claim: t.claim,
    source: t.source,
    ...(t.link ? { link: t.link } : links && t.query ? { link: t.source === 'metrics' ? links.metric(t.query) : links.logs(t.query) } : {}),
  }));
  if (c.change)
    items.unshift({
      claim: `change at ${hhmm(c.change.at)} UTC: "${c.change.title}"`,
      source: 'events',
      ...(links ? { link: links.events(c.change.title.slice(0, 60)) } : {}),
    });
  return items;
}

/**
 * Which of the group's alerts is the symptom nearest the cause: the one whose service or host is
 * deepest on the chain to the chosen candidate (the culprit itself first), else the first to fire.
 */
function nearestMember(group: GroupEvidence, best: Candidate): string {
  const depthOf = new Map(best.path.map((n) => [n.name.toLowerCase(), n.depth] as const));
  const depth = (m: GroupEvidence['members'][number]) =>
    Math.max(-1, ...[m.service, m.hostname].flatMap((x) => (x ? [depthOf.get(x.toLowerCase()) ?? -1] : [])));
  const nearest = [...group.members].sort((a, b) => depth(b) - depth(a) || a.at.localeCompare(b.at))[0];
  const name = (m: GroupEvidence['members'][number]) =>
    `${m.monitorName ?? `monitor ${m.monitorId}`}${m.service || m.hostname ? ` (${[m.service, m.hostname].filter(Boolean).join(' on ')})` : ''}`;
  if (!nearest || depth(nearest) < 0) return `Of the group's ${group.memberCount} alerts, ${group.firstToFire} fired first.`;
  return `Of the group's ${group.memberCount} alerts, ${name(nearest)} is nearest the cause.`;
}

/** The report of a conclusion, with the confidence its features earn. */
export function reportOf(conclusion: Conclusion, ctx: ConcludeContext, readings: Readings, confidence: number): SubmittedReport {
  const service = ctx.alert.service ?? ctx.alert.hostname ?? 'the alerting service';
  // One hypothesis per culprit: two troubles of one component, or one change over two, are one explanation.
  const top = conclusion.candidates.filter((c, i, all) => all.findIndex((o) => o.culprit === c.culprit) === i).slice(0, 5);
  const best = top[0];
  const maxScore = Math.max(1, ...top.map((c) => c.score));
  const hypotheses: Hypothesis[] = top.map((c) => ({
    category: c.category,
    culprit: c.culprit,
    statement: c.statement,
    score: Math.round((c.score / (maxScore + 0.5)) * 100) / 100,
    supporting: evidenceOf(c, ctx.links),
    against: [],
  }));
  const missing = readings.failed.map((f) => `${f.call.name} ${JSON.stringify(f.call.input)} failed: ${f.error}`);
  if (!best) {
    // Nothing reports trouble of its own: the latest change that touches the alerting service is the only lead left,
    // said as such and weighed as no answer (its confidence stays that of finding nothing).
    const lead = changeTouching(ctx, readings, conclusion.symptomOnset);
    const leadStatement =
      lead &&
      `${clip(lead.event.title, 120)} (${hhmm(lead.event.at)} UTC: ${clip(lead.event.text.replace(/\s+/g, ' '), 200)}) is the latest change that touches ${service} (by "${lead.by}"); nothing on its chain reports trouble of its own.`;
    const category = lead ? (lead.change.category === 'trigger' ? 'dependency_failure' : lead.change.category) : 'dependency_failure';
    return {
      summary: `${service} is failing, and nothing it names reports trouble of its own in what the investigation read.`,
      root_cause: leadStatement
        ? `No component on ${service}'s chain reports its own trouble; the only lead: ${leadStatement}`
        : `No component on ${service}'s chain reports its own trouble; the cause is not in the data read.`,
      category,
      confidence: Math.min(confidence, 0.1),
      hypotheses: [
        {
          category,
          culprit: lead ? clip(lead.event.title, 120) : service,
          statement: leadStatement ?? `${service} fails for a reason the evidence does not show.`,
          score: 0,
          supporting: [],
          against: [],
        },
      ],
      evidence: [],
      remediation: [
        lead
          ? `Check whether "${clip(lead.event.title, 80)}" broke ${service}, and roll it back if so.`
          : 'Read the failing lines of the alerting service and name what they fail against.',
      ],
      missing_data: [...missing, 'no component on the chain reports its own trouble'],
    };
  }
  const nearest = ctx.group && nearestMember(ctx.group, best);
  return {
    summary: `${service} started failing around ${hhmm(conclusion.symptomOnset)} UTC. ${best.statement}${nearest ? ` ${nearest}` : ''}`,
    root_cause: best.statement,
    category: best.category,
    confidence,
    hypotheses,
    evidence: evidenceOf(best, ctx.links),
    remediation: [REMEDIATION[best.category]],
    missing_data: missing,
  };
}
