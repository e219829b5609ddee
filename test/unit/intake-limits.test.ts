import { ServiceError } from '@temporalio/client';
import { PayloadConverterError } from '@temporalio/common';
import { incidentWorkflowId } from '../../src/intake/alert';
import { DatadogAlertSchema, fromDatadog } from '../../src/intake/datadog-payload';
import { boundedKey, MAX_KEY_BYTES, storableJson, storableText } from '../../src/intake/storable';
import { permanentFailureReason, startLimitProblem, TEMPORAL_LIMITS } from '../../src/intake/workflow-starts';
import { RayneHost } from '../../src/contracts/search-attributes';

/** A gRPC error as @grpc/grpc-js raises it, wrapped as the Temporal client wraps it. */
const grpcFailure = (code: number, details: string) =>
  new ServiceError('Failed to signalWithStart Workflow', {
    cause: Object.assign(new Error(`${code} ${details}`), { code, details, metadata: {} }),
  });

describe('storable text', () => {
  it('replaces NUL and unpaired surrogates with U+FFFD and keeps surrogate pairs', () => {
    expect(storableText('a\u0000b\ud800c\udfffd😀')).toBe('a\ufffdb\ufffdc\ufffdd😀');
  });

  it('reaches every string of a JSON value, keys included', () => {
    expect(storableJson({ 'k\u0000': ['x\u0000', 1, null, { y: '\ud800' }] })).toEqual({
      'k\ufffd': ['x\ufffd', 1, null, { y: '\ufffd' }],
    });
  });
});

describe('bounded keys', () => {
  it('keeps plain text that fits', () => {
    expect(boundedKey('host:web-01', MAX_KEY_BYTES)).toBe('host:web-01');
  });

  it('fits long text: its readable start and a hash of the whole, equal for equal text and different otherwise', () => {
    const scope = 'env:prod,'.repeat(8000);
    const key = boundedKey(scope, MAX_KEY_BYTES);
    expect(Buffer.byteLength(key)).toBeLessThanOrEqual(MAX_KEY_BYTES);
    expect(key.startsWith('env:prod,env:prod')).toBe(true);
    expect(key).toMatch(/#[0-9a-f]{16}$/);
    expect(boundedKey(scope, MAX_KEY_BYTES)).toBe(key);
    expect(boundedKey(`${scope}x`, MAX_KEY_BYTES)).not.toBe(key);
  });

  it('hashes odd text (control, bidi, unpaired surrogates) and never splits a character', () => {
    expect(boundedKey('a\u0001b', 64)).toMatch(/^ab#[0-9a-f]{16}$/);
    expect(boundedKey('\u202eevil', 64)).toMatch(/^evil#/);
    const emoji = boundedKey('😀'.repeat(100), 30);
    expect(Buffer.byteLength(emoji)).toBeLessThanOrEqual(30);
    expect(storableText(emoji)).toBe(emoji);
  });

  it('gives a 70,000-character scope a workflow id Temporal accepts', () => {
    const raw = { monitor_id: 1, alert_status: 'Alert', scope: 's'.repeat(70_000) };
    const id = incidentWorkflowId('default', fromDatadog(DatadogAlertSchema.parse(raw), raw));
    expect(id.startsWith('incident/default/1/sss')).toBe(true);
    expect(startLimitProblem({ workflowId: id, searchAttributes: [], payloads: [] })).toBeUndefined();
  });
});

describe('Datadog payload bounds', () => {
  it('answers field problems, not database errors, for times outside years 1-9999 and ids over 20 digits', () => {
    const result = DatadogAlertSchema.safeParse({
      monitor_id: '1'.repeat(21),
      alert_status: 'OK',
      timestamp: 1e20,
      last_updated: '-100000-01-01T00:00:00Z',
    });
    expect(result.success).toBe(false);
    expect(result.error!.issues.map((i) => i.path.join('.')).sort()).toEqual(['last_updated', 'monitor_id', 'timestamp']);
  });
});

describe('start limits checked before sending', () => {
  const fits = { workflowId: 'incident/default/1/*', searchAttributes: [{ key: RayneHost, value: 'web-01' }], payloads: [{ a: 1 }] };

  it('passes a start that fits', () => {
    expect(startLimitProblem(fits)).toBeUndefined();
  });

  it("names a workflow id, search attribute or input over Temporal's limit", () => {
    expect(startLimitProblem({ ...fits, workflowId: 'x'.repeat(TEMPORAL_LIMITS.workflowIdBytes + 1) })).toMatch(
      /^workflow id is 1001 bytes/,
    );
    expect(startLimitProblem({ ...fits, searchAttributes: [{ key: RayneHost, value: 'h'.repeat(2047) }] })).toMatch(
      /^search attribute RayneHost is 2049 bytes/,
    );
    expect(startLimitProblem({ ...fits, payloads: ['p'.repeat(TEMPORAL_LIMITS.payloadBytes)] })).toMatch(/^workflow input is \d+ bytes/);
  });
});

describe('Temporal start failures', () => {
  it.each([
    [
      'invalid argument (id too long)',
      grpcFailure(3, 'WorkflowId exceeds maximum allowed length (1001/1000)'),
      'WorkflowId exceeds maximum allowed length (1001/1000)',
    ],
    [
      'invalid argument (search attribute too large)',
      grpcFailure(3, 'search attribute RayneHost value size 2050 exceeds size limit 2048'),
      'search attribute RayneHost value size 2050 exceeds size limit 2048',
    ],
    ['invalid argument (payload too big)', grpcFailure(3, 'Blob data size exceeds limit.'), 'Blob data size exceeds limit.'],
    ['out of range', grpcFailure(11, 'out of range'), 'out of range'],
    ['an input the client cannot encode', new PayloadConverterError('cannot encode'), 'cannot encode'],
  ])('%s is permanent: the event is rejected with the reason', (_, err, reason) => {
    expect(permanentFailureReason(err)).toBe(reason);
  });

  it.each([
    ['unavailable', grpcFailure(14, 'connection refused')],
    ['deadline exceeded', grpcFailure(4, 'Deadline exceeded')],
    ['resource exhausted (rate limited)', grpcFailure(8, 'namespace rate limit exceeded')],
    ["an error that is not Temporal's", new Error('socket hang up')],
  ])('%s may pass: the event stays pending for the reconciler', (_, err) => {
    expect(permanentFailureReason(err)).toBeUndefined();
  });
});
