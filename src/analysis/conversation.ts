import type Anthropic from '@anthropic-ai/sdk';
import type pg from 'pg';
import { z } from 'zod';
import { type Db, inTransaction } from '../db/pool';
import { jsonColumn, parseRow, parseRows } from '../db/rows';

export type MessageRole = 'system' | 'user' | 'assistant';

/** Token counts of one model answer, as stored with it. */
export interface TurnUsage {
  inputTokens: number;
  outputTokens: number;
  cachedTokens: number;
}

export interface StoredMessage {
  seq: number;
  role: MessageRole;
  content: Anthropic.ContentBlockParam[];
  usage?: TurnUsage;
}

/** A tool_use block as stored in an assistant message. */
export interface ToolUse {
  id: string;
  name: string;
  input: unknown;
}

const Content = jsonColumn<Anthropic.ContentBlockParam[]>();
/** A stored message: its content blocks and, for a model's answer, its token counts. */
const MessageRow = z.object({
  seq: z.number().int(),
  role: z.enum(['system', 'user', 'assistant']),
  content: Content,
  usage: jsonColumn<TurnUsage>().nullable(),
});

/**
 * Where conversations live: a model's RCA in rca_messages, the investigating analyst's in
 * rca_investigation_messages, an issue triage's in github_triage_messages.
 */
const TABLES = { rca_messages: 'rca_id', rca_investigation_messages: 'rca_id', github_triage_messages: 'triage_id' } as const;
export type ConversationTable = keyof typeof TABLES;

/** An analyst's conversation: append-only, except that a retried turn overwrites its own row. */
export class ConversationStore {
  private readonly table: ConversationTable;
  private readonly key: string;

  constructor(
    private readonly db: Db,
    table: ConversationTable = 'rca_messages',
  ) {
    this.table = table;
    this.key = TABLES[table];
  }

  /** Serialises writers of one conversation (a retried activity racing a slow first attempt). */
  private lock(tx: pg.PoolClient, id: string) {
    return tx.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`${this.table}:${id}`]);
  }

  async load(id: string): Promise<StoredMessage[]> {
    const { rows } = await this.db.query(`SELECT seq, role, content, usage FROM ${this.table} WHERE ${this.key} = $1 ORDER BY seq`, [id]);
    return parseRows(this.table, MessageRow, rows).map((r) => ({
      seq: r.seq,
      role: r.role,
      content: r.content,
      ...(r.usage ? { usage: r.usage } : {}),
    }));
  }

  /** Writes the system prompt and the evidence once; later calls change nothing. */
  async seed(id: string, system: string, evidence: Anthropic.ContentBlockParam[]): Promise<void> {
    await this.db.query(
      `INSERT INTO ${this.table} (${this.key}, seq, role, content) VALUES ($1, 0, 'system', $2), ($1, 1, 'user', $3)
       ON CONFLICT (${this.key}, seq) DO NOTHING`,
      [id, JSON.stringify([{ type: 'text', text: system }]), JSON.stringify(evidence)],
    );
  }

  /** Stores a turn's answer at its seq, dropping anything after it (left by an attempt this one replaces). */
  async putAssistant(id: string, seq: number, content: Anthropic.ContentBlockParam[], usage: TurnUsage): Promise<void> {
    await inTransaction(this.db, async (tx) => {
      await this.lock(tx, id);
      await tx.query(`DELETE FROM ${this.table} WHERE ${this.key} = $1 AND seq > $2`, [id, seq]);
      await tx.query(
        `INSERT INTO ${this.table} (${this.key}, seq, role, content, usage) VALUES ($1, $2, 'assistant', $3, $4)
         ON CONFLICT (${this.key}, seq) DO UPDATE SET role = excluded.role, content = excluded.content, usage = excluded.usage, created_at = now()`,
        [id, seq, JSON.stringify(content), JSON.stringify(usage)],
      );
    });
  }

  /**
   * Appends the tool_result of one tool_use unless it is already there; returns the stored
   * result either way, so a retried tool call reports what the first attempt recorded.
   */
  async appendToolResult(id: string, result: Anthropic.ToolResultBlockParam): Promise<Anthropic.ToolResultBlockParam> {
    return inTransaction(this.db, async (tx) => {
      await this.lock(tx, id);
      const existing = await this.findIn(tx, id, result.tool_use_id);
      if (existing) return existing;
      await tx.query(
        `INSERT INTO ${this.table} (${this.key}, seq, role, content)
         SELECT $1, coalesce(max(seq), -1) + 1, 'user', $2 FROM ${this.table} WHERE ${this.key} = $1`,
        [id, JSON.stringify([result])],
      );
      return result;
    });
  }

  async findToolResult(id: string, toolUseId: string): Promise<Anthropic.ToolResultBlockParam | undefined> {
    return this.findIn(this.db, id, toolUseId);
  }

  private async findIn(
    q: Pick<Db, 'query'> | pg.PoolClient,
    id: string,
    toolUseId: string,
  ): Promise<Anthropic.ToolResultBlockParam | undefined> {
    const { rows } = await q.query(`SELECT content FROM ${this.table} WHERE ${this.key} = $1 AND role = 'user' AND content @> $2::jsonb`, [
      id,
      JSON.stringify([{ type: 'tool_result', tool_use_id: toolUseId }]),
    ]);
    const blocks = rows[0] === undefined ? [] : parseRow(this.table, z.object({ content: Content }), rows[0]).content;
    return blocks.find((b): b is Anthropic.ToolResultBlockParam => b.type === 'tool_result' && b.tool_use_id === toolUseId);
  }
}

/** Every tool_use of the conversation's assistant messages, in order. */
export function toolUses(messages: readonly StoredMessage[]): ToolUse[] {
  return messages
    .filter((m) => m.role === 'assistant')
    .flatMap((m) => m.content.filter((b): b is Anthropic.ToolUseBlockParam => b.type === 'tool_use'))
    .map((b) => ({ id: b.id, name: b.name, input: b.input }));
}
