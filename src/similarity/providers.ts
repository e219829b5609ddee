import type { Config } from '../config';
import type { Db } from '../db/pool';
import type { Embedder } from './embedder';
import { HashingEmbedder } from './hashing-embedder';
import { OllamaEmbedder } from './ollama-embedder';
import { PostgresVectorStore } from './postgres-vector-store';
import { QdrantVectorStore } from './qdrant-vector-store';
import type { VectorStore } from './vector-store';

export interface SimilarityProviders {
  embedder: Embedder;
  /**
   * Holds only this embedder's vectors: the store is bound to the embedder's name. Call
   * ensureReady with the length of the first embedding (Ollama learns its dimension then).
   */
  store: VectorStore;
}

type SimilarityConfig = Pick<Config, 'OLLAMA_URL' | 'OLLAMA_EMBED_MODEL' | 'QDRANT_URL' | 'QDRANT_API_KEY' | 'QDRANT_COLLECTION'>;

/** Ollama and Qdrant when their URLs are set, else the embedded defaults (hashing embedder, Postgres table). */
export function createSimilarityProviders(config: SimilarityConfig, db: Db): SimilarityProviders {
  const embedder = config.OLLAMA_URL
    ? new OllamaEmbedder({ url: config.OLLAMA_URL, model: config.OLLAMA_EMBED_MODEL })
    : new HashingEmbedder();
  const store = config.QDRANT_URL
    ? new QdrantVectorStore({
        url: config.QDRANT_URL,
        apiKey: config.QDRANT_API_KEY,
        collection: config.QDRANT_COLLECTION,
        embedder: embedder.name,
      })
    : new PostgresVectorStore(db, embedder.name);
  return { embedder, store };
}
