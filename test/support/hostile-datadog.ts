import fc from 'fast-check';

/**
 * Text a hostile or broken sender might put anywhere: NUL and lone surrogates (which Postgres
 * cannot store), control and bidi characters, JSON-looking escapes, and runs up to 80,000
 * characters (a workflow id or search attribute Temporal would refuse).
 */
export const oddText = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 30 }),
  fc.constantFrom(
    '\u0000',
    'a\u0000b',
    '\ud800',
    'x\udfffy',
    '\\u0000',
    '',
    '  ',
    '%%%',
    '\u202eevil',
    '😀',
    '\u0001\u001f\u007f',
    'host:web-01',
    '../..',
    'a/b//c',
  ),
  fc
    .tuple(fc.string({ unit: 'binary-ascii', minLength: 1, maxLength: 6 }), fc.integer({ min: 100, max: 80_000 }))
    .map(([s, n]) => s.repeat(Math.ceil(n / s.length)).slice(0, n)),
);

/** Any JSON value, mostly odd text. */
export const anyJson: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 4, arbitrary: oddText },
  fc.integer(),
  fc.double(),
  fc.boolean(),
  fc.constant(null),
  fc.array(oddText, { maxLength: 3 }),
  fc.dictionary(oddText, oddText, { maxKeys: 2 }),
);

// Mostly text, as Datadog's templates send; sometimes a value of the wrong type.
const fieldValue = fc.oneof({ weight: 12, arbitrary: oddText }, anyJson);

// Mostly ids a real monitor has, sometimes huge or not numbers at all.
const monitorId = fc.oneof(
  { weight: 6, arbitrary: fc.integer({ min: 1, max: 20 }).map((n) => 9_300_000 + n) },
  fc.constantFrom('9300001', ' 9300002 ', '99999999999999999999999999', '1'.repeat(5000), '-1', '1e3'),
  anyJson,
);
const alertStatus = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom('OK', 'No Data', 'Warn', 'Alert', 'Recovered', 'Triggered', 'warn') },
  anyJson,
);

// Mostly times Datadog sends (seconds, milliseconds, ISO), sometimes out of any calendar.
const timestamp = fc.oneof(
  { weight: 6, arbitrary: fc.integer({ min: 1_600_000_000, max: 1_900_000_000 }) },
  fc.constantFrom(
    '2026-01-29T10:00:00Z',
    '1706540400',
    1706540400123,
    1e20,
    -1e20,
    8.64e15 + 1,
    '99999-01-01',
    '0000-01-01T00:00:00Z',
    -62e12,
  ),
  fieldValue,
);

const FIELDS = [
  'alert_id',
  'transition_id',
  'alert_title',
  'alert_message',
  'alert_transition',
  'monitor_name',
  'monitor_type',
  'hostname',
  'service',
  'scope',
  'tags',
  'org_id',
  'priority',
  'event_type',
  'link',
  'URGENCY',
] as const;

/** A Datadog webhook body as a hostile sender would write it: valid-looking fields with hostile values, and extra keys. */
export const hostileDatadogAlert: fc.Arbitrary<Record<string, unknown>> = fc
  .tuple(
    monitorId,
    alertStatus,
    fc.record(
      {
        ...(Object.fromEntries(FIELDS.map((f) => [f, fieldValue])) as Record<(typeof FIELDS)[number], fc.Arbitrary<unknown>>),
        timestamp,
        last_updated: timestamp,
      },
      { requiredKeys: [] },
    ),
    fc.dictionary(oddText, anyJson, { maxKeys: 2 }),
  )
  .map(([monitor_id, alert_status, fields, extra]) => ({ ...extra, ...fields, monitor_id, alert_status }));
