import { Ollama } from 'ollama';
import type { Embedder } from './embedder';

/** Thrown when Ollama cannot embed; the message names the server and the model and says what to do. */
export class OllamaEmbedError extends Error {
  constructor(
    message: string,
    readonly url: string,
    readonly model: string,
    /** False when only an operator can fix it (a missing model); a retry cannot help. */
    readonly retryable: boolean,
  ) {
    super(message);
    this.name = 'OllamaEmbedError';
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
    if (embeddings?.length !== texts) throw this.error(`answered ${embeddings?.length ?? 'no'} embeddings for ${texts} texts`, true);
    const size = embeddings[0]?.length ?? 0;
    if (size === 0 || embeddings.some((e) => e.length !== size)) throw this.error('answered empty or unequal embeddings', true);
    if (this.learntDimension !== undefined && size !== this.learntDimension) {
      throw this.error(
        `answered ${size} dimensions after ${this.learntDimension} before: was the model replaced under the same name?`,
        false,
      );
    }
    this.learntDimension = size;
  }

  private explain(err: unknown): OllamaEmbedError {
    const e = err as { name?: string; status_code?: number; message?: string; cause?: { code?: string; message?: string } };
    if (e.status_code === 404) {
      return this.error(
        `has no model "${this.options.model}": run \`ollama pull ${this.options.model}\` there, or set OLLAMA_EMBED_MODEL`,
        false,
      );
    }
    if (e.name === 'ResponseError') return this.error(`answered ${e.status_code}: ${e.message}`, true);
    const reason = e.cause?.code ?? e.cause?.message ?? e.message ?? String(err);
    return this.error(`is unreachable (${reason}): start it with \`ollama serve\`, or fix OLLAMA_URL`, true);
  }

  private error(problem: string, retryable: boolean): OllamaEmbedError {
    const { url, model } = this.options;
    return new OllamaEmbedError(`Ollama at ${url} (embedding model "${model}") ${problem}`, url, model, retryable);
  }
}
