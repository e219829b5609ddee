import { ActivityFailure, ApplicationFailure } from '@temporalio/common';

// Workflow code imports this module: it must stay free of Node-only imports.

/** Thrown when Rayne cannot start as configured; the message says what to change, so the CLI prints it without a stack. */
export class StartupError extends Error {
  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }
}

/**
 * The closed set of ways an operation of Rayne fails. NotConfigured is Rayne's own setup (an
 * account, a key, a target it lacks); Unavailable is something configured that did not answer,
 * or answered that it failed for now.
 */
export const FAILURE_CODES = [
  'NotFound',
  'NotConfigured',
  'Unauthorized',
  'Forbidden',
  'BadRequest',
  'Rejected',
  'RateLimited',
  'Unavailable',
] as const;
export type FailureCode = (typeof FAILURE_CODES)[number];

const TRANSIENT: ReadonlySet<FailureCode> = new Set(['RateLimited', 'Unavailable']);

/** The codes a retry cannot fix: workflows make them non-retryable whichever activity threw them. */
export const FATAL_CODES: FailureCode[] = FAILURE_CODES.filter((code) => !TRANSIENT.has(code));

/** What a failure knows beside its message. */
export interface FailureData {
  /** The outside service that failed (Datadog, GitHub, a webhook's host…); absent for Rayne's own. */
  upstream?: string;
  account?: string;
  operation?: string;
  /** The HTTP status the upstream answered with; absent when it gave no answer. */
  status?: number;
  /** How long the upstream asked to wait before the next attempt. */
  retryAfterMs?: number;
  eventId?: string;
}

/** A failure in Rayne's vocabulary: a code that says what a retry would do, a message for people, and its data. */
export class RayneFailure extends Error {
  constructor(
    readonly code: FailureCode,
    message: string,
    readonly data: FailureData = {},
  ) {
    super(message);
    this.name = new.target.name;
  }

  get retryable(): boolean {
    return TRANSIENT.has(this.code);
  }
}

/** The alert's Datadog account is gone or was never added. */
export const noDatadogAccount = (account: string) =>
  new RayneFailure('NotConfigured', `no Datadog account "${account}"; add one with POST /v1/accounts (or run rayne dev --sandbox)`, {
    account,
  });

// The caller's own mistakes (and a gone resource) repeat; any status not listed, like a 408, is taken as transient.
const CODE_OF_STATUS: Readonly<Record<number, FailureCode>> = {
  400: 'BadRequest',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'NotFound',
  410: 'NotFound',
  405: 'Rejected',
  409: 'Rejected',
  413: 'Rejected',
  422: 'Rejected',
  429: 'RateLimited',
};

/** The code of an upstream's HTTP answer; no answer (undefined) and 5xx are Unavailable. */
export function codeOfStatus(status: number | undefined): FailureCode {
  return (status !== undefined && CODE_OF_STATUS[status]) || 'Unavailable';
}

/**
 * What Temporal acts on: the code as the failure's type, a fatal code non-retryable, a wait the
 * upstream asked for as the next retry's delay. Anything but a RayneFailure is left as it is
 * (and retried with the activity's backoff).
 */
export function toApplicationFailure(err: unknown): unknown {
  if (!(err instanceof RayneFailure)) return err;
  const { retryAfterMs } = err.data;
  return ApplicationFailure.create({
    message: err.message,
    type: err.code,
    nonRetryable: !err.retryable,
    details: [err.data],
    ...(retryAfterMs ? { nextRetryDelay: retryAfterMs } : {}),
  });
}

const HTTP_STATUS: Readonly<Record<FailureCode, number>> = {
  NotFound: 404,
  NotConfigured: 404,
  BadRequest: 400,
  Rejected: 422,
  RateLimited: 429,
  Unavailable: 503,
  // Rayne's own credentials were refused, never the API caller's: the caller can do nothing about it.
  Unauthorized: 502,
  Forbidden: 502,
};
// An upstream's failure reaches the caller as is only when it is about the caller's request.
const CALLERS_OWN: ReadonlySet<FailureCode> = new Set(['NotFound', 'BadRequest', 'RateLimited']);

/** The HTTP status the API answers a failure with: any other upstream failure is a bad gateway (502). */
export function httpStatusOf(failure: RayneFailure): number {
  return failure.data.upstream && !CALLERS_OWN.has(failure.code) ? 502 : HTTP_STATUS[failure.code];
}

/** Why a scheduled activity failed, in its own words: its cause, not Temporal's "Activity task failed". Workflow-safe. */
export const failureReason = (err: unknown): string =>
  (err instanceof ActivityFailure ? (err.cause as Error | undefined)?.message : undefined) ?? (err as Error).message;
