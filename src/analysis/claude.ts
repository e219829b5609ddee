import type Anthropic from '@anthropic-ai/sdk';
import { APIError } from '@anthropic-ai/sdk';
import { RayneFailure } from '../errors';
import { type AnalysisTask, describeIssues, RCA_TASK, submitTool, toolsOf } from './claude-tools';
import type { StoredMessage, TurnUsage } from './conversation';
import type { SubmittedReport } from './report';
import type { AnalysisUsage } from '../contracts/rca';

/** What a model turn hands back to the workflow: small, the conversation itself stays in Postgres. */
export interface TurnOutcome<R = SubmittedReport> {
  /**
   * Every tool_use of the answer, the submit tool included. When `report` is set the investigation
   * is over; otherwise run each call with analysisTool (a rejected submit_report gets its
   * validation errors as its tool_result) and take the next turn.
   */
  toolCalls: Array<{ id: string; name: string; input: unknown }>;
  report?: R;
  /** A submit call whose input did not match the report schema, and why. */
  reportError?: { toolUseId: string; message: string };
  /** The model's prose of this turn, shortened: its reasoning for people reading the run. */
  text?: string;
  stopReason: string;
  usage: TurnUsage;
  /** True when this turn could only submit the report (last turn, or the token budget spent). */
  final: boolean;
}

const ANSWER_MAX_TOKENS = 4096;
const EPHEMERAL = { type: 'ephemeral' } as const;

export interface TurnRequestOptions {
  model: string;
  final: boolean;
  maxTokens?: number;
  /** What the conversation is for; the RCA investigation unless said otherwise. */
  task?: AnalysisTask;
}

/**
 * The Messages API request for the stored conversation. Consecutive messages of one role merge
 * (each tool_result is its own row); a tool_use left without a result gets an error result, so
 * the request is always well formed. Tools and system prompt carry cache_control (the stable
 * prefix), the evidence message too; on a final turn only the submit tool is offered, and forced.
 */
export function buildTurnRequest(stored: readonly StoredMessage[], options: TurnRequestOptions): Anthropic.MessageCreateParamsNonStreaming {
  const task = options.task ?? RCA_TASK;
  const [system, ...rest] = stored;
  if (!system || system.role !== 'system') throw new Error('the conversation has no system prompt: turn 1 seeds it');
  const answered = new Set(rest.flatMap((m) => m.content.flatMap((b) => (b.type === 'tool_result' ? [b.tool_use_id] : []))));
  const messages: Anthropic.MessageParam[] = [];
  const fills = new Map<number, string[]>();
  const push = (role: 'user' | 'assistant', blocks: Anthropic.ContentBlockParam[]) => {
    const last = messages[messages.length - 1];
    if (last && last.role === role) (last.content as Anthropic.ContentBlockParam[]).push(...blocks);
    else messages.push({ role, content: [...blocks] });
  };
  for (const m of rest) {
    const blocks =
      m.seq === 1
        ? m.content.map((b, i) => (i === m.content.length - 1 ? ({ ...b, cache_control: EPHEMERAL } as Anthropic.ContentBlockParam) : b))
        : m.content;
    push(m.role === 'assistant' ? 'assistant' : 'user', blocks);
    if (m.role === 'assistant') {
      const unanswered = m.content.filter((b): b is Anthropic.ToolUseBlockParam => b.type === 'tool_use' && !answered.has(b.id));
      // Results of this message's calls come in the rows that follow; only missing ones are filled in, after them.
      if (unanswered.length)
        fills.set(
          messages.length,
          unanswered.map((b) => b.id),
        );
    }
  }
  fillMissingResults(messages, fills);
  const last = messages[messages.length - 1];
  const nudge = options.final ? task.finalPrompt : last?.role === 'assistant' ? task.continuePrompt : undefined;
  if (nudge) push('user', [{ type: 'text', text: nudge }]);

  const tools = options.final ? [submitTool(task)] : toolsOf(task);
  tools[tools.length - 1] = { ...tools[tools.length - 1]!, cache_control: EPHEMERAL };
  return {
    model: options.model,
    max_tokens: options.maxTokens ?? ANSWER_MAX_TOKENS,
    system: system.content.map((b, i) => ({
      ...(b as Anthropic.TextBlockParam),
      ...(i === system.content.length - 1 ? { cache_control: EPHEMERAL } : {}),
    })),
    tools,
    tool_choice: options.final ? { type: 'tool', name: task.submit.name } : { type: 'auto' },
    messages,
  };
}

/** Error results for tool_use ids with no stored result; `fills` maps the index after their assistant message to the ids. */
function fillMissingResults(messages: Anthropic.MessageParam[], fills: Map<number, string[]>): void {
  // From the end, so inserting a message does not shift the indices still to fill.
  for (const [afterIndex, ids] of [...fills.entries()].sort((a, b) => b[0] - a[0])) {
    const results: Anthropic.ToolResultBlockParam[] = ids.map((id) => ({
      type: 'tool_result',
      tool_use_id: id,
      is_error: true,
      content: 'No result was recorded for this call; do not rely on it.',
    }));
    const next = messages[afterIndex];
    if (next && next.role === 'user') (next.content as Anthropic.ContentBlockParam[]).unshift(...results);
    else messages.splice(afterIndex, 0, { role: 'user', content: results });
  }
}

/** An answer's blocks as request params (what is stored and sent back): text, tool_use and thinking only. */
export function answerBlocks(content: readonly Anthropic.ContentBlock[]): Anthropic.ContentBlockParam[] {
  return content.flatMap((b): Anthropic.ContentBlockParam[] => {
    if (b.type === 'text') return [{ type: 'text', text: b.text }];
    if (b.type === 'tool_use') return [{ type: 'tool_use', id: b.id, name: b.name, input: b.input }];
    if (b.type === 'thinking') return [{ type: 'thinking', thinking: b.thinking, signature: b.signature }];
    if (b.type === 'redacted_thinking') return [{ type: 'redacted_thinking', data: b.data }];
    return [];
  });
}

/** Input (full-price, cache writes included), cached (cache reads) and output tokens of one answer. */
export function usageOf(usage: Anthropic.Usage): TurnUsage {
  return {
    inputTokens: usage.input_tokens + (usage.cache_creation_input_tokens ?? 0),
    outputTokens: usage.output_tokens,
    cachedTokens: usage.cache_read_input_tokens ?? 0,
  };
}

/** The workflow's view of an answer: tool calls, the report if one was submitted and valid, or why not. */
export function turnOutcome<R = SubmittedReport>(
  message: Anthropic.Message,
  final: boolean,
  task: AnalysisTask<R> = RCA_TASK as unknown as AnalysisTask<R>,
): TurnOutcome<R> {
  const calls = message.content.filter((b): b is Anthropic.ToolUseBlock => b.type === 'tool_use');
  const outcome: TurnOutcome<R> = {
    toolCalls: calls.map((b) => ({ id: b.id, name: b.name, input: b.input })),
    stopReason: message.stop_reason ?? 'unknown',
    usage: usageOf(message.usage),
    final,
  };
  const text = message.content
    .flatMap((b) => (b.type === 'text' ? [b.text] : []))
    .join('\n')
    .trim();
  if (text) outcome.text = text.slice(0, 2000);
  const submit = calls.find((b) => b.name === task.submit.name);
  if (submit) {
    const parsed = task.submit.schema.safeParse(submit.input);
    if (parsed.success) outcome.report = parsed.data;
    else outcome.reportError = { toolUseId: submit.id, message: describeIssues(parsed.error) };
  }
  return outcome;
}

const retryAfterMs = (headers: Headers | undefined): number | undefined => {
  const ms = Number(headers?.get('retry-after-ms'));
  if (Number.isFinite(ms) && ms > 0) return ms;
  const seconds = Number(headers?.get('retry-after'));
  return Number.isFinite(seconds) && seconds > 0 ? seconds * 1000 : undefined;
};

// `instanceof` alone narrows to APIError<any, any, any>; the guard keeps the SDK's declared field types.
const isApiError = (err: unknown): err is APIError => err instanceof APIError;

/**
 * A failed Messages API call in Rayne's terms: a rejected key fails for good (Unauthorized), as
 * does a request the API calls malformed (BadRequest, NotFound); a rate limit (RateLimited) or an
 * overloaded or failing API (Unavailable) retries, after retry-after when the API sent one; a
 * network failure or timeout is returned as is and retries too.
 */
export function toTurnFailure(err: unknown): unknown {
  if (!isApiError(err) || err.status === undefined) return err;
  const status = err.status;
  const detail = err.apiMessage ?? err.message;
  const data = { upstream: 'Anthropic', status, retryAfterMs: retryAfterMs(err.headers) };
  if (status === 401 || status === 403) {
    return new RayneFailure('Unauthorized', `the Anthropic API key was rejected (${status}): ${detail}; check ANTHROPIC_API_KEY`, data);
  }
  if (status === 429) return new RayneFailure('RateLimited', `Anthropic rate limit (429): ${detail}`, data);
  if (status >= 500 || err.type === 'overloaded_error' || status === 408 || status === 409) {
    return new RayneFailure('Unavailable', `Anthropic API unavailable (${status}): ${detail}`, data);
  }
  return new RayneFailure(status === 404 ? 'NotFound' : 'BadRequest', `Anthropic refused the request (${status}): ${detail}`, data);
}

/**
 * USD per million tokens, from Anthropic's public price list (2025): input, cache read, output.
 * Cache writes are counted as input (they cost 1.25x input, so estimates run slightly low).
 * Models match by prefix, the longest first (claude-sonnet-4-6 is priced as Sonnet 4 is: an
 * assumption to check against the price list); an unknown model is priced as Sonnet.
 */
const PRICES: ReadonlyArray<[prefix: string, input: number, cacheRead: number, output: number]> = [
  ['claude-opus-4-5', 5, 0.5, 25],
  ['claude-opus-4', 15, 1.5, 75],
  ['claude-3-opus', 15, 1.5, 75],
  ['claude-sonnet-4', 3, 0.3, 15],
  ['claude-3-7-sonnet', 3, 0.3, 15],
  ['claude-3-5-sonnet', 3, 0.3, 15],
  ['claude-haiku-4-5', 1, 0.1, 5],
  ['claude-3-5-haiku', 0.8, 0.08, 4],
  ['claude-3-haiku', 0.25, 0.03, 1.25],
];
const DEFAULT_PRICE = PRICES.find(([p]) => p === 'claude-sonnet-4')!;

/** Estimated USD cost of the given token usage on a model, rounded to a hundredth of a cent. */
export function estimateCostUsd(model: string, usage: Pick<AnalysisUsage, 'inputTokens' | 'outputTokens' | 'cachedTokens'>): number {
  const [, input, cacheRead, output] =
    [...PRICES].sort((a, b) => b[0].length - a[0].length).find(([prefix]) => model.startsWith(prefix)) ?? DEFAULT_PRICE;
  const usd = (usage.inputTokens * input + usage.cachedTokens * cacheRead + usage.outputTokens * output) / 1_000_000;
  return Math.round(usd * 10_000) / 10_000;
}
