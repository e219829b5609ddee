import { alertDedupKey, incidentWorkflowId } from '../../src/intake/alert';
import { DatadogAlertSchema, fromDatadog } from '../../src/intake/datadog-payload';

const parse = (body: unknown) => DatadogAlertSchema.parse(body);
/** The model's alert for a raw Datadog payload. */
const model = (raw: Record<string, unknown>) => fromDatadog(parse(raw), raw);

describe('Datadog webhook payload', () => {
  it('accepts ids as strings or numbers and stores one string form', () => {
    expect(parse({ monitor_id: 42, alert_status: 'Alert', alert_id: 7 })).toMatchObject({ monitor_id: '42', alert_id: '7' });
    expect(parse({ monitor_id: '42', alert_status: 'Alert', alert_id: '7' })).toMatchObject({ monitor_id: '42', alert_id: '7' });
  });

  it('reads timestamps in seconds, milliseconds, numeric strings and ISO dates', () => {
    const iso = '2024-01-29T15:00:00.000Z';
    for (const timestamp of [1706540400, 1706540400000, '1706540400', '1706540400000', iso]) {
      expect(parse({ monitor_id: 1, alert_status: 'OK', timestamp }).timestamp).toBe(iso);
    }
  });

  it('splits comma-separated tags and keeps arrays', () => {
    expect(parse({ monitor_id: 1, alert_status: 'OK', tags: 'env:prod, team:sre,,' }).tags).toEqual(['env:prod', 'team:sre']);
    expect(parse({ monitor_id: 1, alert_status: 'OK', tags: ['a', 'b'] }).tags).toEqual(['a', 'b']);
  });

  it('reads blank fields as absent, as Datadog sends unknown template variables', () => {
    const parsed = parse({
      monitor_id: 1,
      alert_status: 'Alert',
      hostname: '',
      service: ' ',
      alert_id: '',
      timestamp: '',
      last_updated: '',
      alert_message: '',
    });
    expect(parsed).toMatchObject({ monitor_id: '1', alert_status: 'Alert' });
    for (const field of ['hostname', 'service', 'alert_id', 'timestamp', 'last_updated', 'alert_message'] as const)
      expect(parsed[field]).toBeUndefined();
    expect(DatadogAlertSchema.safeParse({ monitor_id: '', alert_status: 'Alert' }).success).toBe(false);
  });

  it('unwraps %%% markdown bodies', () => {
    expect(parse({ monitor_id: 1, alert_status: 'OK', alert_message: '%%%\nCPU **high**\n%%%' }).alert_message).toBe('CPU **high**');
  });

  it('maps Datadog transition words onto the four states', () => {
    expect(parse({ monitor_id: 1, alert_status: 'Triggered' }).alert_status).toBe('Alert');
    expect(parse({ monitor_id: 1, alert_status: 'Recovered' }).alert_status).toBe('OK');
    expect(parse({ monitor_id: 1, alert_status: 'no data' }).alert_status).toBe('No Data');
  });

  it('keeps custom uppercase fields and unknown fields', () => {
    const alert = parse({ monitor_id: 1, alert_status: 'Warn', APPLICATION_TEAM: 'sre', VALUE: 97.5, extra: { a: 1 } });
    expect(alert).toMatchObject({ APPLICATION_TEAM: 'sre', VALUE: '97.5', extra: { a: 1 } });
  });

  it('rejects a missing monitor id and an unknown status with field messages', () => {
    const result = DatadogAlertSchema.safeParse({ monitor_id: 'abc', alert_status: 'Exploded' });
    expect(result.success).toBe(false);
    const fields = result.error!.issues.map((i) => i.path.join('.'));
    expect(fields).toEqual(expect.arrayContaining(['monitor_id', 'alert_status']));
  });

  it('dedups by alert_id + transition_id, else by the canonical payload', () => {
    expect(alertDedupKey('acme', model({ monitor_id: 1, alert_status: 'Alert', alert_id: 5, transition_id: 'abc' }))).toBe('dd:acme:5:abc');
    const raw1 = { monitor_id: 1, alert_status: 'Alert', b: 2 };
    const raw2 = { b: 2, alert_status: 'Alert', monitor_id: 1 };
    expect(alertDedupKey('acme', model(raw1))).toBe(alertDedupKey('acme', model(raw2)));
    expect(alertDedupKey('acme', model(raw1))).not.toBe(alertDedupKey('other', model(raw1)));
  });

  it('builds the incident workflow id from account, monitor and scope', () => {
    expect(incidentWorkflowId('acme', model({ monitor_id: 9, alert_status: 'Alert', scope: 'host:web-01' }))).toBe(
      'incident/acme/9/host:web-01',
    );
    expect(incidentWorkflowId('acme', model({ monitor_id: 9, alert_status: 'Alert', hostname: 'db-1' }))).toBe('incident/acme/9/host:db-1');
    expect(incidentWorkflowId('acme', model({ monitor_id: 9, alert_status: 'Alert' }))).toBe('incident/acme/9/*');
  });
});
