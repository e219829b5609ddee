import type { Triage, TriageContext } from './triage';

/** The hidden line that identifies a triage's comment, so a retried post finds it instead of posting twice. */
export const commentMarker = (workflowId: string) => `<!-- rayne:${workflowId} -->`;

// GitHub refuses comments over 65,536 characters.
const MAX_COMMENT_CHARS = 60_000;

const KIND_NAMES: Record<Triage['kind'], string> = {
  bug: 'Bug',
  incident: 'Incident',
  question: 'Question',
  feature_request: 'Feature request',
};

/**
 * Analyst text made safe to post: no @-mentions that would notify people (a zero-width joiner
 * breaks them), no HTML comments (only Rayne writes its marker), no raw HTML tags.
 */
export function neutralise(text: string): string {
  return text
    .replace(/<!--|-->/g, '')
    .replace(/<(\/?[a-zA-Z][^>]*)>/g, '&lt;$1&gt;')
    .replace(/(^|[^\w`])@(?=[A-Za-z0-9])/g, '$1@\u200d');
}

export interface CommentMeta {
  workflowId: string;
  analyst: string;
  model?: string;
  /** Where people can see the run (Temporal Web UI), when known. */
  runUrl?: string;
}

/** The triage as one Markdown comment, ending with the marker. */
export function renderComment(
  triage: Triage,
  context: Pick<TriageContext, 'similarIncidents' | 'recentAlerts'>,
  meta: CommentMeta,
): string {
  const safe = neutralise;
  const lines = [
    `### Rayne triage: ${KIND_NAMES[triage.kind]} (confidence ${Math.round(triage.confidence * 100)}%)`,
    '',
    safe(triage.summary),
    '',
    `**Diagnosis.** ${safe(triage.diagnosis)}`,
  ];
  if (triage.affected_service) lines.push('', `**Affected service:** \`${safe(triage.affected_service).replace(/`/g, '')}\``);
  if (triage.duplicates.length) {
    lines.push(
      '',
      '**Possible duplicates**',
      ...triage.duplicates.map((d) => `- ${safe(d.url)}${d.title ? ` (${safe(d.title)})` : ''}: ${safe(d.reason)}`),
    );
  }
  const incidents = context.similarIncidents.slice(0, 3);
  if (incidents.length) {
    lines.push(
      '',
      '**Similar past incidents**',
      ...incidents.map((i) => `- ${safe(i.title)}${i.rootCause ? `: ${safe(i.rootCause)}` : ''}${i.url ? ` ([report](${i.url}))` : ''}`),
    );
  }
  if (triage.next_steps.length) lines.push('', '**Next steps**', ...triage.next_steps.map((s, i) => `${i + 1}. ${safe(s)}`));
  if (triage.suggested_labels.length)
    lines.push('', `**Suggested labels:** ${triage.suggested_labels.map((l) => `\`${safe(l).replace(/`/g, '')}\``).join(', ')}`);
  const by = meta.model ? `${meta.analyst} (${meta.model})` : meta.analyst;
  lines.push(
    '',
    `<sub>Triaged by Rayne with the ${by} analyst · ${meta.runUrl ? `[run ${meta.workflowId}](${meta.runUrl})` : `run ${meta.workflowId}`}</sub>`,
  );
  const body = lines.join('\n');
  const marker = commentMarker(meta.workflowId);
  return `${body.length > MAX_COMMENT_CHARS ? `${body.slice(0, MAX_COMMENT_CHARS)}\n\n[truncated]` : body}\n\n${marker}`;
}
