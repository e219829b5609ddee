import { ApplicationFailure } from '@temporalio/common';
import { DatadogError, type RetryAdvice } from '../datadog/client';

/** A failed outgoing HTTP call (notify, forward, Slack) with the retry advice of its status. */
export class DeliveryError extends Error {
  constructor(message: string, readonly advice: RetryAdvice) {
    super(message);
    this.name = 'DeliveryError';
  }
}

/**
 * Turns a classified failure into what Temporal acts on: non-retryable fails the activity at
 * once, a rate limit waits for its reset, anything else retries with the activity's backoff.
 */
export function toActivityFailure(err: unknown): unknown {
  if (!(err instanceof DatadogError) && !(err instanceof DeliveryError)) return err;
  return ApplicationFailure.create({
    message: err.message,
    type: err.name,
    nonRetryable: !err.advice.retryable,
    ...(err.advice.retryAfterMs ? { nextRetryDelay: err.advice.retryAfterMs } : {}),
  });
}
