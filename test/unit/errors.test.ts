import { ActivityFailure, ApplicationFailure, RetryState } from '@temporalio/common';
import { failureReason, httpStatusOf, noDatadogAccount, RayneFailure, toApplicationFailure } from '../../src/errors';

describe('the failure vocabulary', () => {
  it('maps a failure to the ApplicationFailure Temporal acts on: the code as type, fatal codes non-retryable, the upstream wait as the delay', () => {
    expect(toApplicationFailure(noDatadogAccount('prod'))).toMatchObject({
      type: 'NotConfigured',
      nonRetryable: true,
      details: [{ account: 'prod' }],
    });
    const limited = toApplicationFailure(
      new RayneFailure('RateLimited', 'slow down', { upstream: 'Datadog', status: 429, retryAfterMs: 7000 }),
    );
    expect(limited).toBeInstanceOf(ApplicationFailure);
    expect(limited).toMatchObject({ type: 'RateLimited', nonRetryable: false, nextRetryDelay: 7000, message: 'slow down' });
    const other = new TypeError('bug');
    expect(toApplicationFailure(other)).toBe(other);
  });

  it('maps a failure to HTTP: an upstream failure the caller cannot fix is a bad gateway, Rayne unavailable is 503', () => {
    const datadog = (code: RayneFailure['code'], status?: number) =>
      httpStatusOf(new RayneFailure(code, '', { upstream: 'Datadog', status }));
    expect([datadog('NotFound', 404), datadog('BadRequest', 400), datadog('RateLimited', 429)]).toEqual([404, 400, 429]);
    expect([datadog('Unavailable', 500), datadog('Unavailable'), datadog('Forbidden', 403), datadog('Rejected', 422)]).toEqual([
      502, 502, 502, 502,
    ]);
    expect(httpStatusOf(new RayneFailure('Unavailable', 'Temporal is away'))).toBe(503);
    expect(httpStatusOf(new RayneFailure('Rejected', 'too big to start'))).toBe(422);
    expect(httpStatusOf(noDatadogAccount('prod'))).toBe(404);
  });

  it("reads an activity failure's own message", () => {
    const cause = ApplicationFailure.create({ message: 'no report is stored', type: 'NotFound' });
    expect(
      failureReason(
        new ActivityFailure('Activity task failed', 'publishNotebook', '1', RetryState.NON_RETRYABLE_FAILURE, undefined, cause),
      ),
    ).toBe('no report is stored');
    expect(failureReason(new Error('plain'))).toBe('plain');
  });
});
