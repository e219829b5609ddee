import { Ollama } from 'ollama';
import { codeOfStatus, type FailureCode, RayneFailure } from '../errors';
import type { Embedder } from './embedder';

/**
 * Thrown when Ollama cannot embed; the message names the server and the model and says what to do.
 * NotConfigured when only an operator can fix it (a missing or replaced model), so it is not retried.
 */
export class OllamaEmbedError extends RayneFailure {
  constructor(
    code: FailureCode,
    message: string,
    readonly url: string,
    readonly model: string,
    status?: number,
  ) {
    super(code, message, { upstream: 'Ollama', operation: 'embed', status });
  }
}

export interface OllamaEmbedderOptions {
  url: string;
  model: string;
}

/** Ollama names an untagged model by its `latest` tag; the embedder's name must not change with the spelling. */
const withTag = (model: string) => (model.includes(':') ? model : `${model}:latest`);

/** Embeddings from an Ollama server (/api/embed); the dimension is the model's, learnt from its first answer. */
export class OllamaEmbedder implements Embedder {
  readonly name: string;
  private readonly client: Ollama;
  private learntDimension?: number;

  constructor(private readonly options: OllamaEmbedderOptions) {
    this.name = `ollama:${withTag(options.model)}`;
    this.client = new Ollama({ host: options.url });
  }

  /** Throws until the first embed() has answered: only the model knows its dimension. */
  get dimension(): number {
    if (this.learntDimension === undefined) {
      throw new Error(`the dimension of Ollama model "${this.options.model}" is known after the first embed() call`);
    }
    return this.learntDimension;
  }

  async embed(texts: string[]): Promise<number[][]> {
    if (texts.length === 0) return [];
    const { embeddings } = await this.client.embed({ model: this.options.model, input: texts }).catch((err: unknown) => {
      throw this.explain(err);
    });
    this.checkShape(texts.length, embeddings);
    return embeddings;
  }

  /** Checks the answer has one vector per text, all of one size, the size of earlier answers. */
  private checkShape(texts: number, embeddings: number[][] | undefined): void {
    // A malformed answer is taken as a server in trouble, as a 5xx would be.
    if (embeddings?.length !== texts) {
      throw this.error('Unavailable', `answered ${embeddings?.length ?? 'no'} embeddings for ${texts} texts`);
    }
    const size = embeddings[0]?.length ?? 0;
    if (size === 0 || embeddings.some((e) => e.length !== size)) throw this.error('Unavailable', 'answered empty or unequal embeddings');
    if (this.learntDimension !== undefined && size !== this.learntDimension) {
      throw this.error(
        'NotConfigured',
        `answered ${size} dimensions after ${this.learntDimension} before: was the model replaced under the same name?`,
      );
    }
    this.learntDimension = size;
  }

  private explain(err: unknown): OllamaEmbedError {
    const e = err as { name?: string; status_code?: number; message?: string; cause?: { code?: string; message?: string } };
    if (e.status_code === 404) {
      const { model } = this.options;
      return this.error('NotConfigured', `has no model "${model}": run \`ollama pull ${model}\` there, or set OLLAMA_EMBED_MODEL`, 404);
    }
    if (e.name === 'ResponseError')
      return this.error(codeOfStatus(e.status_code), `answered ${e.status_code}: ${e.message}`, e.status_code);
    const reason = e.cause?.code ?? e.cause?.message ?? e.message ?? String(err);
    return this.error('Unavailable', `is unreachable (${reason}): start it with \`ollama serve\`, or fix OLLAMA_URL`);
  }

  private error(code: FailureCode, problem: string, status?: number): OllamaEmbedError {
    const { url, model } = this.options;
    return new OllamaEmbedError(code, `Ollama at ${url} (embedding model "${model}") ${problem}`, url, model, status);
  }
}
