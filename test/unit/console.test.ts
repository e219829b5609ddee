import type { EvidenceBundle } from '../../src/evidence/bundle';
import { externalLink, html } from '../../src/console/html';
import { evidenceTimeline } from '../../src/console/timeline';

const at = (minute: number) => new Date(Date.UTC(2026, 0, 1, 12, minute)).toISOString();

const bundle: Pick<EvidenceBundle, 'alert' | 'window' | 'events' | 'logTemplates' | 'metrics'> = {
  alert: { eventId: '1', account: 'a', status: 'Alert', monitorId: '9', tags: [], scope: '*', alertTime: at(30) },
  window: { from: at(0), to: at(30) },
  events: [
    {
      at: at(10),
      title: '<img src=x onerror=alert(1)> deployed',
      text: '',
      tags: [],
      relevance: 3,
      why: ['a change'],
      link: 'javascript:alert(1)',
    },
  ],
  logTemplates: [
    {
      template: 'timeout calling <*>',
      count: 40,
      firstSeen: at(20),
      lastSeen: at(29),
      hosts: [],
      services: [],
      level: 'error',
      example: '',
      suspicion: 1,
      why: [],
    },
  ],
  metrics: [
    {
      label: 'errors',
      query: 'sum:errors{*}',
      scope: '*',
      min: 0,
      max: 9,
      last: 9,
      baseline: 1,
      recent: 8,
      points: [
        [Date.parse(at(0)), 0],
        [Date.parse(at(30)), 9],
      ],
      link: 'https://app.example/metric',
    },
  ],
};

describe('console markup', () => {
  it('escapes interpolated text and links only http(s) URLs', () => {
    expect(html`<p>${'<script>x</script>'}</p>`.text).toBe('<p>&lt;script&gt;x&lt;/script&gt;</p>');
    expect(externalLink('x', 'javascript:alert(1)').text).toBe('x');
    expect(externalLink('x', 'https://app.example/a?b=1&c=2').text).toContain('href="https://app.example/a?b=1&amp;c=2"');
  });

  it('draws the alert at its time, events, bursts and sparklines, escaping what they say', () => {
    const svg = evidenceTimeline(bundle).text;
    // The axis spans 12:00 to 12:30, so the alert sits at the plot's right edge.
    expect(svg).toMatch(/data-testid="timeline-alert"><line x1="(\d+(\.\d)?)" x2="\1"/);
    expect(svg.match(/<line x1="([\d.]+)"/g)?.at(-1)).toBe('<line x1="940"');
    expect(svg.match(/data-testid="timeline-event"/g)).toHaveLength(1);
    expect(svg).toContain('class="change"');
    expect(svg.match(/data-testid="timeline-logs"/g)).toHaveLength(1);
    expect(svg).toContain('<polyline points="260,');
    expect(svg).not.toContain('<img');
    expect(svg).not.toContain('javascript:');
  });
});
