import type { AlertContext } from '../../contracts/rca';
import { escapeRegExp } from '../../text-format';
import { callKey } from '../claude-tools';
import { type Entity, entitiesIn, mentionOf, PRIVATE_ZONE } from './entities';
import { EGRESS, OWN_KINDS, reasonIn, technologiesIn } from './knowledge';
import { isFailing, type Observation, type PolicyCall, type Readings, type SeenLine, readingsOf } from './observations';
import { failingDependency } from './service-map';

/**
 * The investigating analyst's policy: which tool calls to make next. It starts at the alerting
 * service's failing lines, takes the components they name (hosts, addresses, domains, objects)
 * and the component kinds their stated reasons point at, and follows each: its own logs, its
 * metrics, its host. A component that reports its own trouble is followed in turn, to a bounded
 * depth. It is a pure function of what was read, so a resumed run makes the same calls.
 */

export const POLICY_LIMITS = {
  /** Tool calls in one investigation. */
  maxCalls: 40,
  /** How far from the alerting service the chain is followed. */
  maxDepth: 3,
  /** Components followed from one component's failing lines. */
  fanOut: 4,
};

/** Logs and metrics are read this far back: far enough to see a baseline before the trouble. */
export const LOOKBACK_MS = 2 * 60 * 60_000;
/** Changes precede their symptoms by hours, and land a few minutes after an alert. */
export const CHANGE_LOOKBACK_MS = 3 * 60 * 60_000;
const CHANGE_LOOKAHEAD_MS = 10 * 60_000;

export type NodeShape = 'service' | 'host' | Entity['shape'];

/** A component on the chain: how it was reached, and how far from the alert. */
export interface ChainNode {
  key: string;
  name: string;
  shape: NodeShape;
  depth: number;
  parent?: string;
  /** Why it was followed, for the reasoning trail. */
  why: string;
}

export interface PolicyContext {
  alert: AlertContext;
  alertMs: number;
}

/** A line the miner found new in the window, or bursting against its own rate. */
export const isNewOrBursting = (l: SeenLine) => l.why.some((w) => w.startsWith('new') || /expected/.test(w));

/** Every service's errors in the window: read when the alerting service itself logs none (a synthetic check, a metric alert). */
export const EVERYTHING_FAILING = 'status:(error OR warn)';
/** The search for what other components write about a service. */
const mentionsQuery = (service: string) => `${quote(service)} -service:${service}`;
const lower = (s: string) => s.toLowerCase();
const quote = (s: string) => `"${s.replace(/["\\]/g, ' ').trim()}"`;

/** Lines a component wrote itself: its service, its host, or a domain whose first label is its host. */
export function ownLines(node: Pick<ChainNode, 'name' | 'shape'>, lines: readonly SeenLine[]): SeenLine[] {
  const names = new Set([lower(node.name), lower(node.name.split('.')[0]!)]);
  // An address's or a dotted object's first label (10, orders in orders.events) is not the thing itself.
  if ((node.shape === 'address' || node.shape === 'object') && node.name.includes('.')) names.delete(lower(node.name.split('.')[0]!));
  return lines.filter((l) => l.services.some((s) => names.has(lower(s))) || l.hosts.some((h) => names.has(lower(h))));
}

/** Entities named in lines, weighted by how many lines name them, without the ones to skip. */
export function namedEntities(lines: readonly SeenLine[], skip: ReadonlySet<string>): Entity[] {
  const weight = new Map<string, { entity: Entity; lines: number }>();
  for (const line of lines) {
    for (const entity of entitiesIn(`${line.example}\n${line.template}`)) {
      const key = lower(entity.name);
      if (skip.has(key) || skip.has(lower(entity.name.split('.')[0]!))) continue;
      const seen = weight.get(key) ?? { entity, lines: 0 };
      seen.lines += line.count;
      weight.set(key, seen);
    }
  }
  return [...weight.values()].sort((a, b) => b.lines - a.lines || a.entity.name.localeCompare(b.entity.name)).map((w) => w.entity);
}

// Words every service name shares, which name none of them.
const GENERIC_NAME_WORDS = new Set([
  'service',
  'svc',
  'api',
  'app',
  'server',
  'worker',
  'web',
  'backend',
  'frontend',
  'gateway',
  'prod',
  'internal',
]);

/** The services `service` calls in the map whose distinctive word (singular or plural) its failing lines use. */
export function calleesNamed(
  service: string,
  failing: readonly SeenLine[],
  dependencies: Readonly<Record<string, readonly string[]>>,
): string[] {
  const text = failing
    .map((l) => `${l.template}\n${l.example}`)
    .join('\n')
    .toLowerCase();
  return (dependencies[service] ?? []).filter((callee) =>
    callee
      .toLowerCase()
      .split(/[-_.]/)
      .filter((w) => w.length >= 4 && !GENERIC_NAME_WORDS.has(w))
      // As a word of a name too: be_scheduling and scheduling_db name scheduling.
      .some((w) => new RegExp(`(?<![a-z0-9])${escapeRegExp(w.replace(/s$/, ''))}s?(?![a-z0-9])`).test(text)),
  );
}

/** Hosts that wrote a component's failing lines: those stating trouble of their own first, then most lines. */
function hostsOf(lines: readonly SeenLine[]): string[] {
  const counts = new Map<string, number>();
  for (const l of lines) for (const h of l.hosts) counts.set(h, (counts.get(h) ?? 0) + l.count * (statesOwnTrouble(l) ? 1000 : 1));
  return [...counts.entries()].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0])).map(([h]) => h);
}

/** Whether a component's own lines, metrics or host say it is in trouble: the policy follows only those. */
export type TroubleTest = (node: ChainNode, readings: Readings) => boolean;

/**
 * The chain as far as the readings reach: the alerting service, its host, what its failing lines
 * name, and, below every component in trouble, what its own failing lines name and its host.
 */
export function chainOf(ctx: PolicyContext, readings: Readings, inTrouble: TroubleTest): ChainNode[] {
  const service = ctx.alert.service ?? ctx.alert.hostname ?? 'unknown';
  const nodes = new Map<string, ChainNode>();
  const add = (node: ChainNode) => {
    if (node.depth > POLICY_LIMITS.maxDepth || nodes.has(lower(node.name))) return;
    nodes.set(lower(node.name), node);
  };
  add({ key: lower(service), name: service, shape: ctx.alert.service ? 'service' : 'host', depth: 0, why: 'the alerting service' });
  if (ctx.alert.hostname && ctx.alert.service)
    add({
      key: lower(ctx.alert.hostname),
      name: ctx.alert.hostname,
      shape: 'host',
      depth: 1,
      parent: lower(service),
      why: 'the host the alert names',
    });
  const suspect = failingDependency(service, readings.dependencies, readings.spans);
  if (suspect)
    add({
      key: lower(suspect.service),
      name: suspect.service,
      shape: 'service',
      depth: 1,
      parent: lower(service),
      why: `the deepest dependency on the service map whose own spans fail, first (${suspect.path.join(' → ')})`,
    });
  const queue = [...nodes.values()];
  for (let node = queue.shift(); node; node = queue.shift()) {
    const before = new Set(nodes.keys());
    const child = (name: string, shape: NodeShape, why: string) =>
      add({ key: lower(name), name, shape, depth: node!.depth + 1, parent: node!.key, why });
    resolveAddress(node, readings, child);
    const added = () => [...nodes.values()].filter((n) => !before.has(n.key));
    // An address of ours that nothing resolves and nobody writes from (a game server's port), when the failure names no
    // service of ours either: what began failing may be behind it.
    if (node.depth === 1 && unresolvedOurs(node, readings) && added().length === 0 && !namesServiceOfOurs(nodes.values()))
      for (const name of failingElsewhere(readings, service, ctx.alertMs))
        child(name, 'service', `failing anew while ${node.name}, ours, is found nowhere`);
    // A thing the alerting service's errors name that is not a component (a database, a topic, an
    // address) is served by whoever else writes about it while failing; so is a service named there
    // that logs nothing wrong itself (the proxy in front of it is turning calls away).
    const quiet = (n: ChainNode) => n.shape === 'service' && ownLines(n, readings.lines).filter(isFailing).length === 0;
    if (node.depth === 1 && ((node.shape !== 'service' && node.shape !== 'host') || quiet(node)))
      for (const writer of writersAbout(node.name, readings, service, (l) => isFailing(l) || statesOwnTrouble(l)))
        child(writer.name, writer.shape, `writes about ${node.name} while failing`);
    // A server names its clients: one that reports its own trouble while naming the alerting service is serving it.
    if (node.depth === 0)
      for (const writer of writersAbout(node.name, readings, service, statesOwnTrouble))
        child(writer.name, writer.shape, `reports trouble of its own while naming ${node.name}`);
    if (node.depth > 0 && !inTrouble(node, readings)) {
      queue.push(...added());
      continue;
    }
    const failing = ownLines(node, readings.lines).filter(isFailing);
    // What others write of it counts too: a proxy in front failing with its name (be_storefront) is failing for it.
    if (node.depth === 0 && failing.length === 0)
      for (const name of failingElsewhere(readings, node.name, ctx.alertMs, () => true, [mentionsQuery(node.name)]))
        child(name, 'service', 'failing anew while the alerting service logs nothing');
    for (const entity of namedEntities(failing, new Set(nodes.keys())).slice(0, POLICY_LIMITS.fanOut))
      child(entity.name, entity.shape, `named in ${node.name}'s failing lines`);
    // A service it calls, named by its own word ("capture payment failed" names payments-service).
    for (const callee of calleesNamed(node.name, failing, readings.dependencies))
      child(callee, 'service', `named by its word in ${node.name}'s failing lines`);
    // With no map to say whom it calls, a service failing elsewhere that its words name is the callee.
    if (node.depth === 0)
      for (const callee of calleesNamed(node.name, failing, { [node.name]: failingElsewhere(readings, node.name, ctx.alertMs) }))
        child(callee, 'service', `failing elsewhere, named by its word in ${node.name}'s failing lines`);
    // Its lines lead nowhere: whatever else reports trouble of its own meanwhile (an edge blocking its callers) may be why.
    if (node.depth === 0 && leadsNowhere(nodes.values()))
      for (const name of failingElsewhere(readings, node.name, ctx.alertMs, statesOwnTrouble))
        child(name, 'service', `reports trouble of its own while ${node.name}'s lines lead nowhere`);
    // Whoever stated the same trouble first, in its own lines (the filer whose volume filled, the switch whose link
    // dropped): a resource shared is where the alerting service's trouble lives.
    if (node.depth === 0)
      for (const writer of sameTroubleFirst(readings, node.name, failing))
        child(writer.name, writer.shape, `states the trouble ${node.name} states, first`);
    for (const host of hostsOf(failing).slice(0, 2)) child(host, 'host', `a host where ${node.name} fails`);
    // Timing out or refused toward several public places at once: the way out they share (a NAT gateway, an egress proxy).
    if (node.depth === 0 && failsTowardPublicPlaces(failing))
      for (const word of EGRESS)
        for (const host of hostsFoundFor(word, readings)) child(host, 'host', `where traffic to the outside leaves (${word})`);
    // Quoting a server's own trouble without naming the server: the servers of that technology.
    if (node.depth === 0)
      for (const word of quotedServerWords(failing))
        for (const host of hostsFoundFor(word, readings)) child(host, 'host', `a ${word} server, whose own trouble ${node.name} quotes`);
    // A reason that says where such trouble lives (a resolver for failed lookups) leads to the components found there.
    for (const word of lookInWords(failing))
      for (const l of readings.lines.filter((x) => x.query === lookInQuery(word)))
        for (const s of l.services) child(s, 'service', `${word}: where "${reasonIn(`${failing[0]?.template}`)?.mechanism ?? word}" lives`);
    queue.push(...added());
  }
  return [...nodes.values()];
}

/** The technologies whose servers' own trouble failing lines quote (a client's "OOM command not allowed" is its Redis's). */
export function quotedServerWords(failing: readonly SeenLine[]): string[] {
  const texts = failing.map((l) => `${l.template}\n${l.example}`).filter((t) => reasonIn(t)?.quotesServer);
  return [...new Set(texts.flatMap((t) => [...(reasonIn(t)?.lookIn ?? []), ...technologiesIn(t)]))];
}

/** A private address or internal name that writes no lines of its own: the logs do not say what answers there. */
const unresolvedOurs = (node: ChainNode, readings: Readings) =>
  ((node.shape === 'address' && PRIVATE_ADDRESS.test(node.name)) || (node.shape === 'domain' && PRIVATE_ZONE.test(node.name))) &&
  ownLines(node, readings.lines).length === 0;

/** Whether the alerting service's failure already leads to a service (named, on the map, or where its reason lives). */
const namesServiceOfOurs = (nodes: Iterable<ChainNode>) => [...nodes].some((n) => n.depth === 1 && n.shape === 'service');

/** Whether nothing the alerting service's failure names leads anywhere: no component one step away but hosts. */
const leadsNowhere = (nodes: Iterable<ChainNode>) => ![...nodes].some((n) => n.depth === 1 && n.shape !== 'host');

/** Failures toward at least this many public places, timing out or refused, share the way out. */
const EGRESS_PLACES = 2;

/** Whether failing lines time out or are refused toward EGRESS_PLACES public names (someone else's: an API, a vendor). */
export function failsTowardPublicPlaces(failing: readonly SeenLine[]): boolean {
  const places = failing.flatMap((l) => {
    const text = `${l.template}\n${l.example}`;
    const kind = reasonIn(text)?.kind;
    if (kind !== 'timeout' && kind !== 'refusal') return [];
    return entitiesIn(text)
      .filter((e) => e.shape === 'domain' && !PRIVATE_ZONE.test(e.name))
      .map((e) => e.name);
  });
  return new Set(places).size >= EGRESS_PLACES;
}

/** The hosts the infrastructure search found for a word (a few: it matches names, tags and apps). */
export const hostsFoundFor = (word: string, readings: Readings): string[] =>
  readings.hosts.find((h) => !h.found && lower(h.hostname) === word)?.similar.slice(0, 3) ?? [];

/**
 * An address or a name says where, not what: the events that mention it name the host behind it
 * ("acct-app-04, 10.30.14.37"), which has logs, metrics and a state of its own.
 */
function resolveAddress(node: ChainNode, readings: Readings, child: (name: string, shape: NodeShape, why: string) => void): void {
  if (node.shape !== 'address' && node.shape !== 'domain') return;
  const at = lower(node.name);
  for (const e of readings.events.filter((x) => lower(`${x.title}\n${x.text}`).includes(at)))
    for (const entity of entitiesIn(`${e.title}\n${e.text}`).filter((x) => x.shape === 'host'))
      child(entity.name, 'host', `the host at ${node.name}`);
  // A domain is searched by its first label, an address whole (the infrastructure search matches it in a host's tags).
  const asked = node.shape === 'address' ? node.name : node.name.split('.')[0]!;
  const named = readings.hosts.find((h) => !h.found && lower(h.hostname) === lower(asked));
  for (const host of named?.similar.slice(0, 3) ?? []) child(host, 'host', `a host the name ${node.name} finds`);
}

const statesOwnTrouble = (l: SeenLine) => {
  const reason = reasonIn(`${l.template}\n${l.example}`);
  return !!reason && !reason.unrecognised && OWN_KINDS.has(reason.kind);
};

/**
 * The components other than the alerting service that wrote lines naming a thing, and that the
 * test accepts, most lines first.
 */
function writersAbout(
  name: string,
  readings: Readings,
  alertService: string,
  accept: (l: SeenLine) => boolean,
): Array<{ name: string; shape: NodeShape }> {
  const mention = mentionOf(name);
  return writersOf(
    readings.lines.filter((x) => accept(x) && mention.test(`${x.template}\n${x.example}`)),
    alertService,
  );
}

/** Who wrote lines, other than the alerting service: a service by its name, else the host; most lines first. */
function writersOf(lines: readonly SeenLine[], alertService: string): Array<{ name: string; shape: NodeShape }> {
  const counts = new Map<string, { name: string; shape: NodeShape; lines: number }>();
  for (const l of lines) {
    const writers = l.services.length
      ? l.services.map((s) => ({ name: s, shape: 'service' as const }))
      : l.hosts.map((h) => ({ name: h, shape: 'host' as const }));
    for (const w of writers.filter((x) => lower(x.name) !== lower(alertService))) {
      const seen = counts.get(lower(w.name)) ?? { ...w, lines: 0 };
      seen.lines += l.count;
      counts.set(lower(w.name), seen);
    }
  }
  return [...counts.values()].sort((a, b) => b.lines - a.lines || a.name.localeCompare(b.name)).slice(0, POLICY_LIMITS.fanOut);
}

/**
 * The services whose failures are new or bursting in the everything-failing search, most lines first.
 * A failure absent from the first half of the look-back is new too: a freshness alert fires long after its cause.
 */
function failingElsewhere(
  readings: Readings,
  alerting: string,
  alertMs: number,
  accept: (l: SeenLine) => boolean = () => true,
  alsoSearched: readonly string[] = [],
): string[] {
  const counts = new Map<string, number>();
  const fresh = (l: SeenLine) => isNewOrBursting(l) || l.firstSeen > alertMs - LOOKBACK_MS / 2;
  // Lines the everything-failing search found, or another search found first (a line is read once).
  const searched = new Set([EVERYTHING_FAILING, ...alsoSearched]);
  for (const l of readings.lines.filter((x) => searched.has(x.query) && isFailing(x) && fresh(x) && accept(x)))
    for (const s of l.services) if (lower(s) !== lower(alerting)) counts.set(s, (counts.get(s) ?? 0) + l.count);
  return [...counts.entries()]
    .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
    .slice(0, POLICY_LIMITS.fanOut)
    .map(([name]) => name);
}

/** Troubles that live on a resource others share: one component's report of it may be another's cause. */
const SHARED_TROUBLE = new Set(['disk_full', 'memory_exhaustion', 'network', 'certificate', 'database']);

/** The reasons (mechanisms) of shared trouble the alerting service's failing lines state, with when each began. */
function sharedTroublesStated(failing: readonly SeenLine[]): Map<string, number> {
  const began = new Map<string, number>();
  for (const l of failing) {
    const reason = reasonIn(`${l.template}\n${l.example}`);
    if (!reason || reason.unrecognised || !SHARED_TROUBLE.has(reason.category)) continue;
    began.set(reason.mechanism, Math.min(began.get(reason.mechanism) ?? Infinity, l.firstSeen));
  }
  return began;
}

/** The components, other than the alerting service, whose own lines state the trouble its failing lines state, first. */
function sameTroubleFirst(readings: Readings, alerting: string, failing: readonly SeenLine[]): Array<{ name: string; shape: NodeShape }> {
  const stated = sharedTroublesStated(failing);
  const first = (l: SeenLine) => {
    const reason = reasonIn(`${l.template}\n${l.example}`);
    return !!reason && !reason.unrecognised && OWN_KINDS.has(reason.kind) && l.firstSeen < (stated.get(reason.mechanism) ?? -Infinity);
  };
  return writersOf(
    readings.lines.filter((l) => (isFailing(l) || statesOwnTrouble(l)) && first(l)),
    alerting,
  );
}

/** The knowledge table's hints of where a failing line's trouble lives: its reason's, and the servers its client words speak of. */
export function lookInWords(failing: readonly SeenLine[]): string[] {
  return [
    ...new Set(
      failing.flatMap((l) => {
        const text = `${l.template}\n${l.example}`;
        return [...(reasonIn(text)?.lookIn ?? []), ...technologiesIn(text)];
      }),
    ),
  ].sort();
}

export const lookInQuery = (word: string) => `service:*${word}* status:(error OR warn)`;

/** The calls that read one component: its own lines and mentions, and for a host its metrics and state. */
export function callsFor(node: ChainNode, ctx: PolicyContext, isAlertService: boolean): PolicyCall[] {
  const logs = { from: ctx.alertMs - LOOKBACK_MS, to: ctx.alertMs };
  const metrics = { from: ctx.alertMs - LOOKBACK_MS, to: ctx.alertMs };
  if (isAlertService)
    return [
      { name: 'search_logs', input: { query: `service:${node.name} status:(error OR warn)`, ...iso(logs), limit: 1000 } },
      { name: 'get_events', input: iso({ from: ctx.alertMs - CHANGE_LOOKBACK_MS, to: ctx.alertMs + CHANGE_LOOKAHEAD_MS }) },
      { name: 'scope_metrics', input: { scope: `service:${node.name}`, ...iso(metrics) } },
      // What other components say about it: a server's own trouble names the clients it turns away.
      { name: 'search_logs', input: { query: mentionsQuery(node.name), ...iso(logs), limit: 1000 } },
    ];
  switch (node.shape) {
    case 'host':
      return [
        { name: 'search_logs', input: { query: `host:${node.name} OR ${quote(node.name)}`, ...iso(logs), limit: 1000 } },
        { name: 'host_metrics', input: { hostname: node.name, ...iso(metrics) } },
        { name: 'get_host', input: { hostname: node.name } },
      ];
    case 'service':
      return [
        { name: 'search_logs', input: { query: `service:${node.name} OR ${quote(node.name)}`, ...iso(logs), limit: 1000 } },
        { name: 'scope_metrics', input: { scope: `service:${node.name}`, ...iso(metrics) } },
      ];
    case 'domain': {
      const first = node.name.split('.')[0]!;
      return [
        { name: 'search_logs', input: { query: `${quote(node.name)} OR host:${first} OR service:${first}`, ...iso(logs), limit: 1000 } },
        // The hosts behind a name: the infrastructure list's search finds them when none is called that.
        { name: 'get_host', input: { hostname: first } },
      ];
    }
    case 'address':
      return [
        { name: 'search_logs', input: { query: quote(node.name), ...iso(logs), limit: 1000 } },
        // The host at a private address: the infrastructure search finds it by the address in its tags.
        ...(PRIVATE_ADDRESS.test(node.name) ? [{ name: 'get_host' as const, input: { hostname: node.name.replace(/:\d+$/, '') } }] : []),
      ];
    default:
      return [{ name: 'search_logs', input: { query: quote(node.name), ...iso(logs), limit: 1000 } }];
  }
}

/** Tags of a host found whose value is its own name, other than host: itself: the scopes its own metrics may be under. */
function identityScopes(name: string, readings: Readings): string[] {
  const host = readings.hosts.find((h) => h.found && lower(h.hostname) === lower(name));
  return (host?.tags ?? []).filter((t) => lower(t.slice(t.indexOf(':') + 1)) === lower(name) && !/^host:/i.test(t));
}

// Only one's own hosts carry private addresses; a public one is someone else's.
const PRIVATE_ADDRESS = /^(10\.|192\.168\.|172\.(1[6-9]|2\d|3[01])\.|100\.(6[4-9]|[7-9]\d|1[01]\d|12[0-7])\.)/;

/** The service map around the alerting service and every endpoint's spans: one call each per investigation, never one per service. */
const apmCalls = (ctx: PolicyContext): PolicyCall[] => [
  { name: 'service_dependencies', input: ctx.alert.service ? { service: ctx.alert.service } : {} },
  { name: 'span_aggregates', input: iso({ from: ctx.alertMs - LOOKBACK_MS, to: ctx.alertMs }) },
];

const iso = (r: { from: number; to: number }) => ({ from: new Date(r.from).toISOString(), to: new Date(r.to).toISOString() });

/** Tool name and input as one comparable string, whatever order the stored input's keys come back in. */
export const callId = (c: PolicyCall) => callKey(c.name, c.input);

/**
 * The next calls: every component on the chain not read yet, nearest first, within the call
 * budget; an empty list means the investigation has read all it will.
 */
export function nextCalls(ctx: PolicyContext, observations: readonly Observation[], inTrouble: TroubleTest): PolicyCall[] {
  const readings = readingsOf(observations);
  const made = new Set(observations.map((o) => callId(o.call)));
  const room = POLICY_LIMITS.maxCalls - observations.length;
  const chain = chainOf(ctx, readings, inTrouble).sort((a, b) => a.depth - b.depth);
  const wanted: PolicyCall[] = apmCalls(ctx);
  for (const node of chain) wanted.push(...callsFor(node, ctx, node.depth === 0));
  const expanded = chain.filter((n) => n.depth === 0 || inTrouble(n, readings));
  const failing = expanded.flatMap((n) => ownLines(n, readings.lines).filter(isFailing));
  const alertFailing = ownLines(chain[0]!, readings.lines).filter(isFailing);
  const searched = [...(failsTowardPublicPlaces(alertFailing) ? EGRESS : []), ...quotedServerWords(alertFailing)];
  wanted.push(...searched.map((word) => ({ name: 'get_host' as const, input: { hostname: word } })));
  // A NAT gateway or a managed cache the search found reports its metrics under a tag of its own name (natgatewayid:nat-0c4e…).
  const egress = new Set(searched.flatMap((word) => hostsFoundFor(word, readings)).map(lower));
  for (const node of chain.filter((n) => n.shape === 'host' && egress.has(lower(n.name))))
    for (const scope of identityScopes(node.name, readings))
      wanted.push({ name: 'scope_metrics', input: { scope, ...iso({ from: ctx.alertMs - LOOKBACK_MS, to: ctx.alertMs }) } });
  for (const word of lookInWords(failing))
    wanted.push({
      name: 'search_logs',
      input: { query: lookInQuery(word), ...iso({ from: ctx.alertMs - LOOKBACK_MS, to: ctx.alertMs }), limit: 1000 },
    });
  // The alerting service's own errors were read and there are none, or they lead nowhere, or to a place of ours
  // nothing resolves: look at what else is failing.
  const ownSearch = callsFor(chain[0]!, ctx, true)[0]!;
  const noLead =
    leadsNowhere(chain) ||
    (!namesServiceOfOurs(chain) &&
      chain.some((n) => n.depth === 1 && unresolvedOurs(n, readings) && !chain.some((c) => c.parent === n.key)));
  if (made.has(callId(ownSearch)) && (alertFailing.length === 0 || noLead || sharedTroublesStated(alertFailing).size > 0))
    wanted.push({
      name: 'search_logs',
      input: { query: EVERYTHING_FAILING, ...iso({ from: ctx.alertMs - LOOKBACK_MS, to: ctx.alertMs }), limit: 1000 },
    });
  const fresh = wanted.filter((c, i) => !made.has(callId(c)) && wanted.findIndex((w) => callId(w) === callId(c)) === i);
  return fresh.slice(0, Math.max(0, room));
}
