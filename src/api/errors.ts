import type { Context, MiddlewareHandler } from 'hono';
import { HTTPException } from 'hono/http-exception';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import type { z } from 'zod';
import { httpStatusOf, RayneFailure } from '../errors';
import type { Logger } from '../logger';

export const ERROR_CODES = [
  'BAD_REQUEST',
  'UNAUTHORIZED',
  'NOT_FOUND',
  'REQUEST_TIMEOUT',
  'CONFLICT',
  'PAYLOAD_TOO_LARGE',
  'UNSUPPORTED_MEDIA_TYPE',
  'UNPROCESSABLE',
  'TOO_MANY_REQUESTS',
  'BAD_GATEWAY',
  'SERVICE_UNAVAILABLE',
  'INTERNAL',
] as const;
export type ErrorCode = (typeof ERROR_CODES)[number];

const STATUS: Record<ErrorCode, ContentfulStatusCode> = {
  BAD_REQUEST: 400,
  UNAUTHORIZED: 401,
  NOT_FOUND: 404,
  REQUEST_TIMEOUT: 408,
  CONFLICT: 409,
  PAYLOAD_TOO_LARGE: 413,
  UNSUPPORTED_MEDIA_TYPE: 415,
  UNPROCESSABLE: 422,
  TOO_MANY_REQUESTS: 429,
  BAD_GATEWAY: 502,
  SERVICE_UNAVAILABLE: 503,
  INTERNAL: 500,
};
const CODE_OF_STATUS = new Map(Object.entries(STATUS).map(([code, status]) => [status as number, code as ErrorCode]));

export interface FieldProblem {
  field: string;
  message: string;
}

/** An error the API answers with `{ error: { code, message, details? } }`. */
export class ApiError extends HTTPException {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details?: FieldProblem[],
  ) {
    super(STATUS[code], { message });
  }
}

/** Field-level messages from a zod failure. */
export function fieldProblems(error: z.ZodError): FieldProblem[] {
  return error.issues.map((i) => ({ field: i.path.join('.') || '(body)', message: i.message }));
}

/** Seconds a client is asked to wait before retrying after a 503. */
export const RETRY_AFTER_SECONDS = 10;

/** A 503 that tells the client when to retry. */
export function unavailable(c: Context, message: string): ApiError {
  c.header('Retry-After', String(RETRY_AFTER_SECONDS));
  return new ApiError('SERVICE_UNAVAILABLE', message);
}

// Socket errors, pg-pool's and pg's own timeouts, and Postgres's connection, shutdown and cancel codes.
const UNREACHABLE_SOCKET_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
]);
const UNREACHABLE_MESSAGES =
  /^(timeout exceeded when trying to connect|Query read timeout|Connection terminated|Client has encountered a connection error)/;
const UNAVAILABLE_SQLSTATES = /^(08|57P0[1-3]|53300|57014)/;

/** Whether err says Postgres could not be reached or did not answer in time (rather than refused the request). */
export function isDatabaseUnavailable(err: Error): boolean {
  const code = (err as { code?: unknown }).code;
  if (typeof code === 'string' && (UNREACHABLE_SOCKET_CODES.has(code) || UNAVAILABLE_SQLSTATES.test(code))) return true;
  return UNREACHABLE_MESSAGES.test(err.message);
}

/**
 * The request field behind a Postgres data exception (SQLSTATE class 22), for a route whose
 * schema let an unstorable value through: a NUL, or a value the error quotes (out of range).
 */
function inputProblem(err: Error, c: Context): FieldProblem | undefined {
  const code = (err as { code?: unknown }).code;
  if (typeof code !== 'string' || !code.startsWith('22')) return undefined;
  const values = { ...c.req.param(), ...c.req.query() } as Record<string, string | undefined>;
  for (const [field, value] of Object.entries(values)) {
    if (!value) continue;
    if (value.includes('\0')) return { field, message: 'must not contain NUL (%00)' };
    if (err.message.includes(`"${value}"`)) return { field, message: err.message };
  }
  return undefined;
}

/**
 * A RayneFailure as an answer, with its status from the one mapping. A wait the upstream asked
 * for is passed on; a 503 asks for the default one (a delivery behind it is kept and started later).
 */
function failureAnswer(c: Context, failure: RayneFailure): ApiError {
  const status = httpStatusOf(failure);
  const { retryAfterMs } = failure.data;
  if (status === 429 && retryAfterMs) c.header('Retry-After', String(Math.ceil(retryAfterMs / 1000)));
  if (status === 503) return unavailable(c, failure.message);
  return new ApiError(CODE_OF_STATUS.get(status) ?? 'INTERNAL', failure.message);
}

/** The one error handler: known errors keep their code, anything else is a logged 500 without internals. */
export const handleError = (log: Logger) => (err: Error, c: Context) => {
  if (err instanceof RayneFailure) err = failureAnswer(c, err);
  if (isDatabaseUnavailable(err)) {
    log.error({ err: err.message, path: c.req.path }, 'postgres unavailable');
    err = unavailable(c, 'Postgres is unavailable; retry later');
  }
  const problem = inputProblem(err, c);
  if (problem) err = new ApiError('BAD_REQUEST', 'invalid request', [problem]);
  if (err instanceof ApiError) {
    if (err.status >= 500) log.error({ err: err.message, path: c.req.path }, 'request failed');
    return c.json({ error: { code: err.code, message: err.message, ...(err.details ? { details: err.details } : {}) } }, err.status);
  }
  // Hono's own (malformed JSON 400, a media type the route does not declare 415) keep their status and get its code.
  if (err instanceof HTTPException) {
    return c.json({ error: { code: CODE_OF_STATUS.get(err.status) ?? 'BAD_REQUEST', message: err.message } }, err.status);
  }
  log.error({ err: err.message, stack: err.stack, path: c.req.path }, 'unhandled error');
  return c.json({ error: { code: 'INTERNAL', message: 'internal error' } }, 500);
};

/**
 * Outermost middleware: a thrown value Hono does not take for an Error (one made in another
 * realm, as Node's socket errors are under a VM such as jest's) still gets the error handler.
 */
export const answerForeignErrors =
  (onError: ReturnType<typeof handleError>): MiddlewareHandler =>
  async (c, next) => {
    try {
      await next();
    } catch (err) {
      return onError(err as Error, c);
    }
  };
