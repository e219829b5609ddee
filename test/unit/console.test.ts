import type { EvidenceBundle } from '../../src/evidence/bundle';
import { externalLink, html } from '../../src/console/html';
import { evidenceTimeline, memberTimeline } from '../../src/console/timeline';
import { type MemberRow, serviceMap } from '../../src/console/service-map';
import { groupPage } from '../../src/console/pages';

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

  const member = (n: number, service: string | null, hostname: string | null, recovered = false): MemberRow => ({
    member_key: `incident/default/${n}/host:${hostname}#1`,
    event_id: String(100 + n),
    monitor_id: String(n),
    monitor_name: n === 1 ? '<b>disk</b> full' : null,
    service,
    hostname,
    status: 'Alert',
    alerted_at: at(n),
    joined_at: at(n),
    recovered,
  });
  const members = [
    member(1, 'orders', 'db-01'),
    member(2, 'checkout', 'db-01', true),
    member(3, 'checkout', 'web-02'),
    member(4, null, 'db-01', true),
  ];

  it('maps services and hosts in sorted columns, joined where an alert is on both, the first to fire marked', () => {
    const svg = serviceMap(members).text;
    const nodes = [...svg.matchAll(/data-testid="map-node" data-kind="(\w+)" data-name="([^"]+)"/g)].map((m) => `${m[1]}:${m[2]}`);
    expect(nodes).toEqual(['service:checkout', 'service:orders', 'host:db-01', 'host:web-02']);
    expect(svg.match(/data-testid="map-edge"/g)).toHaveLength(3);
    expect(svg).toContain('<title>checkout on db-01</title>');
    // orders and db-01 are where the first alert fired; db-01 still has a member firing.
    expect(svg.match(/class="map-node firing first"/g)).toHaveLength(2);
    expect(serviceMap(members).text).toBe(svg);
  });

  it('caps each column of a storm and says how many more', () => {
    const storm = Array.from({ length: 60 }, (_, i) => member(i, `svc-${String(i).padStart(2, '0')}`, 'db-01'));
    const svg = serviceMap(storm).text;
    expect(svg.match(/data-kind="service"/g)).toHaveLength(25);
    expect(svg).toContain('+35 more');
  });

  it("draws each member when it fired and each of the group's RCAs when it started", () => {
    const svg = memberTimeline(members, [{ rca_id: 'rca/101', created_at: at(5) }]).text;
    expect(svg.match(/data-testid="timeline-member"/g)).toHaveLength(4);
    expect(svg.match(/data-testid="timeline-rca"/g)).toHaveLength(1);
    // The axis runs from the first alert (12:01) to the RCA (12:05): the RCA sits at the plot's right edge.
    expect(svg).toContain('<line x1="940" x2="940"');
    expect(svg).toContain('&lt;b&gt;disk&lt;/b&gt; full');
  });

  it('shows a group: its one RCA, the timeline, the map and every member', () => {
    const page = groupPage(
      {
        id: 'abcdef0123456789',
        status: 'open',
        member_count: 4,
        merged_into: null,
        opened_at: at(1),
        resolved_at: null,
        group_key: 'by-cluster:cluster=east',
        account: 'default',
        workflow_id: 'group/abcdef0123456789',
        services: ['checkout', 'orders'],
        hosts: ['db-01', 'web-02'],
        rca_ids: ['rca/101'],
        members,
        rcas: [
          {
            rca_id: 'rca/101',
            created_at: at(5),
            status: 'running',
            phase: 'report',
            root_cause: 'the primary failed over',
            verdict: 'likely',
            notebook_url: null,
          },
        ],
      },
      'http://ui.example/namespaces/default/workflows/group%2Fabcdef0123456789',
    ).text;
    expect(page).toContain(
      '<a href="rca/101"><span class="verdict likely" data-testid="verdict">likely</span> the primary failed over</a>',
    );
    expect(page).toContain("the account's rule <code>by-cluster:cluster=east</code>");
    expect(page).toContain('data-testid="member-timeline"');
    expect(page).toContain('data-testid="service-map"');
    expect(page.match(/data-testid="group-member"/g)).toHaveLength(4);
  });
});
