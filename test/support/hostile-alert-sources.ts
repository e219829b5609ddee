import fc from 'fast-check';
import { anyJson, oddText } from './hostile-datadog';

// Mostly what a real sender puts in a field, sometimes odd text, sometimes a value of the wrong type:
// rarely enough that a delivery of a dozen fields is often wholly valid and reaches the stored path.
const mostly = <T>(real: fc.Arbitrary<T>) => fc.oneof({ weight: 30, arbitrary: real }, oddText, anyJson);

const time = mostly(
  fc.constantFrom('2026-01-29T10:00:00Z', '2026-01-29T10:00:00.123456789Z', '0001-01-01T00:00:00Z', '2026-01-29T12:00:00+02:00'),
).map((t) => t as unknown);
const oddTimes = fc.constantFrom('99999-01-01T00:00:00Z', '0000-01-01T00:00:00Z', 'yesterday', '');

const labels = fc.oneof(
  { weight: 6, arbitrary: fc.record({ alertname: mostly(fc.constantFrom('HighCPU', 'DiskFull', '')), job: oddText }) },
  {
    weight: 3,
    arbitrary: fc.tuple(oddText, fc.dictionary(oddText, oddText, { maxKeys: 4 })).map(([alertname, rest]) => ({ ...rest, alertname })),
  },
  anyJson,
);

const prometheusAlert = fc.record(
  {
    status: mostly(fc.constantFrom('firing', 'resolved')),
    labels,
    annotations: mostly(fc.dictionary(fc.constantFrom('summary', 'description', 'runbook'), oddText, { maxKeys: 3 })),
    startsAt: fc.oneof({ weight: 8, arbitrary: time }, oddTimes),
    endsAt: fc.oneof({ weight: 8, arbitrary: time }, oddTimes),
    generatorURL: oddText,
    fingerprint: mostly(fc.stringMatching(/^[0-9a-f]{16}$/)),
    values: anyJson, // Grafana's; Rayne keeps it in the raw body only
    silenceURL: oddText,
  },
  { requiredKeys: ['status', 'labels', 'startsAt'] },
);

/** An Alertmanager (version 4) or Grafana (version 1) webhook body as a hostile sender would write it. */
export const hostilePrometheusDelivery: fc.Arbitrary<Record<string, unknown>> = fc
  .tuple(
    fc.record(
      {
        version: mostly(fc.constantFrom('4', '1')),
        alerts: fc.oneof({ weight: 8, arbitrary: fc.array(prometheusAlert, { minLength: 1, maxLength: 3 }) }, anyJson),
        receiver: oddText,
        status: mostly(fc.constantFrom('firing', 'resolved')),
        groupLabels: mostly(fc.dictionary(oddText, oddText, { maxKeys: 2 })),
        commonLabels: mostly(fc.dictionary(oddText, oddText, { maxKeys: 2 })),
        externalURL: oddText,
        groupKey: oddText,
        truncatedAlerts: mostly(fc.nat(10)),
        orgId: anyJson,
      },
      { requiredKeys: ['alerts'] },
    ),
    fc.dictionary(oddText, anyJson, { maxKeys: 2 }),
  )
  .map(([fields, extra]) => ({ ...extra, ...fields }));

const EVENT_TYPES = [
  'incident.triggered',
  'incident.acknowledged',
  'incident.resolved',
  'incident.reopened',
  'incident.annotated',
  'pagey.ping',
];
const reference = mostly(fc.record({ id: mostly(fc.constantFrom('PSVC1', 'PSVC2')), summary: oddText }, { requiredKeys: ['id'] }));

/** A PagerDuty V3 webhook body as a hostile sender would write it (the test signs it, so it reaches the parser). */
export const hostilePagerDutyEvent: fc.Arbitrary<Record<string, unknown>> = fc
  .tuple(
    fc.record(
      {
        id: mostly(fc.uuid()),
        event_type: mostly(fc.constantFrom(...EVENT_TYPES)),
        resource_type: oddText,
        occurred_at: fc.oneof({ weight: 8, arbitrary: time }, oddTimes),
        data: mostly(
          fc.record(
            {
              id: mostly(fc.constantFrom('Q1', 'Q2', 'Q3')),
              title: oddText,
              html_url: oddText,
              urgency: oddText,
              service: reference,
              priority: fc.oneof(reference, fc.constant(null)),
            },
            { requiredKeys: ['id', 'service'] },
          ),
        ),
      },
      { requiredKeys: ['id', 'event_type', 'occurred_at', 'data'] },
    ),
    fc.dictionary(oddText, anyJson, { maxKeys: 2 }),
  )
  .map(([event, extra]) => ({ ...extra, event }));
