import type { ServiceDependencies } from '../datadog/apm';

/**
 * What ties an alert to the alerts of its outage beyond a shared host or service (issue 21, item 2):
 * the service map, the change it runs, and the dependencies and zones its text names. A member joins
 * an open group when its names meet a member's names, or its mentions meet a member's names or
 * places, or the other way round (GroupStore.join). Places never meet places: two alerts in one zone
 * are unrelated until one of them says the zone is in trouble. A burst scope joins alerts only while
 * many fire in it at once.
 */
export interface MemberLinks {
  /**
   * What the alert is about: its service and host, its change (`change:…`), addresses its text
   * names, and a failing name lookup (`cause:dns@{cluster}`: a resolver's outage fails every caller's lookups).
   */
  names: string[];
  /** Where it runs (zone tags): joined only by an alert whose text names the place. */
  places: string[];
  /** What it points at: its service's neighbours in the service map, and the words of its title and message. */
  mentions: string[];
  /** The host it is about, for the shared-host link; absent for a probe (a synthetic test, a URL check), whose host only ran it. */
  host?: string;
  /**
   * Scopes whose simultaneous trouble is one outage, joined only within BURST_S (burstGroups): its
   * Kubernetes cluster (`cluster:{name}`), the cluster's own platform when the alert is about its
   * nodes, network or DNS (`platform:{name}`), lost hosts (LOST_HOSTS), and its symptom as its
   * title says it without its own service and host (`symptom:{words}`).
   */
  bursts: string[];
}

/** Seconds within which alerts of a burst scope fire together. */
export const BURST_S = 120;
/** Hosts lost within BURST_S that make one outage (a bad kernel or agent update, a hypervisor, a power feed). */
export const LOST_HOSTS_AT_ONCE = 3;
export const LOST_HOSTS = 'lost-hosts';
/** Services or hosts with the same symptom within BURST_S that make one outage (429s everywhere at once). */
export const SAME_SYMPTOM_AT_ONCE = 3;

/** A member of an open group that alerted within BURST_S of the joining one, with a burst scope in common. */
export interface RecentMember {
  groupId: string;
  bursts: string[];
  /** Its host, else its service: what a lost host is counted by. */
  subject: string;
}

/**
 * The groups a member joins through its burst scopes. Services of one cluster join while the
 * cluster's own platform alerts in the same minutes (many services failing with it is the platform's
 * outage; without it, a service's trouble says nothing about its neighbours'). Hosts lost join once
 * LOST_HOSTS_AT_ONCE are lost together.
 */
export function burstGroups(links: MemberLinks, subject: string | undefined, recent: RecentMember[]): string[] {
  const groups = new Set<string>();
  const clusters = links.bursts.filter((b) => b.startsWith('cluster:'));
  for (const cluster of clusters) {
    const platform = cluster.replace('cluster:', 'platform:');
    if (!links.bursts.includes(platform) && !recent.some((r) => r.bursts.includes(platform))) continue;
    recent.filter((r) => r.bursts.includes(cluster)).forEach((r) => groups.add(r.groupId));
  }
  const together = (scope: string, atOnce: number) => {
    const others = recent.filter((r) => r.bursts.includes(scope) && r.subject !== subject);
    if (new Set(others.map((r) => r.subject)).size >= atOnce - 1) others.forEach((r) => groups.add(r.groupId));
  };
  if (links.bursts.includes(LOST_HOSTS)) together(LOST_HOSTS, LOST_HOSTS_AT_ONCE);
  for (const symptom of links.bursts.filter((b) => b.startsWith('symptom:'))) together(symptom, SAME_SYMPTOM_AT_ONCE);
  return [...groups];
}

/** What the links are read from: the alert's own service and host, its tags, its text. */
export interface LinkedAlert {
  service?: string;
  hostname?: string;
  tags: string[];
  title?: string;
  message?: string;
  /** Datadog's monitor type and the alert's scope: a probe's host is where it ran, not what failed. */
  monitorType?: string;
  scope?: string;
}

/**
 * How far apart two services in the map may be and still join: 1, a direct call either way. Two
 * hops would join every pair of callers of a shared dependency (a database, an auth service) even
 * when the dependency is healthy, which merges unrelated outages; a storm's callers still meet
 * through the dependency's own alert, or through a caller between them.
 */
export const TOPOLOGY_HOPS = 1;

/** Tags that name the change a service runs (Datadog's unified service tagging and common deploy tags). */
const CHANGE_TAG_KEYS = ['version', 'git.commit.sha', 'git_commit', 'commit', 'deploy_id', 'release'];
// A bare version number ("1.2.0") or a moving label is shared by unrelated services by coincidence.
const UNSPECIFIC_CHANGE = /^(v?\d+([.\-_]\d+)*|latest|stable|main|master|head|prod|production|staging)$/i;
const ZONE_TAG_KEYS = ['availability-zone', 'availability_zone', 'zone', 'kube_zone', 'topology.kubernetes.io/zone'];

// A word of the text: letters, digits, ".", "-", "_"; shorter ones and pure numbers name nothing.
const WORD = /[a-z0-9][a-z0-9._-]*[a-z0-9]/g;
const MIN_WORD = 4;
// An address the text names: an IPv4 (a port is a word of its own) or a DNS name under a suffix hosts use.
const IPV4 = /^\d{1,3}(\.\d{1,3}){3}$/;
const DNS_NAME = /^[a-z0-9-]+(\.[a-z0-9-]+)*\.(internal|local|svc|cluster|lan|corp|intra|example|com|net|org|io|cloud)$/;
// A failed name lookup as resolvers and clients word it, or a resolver's own service: the cluster's DNS is the cause they share.
const DNS_FAILURE = /\blookup \S+( on \S+)?: (i\/o timeout|no such host|server misbehaving)|\bSERVFAIL\b|\bwait[s]? [^.]* for DNS\b/i;
const DNS_SERVICES = ['coredns', 'kube-dns', 'dnsmasq', 'unbound', 'node-local-dns'];
// An alert about a cluster's own platform: a node, the pod network, the cluster's DNS.
const PLATFORM_TAG_KEYS = ['kube_node', 'kube_daemon_set'];
const PLATFORM_NAMESPACES = ['kube-system', 'calico-system', 'tigera-operator', 'cilium'];
const PLATFORM_SERVICES = [...DNS_SERVICES, 'kubernetes', 'kubelet', 'kube-proxy', 'calico-node', 'cilium', 'flannel'];
// A host or node itself gone: its agent silent, its instance check failing, its kernel panicked.
const HOST_LOST = /\bnot reporting\b|\bstatus checks? (failed|failing)\b|\bNotReady\b|\bkernel panic|\bhost (is )?down\b/i;
/** Mentions kept per alert: a long message template must not make a member match everything. */
const MAX_MENTIONS = 200;

/** Services one call away from `service` in the map, either direction, within TOPOLOGY_HOPS. */
export function connectedServices(map: ServiceDependencies, service: string, hops = TOPOLOGY_HOPS): string[] {
  const neighbours = new Map<string, Set<string>>();
  const link = (a: string, b: string) => {
    if (!neighbours.has(a)) neighbours.set(a, new Set());
    neighbours.get(a)!.add(b);
  };
  for (const [caller, callees] of Object.entries(map))
    for (const callee of callees) {
      link(caller, callee);
      link(callee, caller);
    }
  const reached = new Set([service]);
  let frontier = [service];
  for (let hop = 0; hop < hops; hop++) {
    frontier = frontier.flatMap((s) => [...(neighbours.get(s) ?? [])].filter((n) => !reached.has(n)));
    frontier.forEach((n) => reached.add(n));
  }
  reached.delete(service);
  return [...reached].sort();
}

const tagValues = (tags: string[], keys: string[]) =>
  tags.flatMap((tag) => {
    const at = tag.indexOf(':');
    return at > 0 && keys.includes(tag.slice(0, at).toLowerCase())
      ? [
          tag
            .slice(at + 1)
            .trim()
            .toLowerCase(),
        ]
      : [];
  });

/** Words of the text, and each pair of neighbouring words hyphenated ("internal gateway" names internal-gateway). */
function wordsOf(text: string): string[] {
  const words = text.toLowerCase().match(WORD) ?? [];
  const pairs = words.slice(1).map((w, i) => `${words[i]}-${w}`);
  // A k8s service's DNS name ("kyc-orchestrator.svc") names the service too.
  const firstLabels = words.filter((w) => w.includes('.')).map((w) => w.split('.')[0]!);
  return [...words, ...pairs, ...firstLabels].filter((w) => w.length >= MIN_WORD && (/[a-z]/.test(w) || IPV4.test(w)));
}

/**
 * The alert's links. `map` is the account's service map (absent: no Datadog or no APM), whose
 * neighbours of the alert's service become mentions.
 */
export function memberLinks(alert: LinkedAlert, map?: ServiceDependencies): MemberLinks {
  const host = isProbe(alert) || watchesServiceOnly(alert) ? undefined : alert.hostname;
  const own = [alert.service, host].filter((v): v is string => !!v).map((v) => v.toLowerCase());
  const text = `${alert.title ?? ''} ${alert.message ?? ''}`;
  const words = [...new Set(wordsOf(text))];
  const addresses = words.filter((w) => IPV4.test(w) || DNS_NAME.test(w));
  const changes = tagValues(alert.tags, CHANGE_TAG_KEYS)
    .filter((v) => v && !UNSPECIFIC_CHANGE.test(v))
    .map((v) => `change:${v}`);
  const dns = DNS_FAILURE.test(text) || DNS_SERVICES.includes(alert.service ?? '');
  const cluster = tagValues(alert.tags, ['kube_cluster_name'])[0];
  const neighbours = alert.service && map ? connectedServices(map, alert.service).map((s) => s.toLowerCase()) : [];
  const places = [...new Set(tagValues(alert.tags, ZONE_TAG_KEYS).filter(Boolean))];
  // Naming the zone it runs in describes the alert ("edge-gw-01 (us-east-1a) not reporting"); naming another points at it.
  const mentions = [...new Set([...neighbours, ...words])].filter((w) => !own.includes(w) && !places.includes(w)).slice(0, MAX_MENTIONS);
  return {
    names: [...new Set([...own, ...changes, ...addresses, ...(dns ? [`cause:dns@${cluster ?? ''}`] : [])])],
    places,
    mentions,
    ...(host ? { host } : {}),
    bursts: [
      ...(cluster ? [`cluster:${cluster}`, ...(aboutPlatform(alert, text) ? [`platform:${cluster}`] : [])] : []),
      ...(HOST_LOST.test(text) ? [LOST_HOSTS] : []),
      ...symptomOf(alert.title, own),
    ],
  };
}

// What a title says apart from who: the trigger's prefix ([Triggered on {host:…}]) and the alert's own names.
const TITLE_PREFIX = /\[[^\]]*\]|\{[^}]*\}|\(\s*\)/g;
/** A symptom has at least this many letters once its subject is gone: "down" alone is every monitor's. */
const MIN_SYMPTOM = 12;

/** The alert's symptom as a burst scope (`symptom:rejecting requests with 429`), when its title names its own subject. */
function symptomOf(title: string | undefined, own: readonly string[]): string[] {
  if (!title || own.length === 0) return [];
  let text = title.toLowerCase().replace(TITLE_PREFIX, ' ');
  if (!own.some((o) => text.includes(o))) return [];
  for (const o of own) text = text.split(o).join(' ');
  const symptom = text.replace(TITLE_PREFIX, ' ').replace(/\s+/g, ' ').trim();
  return symptom.replace(/[^a-z]/g, '').length >= MIN_SYMPTOM ? [`symptom:${symptom}`] : [];
}

// A check that probes a test, URL or endpoint from somewhere: its scope names what it probes, not a host.
const PROBE_SCOPE = /^(test_id|url|instance|endpoint|check):/i;

/** A synthetic test or a URL check: it runs from a location (a host shared by unrelated probes) about something else. */
const isProbe = (alert: LinkedAlert) =>
  /synthetics/i.test(alert.monitorType ?? '') || (!!alert.scope && alert.scope.split(',').every((s) => PROBE_SCOPE.test(s.trim())));

/**
 * A monitor scoped by service and not by host watches the service: the host on its event is one of
 * the service's (a Kubernetes node its pod ran on), shared by unrelated workloads. A host in trouble
 * still joins it through the host's own alert, which names the host.
 */
const watchesServiceOnly = (alert: LinkedAlert) => {
  const scope = (alert.scope ?? '').split(',').map((s) => s.trim().toLowerCase());
  return scope.some((s) => s.startsWith('service:')) && !scope.some((s) => s.startsWith('host:'));
};

/** Whether the alert is about its cluster's platform (a node, the pod network, the cluster's DNS) rather than a workload on it. */
const aboutPlatform = (alert: LinkedAlert, text: string) =>
  tagValues(alert.tags, PLATFORM_TAG_KEYS).length > 0 ||
  tagValues(alert.tags, ['kube_namespace']).some((ns) => PLATFORM_NAMESPACES.includes(ns)) ||
  PLATFORM_SERVICES.includes((alert.service ?? '').toLowerCase()) ||
  HOST_LOST.test(text);
