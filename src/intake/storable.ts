import crypto from 'node:crypto';

/** What stands in, in stored copies, for a character Postgres or Temporal cannot hold. */
export const REPLACEMENT_CHARACTER = '\ufffd';

// Postgres text and jsonb refuse NUL; jsonb and Temporal's protobuf strings refuse unpaired UTF-16 surrogates.
// eslint-disable-next-line no-control-regex -- NUL is exactly what this must find
const UNSTORABLE = /\u0000|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

/** The text with each character Postgres cannot store replaced by U+FFFD. */
export function storableText(text: string): string {
  return text.replace(UNSTORABLE, REPLACEMENT_CHARACTER);
}

/** A JSON value with storableText applied to every string in it, object keys included. */
export function storableJson<T>(value: T): T {
  if (typeof value === 'string') return storableText(value) as T;
  if (Array.isArray(value)) return value.map(storableJson) as T;
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [storableText(k), storableJson(v)])) as T;
  }
  return value;
}

/** The most bytes Rayne lets one text take in a workflow id or search attribute: readable, far below Temporal's limits. */
export const MAX_KEY_BYTES = 256;

// Printable text: no control, format (bidi overrides), unassigned or unpaired-surrogate characters.
const NOT_PLAIN = /[\p{Cc}\p{Cf}\p{Cn}\p{Cs}\p{Co}]/u;
const HASH_CHARS = 16;

/**
 * Text as it fits in an id or a search attribute of at most maxBytes UTF-8 bytes: unchanged when
 * it is plain and short enough, else its printable start and a hash of the whole, so equal text
 * still gives equal keys and different text different ones.
 */
export function boundedKey(text: string, maxBytes: number): string {
  if (Buffer.byteLength(text) <= maxBytes && !NOT_PLAIN.test(text)) return text;
  const hash = crypto.createHash('sha256').update(text).digest('hex').slice(0, HASH_CHARS);
  const suffix = `#${hash}`;
  return `${utf8Prefix(text.replace(new RegExp(NOT_PLAIN.source, 'gu'), ''), maxBytes - suffix.length)}${suffix}`;
}

/** The longest start of text (whole code points) that fits in maxBytes UTF-8 bytes. */
function utf8Prefix(text: string, maxBytes: number): string {
  let bytes = 0;
  let end = 0;
  for (const char of text) {
    bytes += Buffer.byteLength(char);
    if (bytes > maxBytes) break;
    end += char.length;
  }
  return text.slice(0, end);
}

/** Size of a value as Temporal's JSON payload converter would send it. */
export const jsonBytes = (value: unknown): number => Buffer.byteLength(JSON.stringify(value) ?? '');
