/**
 * Splits a log message into tokens and the separators between them, and marks the tokens that are
 * values by their shape alone. The rules are the same for every log format.
 */

/** The `<*>` a template writes in place of a value. */
export const WILDCARD = '<*>';

/** A message cut into tokens; `seps[i]` comes before `tokens[i]`, `seps[tokens.length]` ends it. */
export interface TokenizedLine {
  tokens: string[];
  /** Whitespace runs are one space, and the ends are trimmed, as templates write them. */
  seps: string[];
  /** True where a token is a value by its shape (a number, an id, a path…). */
  variable: boolean[];
}

const SPACE = 1;
const DELIMITER = 2;
const kind = new Uint8Array(128);
for (let c = 0; c <= 32; c++) kind[c] = SPACE;
// Punctuation that frames values; `.`, `-`, `_`, `$` and `<>` stay inside tokens (names, versions, ids).
for (const c of ',;:=()[]{}"\'|#@') kind[c.charCodeAt(0)] = DELIMITER;

const SLASH = 47;
const COLON = 58;
const EQUALS = 61;
const DOT = 46;
const BACKSLASH = 92;
const AT = 64;

const isSpace = (c: number) => c < 128 && kind[c] === SPACE;
const isDigit = (c: number) => c >= 48 && c <= 57;
const isLetter = (c: number) => (c | 32) >= 97 && (c | 32) <= 122;

/** How a token ends: most at any delimiter; paths, URLs and `k=v` values only at these. */
const endsPlain = (c: number) => c < 128 && kind[c] !== 0;
// A path or a compact `key=value` value keeps `/`, `#` and `@` (one value: `c@8a2a501`, `1##2##3`).
const endsValue = (c: number) => c < 128 && kind[c] !== 0 && c !== 35 && c !== 64;
// A path also keeps `=` (`/servers?all=True`) but ends at `:` (`/10.0.0.1:80`).
const endsPath = (c: number) => endsValue(c) && c !== EQUALS;
// A URL runs to whitespace, a quote or a closing bracket (`:` and `@` are part of it).
const endsUrl = (c: number) => isSpace(c) || c === 34 || c === 39 || c === 41 || c === 93 || c === 125 || c === 44 || c === 124;

/** Cuts `line` into tokens and separators and marks the value tokens. */
export function tokenize(line: string): TokenizedLine {
  const tokens: string[] = [];
  const seps: string[] = [];
  const variable: boolean[] = [];
  const n = line.length;
  let sepStart = 0;
  let i = 0;
  while (i < n) {
    const c = line.charCodeAt(i);
    // A `/` right after a word separates two tokens (`host/10.0.0.1`); at a token's start it opens a path.
    if ((c < 128 && kind[c] !== 0) || (c === SLASH && i === sepStart && i > 0 && !endsPlain(line.charCodeAt(i - 1)))) {
      i++;
      continue;
    }
    let start = i;
    let end: number;
    let isValue: boolean;
    let token: string;
    if (c === SLASH && line.charCodeAt(i + 1) === SLASH && line.charCodeAt(i - 1) === COLON && i > sepStart) {
      // `scheme://rest`: the separator takes `//`, the rest is one token, a value if it has digits.
      start = i + 2;
      end = scan(line, start, endsUrl);
      if (end === start) {
        i = end;
        continue;
      }
      token = line.slice(start, end);
      isValue = hasDigit(token);
    } else if (c === SLASH) {
      end = scan(line, i + 1, endsPath);
      token = line.slice(start, end);
      isValue = end - start > 1;
    } else if (isWindowsPath(line, i)) {
      end = scan(line, i + 3, endsUrl);
      token = line.slice(start, end);
      isValue = true;
    } else {
      const compactValue = i > sepStart && line.charCodeAt(i - 1) === EQUALS;
      end = compactValue ? scan(line, i + 1, endsValue) : scanWord(line, i);
      const address = line.charCodeAt(end) === COLON ? colonAddressEnd(line, i, end) : end;
      if (address > end) {
        end = address;
        token = line.slice(start, end);
        isValue = true;
      } else {
        token = line.slice(start, withoutClosingDots(line, start, end));
        isValue = isValueToken(token);
      }
    }
    seps.push(normalizeSeparator(line.slice(sepStart, start), sepStart === 0, false));
    tokens.push(token);
    variable.push(isValue);
    // Dots cut off the token open the next separator.
    sepStart = start + token.length;
    i = end;
  }
  seps.push(normalizeSeparator(line.slice(sepStart), sepStart === 0, true));
  return { tokens, seps, variable };
}

/**
 * A full stop or an ellipsis ending a sentence is punctuation, not part of the word or value
 * before it (`done.`, `Starting...`): where the token ends without its closing dots.
 */
function withoutClosingDots(line: string, start: number, end: number): number {
  if (end < line.length && !isSpace(line.charCodeAt(end))) return end;
  let j = end;
  while (j - 1 > start && line.charCodeAt(j - 1) === DOT) j--;
  return j;
}

function scan(line: string, from: number, ends: (c: number) => boolean): number {
  let j = from;
  while (j < line.length && !ends(line.charCodeAt(j))) j++;
  return j;
}

/**
 * A plain token also ends at a `/` after its first character (`host/10.0.0.1` is two values), and
 * runs on over an `@` followed by a host (`alice@mail.example.com`), not by a hash (`Foo@1a2b3c`).
 */
function scanWord(line: string, from: number): number {
  let j = from + 1;
  for (; j < line.length; j++) {
    const c = line.charCodeAt(j);
    if (endsPlain(c) || c === SLASH) break;
  }
  return line.charCodeAt(j) === AT ? (hostAfter(line, from, j) ?? j) : j;
}

const HOST_CHARS = /[\w.-]*/y;
const USER_NAME = /^[\w.%+-]+$/;

/** Where `user@host` that has its `@` at `at` ends; undefined if a name or hash is around it (`Foo$Bar@1a2b3c`). */
function hostAfter(line: string, from: number, at: number): number | undefined {
  HOST_CHARS.lastIndex = at + 1;
  HOST_CHARS.test(line);
  const host = line.slice(at + 1, HOST_CHARS.lastIndex);
  if (host === '' || HEX.test(host) || !USER_NAME.test(line.slice(from, at))) return undefined;
  return HOST_CHARS.lastIndex;
}

// A MAC address, or an IPv6 address (with `::` or all eight groups): `:` inside is not a separator.
const MAC = /(?:[0-9a-f]{2}:){5}[0-9a-f]{2}(?![\w:])/iy;
const IPV6 =
  /(?:[0-9a-f]{1,4}:){7}[0-9a-f]{1,4}(?![\w:])|(?:[0-9a-f]{1,4}:)*(?:[0-9a-f]{1,4})?::(?:[0-9a-f]{1,4}(?::[0-9a-f]{1,4})*)?(?![\w:])/iy;
const COLON_ADDRESSES = [MAC, IPV6];

/** Where a MAC or IPv6 address starting at `i` ends, given its first group ends at `end`; `end` if none. */
function colonAddressEnd(line: string, i: number, end: number): number {
  if (end - i > 4) return end;
  for (let j = i; j < end; j++) if (!isHexDigit(line.charCodeAt(j))) return end;
  for (const address of COLON_ADDRESSES) {
    address.lastIndex = i;
    if (address.test(line)) return address.lastIndex;
  }
  return end;
}

const isHexDigit = (c: number) => isDigit(c) || ((c | 32) >= 97 && (c | 32) <= 102);

const isWindowsPath = (line: string, i: number) =>
  isLetter(line.charCodeAt(i)) && line.charCodeAt(i + 1) === COLON && line.charCodeAt(i + 2) === BACKSLASH;

function hasDigit(s: string): boolean {
  for (let j = 0; j < s.length; j++) if (isDigit(s.charCodeAt(j))) return true;
  return false;
}

function normalizeSeparator(sep: string, first: boolean, last: boolean): string {
  if (sep === ' ' || sep === '') return first || last ? sep.trim() : sep;
  let s = sep.replace(/\s+/g, ' ');
  if (first) s = s.trimStart();
  if (last) s = s.trimEnd();
  return s;
}

// Booleans, null and the default account names are values in the log-parsing guidelines (Khan et al., ICSE 2022).
const LITERALS = new Set(['true', 'false', 'null', 'root', 'admin']);
// Day and month names are parts of a date.
const DATE_WORDS = new Set(
  'Mon Tue Wed Thu Fri Sat Sun Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec'.split(' ').flatMap((w) => [w, w.toUpperCase()]),
);
const PART_SEPARATORS = /[-_.:@#$]+/;
const HEX = /^[0-9a-f]+$/i;
const LONG_DIGIT_RUN = /\d{4}/;
// A host name: labels ending in a generic top-level domain (`mail.example.com`), or in a country
// code after a generic second level (`proxy.cs.example.edu.hk`, `host.co.jp`). Property names
// (`mapred.task.id`) and reverse-domain names (`com.example.app`) do not end so.
const GENERIC_DOMAIN = 'com|net|org|edu|gov|mil|int|info|biz|io';
const HOST_NAME = new RegExp(
  `^(?:[a-z0-9-]+\\.)+(?:${GENERIC_DOMAIN}|local|localdomain|lan|internal|(?:${GENERIC_DOMAIN}|co|ac|ne|or|go)\\.[a-z]{2})$`,
  'i',
);
// `user@host`, an e-mail address (tokenize joins the two only when a host follows the `@`).
const USER_AT_HOST = /^[\w.%+-]+@[\w.-]+$/;

/**
 * A value by shape: a literal (`true`, `null`, `root`), a day or month name, anything starting
 * with a digit or a symbol and a digit (numbers, IPs, `10ms`, hex, `-1`, `<1`, `*64`), a long
 * digit run (`steps1514044800223`), a host name or `user@host`, or an id whose dash-, underscore-
 * or dot-separated part is numeric (`blk_-42`, `mesos-slave-07`, `core.2275`). Names with a digit
 * inside a word (`jk2_init`, `HttpServer2`, `log4j`) stay constant.
 */
export function isValueToken(token: string): boolean {
  if (!hasDigit(token)) return (token.length <= 5 && (LITERALS.has(token.toLowerCase()) || DATE_WORDS.has(token))) || isHostName(token);
  if (startsNumeric(token) || LONG_DIGIT_RUN.test(token) || isHostName(token)) return true;
  return token.split(PART_SEPARATORS).some(startsNumericOrHex);
}

// The `includes` spare most words the regular expressions.
const isHostName = (token: string) => (token.includes('.') && HOST_NAME.test(token)) || (token.includes('@') && USER_AT_HOST.test(token));

/** A digit first, or after a sign or comparison mark (`-1`, `+5`, `<1`, `>10`, `~3`, `*64`). */
function startsNumeric(s: string): boolean {
  const c = s.charCodeAt(0);
  return isDigit(c) || (c < 128 && NUMBER_MARK[c] === 1 && isDigit(s.charCodeAt(1)));
}

const NUMBER_MARK = new Uint8Array(128);
for (const c of '-+<>~*') NUMBER_MARK[c.charCodeAt(0)] = 1;

const startsNumericOrHex = (part: string) => startsNumeric(part) || (part.length >= 6 && HEX.test(part) && hasDigit(part));

/** The token sequence written out with `<*>` for the values marked in `variable`. */
export function render(seps: readonly string[], tokens: readonly string[], variable: readonly boolean[]): string {
  let out = seps[0]!;
  for (let i = 0; i < tokens.length; i++) out += (variable[i] ? WILDCARD : tokens[i]!) + seps[i + 1];
  return out;
}

// A unit that changes between lines belongs to the quantity before it (`5.2 KB`, `93.0 B`).
export const UNITS = new Set([
  'b',
  'kb',
  'mb',
  'gb',
  'tb',
  'kib',
  'mib',
  'gib',
  'tib',
  'bytes',
  'ns',
  'us',
  'ms',
  's',
  'sec',
  'secs',
  'seconds',
  'min',
  'mins',
  'minutes',
  'h',
  'hours',
  'days',
]);
