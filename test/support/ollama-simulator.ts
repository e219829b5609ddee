import crypto from 'node:crypto';
import { type JsonRequest, type JsonResponse, startJsonServer } from './json-server';

/**
 * A loopback stand-in for Ollama's `POST /api/embed`, as its public API documents it: request
 * `{ model, input: string | string[] }`, answer `{ model, embeddings: number[][], total_duration,
 * load_duration, prompt_eval_count }` with unit-length vectors; an unknown model answers 404
 * `{ "error": "model \"x\" not found, try pulling it first" }`. Vectors are a hash of model and
 * text: equal texts get equal vectors, nothing more.
 */
export interface OllamaSimulator {
  url: string;
  /** Model (tagged) → dimension; change it to replace a model under its name. */
  models: Map<string, number>;
  /** The body of every /api/embed request, in order. */
  requests: Array<{ model: string; input: string | string[] }>;
  /** The next request fails with this status and Ollama's `{ error }` body. */
  failNext(status: number, error: string): void;
  close(): Promise<void>;
}

const withTag = (model: string) => (model.includes(':') ? model : `${model}:latest`);

function pseudoEmbedding(model: string, text: string, dimension: number): number[] {
  const values: number[] = [];
  for (let block = 0; values.length < dimension; block++) {
    const digest = crypto.createHash('sha256').update(`${model}\n${block}\n${text}`).digest();
    for (let i = 0; i + 4 <= digest.length && values.length < dimension; i += 4) values.push(digest.readInt32LE(i) / 2 ** 31);
  }
  const norm = Math.sqrt(values.reduce((s, x) => s + x * x, 0));
  return values.map((x) => x / norm);
}

/** Serves the given models, each with its dimension (`{ 'nomic-embed-text': 768 }`; untagged means `:latest`). */
export async function startOllamaSimulator(served: Record<string, number>): Promise<OllamaSimulator> {
  const models = new Map(Object.entries(served).map(([name, dimension]) => [withTag(name), dimension]));
  const requests: OllamaSimulator['requests'] = [];
  let failure: JsonResponse | undefined;

  const handle = ({ method, path, body }: JsonRequest): JsonResponse => {
    if (method !== 'POST' || path !== '/api/embed') return { status: 404, body: { error: `the simulator has no route ${method} ${path}` } };
    const { model, input } = body as { model: string; input: string | string[] };
    requests.push({ model, input });
    if (failure) {
      const answer = failure;
      failure = undefined;
      return answer;
    }
    const dimension = models.get(withTag(model));
    if (dimension === undefined) return { status: 404, body: { error: `model "${model}" not found, try pulling it first` } };
    const texts = Array.isArray(input) ? input : [input];
    return {
      status: 200,
      body: {
        model,
        embeddings: texts.map((text) => pseudoEmbedding(withTag(model), text, dimension)),
        total_duration: 14_143_917,
        load_duration: 1_019_500,
        prompt_eval_count: texts.reduce((n, t) => n + t.split(/\s+/).length, 0),
      },
    };
  };

  const server = await startJsonServer(handle);
  return {
    url: server.url,
    models,
    requests,
    failNext: (status, error) => {
      failure = { status, body: { error } };
    },
    close: server.close,
  };
}
