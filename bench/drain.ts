/**
 * Plain Drain (He et al., ICWS 2017) as a reference for bench:logs: whitespace tokens, tokens with
 * a digit masked as `<*>`, clusters keyed by token count and the first two tokens (depth 4), a line
 * joining the most similar cluster if at least half its tokens match, differing tokens becoming
 * `<*>`. No per-system regexes, so it is the same for every format, like the miner.
 */
const WILDCARD = '<*>';
const PREFIX_TOKENS = 2;
const SIMILARITY = 0.5;
const HAS_DIGIT = /\d/;

interface Cluster {
  tokens: string[];
}

export class Drain {
  private readonly clusters = new Map<string, Cluster[]>();

  /** Adds a line and returns its cluster, whose template may still generalise. */
  add(line: string): Cluster {
    const tokens = tokensOf(line);
    const bucket = this.bucket(tokens);
    const cluster = closest(bucket, tokens);
    if (!cluster) {
      const created = { tokens };
      bucket.push(created);
      return created;
    }
    cluster.tokens = cluster.tokens.map((t, i) => (t === tokens[i] ? t : WILDCARD));
    return cluster;
  }

  private bucket(tokens: string[]): Cluster[] {
    const key = [tokens.length, ...tokens.slice(0, PREFIX_TOKENS)].join(' ');
    let bucket = this.clusters.get(key);
    if (!bucket) this.clusters.set(key, (bucket = []));
    return bucket;
  }
}

/** Each line's final template after all lines are added. */
export function drainTemplates(lines: readonly string[]): string[] {
  const drain = new Drain();
  const clusters = lines.map((line) => drain.add(line));
  return clusters.map((c) => c.tokens.join(' '));
}

const tokensOf = (line: string) =>
  line
    .trim()
    .split(/\s+/)
    .filter(Boolean)
    .map((t) => (HAS_DIGIT.test(t) ? WILDCARD : t));

function closest(bucket: Cluster[], tokens: string[]): Cluster | undefined {
  let best: Cluster | undefined;
  let bestScore = SIMILARITY;
  for (const cluster of bucket) {
    const same = cluster.tokens.filter((t, i) => t === tokens[i] && t !== WILDCARD).length;
    const score = tokens.length === 0 ? 1 : same / tokens.length;
    if (score > bestScore || (score === bestScore && !best)) {
      best = cluster;
      bestScore = score;
    }
  }
  return best;
}
