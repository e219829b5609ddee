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
      token = line.slice(start, withoutClosingDots(line, start, end));
      isValue = isValueToken(token);
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

/** A plain token also ends at a `/` after its first character: `host/10.0.0.1` is two values. */
function scanWord(line: string, from: number): number {
  let j = from + 1;
  for (; j < line.length; j++) {
    const c = line.charCodeAt(j);
    if (endsPlain(c) || c === SLASH) break;
  }
  return j;
}

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

const LITERALS = new Set(['true', 'false', 'null']);
const PART_SEPARATORS = /[-_.:@#$]+/;
const HEX = /^[0-9a-f]+$/i;
const LONG_DIGIT_RUN = /\d{4}/;

/**
 * A value by shape: a literal (`true`, `null`), anything starting with a digit or a signed digit
 * (numbers, IPs, `10ms`, hex), a long digit run (`steps1514044800223`), or an id whose dash-,
 * underscore- or dot-separated part is numeric (`blk_-42`, `mesos-slave-07`, `c@8a2a501`). Names
 * with a digit inside a word (`jk2_init`, `HttpServer2`, `log4j`) stay constant.
 */
export function isValueToken(token: string): boolean {
  if (!hasDigit(token)) return LITERALS.has(token.toLowerCase());
  if (startsNumeric(token) || LONG_DIGIT_RUN.test(token)) return true;
  return token.split(PART_SEPARATORS).some(startsNumericOrHex);
}

function startsNumeric(s: string): boolean {
  const c = s.charCodeAt(0);
  return isDigit(c) || ((c === 45 || c === 43) && isDigit(s.charCodeAt(1)));
}

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
