import { alertOf } from '../../src/events/alert';
import { EventRow } from '../../src/events/store';
import { StoredRowError, parseRow } from '../../src/db/rows';

const received = new Date('2026-03-01T10:00:00Z');
const row = (overrides: Partial<EventRow> = {}): EventRow => ({
  id: '42',
  account: 'default',
  source: 'datadog',
  monitor_id: '1234',
  alert_id: null,
  transition_id: null,
  alert_status: 'Alert',
  monitor_name: 'CPU high',
  hostname: 'web-1',
  service: 'checkout',
  scope: 'host:web-1',
  status: 'started',
  workflow_id: 'incident/default/1234/host:web-1',
  run_id: 'run-1',
  start_attempts: 1,
  last_error: null,
  received_at: received,
  started_at: received,
  processed_at: null,
  event_time: null,
  payload: {},
  ...overrides,
});

describe('alertOf: the one mapping of a stored event to its alert', () => {
  it('reads a blank text field as absent, for columns and payload alike, and keeps other text as sent', () => {
    const alert = alertOf(
      row({
        monitor_name: '  ',
        hostname: '',
        service: '\t',
        payload: { alert_title: '   ', alert_message: ' disk full ', priority: '', link: ' ', monitor_type: 'metric alert' },
      }),
    );
    expect(alert).toMatchObject({ monitorType: 'metric alert', message: ' disk full ' });
    for (const field of ['monitorName', 'hostname', 'service', 'title', 'priority', 'link'] as const) expect(alert[field]).toBeUndefined();
  });

  it('reads tags from a list or from one comma-separated string', () => {
    expect(alertOf(row({ payload: { tags: ['env:prod', 7] } })).tags).toEqual(['env:prod', '7']);
    expect(alertOf(row({ payload: { tags: 'env:prod, team:core,,' } })).tags).toEqual(['env:prod', 'team:core']);
    expect(alertOf(row({ payload: {} })).tags).toEqual([]);
  });

  it("dates the alert by its source's time, else by when Rayne received it", () => {
    expect(alertOf(row()).alertTime).toBe(received.toISOString());
    expect(alertOf(row({ event_time: new Date('2026-03-01T09:59:00Z') })).alertTime).toBe('2026-03-01T09:59:00.000Z');
    expect(alertOf(row()).receivedAt).toBe(received.toISOString());
  });
});

describe('store row schemas', () => {
  it('refuses a row of the wrong shape, naming the table and each bad field', () => {
    const bad = { ...row(), alert_status: 'Exploded', received_at: '2026-03-01' };
    expect(() => parseRow('webhook_events', EventRow, bad)).toThrow(StoredRowError);
    expect(() => parseRow('webhook_events', EventRow, bad)).toThrow(/^a webhook_events row .*alert_status: .*received_at: /);
  });

  it('reads a row of the right shape as it is', () => {
    expect(parseRow('webhook_events', EventRow, row())).toEqual(row());
  });
});
