import type { Triage, TriageContext } from './triage';
import type { IssueKind } from '../contracts/triage';

type Signals = ReadonlyArray<[pattern: RegExp, weight: number]>;

/** Words that mark each kind of issue; a label the author already set counts most. */
const KIND_SIGNALS: Record<IssueKind, Signals> = {
  incident: [
    [/\b(outage|incident|sev ?[0-3]|degraded|unavailable|is down|went down|paged|on-?call)\b/gi, 2],
    [/\b(production|prod|customers?|users are|error rate|latency|timeouts?|5\d\d|502|503|504|alerts?|alerting|monitor)\b/gi, 1],
  ],
  bug: [
    [/\b(bug|regression|crash(es|ed|ing)?|exception|stack ?trace|traceback|panic|segfault)\b/gi, 2],
    [
      /\b(errors?|broken|fails?|failing|failed|wrong|unexpected|doesn'?t work|does not work|steps to reproduce|expected behaviou?r|actual behaviou?r)\b/gi,
      1,
    ],
  ],
  question: [
    [/\b(how (do|can|should|to)|is (it|there) (a way|possible)|what is the|why does|question)\b/gi, 2],
    [/\?(\s|$)/g, 1],
  ],
  feature_request: [
    [
      /\b(feature request|enhancement|proposal|would be (nice|great|helpful)|add support|support for|please add|it would help|allow (us|users|me) to)\b/gi,
      2,
    ],
    [/\b(feature|request|suggestion|idea|option to)\b/gi, 1],
  ],
};

const LABEL_KINDS: Record<string, IssueKind> = {
  bug: 'bug',
  incident: 'incident',
  outage: 'incident',
  question: 'question',
  support: 'question',
  enhancement: 'feature_request',
  feature: 'feature_request',
  'feature request': 'feature_request',
};

export const KIND_LABELS: Record<IssueKind, string> = {
  bug: 'bug',
  incident: 'incident',
  question: 'question',
  feature_request: 'enhancement',
};

/** An earlier issue scoring this much (cosine) is offered as a duplicate. */
export const DUPLICATE_MIN_SCORE = 0.6;

/** Each kind's score for the issue, and why: keyword weights, labels already set, what it mentions. */
export function scoreKinds(context: Pick<TriageContext, 'issue' | 'mentions' | 'recentAlerts'>): {
  scores: Record<IssueKind, number>;
  reasons: string[];
} {
  const text = `${context.issue.title}\n${context.issue.body}`;
  const scores: Record<IssueKind, number> = { incident: 0, bug: 0, question: 0, feature_request: 0 };
  const reasons: string[] = [];
  for (const [kind, signals] of Object.entries(KIND_SIGNALS) as Array<[IssueKind, Signals]>) {
    for (const [pattern, weight] of signals) {
      const hits = text.match(pattern)?.length ?? 0;
      // A word repeated ten times is not ten times the evidence.
      scores[kind] += Math.min(hits, 3) * weight;
    }
  }
  for (const label of context.issue.labels) {
    const kind = LABEL_KINDS[label.toLowerCase()];
    if (kind) {
      scores[kind] += 5;
      reasons.push(`labelled "${label}"`);
    }
  }
  const named = context.mentions.services.length + context.mentions.hosts.length + context.mentions.monitors.length;
  if (named > 0) {
    scores.incident += 2;
    reasons.push(`names ${named} monitored service(s), host(s) or monitor(s)`);
  }
  if (context.recentAlerts.some((a) => a.status === 'Alert')) {
    scores.incident += 2;
    reasons.push('what it names alerted recently');
  }
  return { scores, reasons };
}

/** The kind with the highest score (bug on a tie with nothing said), and how far ahead it is. */
export function classifyIssue(context: Pick<TriageContext, 'issue' | 'mentions' | 'recentAlerts'>): {
  kind: IssueKind;
  margin: number;
  reasons: string[];
} {
  const { scores, reasons } = scoreKinds(context);
  const ranked = (Object.entries(scores) as Array<[IssueKind, number]>).sort(
    (a, b) => b[1] - a[1] || (a[0] === 'bug' ? -1 : b[0] === 'bug' ? 1 : 0),
  );
  const [[kind, best], [, second]] = ranked as [[IssueKind, number], [IssueKind, number]];
  reasons.unshift(`kind ${kind}: score ${best} against ${second} for the next kind`);
  return { kind, margin: best - second, reasons };
}

const NEXT_STEPS: Record<IssueKind, string[]> = {
  incident: [
    "Check the affected service's monitors and dashboards in Datadog for the time the issue names.",
    'Look for deployments or configuration changes shortly before the problem started.',
    'If it is still happening, open an incident and page the service owner.',
  ],
  bug: [
    'Reproduce it with the steps in the issue (ask the author for them if missing).',
    'Find the change that introduced it (recent deployments, the version the author runs).',
    'Add a regression test with the fix.',
  ],
  question: ['Answer in the issue, and link the documentation that covers it (or note that it is missing).'],
  feature_request: [
    'Decide whether it fits the roadmap, and label or close it accordingly.',
    'Ask the author for the use case if it is not clear.',
  ],
};

/**
 * The offline triage: keyword and label rules for the kind, earlier issues above a similarity
 * bar as duplicates, the named (or recently alerting) service, and a diagnosis from Rayne's own
 * RCAs and similar incidents. Returns its reasoning beside the triage.
 */
export function triageOffline(context: TriageContext): { triage: Triage; reasoning: string[] } {
  const { kind, margin, reasons } = classifyIssue(context);
  const duplicates = context.similarIssues
    .filter((s) => s.score >= DUPLICATE_MIN_SCORE && s.url)
    .slice(0, 3)
    .map((s) => ({ url: s.url!, title: s.title, reason: `reads alike (similarity ${s.score.toFixed(2)})` }));
  const alertWithCause = context.recentAlerts.find((a) => a.rootCause);
  const service = context.mentions.services[0] ?? alertWithCause?.service ?? context.recentAlerts[0]?.service ?? null;
  const incident = context.similarIncidents[0];

  const diagnosis = [
    duplicates[0] && `This looks like ${duplicates[0].url} ("${duplicates[0].title}").`,
    alertWithCause &&
      `Rayne's RCA of the ${alertWithCause.monitorName ?? `monitor ${alertWithCause.monitorId}`} alert at ${alertWithCause.at} found: ${alertWithCause.rootCause}`,
    !alertWithCause &&
      incident?.rootCause &&
      `It resembles a past incident, "${incident.title}", whose root cause was: ${incident.rootCause}`,
    !duplicates[0] &&
      !alertWithCause &&
      !incident?.rootCause &&
      'Nothing Rayne has seen (alerts, past incidents, earlier issues) matches it closely; the diagnosis needs a person.',
  ]
    .filter((line): line is string => typeof line === 'string')
    .join(' ');

  const labels = [KIND_LABELS[kind], ...(duplicates.length ? ['duplicate'] : [])];
  // Sure of the kind by the margin; of the diagnosis only as far as Rayne's own records back it.
  const backing = (duplicates.length ? 0.15 : 0) + (alertWithCause ? 0.15 : 0) + (!alertWithCause && incident?.rootCause ? 0.1 : 0);
  const confidence = Math.min(0.85, 0.3 + 0.05 * margin + backing);
  return {
    triage: {
      kind,
      summary: `${context.issue.title.trim() || `Issue #${context.issue.number}`}${service ? ` (service ${service})` : ''}.`,
      duplicates,
      affected_service: service,
      suggested_labels: labels,
      diagnosis,
      next_steps: duplicates.length
        ? [`Compare with ${duplicates[0]!.url} and close one as a duplicate if they match.`, ...NEXT_STEPS[kind]]
        : NEXT_STEPS[kind],
      confidence: Math.round(confidence * 100) / 100,
    },
    reasoning: [
      ...reasons,
      ...(duplicates.length ? [`${duplicates.length} earlier issue(s) score ${DUPLICATE_MIN_SCORE} or more`] : []),
      ...(alertWithCause ? [`a recent alert of what it names has an RCA (event ${alertWithCause.eventId})`] : []),
    ],
  };
}
