import { escapeRegExp } from '../../text-format';
import { COMMON_WORDS } from './knowledge';

/**
 * The components a failing line names: hosts, addresses, domains, and the objects it says it
 * failed on (a table, a queue, an index, a job). Shapes only, as log parsers mask them: nothing
 * here knows a product or a company.
 */

/** Zones only our own names live in: a service's in-cluster or internal DNS name. */
export const PRIVATE_ZONE = /\.(svc|cluster\.local|internal|local|localdomain|consul|lan|corp|intra|private)$/;

export type EntityShape = 'address' | 'domain' | 'host' | 'object';

export interface Entity {
  name: string;
  shape: EntityShape;
}

const IPV4 = /\b(\d{1,3}(?:\.\d{1,3}){3})(?::(\d{1,5}))?\b/g;
const URL_HOST = /\b[a-z][a-z0-9+.-]*:\/\/([^/\s:"'<>\\]{3,})/gi;
// Two or more labels ending in letters: api.vendor.io, int.corp.net. Code paths (a.b.Class) are dropped below.
const DOMAIN = /\b((?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,24})\b/gi;
// A lower-case name with a dash and a digit, as hosts and nodes are named: db-main-02, ip-10-1-2-3,
// node-7f9c. Upper-case ones (ORDER-0042) are record ids.
const HOST = /(?<![\w.-])([a-z][a-z0-9]*(?:-[a-z0-9]+)*-[a-z0-9]*\d[a-z0-9]*(?:-[a-z0-9]+)*)(?![\w-])/g;
// A thread or worker name in brackets, as Java, Python and Ruby loggers print it: [http-nio-8080-exec-4].
const THREAD = /\[[^\]\n]*\b(exec|worker|thread|pool|main|task|scheduler|dispatcher|executor)\b[^\]\n]*\]/gi;
const OBJECT_KINDS =
  'table|index|queue|topic|bucket|job|cronjob|cache|partition|keyspace|database|schema|stream|exchange|channel|pool|flag|upstream|backend|cluster|pipeline|vendor|provider|processor|partner|dependency';
// The object a line says it acted on: `table "foo"`, `"topic":"baz"`, `index=qux`, `queue jobs-7`.
// After a bare space the name must look like one (a digit, a dash, a dot): in "pool timeout" or
// "worker pool saturated" the word after is what happened, not a name.
const OBJECT = new RegExp(
  `\\b(?:${OBJECT_KINDS})\\b(?:["']?\\s*[:=]\\s*["'\`]?|\\s+["'\`])([A-Za-z_][\\w.:/-]{2,80})|\\b(?:${OBJECT_KINDS})\\b\\s+([A-Za-z_]\\w*[\\d._/:-][\\w.:/-]{1,80})`,
  'gi',
);
const SQL_OBJECT = /\b(?:from|into|update|join)\s+["'`]?([a-z_][\w.]{2,60})/gi;
// Only a statement has tables: "data from client" or "a connection from connection pool" is English.
const SQL_STATEMENT = /\b(SELECT|INSERT|UPDATE|DELETE|MERGE|ALTER TABLE|COPY)\b|\bselect\b.+\bfrom\b|\binsert into\b/;
const CODE_SUFFIX =
  /\.(java|kt|scala|py|rb|go|js|mjs|ts|tsx|php|cs|c|h|cpp|rs|json|ya?ml|xml|csv|log|txt|html?|sql|sh|jar|class|lock|pid|conf|ini|toml|gz|zip|tar|jpe?g|png|gif|svg|webp|mp4|pdf|parquet|avro|bin|so|dll|exe)$/i;
// Where a dotted name can end and be a place: the common top-level domains and private zones. A
// dotted name ending otherwise is code (buffer.from, user.save) or a metric name.
const PLACE_SUFFIX =
  /\.(com|net|org|io|co|uk|de|fr|eu|us|ca|au|jp|cn|in|br|ru|nl|se|no|es|it|ch|at|be|dk|fi|pl|cz|ie|nz|sg|hk|kr|tw|mx|za|internal|local|lan|svc|cluster|corp|intra|private|dev|app|cloud|ai|me|tv|info|biz|gov|edu|int|aws|azure|consul|localdomain)$/i;
// An access line's caller: the address (and port) right before its bracketed timestamp, as HAProxy and nginx write it.
// So is an address a server labels as its client (client=10.1.2.3:4311, client: 10.1.2.3).
const ACCESS_CLIENT = /\b\d{1,3}(?:\.\d{1,3}){3}(?::\d+)?(?= +(?:- +\S+ +)?\[\d)|\bclient\s*[=:]\s*\/?\d{1,3}(?:\.\d{1,3}){3}(?::\d+)?/gi;
// A peer on an ephemeral port (32768 and up, where operating systems pick a caller's port) or after a
// user@ is the caller's end of a connection, unless the line says it connects to it (dial tcp 10.1.2.3:50051).
const CALLER_END = /(\w@)?\b\d{1,3}(?:\.\d{1,3}){3}(?::(\d{5}))?\b/g;
const CONNECTS_TO = /(?:\bto|dial \w+|->|→|connect(?:ing)?)\s*$/i;
const LOOPBACK = /^(127\.|0\.0\.0\.0|localhost)/i;

/** The text without the callers' ends of connections it names. */
function withoutCallers(text: string): string {
  return text.replace(CALLER_END, (whole, user: string | undefined, port: string | undefined, at: number) => {
    const ephemeral = port !== undefined && Number(port) >= 32768 && !CONNECTS_TO.test(text.slice(Math.max(0, at - 20), at));
    return user || ephemeral ? ' ' : whole;
  });
}

const isCommon = (word: string) => COMMON_WORDS.has(word.toLowerCase()) || /^\d+$/.test(word);

/** A dotted name that is code (a Java package, a method), a file, or a version rather than a place. */
function looksLikeCode(name: string): boolean {
  const labels = name.split('.');
  if (CODE_SUFFIX.test(name) || !PLACE_SUFFIX.test(name)) return true;
  // c.l.kyc.VendorClient, org.postgresql.Driver: packages start with one-letter or reverse-DNS labels and end in a type.
  if (/^[A-Z]/.test(labels.at(-1) ?? '')) return true;
  if (labels.length >= 3 && labels.slice(0, -1).some((l) => l.length === 1)) return true;
  return labels.every((l) => /^v?\d+$/.test(l));
}

function push(found: Map<string, Entity>, name: string, shape: EntityShape) {
  const clean = name.replace(/[.:,;)\]}'"]+$/, '');
  if (clean.length < 3 || isCommon(clean) || LOOPBACK.test(clean)) return;
  const key = clean.toLowerCase();
  if (!found.has(key)) found.set(key, { name: clean, shape });
}

/** Entities named in one text, in the order they appear by kind: addresses, URL hosts, domains, hosts, objects. */
export function entitiesIn(raw: string): Entity[] {
  const found = new Map<string, Entity>();
  const text = withoutCallers(raw.replace(THREAD, ' ').replace(ACCESS_CLIENT, ' '));
  for (const m of text.matchAll(IPV4)) push(found, m[1]!, 'address');
  for (const m of text.matchAll(URL_HOST)) push(found, m[1]!.toLowerCase(), /^\d/.test(m[1]!) ? 'address' : 'domain');
  for (const m of text.matchAll(DOMAIN)) if (!looksLikeCode(m[1]!)) push(found, m[1]!.toLowerCase(), 'domain');
  for (const m of text.matchAll(HOST)) push(found, m[1]!, 'host');
  for (const m of text.matchAll(OBJECT)) push(found, (m[1] ?? m[2])!, 'object');
  if (SQL_STATEMENT.test(text)) for (const m of text.matchAll(SQL_OBJECT)) push(found, m[1]!, 'object');
  // A domain's first label alone (db-main-02 in db-main-02.internal) is the same place.
  for (const entity of [...found.values()]) {
    if (entity.shape !== 'domain') continue;
    const first = entity.name.split('.')[0]!;
    const short = found.get(first.toLowerCase());
    if (short && short.shape === 'host') found.delete(first.toLowerCase());
  }
  return [...found.values()];
}

/**
 * Words of a text that can tie a change to a failure: identifiers split at dashes, underscores and
 * case changes (PromoRuleResolver: promo, rule, resolver), plurals folded; no numbers, no common words.
 */
export function contentWords(text: string): Set<string> {
  const words = text
    .split(/[^A-Za-z0-9_-]+/)
    .flatMap((w) => [w, ...w.split(/[-_]|(?<=[a-z])(?=[A-Z])/)])
    .map((w) => w.toLowerCase().replace(/(?<=\w{3})(ies|s)$/, (m) => (m === 'ies' ? 'y' : '')))
    .filter((w) => w.length >= 3 && !isCommon(w) && !/\d/.test(w));
  return new Set(words);
}

/** A name mentioned as a whole word: not inside a longer name (db-1 is not in db-10 or x.db-1). */
export const mentionOf = (name: string): RegExp => new RegExp(`(?<![\\w.-])${escapeRegExp(name)}(?![\\w-])`, 'i');
