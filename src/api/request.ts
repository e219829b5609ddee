import type { Context, MiddlewareHandler } from 'hono';
import { z } from 'zod';
import { ApiError, fieldProblems } from './errors';

const BIGINT_MAX = 2n ** 63n - 1n;

/** Digits that fit Postgres's bigint (ids, cursors); message says what the value should be. */
export const bigintDigits = (message: string) =>
  z
    .string()
    .regex(/^\d+$/, message)
    // zod runs this even when the regex failed, so it must not parse what is not digits.
    .refine((v) => !/^\d+$/.test(v) || BigInt(v) <= BIGINT_MAX, 'is beyond the largest id Rayne stores (2^63 - 1)');

/** Text Postgres can store: it has no NUL character. */
export const storableText = () => z.string().refine((v) => !v.includes('\0'), 'must not contain NUL (%00)');

/** application/json and its +json variants. */
export const isJsonType = (type: string) => /^application\/([\w.+-]+\+)?json\b/i.test(type);

/** JSON text parsed, or a 400 naming what was not valid JSON (`body`, `payload`). */
export function parseJsonText(text: string, what = 'body'): unknown {
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new ApiError('BAD_REQUEST', `${what} is not valid JSON: ${(err as Error).message}`);
  }
}

/** Reads and parses a JSON body: 415 unless the content type is JSON, 400 for malformed JSON. */
async function parseJson(c: Context): Promise<{ raw: unknown; text: string }> {
  const type = c.req.header('content-type') ?? '';
  if (!isJsonType(type)) {
    throw new ApiError('UNSUPPORTED_MEDIA_TYPE', `content-type must be application/json (got "${type || 'none'}")`);
  }
  const text = await c.req.text();
  return { raw: parseJsonText(text), text };
}

/**
 * Reads a JSON body and checks it against a schema, keeping the exact text: for the Datadog
 * receive route, which stores the bytes. 415 and 400 as `jsonBody`; 400 with field messages on schema failures.
 */
export async function readJson<S extends z.ZodType>(c: Context, schema: S): Promise<{ value: z.output<S>; raw: unknown; text: string }> {
  const { raw, text } = await parseJson(c);
  const parsed = schema.safeParse(raw);
  if (!parsed.success) throw new ApiError('BAD_REQUEST', 'invalid request body', fieldProblems(parsed.error));
  return { value: parsed.data, raw, text };
}

/**
 * Route middleware for OpenAPI routes with a JSON body: 415 unless the content type is JSON (a
 * missing one included), 400 for malformed JSON, with our messages. The route's schema then
 * validates the parsed body (Hono caches it, so it is read once).
 */
export const jsonBody: MiddlewareHandler = async (c, next) => {
  await parseJson(c);
  await next();
};
