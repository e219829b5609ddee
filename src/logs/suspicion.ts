/**
 * Orders mined templates by how much they look like part of an incident, for the RCA evidence.
 *
 * Only lines up to the alert count. With W the window (15 minutes unless told):
 * - new: first seen within W before the alert: +3 (a message the system had not written before);
 * - burst: log2 of the template's rate in W over its rate before W, both smoothed by one line,
 *   between 0 and +4 (a message that suddenly got frequent);
 * - level: +2 × the share of its lines at an error level, +1 × the share at warning level.
 * Ties go to the template with more lines in W. Templates without timestamps score on level only.
 */
import type { MinedTemplate } from './template-miner';

export interface SuspicionOptions {
  /** Minutes before the alert that count as "shortly before". */
  windowMinutes?: number;
}

export interface SuspiciousTemplate {
  template: MinedTemplate;
  score: number;
  /** Why it scored, for people reading the evidence: "new 4 min before the alert", … */
  reasons: string[];
  /** Lines in the window. */
  recent: number;
}

const NEW_SCORE = 3;
const MAX_BURST_SCORE = 4;
const ERROR_LEVELS = new Set(['error', 'err', 'fatal', 'critical', 'crit', 'alert', 'emerg', 'emergency', 'severe', 'panic']);
const WARNING_LEVELS = new Set(['warn', 'warning']);

/** Ranks templates most suspicious first (see the module comment for the scoring). */
export function rankBySuspicion(
  templates: readonly MinedTemplate[],
  alertTime: Date,
  options: SuspicionOptions = {},
): SuspiciousTemplate[] {
  const window = options.windowMinutes ?? 15;
  const alertMinute = minuteOf(alertTime);
  const windowStart = alertMinute - window;
  const historyStart = templates.reduce((min, t) => (t.firstSeen ? Math.min(min, minuteOf(t.firstSeen)) : min), windowStart);
  const baselineMinutes = Math.max(window, windowStart - historyStart);
  return templates
    .filter((t) => !t.firstSeen || t.firstSeen <= alertTime)
    .map((t) => score(t, { alertMinute, windowStart, window, baselineMinutes }))
    .sort((a, b) => b.score - a.score || b.recent - a.recent);
}

const minuteOf = (d: Date) => Math.floor(d.getTime() / 60_000);

interface Span {
  alertMinute: number;
  windowStart: number;
  window: number;
  baselineMinutes: number;
}

function score(template: MinedTemplate, span: Span): SuspiciousTemplate {
  const reasons: string[] = [];
  let total = 0;
  let recent = 0;
  let before = 0;
  for (const [minute, n] of template.perMinute) {
    if (minute > span.alertMinute) continue;
    if (minute > span.windowStart) recent += n;
    else before += n;
  }
  if (template.firstSeen && minuteOf(template.firstSeen) > span.windowStart) {
    total += NEW_SCORE;
    reasons.push(`new ${span.alertMinute - minuteOf(template.firstSeen)} min before the alert`);
  }
  if (recent > 0) {
    const expected = (before / span.baselineMinutes) * span.window;
    const burst = Math.min(MAX_BURST_SCORE, Math.max(0, Math.log2((recent + 1) / (expected + 1))));
    if (burst > 0) {
      total += burst;
      reasons.push(`${recent} lines in the last ${span.window} min, ${expected.toFixed(1)} expected`);
    }
  }
  const { errors, warnings } = levelShares(template);
  if (errors > 0) reasons.push(`${Math.round(errors * 100)}% at error level`);
  else if (warnings > 0) reasons.push(`${Math.round(warnings * 100)}% at warning level`);
  total += 2 * errors + warnings;
  return { template, score: total, reasons, recent };
}

function levelShares(template: MinedTemplate): { errors: number; warnings: number } {
  let errors = 0;
  let warnings = 0;
  let all = 0;
  for (const [level, n] of Object.entries(template.levels)) {
    all += n;
    if (ERROR_LEVELS.has(level)) errors += n;
    else if (WARNING_LEVELS.has(level)) warnings += n;
  }
  return all === 0 ? { errors: 0, warnings: 0 } : { errors: errors / all, warnings: warnings / all };
}
