import type { EvidenceBundle } from '../evidence/bundle';
import { type Html, html, safeUrl } from './html';
import type { MemberRow } from './service-map';

const WIDTH = 960;
const LABEL = 260;
const PLOT = WIDTH - LABEL - 20;
const AXIS = 24;
const EVENT_LANE = 28;
const LOG_LANE = 20;
const METRIC_LANE = 40;
const MAX_TEMPLATES = 6;
const MAX_METRICS = 4;

type Section = Pick<EvidenceBundle, 'alert' | 'window' | 'events' | 'logTemplates' | 'metrics'>;

const clip = (text: string, n: number) => (text.length > n ? `${text.slice(0, n - 1)}…` : text);
const round = (n: number) => Math.round(n * 10) / 10;

/** Every instant the timeline shows, so its axis covers events read hours before the alert too. */
function span(bundle: Section): { from: number; to: number } {
  const times = [
    bundle.window.from,
    bundle.window.to,
    bundle.alert.alertTime,
    ...bundle.events.map((e) => e.at),
    ...bundle.logTemplates.slice(0, MAX_TEMPLATES).flatMap((t) => [t.firstSeen, t.lastSeen]),
  ]
    .map(Date.parse)
    .concat(bundle.metrics.slice(0, MAX_METRICS).flatMap((m) => m.points.map(([t]) => t)))
    .filter(Number.isFinite);
  const from = Math.min(...times);
  const to = Math.max(...times);
  return { from, to: to > from ? to : from + 60_000 };
}

/**
 * The evidence on one time axis as inline SVG: events as dots (changes filled), log templates as
 * bars from first to last seen (thicker for more lines), metrics as sparklines, and the alert as a
 * red line across all of them. Pure, so the page and its tests draw the same picture.
 */
export function evidenceTimeline(bundle: Section): Html {
  const { from, to } = span(bundle);
  const x = (ms: number) => round(LABEL + ((ms - from) / (to - from)) * PLOT);
  const templates = bundle.logTemplates.slice(0, MAX_TEMPLATES);
  const metrics = bundle.metrics.slice(0, MAX_METRICS).filter((m) => m.points.length > 0);
  const plotBottom = AXIS + EVENT_LANE + templates.length * LOG_LANE + metrics.length * METRIC_LANE + 4;
  const height = plotBottom + 16;
  const alertX = x(Date.parse(bundle.alert.alertTime));
  let top = AXIS;

  const eventsLane = html`<g data-testid="timeline-events">
    <text x="4" y="${top + 18}" class="lane">Events (${bundle.events.length})</text>
    ${bundle.events.map((e) => {
      const change = e.why.includes('a change');
      return html`<a href="${safeUrl(e.link) ?? '#'}" target="_blank" rel="noopener noreferrer"><circle data-testid="timeline-event" cx="${x(Date.parse(e.at))}" cy="${top + 14}" r="5" class="${change ? 'change' : 'event'}"><title>${e.at} ${e.title} (${e.why.join('; ')})</title></circle></a>`;
    })}
  </g>`;
  top += EVENT_LANE;

  const maxCount = Math.max(1, ...templates.map((t) => t.count));
  const logLanes = templates.map((t) => {
    const y = top + LOG_LANE / 2;
    top += LOG_LANE;
    const start = x(Date.parse(t.firstSeen));
    const thickness = round(3 + (9 * t.count) / maxCount);
    return html`<g data-testid="timeline-logs">
      <text x="4" y="${y + 4}" class="lane">${clip(`${t.count}× ${t.level} ${t.template}`, 40)}</text>
      <line x1="${start}" x2="${Math.max(start + 2, x(Date.parse(t.lastSeen)))}" y1="${y}" y2="${y}" stroke-width="${thickness}" class="burst ${t.level}"><title>${t.count}× ${t.template} — ${t.firstSeen} → ${t.lastSeen}</title></line>
    </g>`;
  });

  const metricLanes = metrics.map((m) => {
    const values = m.points.map(([, v]) => v);
    const low = Math.min(...values);
    const high = Math.max(...values);
    const y = (v: number) => round(top + METRIC_LANE - 6 - ((v - low) / (high - low || 1)) * (METRIC_LANE - 12));
    const line = m.points.map(([t, v]) => `${x(t)},${y(v)}`).join(' ');
    const lane = html`<g data-testid="timeline-metric">
      <text x="4" y="${top + METRIC_LANE / 2 + 4}" class="lane">${clip(m.label, 30)} (${low}–${high})</text>
      <polyline points="${line}" class="spark"><title>${m.query}: min ${m.min}, max ${m.max}, baseline ${m.baseline} → recent ${m.recent}</title></polyline>
    </g>`;
    top += METRIC_LANE;
    return lane;
  });

  return html`<svg data-testid="timeline" viewBox="0 0 ${WIDTH} ${height}" width="100%" role="img" aria-label="Evidence timeline" xmlns="http://www.w3.org/2000/svg">
  <text x="${LABEL}" y="${height - 2}" class="tick">${new Date(from).toISOString().slice(11, 16)}Z</text>
  <text x="${LABEL + PLOT}" y="${height - 2}" text-anchor="end" class="tick">${new Date(to).toISOString().slice(11, 16)}Z</text>
  ${eventsLane}${logLanes}${metricLanes}
  <g data-testid="timeline-alert"><line x1="${alertX}" x2="${alertX}" y1="18" y2="${plotBottom}" class="alert"/><text x="${alertX}" y="14" text-anchor="${alertX > LABEL + PLOT * 0.8 ? 'end' : 'start'}" class="alert">alert ${bundle.alert.alertTime.slice(11, 16)}Z</text></g>
</svg>`;
}

const MEMBER_LANE = 18;
// Past this, the lanes say how many more members there are: the page stays readable in a storm.
const MAX_MEMBER_LANES = 40;

/**
 * A group's members on one time axis as inline SVG, in firing order: a lane per member with a dot
 * when it fired (hollow once its incident recovered), and a line where each of the group's RCAs
 * started. Pure, like evidenceTimeline.
 */
export function memberTimeline(members: readonly MemberRow[], rcas: ReadonlyArray<{ rca_id: string; created_at: string }>): Html {
  const shown = members.slice(0, MAX_MEMBER_LANES);
  const times = [...members.map((m) => m.alerted_at), ...rcas.map((r) => r.created_at)].map(Date.parse).filter(Number.isFinite);
  const from = Math.min(...times);
  const to = Math.max(from + 60_000, ...times);
  const x = (iso: string) => round(LABEL + ((Date.parse(iso) - from) / (to - from)) * PLOT);
  const lanesBottom = AXIS + (shown.length + (members.length > shown.length ? 1 : 0)) * MEMBER_LANE + 4;
  const height = lanesBottom + 16;

  const lanes = shown.map((m, i) => {
    const y = AXIS + i * MEMBER_LANE + MEMBER_LANE / 2;
    const where = [m.service, m.hostname].filter(Boolean).join(' · ');
    return html`<g data-testid="timeline-member">
      <text x="4" y="${y + 4}" class="lane">${clip(`${m.monitor_name ?? `monitor ${m.monitor_id}`}${where ? ` · ${where}` : ''}`, 44)}</text>
      <circle cx="${x(m.alerted_at)}" cy="${y}" r="5" class="${m.recovered ? 'event' : 'change'}"><title>#${m.event_id} fired ${m.alerted_at}${m.recovered ? ', recovered since' : ''}</title></circle>
    </g>`;
  });
  const more =
    members.length > shown.length
      ? html`<text x="4" y="${AXIS + shown.length * MEMBER_LANE + 13}" class="tick">+${members.length - shown.length} more members</text>`
      : '';
  const rcaLines = rcas.map((r) => {
    const at = x(r.created_at);
    return html`<g data-testid="timeline-rca"><line x1="${at}" x2="${at}" y1="18" y2="${lanesBottom}" class="alert"/><text x="${at}" y="14" text-anchor="${at > LABEL + PLOT * 0.8 ? 'end' : 'start'}" class="alert">RCA ${r.created_at.slice(11, 19)}Z</text></g>`;
  });

  return html`<svg data-testid="member-timeline" viewBox="0 0 ${WIDTH} ${height}" width="100%" role="img" aria-label="The group's members on a timeline" xmlns="http://www.w3.org/2000/svg">
  <text x="${LABEL}" y="${height - 2}" class="tick">${new Date(from).toISOString().slice(11, 19)}Z</text>
  <text x="${LABEL + PLOT}" y="${height - 2}" text-anchor="end" class="tick">${new Date(to).toISOString().slice(11, 19)}Z</text>
  ${lanes}${more}${rcaLines}
</svg>`;
}
