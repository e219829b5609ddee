import crypto from 'node:crypto';
import { alertDedupKey, incidentWorkflowId } from '../../src/intake/alert';
import { pagerDutySignatureMatches } from '../../src/intake/pagerduty-payload';
import { alertsFromPrometheus, PrometheusWebhookSchema } from '../../src/intake/prometheus-payload';
import { selectProcessors } from '../../src/workflows/processor-selection';

const delivery = (alert: Record<string, unknown>, version = '4') => {
  const raw = { version, alerts: [alert] };
  return alertsFromPrometheus(PrometheusWebhookSchema.parse(raw), raw, JSON.stringify(raw), 'alertmanager')[0]!;
};
const firing = { status: 'firing', labels: { alertname: 'HighCPU', instance: 'web-01:9100' }, startsAt: '2026-01-29T10:00:00Z' };

describe('Alertmanager and Grafana alerts in the model', () => {
  it('names one incident per rule and label set, whatever order the labels come in', () => {
    const a = delivery({ ...firing, labels: { alertname: 'HighCPU', job: 'node', instance: 'web-01:9100' } });
    const b = delivery({ ...firing, labels: { instance: 'web-01:9100', job: 'node', alertname: 'HighCPU' } });
    expect(incidentWorkflowId('acme', a)).toBe('incident/acme/alertmanager:HighCPU/instance:web-01:9100,job:node');
    expect(incidentWorkflowId('acme', b)).toBe(incidentWorkflowId('acme', a));
  });

  it('without a fingerprint, deduplicates on a hash of the labels instead', () => {
    const a = delivery(firing);
    expect(alertDedupKey('acme', a)).toBe(alertDedupKey('acme', delivery({ ...firing })));
    expect(alertDedupKey('acme', a)).not.toBe(alertDedupKey('acme', delivery({ ...firing, labels: { alertname: 'Other' } })));
  });

  it('takes a resolved alert at its end, a firing one at its start (Alertmanager sends year 1 for no end)', () => {
    expect(delivery({ ...firing, endsAt: '0001-01-01T00:00:00Z' }).eventTime).toBe('2026-01-29T10:00:00.000Z');
    const resolved = delivery({ ...firing, status: 'resolved', endsAt: '2026-01-29T10:20:00Z' });
    expect(resolved).toMatchObject({ status: 'OK', eventTime: '2026-01-29T10:20:00.000Z' });
  });

  it('tells Grafana from Alertmanager by version, whichever path it came to', () => {
    expect(delivery(firing, '1')).toMatchObject({ source: 'grafana', monitorId: 'grafana:HighCPU' });
    expect(delivery(firing, '4')).toMatchObject({ source: 'alertmanager' });
  });
});

describe('PagerDuty signatures', () => {
  const body = '{"event":{}}';
  const v1 = (secret: string, text = body) => `v1=${crypto.createHmac('sha256', secret).update(text).digest('hex')}`;

  it('accepts any matching v1 entry and nothing else', () => {
    expect(pagerDutySignatureMatches('s', body, v1('s'))).toBe(true);
    expect(pagerDutySignatureMatches('s', body, `${v1('old')},${v1('s')}`)).toBe(true);
    expect(pagerDutySignatureMatches('s', body, `${v1('old')}, ${v1('new')}`)).toBe(false);
    expect(pagerDutySignatureMatches('s', body, v1('s').replace('v1=', 'v2='))).toBe(false);
    expect(pagerDutySignatureMatches('s', body, v1('s', `${body} `))).toBe(false);
    expect(pagerDutySignatureMatches('s', body, 'v1=abc')).toBe(false);
    expect(pagerDutySignatureMatches('s', body, undefined)).toBe(false);
  });
});

describe('tier-1 for alerts from other sources', () => {
  const plan = (source?: 'datadog' | 'pagerduty') => ({
    targets: [{ processor: 'downtime' as const, target: 'datadog', label: 'Datadog downtime', statuses: ['OK' as const], timeoutMs: 1000 }],
    runOn: 'every_transition' as const,
    flapping: { transitions: 6, windowMinutes: 30 },
    transitionsInWindow: 1,
    ...(source ? { source } : {}),
  });
  const decision = { status: 'OK' as const, episode: 1, startRca: false, closesIncident: true, repeat: false };

  it('skips auto-downtime with the reason, and runs it for Datadog alerts and plans recorded before sources', () => {
    expect(selectProcessors(plan('pagerduty'), decision).skipped).toEqual([
      { processor: 'downtime', target: 'datadog', reason: 'mutes a Datadog monitor; this alert came from pagerduty' },
    ]);
    expect(selectProcessors(plan('datadog'), decision).tasks).toHaveLength(1);
    expect(selectProcessors(plan(), decision).tasks).toHaveLength(1);
  });
});
