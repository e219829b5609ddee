import type { Context } from 'hono';
import { HTTPException } from 'hono/http-exception';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import type { z } from 'zod';
import { StartRejectedError, TemporalUnavailableError } from '../intake/workflow-starts';
import type { Logger } from '../logger';

export const ERROR_CODES = [
  'BAD_REQUEST', 'UNAUTHORIZED', 'NOT_FOUND', 'CONFLICT', 'PAYLOAD_TOO_LARGE',
  'UNSUPPORTED_MEDIA_TYPE', 'UNPROCESSABLE', 'TOO_MANY_REQUESTS', 'BAD_GATEWAY', 'SERVICE_UNAVAILABLE', 'INTERNAL',
] as const;
export type ErrorCode = (typeof ERROR_CODES)[number];

const STATUS: Record<ErrorCode, ContentfulStatusCode> = {
  BAD_REQUEST: 400, UNAUTHORIZED: 401, NOT_FOUND: 404, CONFLICT: 409, PAYLOAD_TOO_LARGE: 413,
  UNSUPPORTED_MEDIA_TYPE: 415, UNPROCESSABLE: 422, TOO_MANY_REQUESTS: 429, BAD_GATEWAY: 502, SERVICE_UNAVAILABLE: 503, INTERNAL: 500,
};
const CODE_OF_STATUS = new Map(Object.entries(STATUS).map(([code, status]) => [status as number, code as ErrorCode]));

export interface FieldProblem {
  field: string;
  message: string;
}

/** An error the API answers with `{ error: { code, message, details? } }`. */
export class ApiError extends HTTPException {
  constructor(readonly code: ErrorCode, message: string, readonly details?: FieldProblem[]) {
    super(STATUS[code], { message });
  }
}

/** Field-level messages from a zod failure. */
export function fieldProblems(error: z.ZodError): FieldProblem[] {
  return error.issues.map((i) => ({ field: i.path.join('.') || '(body)', message: i.message }));
}

/** The one error handler: known errors keep their code, anything else is a logged 500 without internals. */
export const handleError = (log: Logger) => (err: Error, c: Context) => {
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
 * An intake error as an answer: Temporal unavailable is 503 with Retry-After (the delivery is kept
 * and started later); a start Temporal refuses for good is 422, as a retry would be refused again.
 */
export function intakeFailure(c: Context, err: unknown): never {
  if (err instanceof TemporalUnavailableError) {
    c.header('Retry-After', '10');
    throw new ApiError('SERVICE_UNAVAILABLE', err.message);
  }
  if (err instanceof StartRejectedError) throw new ApiError('UNPROCESSABLE', err.message);
  throw err;
}
