/**
 * Brain (Yu et al., "Brain: Log Parsing with Bidirectional Parallel Tree", IEEE TSC 2023) as a
 * miner for bench:logs, on the project's tokenizer (values by shape are `<*>` before mining):
 *
 * 1. Lines are grouped by their words and separators (a run of values is one word, so lists of
 *    any length share a group).
 * 2. In a group, each (position, word) pair is counted over its lines. A line's longest common
 *    pattern (LCP) is the set of its pairs whose count is shared by most of its words (ties: the
 *    higher count); lines with one LCP are one root.
 * 3. Under a root, a column whose words are all counted more often than the LCP is constant
 *    (parent direction; several such words split the root). Other columns (child direction) are
 *    taken fewest distinct words first: below `childThreshold` distinct words they split the
 *    node, else they and the columns with more words hold values.
 * 4. A line's template keeps its node's constants and writes `<*>` for the rest.
 */
import { render, tokenize, UNITS, WILDCARD, type TokenizedLine } from '../src/logs/tokenize';

export interface BrainConfig {
  /** A child column with at least this many distinct words holds values; fewer split the node. */
  childThreshold: number;
}

export const BRAIN_DEFAULT_CONFIG: Readonly<BrainConfig> = { childThreshold: 8 };

/** One distinct masked line and how many lines had it. */
interface Variant {
  line: TokenizedLine;
  /** A constant token, or `<*>` for a run of values. */
  words: string[];
  /** Token index where each word starts. */
  starts: number[];
  count: number;
  template: string;
}

export class BrainMiner {
  private readonly config: BrainConfig;
  private readonly variants = new Map<string, Variant>();
  private readonly groups = new Map<string, Variant[]>();
  /** The tree is rebuilt when a new variant arrives, not when a known one's count grows (as the shipped miner caches). */
  private built = true;

  constructor(config: Partial<BrainConfig> = {}) {
    this.config = { ...BRAIN_DEFAULT_CONFIG, ...config };
  }

  add(line: string): void {
    const tokenized = tokenize(line);
    const key = render(tokenized.seps, tokenized.tokens, tokenized.variable);
    const known = this.variants.get(key);
    if (known) {
      known.count++;
      return;
    }
    const { words, starts, group } = wordsOf(tokenized);
    const variant: Variant = { line: tokenized, words, starts, count: 1, template: '' };
    this.variants.set(key, variant);
    const members = this.groups.get(group);
    if (members) members.push(variant);
    else this.groups.set(group, [variant]);
    this.built = false;
  }

  templateOf(line: string): string {
    if (!this.built) this.build();
    const tokenized = tokenize(line);
    const key = render(tokenized.seps, tokenized.tokens, tokenized.variable);
    return this.variants.get(key)?.template ?? key;
  }

  templates(): string[] {
    if (!this.built) this.build();
    return [...new Set([...this.variants.values()].map((v) => v.template))];
  }

  private build(): void {
    for (const group of this.groups.values()) {
      for (const root of rootsOf(group)) mineRoot(root, this.config);
    }
    this.built = true;
  }
}

const isListSeparator = (sep: string) => sep === ' ' || sep === ',';

/** The line's words (a run of values is one `<*>`) and the key of its group: word count and separators. */
function wordsOf(line: TokenizedLine): { words: string[]; starts: number[]; group: string } {
  const { tokens, seps, variable } = line;
  const words: string[] = [];
  const starts: number[] = [];
  let group = seps[0]!;
  for (let i = 0; i < tokens.length; i++) {
    group += `\u0001${i > 0 ? seps[i] : ''}`;
    starts.push(i);
    words.push(variable[i] ? WILDCARD : tokens[i]!);
    while (variable[i] && variable[i + 1] && isListSeparator(seps[i + 1]!)) i++;
  }
  return { words, starts, group: `${words.length}\u0001${group}\u0001${seps[tokens.length]}` };
}

interface Root {
  variants: Variant[];
  /** The LCP's count: columns counted more often are constants. */
  frequency: number;
  lcpColumns: Set<number>;
}

/** Splits a group into roots: lines with the same longest common pattern. */
function rootsOf(group: Variant[]): Root[] {
  const counts = columnCounts(group);
  const roots = new Map<string, Root>();
  for (const v of group) {
    const frequency = lcpFrequency(v, counts);
    const lcpColumns = new Set<number>();
    v.words.forEach((w, k) => {
      if (w !== WILDCARD && counts[k]!.get(w) === frequency) lcpColumns.add(k);
    });
    const key = [...lcpColumns].map((k) => `${k}\u0001${v.words[k]}`).join('\u0002');
    const root = roots.get(key);
    if (root) root.variants.push(v);
    else roots.set(key, { variants: [v], frequency, lcpColumns });
  }
  return [...roots.values()];
}

/** Lines per (column, word) in a group. */
function columnCounts(group: Variant[]): Map<string, number>[] {
  const counts = group[0]!.words.map(() => new Map<string, number>());
  for (const v of group) v.words.forEach((w, k) => counts[k]!.set(w, (counts[k]!.get(w) ?? 0) + v.count));
  return counts;
}

/** The count shared by most of the line's constant words; ties go to the higher count. */
function lcpFrequency(v: Variant, counts: Map<string, number>[]): number {
  const words = new Map<number, number>();
  v.words.forEach((w, k) => {
    if (w === WILDCARD) return;
    const f = counts[k]!.get(w)!;
    words.set(f, (words.get(f) ?? 0) + 1);
  });
  let best = 0;
  let bestWords = 0;
  for (const [f, n] of words) {
    if (n > bestWords || (n === bestWords && f > best)) {
      best = f;
      bestWords = n;
    }
  }
  return best;
}

/** Sets the template of every line under a root: parent columns constant, child columns split or values. */
function mineRoot(root: Root, config: BrainConfig): void {
  const counts = columnCounts(root.variants);
  const columns = root.variants[0]!.words.map((_, k) => k).filter((k) => !root.lcpColumns.has(k));
  const isParent = (k: number) => [...counts[k]!.keys()].every((w) => w !== WILDCARD && counts[k]!.get(w)! > root.frequency);
  const parents = columns.filter(isParent);
  const children = columns.filter((k) => !isParent(k));
  for (const node of partition(root.variants, parents)) splitChildren(node, children, config);
}

/** Groups variants by their words at `columns`. */
function partition(variants: Variant[], columns: number[]): Variant[][] {
  const parts = new Map<string, Variant[]>();
  for (const v of variants) {
    const key = columns.map((k) => v.words[k]).join('\u0001');
    const part = parts.get(key);
    if (part) part.push(v);
    else parts.set(key, [v]);
  }
  return [...parts.values()];
}

/** Splits a node on its child column with the fewest distinct words while that is below the threshold. */
function splitChildren(node: Variant[], children: number[], config: BrainConfig): void {
  let splitColumn = -1;
  let fewest = config.childThreshold;
  for (const k of children) {
    const words = distinctWords(node, k);
    if (words.size > 1 && words.size < fewest && !words.has(WILDCARD) && !isUnitColumn(node, k, words)) {
      splitColumn = k;
      fewest = words.size;
    }
  }
  if (splitColumn < 0) {
    writeTemplates(node);
    return;
  }
  const rest = children.filter((k) => k !== splitColumn);
  for (const part of partition(node, [splitColumn])) splitChildren(part, rest, config);
}

const isUnitColumn = (node: Variant[], k: number, words: Set<string>) =>
  k > 0 && node.every((v) => v.words[k - 1] === WILDCARD) && [...words].every((w) => UNITS.has(w.toLowerCase()));

function distinctWords(node: Variant[], k: number): Set<string> {
  const words = new Set<string>();
  for (const v of node) words.add(v.words[k]!);
  return words;
}

/** Writes each line of a leaf: words shared by all its lines kept, others `<*>`; value runs of one length token by token. */
function writeTemplates(node: Variant[]): void {
  const first = node[0]!;
  const kinds = first.words.map((w, k): ColumnKind => {
    const words = distinctWords(node, k);
    if (words.size === 1 && w !== WILDCARD) return 'constant';
    return words.size > 1 && isUnitColumn(node, k, words) ? 'unit' : 'value';
  });
  const fixedRun = first.words.map((_, k) => node.every((v) => runLength(v, k) === runLength(first, k)));
  for (const v of node) v.template = renderLeaf(v, kinds, fixedRun);
}

const runLength = (v: Variant, k: number) => (v.starts[k + 1] ?? v.line.tokens.length) - v.starts[k]!;

/** Constant, value, or a unit folded into the value before it. */
type ColumnKind = 'constant' | 'value' | 'unit';

function renderLeaf(v: Variant, kinds: ColumnKind[], fixedRun: boolean[]): string {
  const { tokens, seps, variable } = v.line;
  let out = seps[0]!;
  for (let k = 0; k < v.words.length; k++) {
    if (kinds[k] === 'unit') continue;
    const start = v.starts[k]!;
    const end = v.starts[k + 1] ?? tokens.length;
    if (k > 0) out += seps[start];
    if (kinds[k] === 'constant') out += tokens[start];
    else if (v.words[k] !== WILDCARD || !fixedRun[k]) out += WILDCARD;
    else for (let i = start; i < end; i++) out += (i > start ? seps[i] : '') + (variable[i] ? WILDCARD : tokens[i]!);
  }
  return out + seps[tokens.length];
}
