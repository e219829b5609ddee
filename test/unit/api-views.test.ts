import { groupView, type RcaDetail, rcaView } from '../../src/cli/api-views';
import { duration } from '../../src/text-format';

const detail = (report: RcaDetail['report']): RcaDetail => ({
  id: 'rca/7',
  event_id: '7',
  account: 'a',
  role: null,
  phase: 'done',
  status: 'completed',
  analyst: 'claude',
  created_at: '2026-11-24T03:00:00Z',
  notebook_url: null,
  role_reason: null,
  error: null,
  model: null,
  updated_at: '2026-11-24T03:01:00Z',
  report,
  usage: null,
  timings: null,
  resolved_at: null,
  live: null,
  links: {},
});
const report = {
  summary: 'Checkout broke.',
  root_cause: 'The v4.12.0 deployment broke checkout.',
  category: 'deployment' as const,
  confidence: 0.8,
  evidence: [{ claim: 'deployed 7 min before', source: 'events', link: 'https://dd/event/1' }],
  remediation: ['roll back'],
  missing_data: [],
};

describe('rayne rca show', () => {
  it('shows the verdict and each ranked hypothesis with its evidence for and against', () => {
    const text = rcaView(
      detail({
        ...report,
        verdict: 'likely',
        hypotheses: [
          {
            category: 'deployment',
            culprit: 'v4.12.0',
            statement: 'The v4.12.0 deployment broke checkout.',
            score: 0.7,
            supporting: [{ claim: 'deployed 7 min before', source: 'events', link: 'https://dd/event/1' }],
            against: [{ claim: 'errors began earlier on one host', source: 'logs' }],
          },
        ],
      }),
    );
    expect(text).toMatch(/^verdict\s+likely$/m);
    expect(text).toContain(
      [
        'hypotheses',
        '  1. deployment  culprit v4.12.0',
        '     The v4.12.0 deployment broke checkout.',
        '     + [events] deployed 7 min before',
        '        https://dd/event/1',
        '     - [logs] errors began earlier on one host',
      ].join('\n'),
    );
  });

  it('shows a report stored before hypotheses and verdicts existed', () => {
    const text = rcaView(detail(report));
    expect(text).toMatch(/^root cause\s+The v4\.12\.0 deployment broke checkout\.$/m);
    expect(text).not.toMatch(/verdict|hypotheses/);
  });

  it('shows how long the analysis took, readable at any size', () => {
    expect(
      rcaView({ ...detail(report), timings: { startedAt: '2026-11-24T03:00:00Z', finishedAt: '2026-11-24T03:00:00.340Z', ms: 340 } }),
    ).toMatch(/^took\s+340 ms$/m);
    expect(duration(12_400)).toBe('12.4 s');
    expect(duration(185_000)).toBe('3 min 05 s');
  });

  it("says what grouped a group: an account's rule, or a shared host or service", () => {
    const group = {
      id: 'abcdef0123456789',
      account: 'a',
      workflow_id: 'group/abcdef0123456789',
      group_key: 'by-cluster:cluster=east',
      status: 'open' as const,
      member_count: 0,
      opened_at: '2026-11-24T03:00:00Z',
      resolved_at: null,
      services: [],
      hosts: [],
      rca_ids: [],
      members: [],
      rcas: [],
    };
    expect(groupView(group)).toMatch(/grouped by\s+rule by-cluster:cluster=east/);
    expect(groupView({ ...group, group_key: null })).toMatch(/grouped by\s+a shared host or service/);
  });
});
