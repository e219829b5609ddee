import type { z } from 'zod';

/**
 * Thrown when a row read from Postgres does not have the shape its store declares: the table and
 * its store disagree (a migration not applied, or a column written past the store). A plain Error,
 * so an activity retries it like an outage and the API answers 500.
 */
export class StoredRowError extends Error {
  constructor(
    readonly table: string,
    readonly problems: string,
  ) {
    super(`a ${table} row does not have the shape its store reads: ${problems}`);
    this.name = new.target.name;
  }
}

/** The rows as their schema reads them; throws StoredRowError naming the first bad field. */
export function parseRows<S extends z.ZodType>(table: string, schema: S, rows: readonly unknown[]): Array<z.output<S>> {
  return rows.map((row) => parseRow(table, schema, row));
}

/** One row as its schema reads it; throws StoredRowError naming each bad field. */
export function parseRow<S extends z.ZodType>(table: string, schema: S, row: unknown): z.output<S> {
  const parsed = schema.safeParse(row);
  if (parsed.success) return parsed.data;
  throw new StoredRowError(table, parsed.error.issues.map((i) => `${i.path.join('.') || '(row)'}: ${i.message}`).join('; '));
}
