import { rankBySuspicion } from '../logs/suspicion';
import { TemplateMiner } from '../logs/template-miner';
import type { LogTemplateEvidence } from './bundle';
import { condenseMultiline } from './condense';
import type { LogSearch, StoredLogLine } from './sources';

const MAX_TEMPLATES = 40;

/** The level a template's lines mostly had. */
const dominantLevel = (levels: Record<string, number>) => Object.entries(levels).sort((a, b) => b[1] - a[1])[0]?.[0] ?? 'unknown';

/**
 * Mines prefetched log lines into templates and orders them by suspicion (new shortly before
 * the alert, bursting, error level), keeping the most suspicious.
 */
export function mineLogTemplates(lines: StoredLogLine[], alertTime: Date, windowMinutes?: number): LogTemplateEvidence[] {
  const miner = new TemplateMiner();
  for (const l of lines) miner.add(l.message, { at: new Date(l.at), host: l.host, service: l.service, level: l.status });
  return rankBySuspicion(miner.templates(), alertTime, { windowMinutes })
    .slice(0, MAX_TEMPLATES)
    .map(({ template: t, score, reasons }) => ({
      template: condenseMultiline(t.template, 500),
      count: t.count,
      firstSeen: (t.firstSeen ?? alertTime).toISOString(),
      lastSeen: (t.lastSeen ?? alertTime).toISOString(),
      hosts: [...t.hosts].slice(0, 10),
      services: [...t.services].slice(0, 10),
      level: dominantLevel(t.levels),
      example: condenseMultiline(t.example, 500),
      suspicion: Math.round(score * 100) / 100,
      why: reasons,
    }));
}

/**
 * The alert's own templates and those of the wider searches, most suspicious first. A wider
 * search's template keeps only when it is new, bursting or an error (ordinary lines of other
 * processes are noise), and names its search and why it was made.
 */
export function mineAllLogTemplates(lines: StoredLogLine[], more: LogSearch[], alertTime: Date): LogTemplateEvidence[] {
  const wider = more.flatMap((s) =>
    mineLogTemplates(s.lines, alertTime, s.newWithinMinutes)
      .filter((t) => t.suspicion > 0)
      .map((t) => ({ ...t, why: [...t.why, s.why], search: s.query })),
  );
  return [...mineLogTemplates(lines, alertTime), ...wider].sort((a, b) => b.suspicion - a.suspicion).slice(0, MAX_TEMPLATES);
}
