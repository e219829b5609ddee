-- Up Migration
-- One embedding per RCA for the Postgres vector store (the default; Qdrant replaces it when configured).
-- vector: the L2-normalised embedding as float32 little-endian bytes, `dimension` of them. Not real[]:
-- scoring these bytes in the worker measured 3-6x faster than a dot product in SQL over real[]
-- (unnest), and real[] as text is slower still to fetch (see src/similarity/postgres-vector-store.ts).
CREATE TABLE rca_vectors (
  id         text PRIMARY KEY,
  account    text NOT NULL,
  embedder   text NOT NULL,
  dimension  integer NOT NULL CHECK (dimension > 0),
  vector     bytea NOT NULL CHECK (length(vector) = 4 * dimension),
  payload    jsonb NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);
-- Kept in the row, not TOASTed: a 512-float vector is just over the TOAST threshold, and every search reads them all.
ALTER TABLE rca_vectors ALTER COLUMN vector SET STORAGE MAIN;
-- A search reads one embedder's vectors, usually of one account, in id order (keyset batches).
CREATE INDEX rca_vectors_search ON rca_vectors (embedder, dimension, account, id);

-- Down Migration
DROP TABLE rca_vectors;
