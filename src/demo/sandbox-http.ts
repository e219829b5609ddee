import type { Context } from 'hono';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { z } from 'zod';

export const isoTime = (time: number | Date) => new Date(time).toISOString();
export const unixSeconds = (time: Date) => Math.floor(time.getTime() / 1000);
export const intParam = z.coerce.number().int();
export const boolParam = z.enum(['true', 'false']).transform((v) => v === 'true');
export const commaList = (s: string | undefined) =>
  (s ?? '')
    .split(',')
    .map((t) => t.trim())
    .filter(Boolean);

/** Thrown by sandbox handlers; answered in Datadog's error shape `{"errors":[message]}`. */
export class DatadogApiError extends Error {
  constructor(
    readonly status: ContentfulStatusCode,
    message: string,
  ) {
    super(message);
    this.name = 'DatadogApiError';
  }
}

const describeIssues = (error: z.ZodError, what: (path: string) => string) =>
  error.issues.map((i) => `${what(i.path.join('.'))}: ${i.message}`).join('; ');

/** Query parameters read with a schema; 400 naming each bad parameter. */
export function readQuery<S extends z.ZodType>(c: Context, schema: S): z.output<S> {
  const parsed = schema.safeParse(c.req.query());
  if (!parsed.success)
    throw new DatadogApiError(
      400,
      describeIssues(parsed.error, (p) => `Invalid parameter '${p}'`),
    );
  return parsed.data;
}

/** The JSON body read with a schema; 400 for malformed JSON or a bad field. */
export async function readBody<S extends z.ZodType>(c: Context, schema: S): Promise<z.output<S>> {
  let json: unknown;
  try {
    json = JSON.parse(await c.req.text());
  } catch (err) {
    throw new DatadogApiError(400, `Malformed JSON: ${(err as Error).message}`);
  }
  const parsed = schema.safeParse(json);
  if (!parsed.success)
    throw new DatadogApiError(
      400,
      describeIssues(parsed.error, (p) => `Invalid field '${p || '(body)'}'`),
    );
  return parsed.data;
}

/** A `page[cursor]` names the offset of the next page in the filtered, sorted results. */
export const encodeCursor = (offset: number) => Buffer.from(JSON.stringify({ after: offset })).toString('base64url');

/** The offset a cursor names; 400 in Datadog's words for anything else. */
export function decodeCursor(cursor: string | undefined): number {
  if (!cursor) return 0;
  try {
    const { after } = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as { after?: unknown };
    if (Number.isInteger(after) && (after as number) >= 0) return after as number;
  } catch {
    // Falls through to the error below.
  }
  throw new DatadogApiError(400, "input_validation_error(Field 'page' is invalid: invalid cursor)");
}

/** A `links.next` URL on this server: `path` with `params` plus the next cursor. */
export function nextLink(c: Context, path: string, params: Record<string, string | number | undefined>, cursor: string): string {
  const url = new URL(path, new URL(c.req.url).origin);
  for (const [key, value] of Object.entries(params)) if (value !== undefined && value !== '') url.searchParams.set(key, String(value));
  url.searchParams.set('page[cursor]', cursor);
  return url.toString();
}

/** One page of `items` from `offset`, and the cursor of the next page when there is one. */
export function pageOf<T>(items: T[], offset: number, limit: number): { page: T[]; after?: string } {
  const page = items.slice(offset, offset + limit);
  return offset + limit < items.length ? { page, after: encodeCursor(offset + limit) } : { page };
}
