import { COMMON_WORDS } from './knowledge';
import type { SeenLine } from './observations';

/**
 * Who drives a component's trouble, as an SRE asks for the top talker: the value that the new
 * lines around the trouble's onset name most (a client, a job class, a key, a user agent), taken
 * from the component's own lines and counted over every new line read. Keys that carry a line's
 * message or shape (msg, level, path) are not actors; nor are places, numbers short enough to be
 * sizes or times, or a value only one line holds (a request id), unless the line's template keeps it.
 */

// key=value, key: value, "key":"value": the value up to a quote, comma, space or bracket.
const KEY_VALUE = /["']?([a-z_][\w.-]*)["']?\s*[:=]\s*["']?([^"',\s}\])]{3,80})/gi;
// A client announcing itself, as user agents do: Scrapy/2.11, python-requests/2.31.
const PRODUCT = /\b([A-Za-z][\w-]{2,})\/\d+\.\d/g;
// An identifier long enough to be a record's: an account, a vessel, an order.
const LONG_ID = /(?<![\w.])\d{6,}(?![\w.])/g;
const NOT_ACTORS = new Set(
  'msg message level lvl severity status method path url uri query logger thread err error exception stack trace ts time timestamp elapsed duration took ms took_ms latency size bytes rows count pid tid line file caller func'.split(
    ' ',
  ),
);
const PLACE = /^(\d{1,3}(\.\d{1,3}){3}(:\d+)?|[a-z0-9-]+(\.[a-z0-9-]+)+\.[a-z]{2,})$/i;
/** Around the onset: lines that began this long before it, or a little after, can be what drove it. */
const BEFORE_MS = 60 * 60_000;
const AFTER_MS = 10 * 60_000;

function actorsIn(text: string): Set<string> {
  const found = new Set<string>();
  for (const m of text.matchAll(KEY_VALUE)) {
    const [key, value] = [m[1]!.toLowerCase(), m[2]!];
    // A number, or a quantity with its unit (612ms, 95%), measures; a long number may be an id.
    if (NOT_ACTORS.has(key) || /[/+#*<>]/.test(value) || (/^[\d.:-]+[a-z%]{0,3}$/i.test(value) && !/^\d{6,}$/.test(value))) continue;
    // A plain word (Stop, SELECT, read) or a snake-cased code of words (requested_by_customer, STATE_ACTIVE) is a
    // state or a reason; actors are named with structure: ids, dashes (a client's name), humps.
    if (/^[A-Za-z][a-z]*$|^[A-Z]+$|^[a-z]+(_[a-z]+)+$|^[A-Z]+(_[A-Z]+)+$/.test(value) || value.endsWith(':')) continue;
    found.add(value);
  }
  for (const m of text.matchAll(PRODUCT)) if (!/^(mozilla|http|https|applewebkit|chrome|safari|version)$/i.test(m[1]!)) found.add(m[1]!);
  for (const m of text.matchAll(LONG_ID)) found.add(m[0]);
  return new Set([...found].filter((v) => !COMMON_WORDS.has(v.toLowerCase()) && !PLACE.test(v) && v.length >= 3));
}

// Lines read reach two hours back: one that first appears this close to the onset began with the trouble.
const near = (l: SeenLine, onset: number) => l.firstSeen >= onset - BEFORE_MS && l.firstSeen <= onset + AFTER_MS;

/** The top talker behind a trouble that began at `onset`, or undefined when no value recurs. */
export function topTalker(
  own: readonly SeenLine[],
  all: readonly SeenLine[],
  onset: number,
  skip: ReadonlySet<string>,
): string | undefined {
  const candidates = new Set([...own.filter((l) => near(l, onset))].flatMap((l) => [...actorsIn(l.example)]));
  const tally = new Map<string, { lines: number; weight: number }>();
  for (const l of all.filter((x) => near(x, onset))) {
    for (const actor of actorsIn(l.example)) {
      if (!candidates.has(actor) || skip.has(actor.toLowerCase())) continue;
      const seen = tally.get(actor) ?? { lines: 0, weight: 0 };
      // A value the miner kept in the template is shared by every line of it; a masked one may be one line's own.
      seen.lines += l.template.includes(actor) ? Math.min(2, l.count) : 1;
      seen.weight += l.count;
      tally.set(actor, seen);
    }
  }
  return [...tally.entries()]
    .filter(([, t]) => t.lines >= 2)
    .sort((a, b) => b[1].weight - a[1].weight || b[1].lines - a[1].lines || a[0].localeCompare(b[0]))[0]?.[0];
}
