import type Anthropic from '@anthropic-ai/sdk';
import type pg from 'pg';
import { type Db, inTransaction } from '../db/pool';

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

/** Serialises writers of one RCA's conversation (a retried activity racing a slow first attempt). */
const lock = (tx: pg.PoolClient, rcaId: string) => tx.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`rca_messages:${rcaId}`]);

/** The analyst's conversation in rca_messages: append-only, except that a retried turn overwrites its own row. */
export class ConversationStore {
  constructor(private readonly db: Db) {}

  async load(rcaId: string): Promise<StoredMessage[]> {
    const { rows } = await this.db.query('SELECT seq, role, content, usage FROM rca_messages WHERE rca_id = $1 ORDER BY seq', [rcaId]);
    return rows.map((r) => ({ seq: r.seq, role: r.role, content: r.content, ...(r.usage ? { usage: r.usage } : {}) }));
  }

  /** Writes the system prompt and the evidence once; later calls change nothing. */
  async seed(rcaId: string, system: string, evidence: Anthropic.ContentBlockParam[]): Promise<void> {
    await this.db.query(
      `INSERT INTO rca_messages (rca_id, seq, role, content) VALUES ($1, 0, 'system', $2), ($1, 1, 'user', $3)
       ON CONFLICT (rca_id, seq) DO NOTHING`,
      [rcaId, JSON.stringify([{ type: 'text', text: system }]), JSON.stringify(evidence)],
    );
  }

  /** Stores a turn's answer at its seq, dropping anything after it (left by an attempt this one replaces). */
  async putAssistant(rcaId: string, seq: number, content: Anthropic.ContentBlockParam[], usage: TurnUsage): Promise<void> {
    await inTransaction(this.db, async (tx) => {
      await lock(tx, rcaId);
      await tx.query('DELETE FROM rca_messages WHERE rca_id = $1 AND seq > $2', [rcaId, seq]);
      await tx.query(
        `INSERT INTO rca_messages (rca_id, seq, role, content, usage) VALUES ($1, $2, 'assistant', $3, $4)
         ON CONFLICT (rca_id, seq) DO UPDATE SET role = excluded.role, content = excluded.content, usage = excluded.usage, created_at = now()`,
        [rcaId, seq, JSON.stringify(content), JSON.stringify(usage)],
      );
    });
  }

  /**
   * Appends the tool_result of one tool_use unless it is already there; returns the stored
   * result either way, so a retried tool call reports what the first attempt recorded.
   */
  async appendToolResult(rcaId: string, result: Anthropic.ToolResultBlockParam): Promise<Anthropic.ToolResultBlockParam> {
    return inTransaction(this.db, async (tx) => {
      await lock(tx, rcaId);
      const existing = await findToolResult(tx, rcaId, result.tool_use_id);
      if (existing) return existing;
      await tx.query(
        `INSERT INTO rca_messages (rca_id, seq, role, content)
         SELECT $1, coalesce(max(seq), -1) + 1, 'user', $2 FROM rca_messages WHERE rca_id = $1`,
        [rcaId, JSON.stringify([result])],
      );
      return result;
    });
  }

  async findToolResult(rcaId: string, toolUseId: string): Promise<Anthropic.ToolResultBlockParam | undefined> {
    return findToolResult(this.db, rcaId, toolUseId);
  }
}

async function findToolResult(q: Pick<Db, 'query'> | pg.PoolClient, rcaId: string, toolUseId: string): Promise<Anthropic.ToolResultBlockParam | undefined> {
  const { rows } = await q.query(
    `SELECT content FROM rca_messages WHERE rca_id = $1 AND role = 'user' AND content @> $2::jsonb`,
    [rcaId, JSON.stringify([{ type: 'tool_result', tool_use_id: toolUseId }])],
  );
  const blocks = (rows[0]?.content ?? []) as Anthropic.ContentBlockParam[];
  return blocks.find((b): b is Anthropic.ToolResultBlockParam => b.type === 'tool_result' && b.tool_use_id === toolUseId);
}

/** Every tool_use of the conversation's assistant messages, in order. */
export function toolUses(messages: readonly StoredMessage[]): ToolUse[] {
  return messages
    .filter((m) => m.role === 'assistant')
    .flatMap((m) => m.content.filter((b): b is Anthropic.ToolUseBlockParam => b.type === 'tool_use'))
    .map((b) => ({ id: b.id, name: b.name, input: b.input }));
}
