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
  /** Chat models served by `/api/chat` (tagged); a chat with another model answers 404 like Ollama. */
  chatModels: Set<string>;
  /** The body of every /api/chat request, in order. */
  chatRequests: any[];
  /** Appends scripted chat answers: the assistant's content and tool calls (arguments as objects). */
  scriptChat(
    ...answers: Array<{
      content?: string;
      tool_calls?: Array<{ function: { name: string; arguments: Record<string, unknown> } }>;
      done_reason?: string;
    }>
  ): void;
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

/**
 * Serves the given models, each with its dimension (`{ 'nomic-embed-text': 768 }`; untagged means `:latest`),
 * and `POST /api/chat` (non-streaming) for `chatModels`, answering from a script in Ollama's public shape:
 * `{ model, created_at, message: { role: 'assistant', content, tool_calls? }, done: true, done_reason,
 * total_duration, load_duration, prompt_eval_count, prompt_eval_duration, eval_count, eval_duration }`.
 */
export async function startOllamaSimulator(served: Record<string, number>, chatModels: string[] = []): Promise<OllamaSimulator> {
  const models = new Map(Object.entries(served).map(([name, dimension]) => [withTag(name), dimension]));
  const requests: OllamaSimulator['requests'] = [];
  const chats = new Set(chatModels.map(withTag));
  const chatRequests: any[] = [];
  const chatScript: Parameters<OllamaSimulator['scriptChat']> = [];
  let failure: JsonResponse | undefined;

  const chat = (body: any): JsonResponse => {
    chatRequests.push(body);
    if (failure) {
      const answer = failure;
      failure = undefined;
      return answer;
    }
    if (!chats.has(withTag(body.model))) return { status: 404, body: { error: `model "${body.model}" not found, try pulling it first` } };
    const answer = chatScript.shift();
    if (!answer) return { status: 500, body: { error: 'the simulator chat script is exhausted' } };
    return {
      status: 200,
      body: {
        model: body.model,
        created_at: new Date().toISOString(),
        message: { role: 'assistant', content: answer.content ?? '', ...(answer.tool_calls ? { tool_calls: answer.tool_calls } : {}) },
        done: true,
        done_reason: answer.done_reason ?? 'stop',
        total_duration: 4_883_583_458,
        load_duration: 1_334_875,
        prompt_eval_count: 2900,
        prompt_eval_duration: 107_345_000,
        eval_count: 120,
        eval_duration: 4_289_432_000,
      },
    };
  };

  const handle = ({ method, path, body }: JsonRequest): JsonResponse => {
    if (method === 'POST' && path === '/api/chat') return chat(body);
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
    chatModels: chats,
    chatRequests,
    scriptChat: (...answers) => {
      chatScript.push(...answers);
    },
    close: server.close,
  };
}
