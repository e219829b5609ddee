import { toApplicationFailure } from '../../src/errors';
import { OllamaEmbedder, OllamaEmbedError } from '../../src/similarity/ollama-embedder';
import { startJsonServer } from '../support/json-server';
import { type OllamaSimulator, startOllamaSimulator } from '../support/ollama-simulator';

async function failure(promise: Promise<unknown>): Promise<OllamaEmbedError> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(OllamaEmbedError);
  return err as OllamaEmbedError;
}

describe('Ollama embedder (through the official client, against an /api/embed simulator)', () => {
  let ollama: OllamaSimulator;
  beforeAll(async () => {
    ollama = await startOllamaSimulator({ 'nomic-embed-text': 768, 'all-minilm:l6-v2': 384 });
  });
  afterAll(() => ollama.close());

  it("embeds a batch in one request and learns the model's dimension from the answer", async () => {
    const embedder = new OllamaEmbedder({ url: ollama.url, model: 'nomic-embed-text' });
    expect(() => embedder.dimension).toThrow(/known after the first embed\(\) call/);
    const before = ollama.requests.length;
    const vectors = await embedder.embed(['disk full on lb-edge-01', 'cart-api 500s after release 2.40.0']);
    expect(ollama.requests.slice(before)).toEqual([
      { model: 'nomic-embed-text', input: ['disk full on lb-edge-01', 'cart-api 500s after release 2.40.0'] },
    ]);
    expect(vectors.map((v) => v.length)).toEqual([768, 768]);
    expect(vectors[0]).not.toEqual(vectors[1]);
    expect(embedder.dimension).toBe(768);
    expect(await embedder.embed(['disk full on lb-edge-01'])).toEqual([vectors[0]]);
  });

  it('names itself by the tagged model, so `x` and `x:latest` share stored vectors', () => {
    expect(new OllamaEmbedder({ url: ollama.url, model: 'nomic-embed-text' }).name).toBe('ollama:nomic-embed-text:latest');
    expect(new OllamaEmbedder({ url: ollama.url, model: 'all-minilm:l6-v2' }).name).toBe('ollama:all-minilm:l6-v2');
  });

  it('asks nothing for no texts', async () => {
    const before = ollama.requests.length;
    expect(await new OllamaEmbedder({ url: ollama.url, model: 'nomic-embed-text' }).embed([])).toEqual([]);
    expect(ollama.requests.length).toBe(before);
  });

  it('says to pull a missing model, naming server and model, as NotConfigured, which Temporal does not retry', async () => {
    const err = await failure(new OllamaEmbedder({ url: ollama.url, model: 'mxbai-embed-large' }).embed(['x']));
    expect(err.message).toBe(
      `Ollama at ${ollama.url} (embedding model "mxbai-embed-large") has no model "mxbai-embed-large": ` +
        'run `ollama pull mxbai-embed-large` there, or set OLLAMA_EMBED_MODEL',
    );
    expect(err).toMatchObject({ code: 'NotConfigured', url: ollama.url, model: 'mxbai-embed-large', retryable: false });
    expect(toApplicationFailure(err)).toMatchObject({
      type: 'NotConfigured',
      nonRetryable: true,
      details: [{ upstream: 'Ollama', status: 404 }],
    });
  });

  it("reports a server error with Ollama's own message, as Unavailable (retried)", async () => {
    ollama.failNext(500, 'llama runner process has terminated');
    const err = await failure(new OllamaEmbedder({ url: ollama.url, model: 'nomic-embed-text' }).embed(['x']));
    expect(err.message).toMatch(/answered 500: llama runner process has terminated$/);
    expect(err).toMatchObject({ code: 'Unavailable', retryable: true });
    expect(toApplicationFailure(err)).toMatchObject({ type: 'Unavailable', nonRetryable: false });
  });

  it('refuses to retry a request Ollama answered is bad', async () => {
    ollama.failNext(400, 'invalid input type');
    const err = await failure(new OllamaEmbedder({ url: ollama.url, model: 'nomic-embed-text' }).embed(['x']));
    expect(err).toMatchObject({ code: 'BadRequest', retryable: false });
  });

  it('refuses an answer whose dimension changed: the model was replaced under its name, which only an operator fixes', async () => {
    const embedder = new OllamaEmbedder({ url: ollama.url, model: 'all-minilm:l6-v2' });
    await embedder.embed(['first']);
    ollama.models.set('all-minilm:l6-v2', 512);
    try {
      const err = await failure(embedder.embed(['second']));
      expect(err.message).toMatch(/answered 512 dimensions after 384 before/);
      expect(err).toMatchObject({ code: 'NotConfigured', retryable: false });
    } finally {
      ollama.models.set('all-minilm:l6-v2', 384);
    }
  });

  it('says where it looked when Ollama is unreachable, as Unavailable (retried)', async () => {
    const closed = await startJsonServer(() => ({ status: 200, body: {} }));
    await closed.close();
    const err = await failure(new OllamaEmbedder({ url: closed.url, model: 'nomic-embed-text' }).embed(['x']));
    expect(err.message).toBe(
      `Ollama at ${closed.url} (embedding model "nomic-embed-text") is unreachable (ECONNREFUSED): start it with \`ollama serve\`, or fix OLLAMA_URL`,
    );
    expect(err).toMatchObject({ code: 'Unavailable', retryable: true });
  });
});
