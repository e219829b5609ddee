/** Turns incident text into vectors whose cosine similarity says how alike two incidents read. */
export interface Embedder {
  /** Names the model and its version; vectors from different names are never compared. */
  readonly name: string;
  readonly dimension: number;
  /** One vector per text, in order. */
  embed(texts: string[]): Promise<number[][]>;
}
