import type { Context } from 'hono';
import type { z } from 'zod';
import { ApiError, fieldProblems } from './errors';

/** Reads a JSON body: 415 unless the content type is JSON, 400 for malformed JSON or schema failures. */
export async function readJson<S extends z.ZodType>(c: Context, schema: S): Promise<{ value: z.output<S>; raw: unknown; text: string }> {
  const type = c.req.header('content-type') ?? '';
  if (!/^application\/([\w.+-]+\+)?json\b/i.test(type)) {
    throw new ApiError('UNSUPPORTED_MEDIA_TYPE', `content-type must be application/json (got "${type || 'none'}")`);
  }
  const text = await c.req.text();
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw new ApiError('BAD_REQUEST', `body is not valid JSON: ${(err as Error).message}`);
  }
  const parsed = schema.safeParse(raw);
  if (!parsed.success) throw new ApiError('BAD_REQUEST', 'invalid request body', fieldProblems(parsed.error));
  return { value: parsed.data, raw, text };
}

/** Parses query parameters with a schema; 400 with field messages on failure. */
export function readQuery<S extends z.ZodType>(c: Context, schema: S): z.output<S> {
  const parsed = schema.safeParse(c.req.query());
  if (!parsed.success) throw new ApiError('BAD_REQUEST', 'invalid query parameters', fieldProblems(parsed.error));
  return parsed.data;
}
