import type { SimilarityProviders } from './providers';
import type { ScoredPoint, SearchOptions } from './vector-store';

// How much a person's confirmation counts against raw similarity when ordering past incidents.
const CONFIRMED_BONUS = 0.05;

/**
 * Past incidents best first, a confirmed root cause ahead of a guess that scores about the same,
 * each past incident once: re-runs of one event are indexed as rca/<event>/rerun-<n>, and one
 * incident may be indexed twice under other ids with the same title and root cause; the best
 * ranked hit of each stays. Hits of `self`'s own event (a re-run's earlier runs) are left out.
 */
export function rankSimilar<T extends { id: string; score: number; payload: { confirmed: boolean; title: string; rootCause?: string } }>(
  hits: T[],
  limit: number,
  self?: string,
): T[] {
  const rank = (h: T) => h.score + (h.payload.confirmed ? CONFIRMED_BONUS : 0);
  const event = (id: string) => `event ${id.replace(/\/rerun-\d+$/, '')}`;
  const text = (s: string | undefined) => (s ?? '').trim().replace(/\s+/g, ' ').toLowerCase();
  const seen = new Set<string>(self ? [event(self)] : []);
  return [...hits]
    .sort((a, b) => rank(b) - rank(a))
    .filter((h) => {
      const keys = [event(h.id), `text ${text(h.payload.title)}\n${text(h.payload.rootCause)}`];
      const repeat = keys.some((k) => seen.has(k));
      keys.forEach((k) => seen.add(k));
      return !repeat;
    })
    .slice(0, limit);
}

/** This text's embedding, with the store made ready for vectors of its length. */
export async function embedQuery({ embedder, store }: SimilarityProviders, text: string): Promise<number[]> {
  const [vector] = await embedder.embed([text]);
  await store.ensureReady(vector!.length);
  return vector!;
}

/**
 * The past incidents nearest a vector under a filter, ranked by `rankSimilar`: twice the limit is
 * asked for, because re-runs and copies of one past incident collapse into one hit.
 */
export async function searchSimilar(
  { store }: SimilarityProviders,
  vector: number[],
  { limit, ...options }: SearchOptions,
): Promise<ScoredPoint[]> {
  return rankSimilar(await store.search(vector, { ...options, limit: limit * 2 }), limit, options.filter?.excludeId);
}

/** The past incidents nearest a text: the one similar-incident search of prefetch, the analysts' tool and GitHub triage. */
export const findSimilar = async (providers: SimilarityProviders, text: string, options: SearchOptions): Promise<ScoredPoint[]> =>
  searchSimilar(providers, await embedQuery(providers, text), options);
