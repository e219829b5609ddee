import { loadConfig } from '../../src/config';
import type { Db } from '../../src/db/pool';
import { HashingEmbedder } from '../../src/similarity/hashing-embedder';
import { OllamaEmbedder } from '../../src/similarity/ollama-embedder';
import { PostgresVectorStore } from '../../src/similarity/postgres-vector-store';
import { createSimilarityProviders } from '../../src/similarity/providers';
import { QdrantVectorStore } from '../../src/similarity/qdrant-vector-store';

// Constructing providers touches no database or server.
const unusedDb = {} as Db;

describe('similarity providers', () => {
  it('default to the hashing embedder and the Postgres table', () => {
    const { embedder, store } = createSimilarityProviders(loadConfig({}), unusedDb);
    expect(embedder).toBeInstanceOf(HashingEmbedder);
    expect(store).toBeInstanceOf(PostgresVectorStore);
  });

  it('use Ollama and Qdrant when their URLs are set, with the default model', () => {
    const config = loadConfig({ OLLAMA_URL: 'http://ollama:11434', QDRANT_URL: 'http://qdrant:6333' });
    const { embedder, store } = createSimilarityProviders(config, unusedDb);
    expect(embedder).toBeInstanceOf(OllamaEmbedder);
    expect(embedder.name).toBe('ollama:nomic-embed-text:latest');
    expect(store).toBeInstanceOf(QdrantVectorStore);
  });

  it('choose each provider on its own', () => {
    const { embedder, store } = createSimilarityProviders(loadConfig({ QDRANT_URL: 'http://qdrant:6333' }), unusedDb);
    expect(embedder).toBeInstanceOf(HashingEmbedder);
    expect(store).toBeInstanceOf(QdrantVectorStore);
  });

  it('reject a provider URL without a scheme at start-up, naming the variable', () => {
    expect(() => loadConfig({ QDRANT_URL: 'qdrant:6333' })).toThrow(/QDRANT_URL/);
    expect(() => loadConfig({ OLLAMA_URL: 'not a url' })).toThrow(/OLLAMA_URL/);
  });
});
