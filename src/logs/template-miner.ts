/**
 * A log template miner with one configuration for every format (MinerConfig; the shipped one is
 * chosen by leaving one LogHub system out, see bench/logs.ts). Two steps, as in Drain and Brain:
 *
 * 1. Online, per line: the line is tokenized and its values by shape (numbers, ids, paths…, see
 *    tokenize.ts) become `<*>`; the result is the line's variant. A new variant joins the most
 *    similar cluster of lines with the same separators and leading words (Drain's prefix tree),
 *    and where it differs from the cluster, the cluster holds `<*>`. A run of values is one slot,
 *    so lists of any length share a cluster.
 * 2. When templates are read (cached until new variants arrive or the lines double), each cluster
 *    is split where its variants differ in a slot with few distinct words (`GET`/`POST`,
 *    `opened`/`closed`: different messages); a slot with more words than that, or with a value by
 *    shape in some line, holds values. Words that read as names rather than text (slashed or
 *    dotted, `com.example/.Main`, `chrome.exe`, with a digit, or right after `=`) split only when
 *    each covers enough lines: a few names seen once or twice are values. Ids that differ only
 *    in their digits (`eth0`, `eth1`) never split. The fewest-words slot splits first, so a
 *    message's verb separates before its values.
 *    Then templates of one form equal but for a slot with more words than a split allows merge,
 *    with a value there (lines too short for Drain's similarity to join).
 *
 * Memory grows with distinct variants, at most MAX_VARIANTS per cluster; later lines count for
 * the stored variant whose template they fit.
 */
import { cloneStats, emptyStats, type LineMeta, mergeInto, type MinedTemplate, record } from './template-stats';
import { render, tokenize, UNITS, WILDCARD, type TokenizedLine } from './tokenize';

export type { LineMeta, MinedTemplate } from './template-stats';

/** The knobs of the miner; the bench chooses them by leaving one LogHub system out (bench/logs.ts). */
export interface MinerConfig {
  /** A variant joins a cluster whose words equal at least this share of its own constant words. */
  similarity: number;
  /** Leading words that must be equal for two lines to share a cluster, as in Drain's prefix tree. */
  prefixWords: number;
  /** A slot whose variants hold at most this many distinct words splits a cluster into templates. */
  maxSplitWords: number;
  /** A slot of names (slashed, or after `=`) splits only if each of its words has this many lines. */
  minNameSplitLines: number;
}

/** The configuration chosen on all nine LogHub-2k systems by `npm run bench:logs`. */
export const DEFAULT_CONFIG: Readonly<MinerConfig> = { similarity: 0.6, prefixWords: 1, maxSplitWords: 6, minNameSplitLines: 3 };

// Stored variants per cluster: enough to see a 2k batch whole, few enough to bound memory on a long stream.
const MAX_VARIANTS = 1000;

/**
 * A line seen as a cluster sees it: each run of values joined by `,` or a space is one slot, so
 * lists of any length (`to delete blk_1 blk_2 …`) share a cluster.
 */
interface Slots {
  /** A constant token, or `<*>` for a run of values. */
  words: string[];
  /** Token index where each slot starts; the slot ends where the next starts. */
  starts: number[];
  /** Slot count and separators: templates of one form may merge. */
  form: string;
  /** The form and leading words: only lines of one shape share a cluster. */
  shape: string;
}

interface Variant {
  id: number;
  cluster: Cluster;
  line: TokenizedLine;
  slots: Slots;
  stats: MinedTemplate;
  /** The variant's template as of its form's last refinement. */
  template: string;
}

interface Cluster {
  /** The words its variants share, `<*>` where they differ. */
  words: string[];
  variants: Variant[];
  form: Form;
}

/** The clusters of one form, and the templates refined from them once the batch is read. */
interface Form {
  clusters: Cluster[];
  /** Undefined once a new variant arrives, or the lines double: splits weigh lines per word. */
  templates?: Template[];
  lines: number;
  linesWhenRefined: number;
}

/** One template: its variants and how each slot is written. */
interface Template {
  variants: Variant[];
  /** Per slot: a constant word, a value, a unit folded into the value before it. */
  slotKinds: SlotKind[];
  /** Value runs written token by token (their length never varies); others are one `<*>`. */
  fixedRuns: boolean[];
}

type SlotKind = 'constant' | 'value' | 'unit';

/** Mines templates from a stream of log messages, one line at a time. */
export class TemplateMiner {
  private readonly config: MinerConfig;
  private readonly variants = new Map<string, Variant>();
  private readonly clusters = new Map<string, Cluster[]>();
  private readonly forms = new Map<string, Form>();
  private lines = 0;

  constructor(config: Partial<MinerConfig> = {}) {
    this.config = { ...DEFAULT_CONFIG, ...config };
  }

  /** Adds one message (without timestamp or level prefixes) to the templates. */
  add(line: string, meta?: LineMeta): void {
    this.lines++;
    const tokenized = tokenize(line);
    const key = render(tokenized.seps, tokenized.tokens, tokenized.variable);
    const variant = this.variants.get(key) ?? this.variantFor(tokenized, key, line);
    record(variant.stats, this.lines, meta);
    const form = variant.cluster.form;
    if (++form.lines > 2 * form.linesWhenRefined) form.templates = undefined;
  }

  /** The current template of a message: of its variant if it was added, else of the template it fits. */
  templateOf(line: string): string {
    const tokenized = tokenize(line);
    const variant = this.variants.get(render(tokenized.seps, tokenized.tokens, tokenized.variable));
    if (variant) return templateOfVariant(variant, this.config);
    const slots = slotsOf(tokenized, this.config.prefixWords);
    const form = this.forms.get(slots.form);
    const template = form && fittingTemplate(form, slots, this.config);
    return template ? renderIn(template, tokenized, slots) : render(tokenized.seps, tokenized.tokens, tokenized.variable);
  }

  /** All templates with their merged statistics, most frequent first. */
  templates(): MinedTemplate[] {
    const byTemplate = new Map<string, MinedTemplate>();
    for (const variant of this.variants.values()) {
      const template = templateOfVariant(variant, this.config);
      const merged = byTemplate.get(template);
      if (merged) mergeInto(merged, variant.stats);
      else byTemplate.set(template, { ...cloneStats(variant.stats), template });
    }
    return [...byTemplate.values()].sort((a, b) => b.count - a.count || a.firstLine - b.firstLine);
  }

  /** Finds or makes the variant of a line not seen before; a full cluster lends the one the line fits. */
  private variantFor(line: TokenizedLine, key: string, example: string): Variant {
    const slots = slotsOf(line, this.config.prefixWords);
    let cluster = this.closestCluster(slots);
    if (cluster && cluster.variants.length >= MAX_VARIANTS) {
      const template = fittingTemplate(cluster.form, slots, this.config);
      if (template) return template.variants[0]!;
    }
    if (cluster) widen(cluster, slots.words);
    else cluster = this.newCluster(slots);
    const id = this.variants.size + 1;
    const variant: Variant = { id, cluster, line, slots, stats: emptyStats(id, example), template: '' };
    cluster.variants.push(variant);
    cluster.form.templates = undefined;
    this.variants.set(key, variant);
    return variant;
  }

  private newCluster(slots: Slots): Cluster {
    let form = this.forms.get(slots.form);
    if (!form) this.forms.set(slots.form, (form = { clusters: [], lines: 0, linesWhenRefined: 0 }));
    const cluster: Cluster = { words: [...slots.words], variants: [], form };
    form.clusters.push(cluster);
    const bucket = this.clusters.get(slots.shape);
    if (bucket) bucket.push(cluster);
    else this.clusters.set(slots.shape, [cluster]);
    return cluster;
  }

  private closestCluster(slots: Slots): Cluster | undefined {
    let best: Cluster | undefined;
    let bestSimilarity = this.config.similarity;
    for (const cluster of this.clusters.get(slots.shape) ?? []) {
      const s = similarity(cluster.words, slots.words);
      if (s > bestSimilarity || (s === bestSimilarity && !best)) {
        best = cluster;
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
  const form = `${words.length}\u0001${shape}\u0001${seps[tokens.length]}`;
  return { words, starts, form, shape: `${form}\u0002${words.slice(0, prefixWords).join('\u0001')}` };
}

/** Share of the line's constant words that the cluster has at the same slot. */
function similarity(clusterWords: string[], words: string[]): number {
  let constants = 0;
  let same = 0;
  for (let k = 0; k < words.length; k++) {
    if (words[k] === WILDCARD) continue;
    constants++;
    if (clusterWords[k] === words[k]) same++;
  }
  return constants === 0 ? 1 : same / constants;
}

function widen(cluster: Cluster, words: string[]): void {
  for (let k = 0; k < words.length; k++) if (cluster.words[k] !== words[k]) cluster.words[k] = WILDCARD;
}

function templateOfVariant(variant: Variant, config: MinerConfig): string {
  if (!variant.cluster.form.templates) refine(variant.cluster.form, config);
  return variant.template;
}

/** Splits each cluster of a form into templates, merges templates alike but for a slot of many words. */
function refine(form: Form, config: MinerConfig): Template[] {
  const split = form.clusters.flatMap((c) => splitVariants(c.variants, config));
  const templates = mergeAlike(split, config);
  for (const template of templates) {
    for (const v of template.variants) v.template = renderIn(template, v.line, v.slots);
  }
  form.templates = templates;
  form.linesWhenRefined = form.lines;
  return templates;
}

/**
 * Splits variants into templates: on the slot with the fewest distinct words, if that is at most
 * `maxSplitWords` and they read as text or are each frequent, recursively; what still differs
 * then holds values.
 */
function splitVariants(variants: Variant[], config: MinerConfig): Template[] {
  const slotCount = variants[0]!.slots.words.length;
  const slotKinds: SlotKind[] = [];
  let splitSlot = -1;
  let fewest = config.maxSplitWords + 1;
  for (let k = 0; k < slotCount; k++) {
    const words = distinctWords(variants, k);
    slotKinds.push(words.size === 1 && !words.has(WILDCARD) ? 'constant' : 'value');
    if (words.size === 1 || words.has(WILDCARD)) continue;
    if (k > 0 && slotKinds[k - 1] === 'value' && [...words].every((w) => UNITS.has(w.toLowerCase()))) slotKinds[k] = 'unit';
    else if (words.size < fewest && splitsOn(variants, k, words, config)) {
      fewest = words.size;
      splitSlot = k;
    }
  }
  if (splitSlot < 0) return [{ variants, slotKinds, fixedRuns: fixedRuns(variants) }];
  const parts = new Map<string, Variant[]>();
  for (const v of variants) {
    const word = v.slots.words[splitSlot]!;
    const part = parts.get(word);
    if (part) part.push(v);
    else parts.set(word, [v]);
  }
  return [...parts.values()].flatMap((part) => splitVariants(part, config));
}

/**
 * Whether differing words at slot `k` make different templates: few of them, not ids that differ
 * only in their digits, and read as text or each frequent.
 */
function splitsOn(variants: Variant[], k: number, words: Set<string>, config: MinerConfig): boolean {
  return (
    words.size <= config.maxSplitWords &&
    !differInDigitsOnly(words) &&
    (readsAsText(variants, k, words) || eachWordHasLines(variants, k, config.minNameSplitLines))
  );
}

// A name's parts joined by `/`, `\` or `.` (`com.example/.Main`, `org/Foo`, `chrome.exe`), a
// relative name (`.Main`), or a word with a digit (`eth0`, `node7`).
const NAME = /^[./\\]|[^/\\.][/\\.][^/\\.]|\d/;
// A value follows `=` (`user=alice`, `tag="main"`).
const AFTER_EQUALS = /=["']?$/;

/** Words of a slot that read as message text, not as names or the values of `key=` pairs. */
function readsAsText(variants: Variant[], k: number, words: Set<string>): boolean {
  const first = variants[0]!;
  if (AFTER_EQUALS.test(first.line.seps[first.slots.starts[k]!]!)) return false;
  for (const word of words) if (NAME.test(word)) return false;
  return true;
}

const DIGIT_RUNS = /\d+/g;

/** Two of the words are one name numbered differently (`eth0`, `eth1`): the slot holds ids. */
function differInDigitsOnly(words: Set<string>): boolean {
  const shapes = new Set<string>();
  for (const word of words) shapes.add(word.replace(DIGIT_RUNS, '0'));
  return shapes.size < words.size;
}

/** Each distinct word at slot `k` covers at least `minLines` lines: used often, so template text. */
function eachWordHasLines(variants: Variant[], k: number, minLines: number): boolean {
  const lines = new Map<string, number>();
  for (const v of variants) lines.set(v.slots.words[k]!, (lines.get(v.slots.words[k]!) ?? 0) + v.stats.count);
  for (const n of lines.values()) if (n < minLines) return false;
  return true;
}

/**
 * Templates equal but for one slot whose words would not split them (more than `maxSplitWords`, or
 * rare names) are one template with a value there: the dual of the split, for lines too short for
 * Drain's similarity (`loaded AlphaHandler`, `loaded BetaHandler`…, `user=alice`, `user=bob`).
 */
function mergeAlike(templates: Template[], config: MinerConfig): Template[] {
  const slotCount = templates[0]!.slotKinds.length;
  let merged = templates;
  for (let k = 0; k < slotCount; k++) {
    const alike = new Map<string, Template[]>();
    for (const t of merged) {
      const key = wordsOf(t)
        .map((w, j) => (j === k ? '' : w))
        .join('\u0001');
      const group = alike.get(key);
      if (group) group.push(t);
      else alike.set(key, [t]);
    }
    merged = [...alike.values()]
      .map((group) =>
        group.length > 1 && keepsAConstant(group[0]!, k) && !groupSplitsOn(group, k, config) ? mergeTemplates(group) : group,
      )
      .flat();
  }
  return merged;
}

function groupSplitsOn(group: Template[], k: number, config: MinerConfig): boolean {
  const variants = group.flatMap((t) => t.variants);
  return splitsOn(variants, k, distinctWords(variants, k), config);
}

/** A message keeps some constant text: one-word messages (`cancelAutohide`, `getMode...`) stay apart. */
const keepsAConstant = (t: Template, k: number) =>
  t.slotKinds.some((kind, j) => j !== k && kind === 'constant' && HAS_LETTER.test(t.variants[0]!.slots.words[j]!));
const HAS_LETTER = /[a-z]/i;

/** A template's slots as written: its constant words, `<*>` elsewhere. */
const wordsOf = (t: Template) =>
  t.variants[0]!.slots.words.map((w, k) => (t.slotKinds[k] === 'constant' ? w : t.slotKinds[k] === 'unit' ? '' : WILDCARD));

function mergeTemplates(group: Template[]): Template {
  const variants = group.flatMap((t) => t.variants);
  const first = group[0]!;
  const slotKinds = first.slotKinds.map((kind, k): SlotKind => (group.every((t) => wordsOf(t)[k] === wordsOf(first)[k]) ? kind : 'value'));
  return { variants, slotKinds, fixedRuns: fixedRuns(variants) };
}

function distinctWords(variants: Variant[], k: number): Set<string> {
  const words = new Set<string>();
  for (const v of variants) words.add(v.slots.words[k]!);
  return words;
}

const runLength = (v: Variant, k: number) => (v.slots.starts[k + 1] ?? v.line.tokens.length) - v.slots.starts[k]!;

/** Per slot, whether every variant has a run of values of the same length there. */
function fixedRuns(variants: Variant[]): boolean[] {
  const first = variants[0]!;
  return first.slots.words.map((_, k) => variants.every((v) => runLength(v, k) === runLength(first, k)));
}

/** The template a new line fits: the one whose constant slots it has, with the most constants. */
function fittingTemplate(form: Form, slots: Slots, config: MinerConfig): Template | undefined {
  let best: Template | undefined;
  let bestConstants = -1;
  for (const template of form.templates ?? refine(form, config)) {
    const words = template.variants[0]!.slots.words;
    let constants = 0;
    let fits = true;
    for (let k = 0; k < words.length && fits; k++) {
      if (template.slotKinds[k] !== 'constant') continue;
      fits = words[k] === slots.words[k];
      constants++;
    }
    if (fits && constants > bestConstants) {
      best = template;
      bestConstants = constants;
    }
  }
  return best;
}

/** The line written as its template writes it: values `<*>`, units folded into their value. */
function renderIn(template: Template, line: TokenizedLine, slots: Slots): string {
  const { tokens, seps, variable } = line;
  let out = seps[0]!;
  for (let k = 0; k < slots.words.length; k++) {
    const kind = template.slotKinds[k];
    if (kind === 'unit') continue;
    const start = slots.starts[k]!;
    const end = slots.starts[k + 1] ?? tokens.length;
    if (k > 0) out += seps[start];
    if (kind === 'value' && !(slots.words[k] === WILDCARD && template.fixedRuns[k])) out += WILDCARD;
    else for (let i = start; i < end; i++) out += (i > start ? seps[i] : '') + (variable[i] ? WILDCARD : tokens[i]!);
  }
  return out + seps[tokens.length];
}
