import { z } from 'zod';

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

/** A row as it crosses the API in JSON: its dates become ISO 8601 strings, the rest stays as the row has it. */
export type JsonRow<T> = {
  [K in keyof T]: T[K] extends Date ? string : T[K] extends Date | null ? string | null : T[K];
};

type JsonField<F> = F extends z.ZodDate ? z.ZodString : F extends z.ZodNullable<z.ZodDate> ? z.ZodNullable<z.ZodString> : F;

/** A row schema's fields as the API's answers carry them (see JsonRow), for the API's response schemas. */
export function jsonShape<S extends z.ZodRawShape>(shape: S): { [K in keyof S]: JsonField<S[K]> } {
  const timestamp = () => z.string().meta({ format: 'date-time' });
  const json = (field: z.core.$ZodType) =>
    field instanceof z.ZodDate
      ? timestamp()
      : field instanceof z.ZodNullable && field.unwrap() instanceof z.ZodDate
        ? timestamp().nullable()
        : field;
  return Object.fromEntries(Object.entries(shape).map(([name, field]) => [name, json(field)])) as { [K in keyof S]: JsonField<S[K]> };
}

/**
 * A jsonb column whose writer checked its shape (a report, a bundle, usage): read back as an
 * object of that type. Only "is an object" is checked again here, not every field.
 */
export const jsonColumn = <T extends object>() => z.custom<T>((v) => typeof v === 'object' && v !== null, 'must be a JSON object');
