/**
 * A small evaluator for Datadog's log search syntax (also used by event search):
 * `key:value`, `key:"a phrase"`, `key:(a OR b)`, free text, `"phrases"`, `*` and `?` wildcards,
 * `AND` (or nothing), `OR`, `NOT`/`-`, and parentheses. Precedence is NOT, then AND, then OR.
 * Ranges and numeric comparisons are not supported and read as a syntax error.
 */

/** One record to search: facet values by key (`host`, `service`, `status`, tag keys, `@attributes`) and the free text. */
export interface Searchable {
  facets: Record<string, string[]>;
  text: string;
}

export type SearchQuery =
  | { kind: 'all' }
  | { kind: 'term'; key?: string; value: string }
  | { kind: 'not'; query: SearchQuery }
  | { kind: 'and' | 'or'; queries: SearchQuery[] };

/** Thrown when a search query or a time bound cannot be read; the sandbox answers 400 with the message. */
export class SearchSyntaxError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SearchSyntaxError';
  }
}

type Token =
  { type: '(' | ')' | 'AND' | 'OR' | 'NOT' | '-' } | { type: 'term'; key?: string; value: string } | { type: 'group'; key: string };

function readQuoted(query: string, start: number): { value: string; end: number } {
  let value = '';
  for (let i = start + 1; i < query.length; i++) {
    if (query[i] === '\\' && i + 1 < query.length) value += query[++i];
    else if (query[i] === '"') return { value, end: i + 1 };
    else value += query[i];
  }
  throw new SearchSyntaxError(`unterminated quote in query "${query}"`);
}

function tokenize(query: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < query.length) {
    const ch = query.charAt(i);
    if (/\s/.test(ch)) i++;
    else if (ch === '(' || ch === ')') {
      tokens.push({ type: ch });
      i++;
    } else if (ch === '"') {
      const { value, end } = readQuoted(query, i);
      tokens.push({ type: 'term', value });
      i = end;
    } else if (ch === '-' && i + 1 < query.length && !/[\s)]/.test(query.charAt(i + 1))) {
      tokens.push({ type: '-' });
      i++;
    } else {
      let end = i;
      while (end < query.length && !/[\s()"]/.test(query.charAt(end))) end++;
      const word = query.slice(i, end);
      i = end;
      const colon = word.indexOf(':');
      if (word === 'AND' || word === 'OR' || word === 'NOT') tokens.push({ type: word });
      else if (colon > 0 && colon === word.length - 1 && query[i] === '(') {
        tokens.push({ type: 'group', key: word.slice(0, -1) });
        i++;
      } else if (colon > 0 && colon === word.length - 1 && query[i] === '"') {
        const { value, end: after } = readQuoted(query, i);
        tokens.push({ type: 'term', key: word.slice(0, -1), value });
        i = after;
      } else if (colon > 0 && colon < word.length - 1)
        tokens.push({ type: 'term', key: word.slice(0, colon), value: word.slice(colon + 1) });
      else if (/[[\]{}<>]/.test(word) || colon > 0) throw new SearchSyntaxError(`unsupported search term "${word}"`);
      else tokens.push({ type: 'term', value: word });
    }
  }
  return tokens;
}

/** Parses a search query; an empty query or `*` matches everything. Throws SearchSyntaxError. */
export function parseSearchQuery(query: string | undefined): SearchQuery {
  if (!query || query.trim() === '' || query.trim() === '*') return { kind: 'all' };
  const tokens = tokenize(query);
  let pos = 0;
  const peek = () => tokens[pos];
  const fail = (what: string): never => {
    throw new SearchSyntaxError(`${what} in query "${query}"`);
  };

  const or = (key?: string): SearchQuery => {
    const first = and(key);
    const queries = [first];
    while (peek()?.type === 'OR') {
      pos++;
      queries.push(and(key));
    }
    return queries.length === 1 ? first : { kind: 'or', queries };
  };
  const and = (key?: string): SearchQuery => {
    const first = unary(key);
    const queries = [first];
    for (let next = peek(); next && next.type !== ')' && next.type !== 'OR'; next = peek()) {
      if (next.type === 'AND') pos++;
      queries.push(unary(key));
    }
    return queries.length === 1 ? first : { kind: 'and', queries };
  };
  const unary = (key?: string): SearchQuery => {
    const token = peek();
    if (token?.type === 'NOT' || token?.type === '-') return (pos++, { kind: 'not', query: unary(key) });
    return primary(key);
  };
  const primary = (key?: string): SearchQuery => {
    const token = tokens[pos++];
    if (!token) return fail('unexpected end');
    if (token.type === 'term') {
      if (token.value === '*' && !token.key && !key) return { kind: 'all' };
      return { kind: 'term', key: token.key ?? key, value: token.value };
    }
    if (token.type === '(' || token.type === 'group') {
      const inner = or(token.type === 'group' ? token.key : key);
      if (tokens[pos++]?.type !== ')') fail('missing ")"');
      return inner;
    }
    return fail(`unexpected "${token.type}"`);
  };

  const parsed = or();
  const extra = tokens[pos];
  if (extra) fail(`unexpected "${extra.type === 'term' ? extra.value : extra.type}"`);
  return parsed;
}

function wildcard(pattern: string): RegExp {
  const source = pattern
    .replace(/[.+^${}()|[\]\\]/g, '\\$&')
    .replace(/\*/g, '.*')
    .replace(/\?/g, '.');
  return new RegExp(`^${source}$`, 'i');
}

function termMatches(term: { key?: string; value: string }, record: Searchable): boolean {
  if (term.key === undefined) {
    // Free text: a phrase anywhere in the text, or a word pattern when it has wildcards.
    if (!/[*?]/.test(term.value)) return record.text.toLowerCase().includes(term.value.toLowerCase());
    return record.text.split(/\s+/).some((word) => wildcard(term.value).test(word));
  }
  const values = record.facets[term.key.toLowerCase()] ?? [];
  const pattern = wildcard(term.value);
  return values.some((v) => pattern.test(v));
}

/** Whether a record satisfies a parsed query. Facet values and free text compare without case. */
export function matchesQuery(query: SearchQuery, record: Searchable): boolean {
  switch (query.kind) {
    case 'all':
      return true;
    case 'term':
      return termMatches(query, record);
    case 'not':
      return !matchesQuery(query.query, record);
    case 'and':
      return query.queries.every((q) => matchesQuery(q, record));
    case 'or':
      return query.queries.some((q) => matchesQuery(q, record));
  }
}

/** Facets from `key:value` tags; a tag without a value is searchable by its whole text under `tags`. */
export function facetsFromTags(tags: string[]): Record<string, string[]> {
  const facets: Record<string, string[]> = {};
  for (const tag of tags) {
    const colon = tag.indexOf(':');
    const [key, value] = colon > 0 ? [tag.slice(0, colon).toLowerCase(), tag.slice(colon + 1)] : ['tags', tag];
    (facets[key] ??= []).push(value);
  }
  return facets;
}

const UNIT_MS: Record<string, number> = { s: 1e3, m: 60e3, h: 3600e3, d: 86400e3, w: 7 * 86400e3, mo: 30 * 86400e3 };

/**
 * Reads a search time bound as Datadog does: `now`, `now-15m` (s, m, h, d, w, mo), epoch
 * milliseconds, or an ISO date. Absent means `fallback`. Throws SearchSyntaxError.
 */
export function parseSearchTime(value: string | undefined, nowMs: number, fallback: number): number {
  if (value === undefined || value === '') return fallback;
  const relative = /^now(?:([+-])(\d+)(mo|s|m|h|d|w))?$/.exec(value.trim());
  if (relative) {
    const [, sign, amount, unit = ''] = relative;
    if (!sign) return nowMs;
    const unitMs = UNIT_MS[unit];
    if (unitMs === undefined) throw new Error(`parseSearchTime: no length for the unit "${unit}" its pattern accepts`);
    return nowMs + (sign === '-' ? -1 : 1) * Number(amount) * unitMs;
  }
  if (/^\d+$/.test(value)) return Number(value);
  const parsed = Date.parse(value);
  if (Number.isNaN(parsed)) throw new SearchSyntaxError(`invalid time "${value}": use now, now-15m, epoch milliseconds or an ISO date`);
  return parsed;
}
