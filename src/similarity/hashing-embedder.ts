import type { Embedder } from './embedder';
import { normaliseInPlace } from './vectors';

/**
 * FNV-1a (32-bit) over UTF-16 code units, so equal to the byte-wise FNV-1a for ASCII text.
 * A fixed, documented hash keeps vectors comparable across processes and releases.
 */
export function fnv1a32(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return hash >>> 0;
}

/** murmur3's 32-bit finaliser: FNV's low bits (the bucket) only ever see the inputs' low bits. */
function fmix32(hash: number): number {
  hash ^= hash >>> 16;
  hash = Math.imul(hash, 0x85ebca6b);
  hash ^= hash >>> 13;
  hash = Math.imul(hash, 0xc2b2ae35);
  hash ^= hash >>> 16;
  return hash >>> 0;
}

// Function words that link any two incident titles ("X after Y", "Z from W") without saying what happened.
const STOP_WORDS = new Set([
  'a',
  'an',
  'and',
  'are',
  'as',
  'at',
  'be',
  'but',
  'by',
  'for',
  'from',
  'has',
  'had',
  'have',
  'in',
  'into',
  'is',
  'it',
  'its',
  'of',
  'on',
  'or',
  'so',
  'than',
  'that',
  'the',
  'then',
  'this',
  'to',
  'was',
  'were',
  'with',
  'after',
  'before',
  'during',
  'while',
  'until',
  'over',
  'under',
]);

// Identifiers that differ between two occurrences of the same incident collapse to one word each.
const IDENTIFIERS: Array<[RegExp, string]> = [
  [/\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b/g, ' uuid '],
  [/\b\d{1,3}(?:\.\d{1,3}){3}\b/g, ' ipaddr '],
  [/\b(?=[0-9a-f]*\d)(?=[0-9a-f]*[a-f])[0-9a-f]{8,}\b/g, ' hexid '],
];

/** A word's shape: every run of digits becomes 0, so web-07 and web-08, or 2.40.0 and 2.41.0, match. */
const shapeOf = (word: string) => word.replace(/\d+/g, '0');

/** Lower-cased words with identifiers collapsed and function words dropped. */
export function words(text: string): string[] {
  let normalisedText = text.normalize('NFKC').toLowerCase();
  for (const [pattern, replacement] of IDENTIFIERS) normalisedText = normalisedText.replace(pattern, replacement);
  return (normalisedText.match(/[\p{L}\p{N}]+/gu) ?? []).filter((w) => !STOP_WORDS.has(w));
}

type Counts = Map<string, number>;
const count = (counts: Counts, feature: string) => counts.set(feature, (counts.get(feature) ?? 0) + 1);

const FAMILIES = ['words', 'numbers', 'pairs', 'grams'] as const;
type Family = (typeof FAMILIES)[number];

/** The feature families of a text, each counted: word shapes, words with their digits, shape pairs, character n-grams. */
function features(text: string): Record<Family, Counts> {
  const found: Record<Family, Counts> = { words: new Map(), numbers: new Map(), pairs: new Map(), grams: new Map() };
  const shapes = words(text).map((word) => {
    const shape = shapeOf(word);
    count(found.words, shape);
    if (shape !== word) count(found.numbers, word);
    return shape;
  });
  for (let i = 1; i < shapes.length; i++) count(found.pairs, `${shapes[i - 1]} ${shapes[i]}`);
  for (const shape of shapes) {
    const marked = `<${shape}>`;
    for (let n = 3; n <= 5; n++) {
      for (let at = 0; at + n <= marked.length; at++) count(found.grams, marked.slice(at, at + n));
    }
  }
  return found;
}

// How much each family counts once it is normalised: whole words lead, pairs and n-grams catch
// rephrasing, and literal numbers count a little (502s and 401s are different failures).
const FAMILY_WEIGHTS: Record<Family, number> = { words: 1, numbers: 0.25, pairs: 0.6, grams: 0.8 };

/**
 * The embedded default: no model and no download, deterministic. Word unigrams and bigrams and
 * character 3–5-grams (with word-boundary markers) over words whose digits are collapsed, plus
 * the literal words with digits; each family weighted by 1 + ln(tf), L2-normalised and mixed,
 * hashed with signed feature hashing (FNV-1a plus fmix32: the bucket from the hash, the sign
 * from its top bit) into `dimension` buckets, and the sum L2-normalised.
 */
export class HashingEmbedder implements Embedder {
  readonly name: string;

  constructor(readonly dimension = 512) {
    if (!Number.isInteger(dimension) || dimension < 2) throw new RangeError(`dimension must be an integer ≥ 2, got ${dimension}`);
    // Bump the version whenever features or weights change: old vectors must not meet new ones.
    this.name = `hashing-v1-${dimension}`;
  }

  async embed(texts: string[]): Promise<number[][]> {
    return texts.map((text) => Array.from(this.embedOne(text)));
  }

  private embedOne(text: string): Float64Array {
    const vector = new Float64Array(this.dimension);
    const found = features(text);
    for (const family of FAMILIES) this.addFamily(vector, family, found[family], FAMILY_WEIGHTS[family]);
    return normaliseInPlace(vector);
  }

  private addFamily(vector: Float64Array, family: string, counts: Counts, familyWeight: number): void {
    let sumOfSquares = 0;
    const weights: Array<[string, number]> = [];
    for (const [feature, tf] of counts) {
      // Sublinear: a word said five times is not five times the evidence.
      const weight = 1 + Math.log(tf);
      weights.push([feature, weight]);
      sumOfSquares += weight * weight;
    }
    if (sumOfSquares === 0) return;
    const scale = familyWeight / Math.sqrt(sumOfSquares);
    for (const [feature, weight] of weights) {
      const hash = fmix32(fnv1a32(`${family}:${feature}`));
      vector[hash % this.dimension]! += (hash & 0x80000000 ? -1 : 1) * weight * scale;
    }
  }
}
