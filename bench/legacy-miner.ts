/**
 * The miner shipped before the current one (src/logs/template-miner.ts), kept only so that
 * bench:logs scores both in the same run. Its rules were written while looking at the 7 corrected
 * LogHub systems; on 7 held-out ones it scored GA .712, PA .547.
 *
 * An online log template miner in the spirit of Drain, with one configuration for every format
 * (LegacyMinerConfig; the shipped one is chosen by leaving one LogHub system out, see bench/logs.ts).
 *
 * Each line is tokenized and its values by shape (numbers, ids, paths…, see tokenize.ts) become
 * `<*>`; the result is the line's variant. Variants with the same separators and leading words
 * (Drain's prefix tree) that share enough of their constant tokens, slot by slot, form a family
 * (a run of values is one slot, so lists of any length share one). Where a family's variants
 * differ, a slot becomes a value once
 * - it held a value by shape where the family had a word, in a line that differs nowhere else;
 * - its words are units after a value (`5.2 KB` / `93.0 B`), folded into that value;
 * - it has enough distinct words for the family's lines, fewer when all are identifiers;
 * and a run of values becomes one `<*>` once its length varies. Until then each word keeps its own
 * template, so `GET`/`POST`/`DELETE` or `LOOKING`/`LEADING` stay apart while class names merge.
 * Slots only ever open, so templates generalise as lines arrive and never split.
 */
import { cloneStats, emptyStats, type LineMeta, mergeInto, type MinedTemplate, record } from '../src/logs/template-stats';
import { render, tokenize, WILDCARD, type TokenizedLine } from '../src/logs/tokenize';

/** The knobs of the miner; the bench chooses them by leaving one LogHub system out (bench/logs.ts). */
export interface LegacyMinerConfig {
  /** A family joins variants whose constant tokens agree on at least this share. */
  similarity: number;
  /** Leading words that must be equal for two lines to share a family, as in Drain's prefix tree. */
  prefixWords: number;
  /** A word position opens once it has this many distinct words... */
  minDistinctWords: number;
  /** ...covering at least this share of the family's lines (few words used often are template text). */
  minDistinctShare: number;
  /** A position whose words are all identifiers (`com.acme.Foo`, `RILJ_ACK_WL`, `topActivity`) opens at this many, whatever their share. */
  minDistinctIdentifiers: number;
}

/** The configuration chosen on all nine LogHub-2k systems by `npm run bench:logs`. */
export const LEGACY_DEFAULT_CONFIG: Readonly<LegacyMinerConfig> = {
  similarity: 0.4,
  prefixWords: 1,
  minDistinctWords: 6,
  minDistinctShare: 0.3,
  minDistinctIdentifiers: 3,
};

// A position with this many distinct words opens whatever their share: more alternatives than any template writes out.
const MANY_WORDS = 20;
// A unit that changes between lines belongs to the quantity before it (`5.2 KB`, `93.0 B`).
const UNITS = new Set([
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

/**
 * A line seen as a family sees it: each run of values joined by `,` or a space is one slot, so
 * lists of any length (`to delete blk_1 blk_2 …`) share a family.
 */
interface Slots {
  /** A constant token, or `<*>` for a run of values. */
  words: string[];
  /** Token index where each slot starts; the slot ends where the next starts. */
  starts: number[];
  /** Token count and separators between slots: only lines of one shape share a family. */
  shape: string;
}

interface Family {
  /** The first variant's slot words. */
  words: string[];
  /** Slots that hold values. */
  open: boolean[];
  /** Slots that hold a unit of the value before them, written as part of it. */
  unit: boolean[];
  /** Distinct words seen at slots that differ but are not open yet. */
  seen: (Set<string> | undefined)[];
  /** Value runs' length in the first variant; -1 once lengths differ (the run is a list). */
  runLength: number[];
  lines: number;
  /** Bumped when a slot opens, so cached templates know they are stale. */
  version: number;
  /** Variants by their template when they were made: lines differing only in open slots reuse one. */
  variants: Map<string, Variant>;
}

interface Variant {
  id: number;
  family: Family;
  line: TokenizedLine;
  slots: Slots;
  stats: MinedTemplate;
  cached?: { version: number; template: string };
}

/** Mines templates from a stream of log messages, one line at a time. */
export class LegacyTemplateMiner {
  private readonly config: LegacyMinerConfig;
  private readonly variants = new Map<string, Variant>();
  private readonly families = new Map<string, Family[]>();
  private lines = 0;

  constructor(config: Partial<LegacyMinerConfig> = {}) {
    this.config = { ...LEGACY_DEFAULT_CONFIG, ...config };
  }

  /** Adds one message (without timestamp or level prefixes) to the templates. */
  add(line: string, meta?: LineMeta): void {
    this.lines++;
    const tokenized = tokenize(line);
    const key = render(tokenized.seps, tokenized.tokens, tokenized.variable);
    const variant = this.variants.get(key) ?? this.variantFor(tokenized, key, line);
    variant.family.lines++;
    record(variant.stats, this.lines, meta);
  }

  /** The current template of a message: of its variant if it was added, else of the family it would join. */
  templateOf(line: string): string {
    const tokenized = tokenize(line);
    const variant = this.variants.get(render(tokenized.seps, tokenized.tokens, tokenized.variable));
    if (variant) return this.templateOfVariant(variant);
    const slots = slotsOf(tokenized, this.config.prefixWords);
    const family = this.closestFamily(slots);
    return family ? renderInFamily(tokenized, slots, family) : render(tokenized.seps, tokenized.tokens, tokenized.variable);
  }

  /** All templates with their merged statistics, most frequent first. */
  templates(): MinedTemplate[] {
    const byTemplate = new Map<string, MinedTemplate>();
    for (const variant of this.variants.values()) {
      const template = this.templateOfVariant(variant);
      const merged = byTemplate.get(template);
      if (merged) mergeInto(merged, variant.stats);
      else byTemplate.set(template, { ...cloneStats(variant.stats), template });
    }
    return [...byTemplate.values()].sort((a, b) => b.count - a.count || a.firstLine - b.firstLine);
  }

  private templateOfVariant(variant: Variant): string {
    const { family } = variant;
    if (variant.cached?.version !== family.version) {
      variant.cached = { version: family.version, template: renderInFamily(variant.line, variant.slots, family) };
    }
    return variant.cached.template;
  }

  /**
   * Finds or makes the variant of a line not seen before. A line that differs from a variant
   * only in open slots (a new user name, say) counts for it and is not stored, so memory grows
   * with templates rather than with values.
   */
  private variantFor(line: TokenizedLine, key: string, example: string): Variant {
    const slots = slotsOf(line, this.config.prefixWords);
    let family = this.closestFamily(slots);
    const template = family && renderInFamily(line, slots, family);
    const same = template !== undefined && family!.variants.get(template);
    if (same) return same;
    if (family) join(family, line, slots, this.config);
    else {
      family = newFamily(line, slots);
      const bucket = this.families.get(slots.shape);
      if (bucket) bucket.push(family);
      else this.families.set(slots.shape, [family]);
    }
    const id = this.variants.size + 1;
    const variant: Variant = { id, family, line, slots, stats: emptyStats(id, example) };
    this.variants.set(key, variant);
    family.variants.set(template ?? renderInFamily(line, slots, family), variant);
    return variant;
  }

  private closestFamily(slots: Slots): Family | undefined {
    let best: Family | undefined;
    let bestSimilarity = this.config.similarity;
    for (const family of this.families.get(slots.shape) ?? []) {
      const s = similarity(family, slots.words);
      if (s > bestSimilarity || (s === bestSimilarity && !best)) {
        best = family;
        bestSimilarity = s;
      }
    }
    return best;
  }
}

const isListSeparator = (sep: string) => sep === ' ' || sep === ',';

function slotsOf(line: TokenizedLine, prefixWords: number): Slots {
  const { tokens, seps, variable } = line;
  const words: string[] = [];
  const starts: number[] = [];
  let shape = seps[0]!;
  for (let i = 0; i < tokens.length; i++) {
    if (i > 0) shape += `\u0001${seps[i]}`;
    starts.push(i);
    if (!variable[i]) {
      words.push(tokens[i]!);
      continue;
    }
    words.push(WILDCARD);
    while (variable[i + 1] && isListSeparator(seps[i + 1]!)) i++;
  }
  const prefix = words.slice(0, prefixWords).join('\u0001');
  return { words, starts, shape: `${words.length}\u0001${shape}\u0001${seps[tokens.length]}\u0002${prefix}` };
}

function newFamily(line: TokenizedLine, slots: Slots): Family {
  // Values by shape are written `<*>` by their line; a family opens a slot only for what varies.
  const open = slots.words.map(() => false);
  return {
    words: slots.words,
    open,
    unit: open.slice(),
    seen: [],
    runLength: slots.starts.map((_, k) => runLength(line, slots, k)),
    lines: 0,
    version: 0,
    variants: new Map(),
  };
}

const runLength = (line: TokenizedLine, slots: Slots, k: number) => (slots.starts[k + 1] ?? line.tokens.length) - slots.starts[k]!;

/** Share of the line's constant words that the family has at the same slot; open slots do not count. */
function similarity(family: Family, words: string[]): number {
  let constants = 0;
  let same = 0;
  for (let k = 0; k < words.length; k++) {
    if (words[k] === WILDCARD) continue;
    constants++;
    if (!family.open[k] && family.words[k] === words[k]) same++;
  }
  return constants === 0 ? 1 : same / constants;
}

/** Adds a new variant to its family, opening the slots that turn out to hold values. */
function join(family: Family, line: TokenizedLine, slots: Slots, config: LegacyMinerConfig): void {
  markLists(family, line, slots);
  const differing = recordWords(family, slots.words);
  // A unit that alone tells two lines apart is part of the value before it (`5.2 KB`, `93.0 B`).
  if (differing.length > 0 && differing.every((k) => isUnitSlot(family, k))) {
    for (const k of differing) family.unit[k] = true;
    for (const k of differing) openSlot(family, k);
  }
  for (let k = 0; k < slots.words.length; k++) {
    const seen = family.seen[k];
    if (seen && opens(family, seen, differing.length === 1 && differing[0] === k, config)) openSlot(family, k);
  }
}

/** A run of values whose length differs from the family's first is a list: one `<*>`. */
function markLists(family: Family, line: TokenizedLine, slots: Slots): void {
  for (let k = 0; k < slots.words.length; k++) {
    const bothRuns = slots.words[k] === WILDCARD && family.words[k] === WILDCARD;
    if (bothRuns && family.runLength[k]! > 0 && runLength(line, slots, k) !== family.runLength[k]) {
      family.runLength[k] = -1;
      family.version++;
    }
  }
}

/** Adds the words of the slots that vary to what the family has seen; returns where the line differs. */
function recordWords(family: Family, words: string[]): number[] {
  const differing: number[] = [];
  for (let k = 0; k < words.length; k++) {
    if (family.open[k] || (family.words[k] === words[k] && !family.seen[k])) continue;
    const seen = family.seen[k] ?? new Set([family.words[k]!]);
    seen.add(words[k]!);
    family.seen[k] = seen;
    if (family.words[k] !== words[k]) differing.push(k);
  }
  return differing;
}

const holdsValues = (family: Family, k: number) => family.open[k] || family.words[k] === WILDCARD;

const isUnitSlot = (family: Family, k: number) =>
  k > 0 && holdsValues(family, k - 1) && [...family.seen[k]!].every((w) => UNITS.has(w.toLowerCase()));

/**
 * Whether a slot holds values: it held a value by shape where the family had a word, in a line
 * that differs nowhere else; or it has many distinct words for few lines.
 */
function opens(family: Family, seen: Set<string>, onlyDifference: boolean, config: LegacyMinerConfig): boolean {
  if (seen.has(WILDCARD)) return onlyDifference;
  if (seen.size >= config.minDistinctIdentifiers && [...seen].every(isIdentifier)) return true;
  return seen.size >= MANY_WORDS || (seen.size >= config.minDistinctWords && seen.size >= config.minDistinctShare * family.lines);
}

// A name made of parts (dotted, slashed, snake_case, camelCase) is more likely a value than a plain word.
const IDENTIFIER = /[a-z][A-Z]|\w[._/\\]\w/;
const isIdentifier = (word: string) => IDENTIFIER.test(word);

function openSlot(family: Family, k: number): void {
  family.open[k] = true;
  family.seen[k] = undefined;
  family.version++;
}

/** The line with the family's open slots and list runs written `<*>`, units folded into their value. */
function renderInFamily(line: TokenizedLine, slots: Slots, family: Family): string {
  const { tokens, seps, variable } = line;
  let out = seps[0]!;
  for (let k = 0; k < slots.words.length; k++) {
    const start = slots.starts[k]!;
    const end = slots.starts[k + 1] ?? tokens.length;
    if (family.unit[k]) continue;
    if (k > 0) out += seps[start];
    if (family.runLength[k] === -1) out += WILDCARD;
    else for (let i = start; i < end; i++) out += (i > start ? seps[i] : '') + (variable[i] || family.open[k] ? WILDCARD : tokens[i]!);
  }
  return out + seps[tokens.length];
}
