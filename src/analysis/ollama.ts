import type Anthropic from '@anthropic-ai/sdk';
import { RayneFailure } from '../errors';
import type { ChatRequest, ChatResponse, Message, Tool } from 'ollama';

/**
 * The Ollama analyst speaks through the Claude analyst's code: the stored conversation (Anthropic's
 * message format) becomes a Messages API request with buildTurnRequest, that request an Ollama chat
 * request here, and Ollama's answer an Anthropic message again, so what is stored and what the
 * workflow sees are the same for both analysts.
 */

// Llama 3.1 reads 128k tokens; Ollama's default window would silently cut the evidence message.
const NUM_CTX = 32_768;

const text = (content: string | readonly Anthropic.ContentBlockParam[] | Anthropic.ToolResultBlockParam['content']): string =>
  typeof content === 'string' ? content : (content ?? []).map((b) => (b.type === 'text' ? b.text : '')).join('');

/** A Messages API request as an Ollama chat request: tool_use becomes tool_calls, each tool_result a `tool` message. */
export function toOllamaChat(request: Anthropic.MessageCreateParamsNonStreaming): ChatRequest & { stream: false } {
  const messages: Message[] = [{ role: 'system', content: text(request.system ?? '') }];
  for (const m of request.messages) {
    const blocks: readonly Anthropic.ContentBlockParam[] = typeof m.content === 'string' ? [{ type: 'text', text: m.content }] : m.content;
    if (m.role === 'assistant') {
      const calls = blocks.filter((b): b is Anthropic.ToolUseBlockParam => b.type === 'tool_use');
      messages.push({
        role: 'assistant',
        content: text(blocks),
        ...(calls.length
          ? { tool_calls: calls.map((c) => ({ function: { name: c.name, arguments: (c.input ?? {}) as Record<string, unknown> } })) }
          : {}),
      });
      continue;
    }
    // Tool results first, in the order of the calls (Ollama matches them by position), then any text.
    const names = new Map(
      request.messages.flatMap((a) =>
        typeof a.content === 'string' ? [] : a.content.flatMap((b) => (b.type === 'tool_use' ? [[b.id, b.name] as const] : [])),
      ),
    );
    for (const b of blocks) {
      if (b.type === 'tool_result')
        messages.push({ role: 'tool', content: (b.is_error ? 'Error: ' : '') + text(b.content), tool_name: names.get(b.tool_use_id) });
    }
    const prose = text(blocks.filter((b) => b.type === 'text'));
    if (prose) messages.push({ role: 'user', content: prose });
  }
  const tools: Tool[] = (request.tools ?? []).map((t) => {
    const tool = t as Anthropic.Tool;
    return {
      type: 'function',
      function: { name: tool.name, description: tool.description, parameters: tool.input_schema as Tool['function']['parameters'] },
    };
  });
  return { model: request.model, messages, tools, stream: false, options: { num_predict: request.max_tokens, num_ctx: NUM_CTX } };
}

/** Ollama's answer as an Anthropic message; its tool calls get ids `ollama_<turn>_<i>`, stable for a turn. */
export function fromOllamaReply(reply: ChatResponse, turn: number): Anthropic.Message {
  const calls = reply.message.tool_calls ?? [];
  // What turnOutcome and answerBlocks read of the blocks; the SDK's types carry more fields than an answer needs.
  const content: Array<{ type: 'text'; text: string; citations: null } | { type: 'tool_use'; id: string; name: string; input: unknown }> =
    [];
  if (reply.message.content?.trim()) content.push({ type: 'text', text: reply.message.content, citations: null });
  calls.forEach((c, i) => {
    // Some models send the arguments as a JSON string.
    let input: unknown = c.function.arguments ?? {};
    if (typeof input === 'string') {
      try {
        input = JSON.parse(input);
      } catch {
        input = { _unparsed: input };
      }
    }
    content.push({ type: 'tool_use', id: `ollama_${turn}_${i}`, name: c.function.name, input });
  });
  return {
    id: `ollama_${turn}`,
    type: 'message',
    role: 'assistant',
    model: reply.model,
    content,
    stop_reason: calls.length ? 'tool_use' : reply.done_reason === 'length' ? 'max_tokens' : 'end_turn',
    stop_sequence: null,
    usage: {
      input_tokens: reply.prompt_eval_count ?? 0,
      output_tokens: reply.eval_count ?? 0,
      cache_creation_input_tokens: 0,
      cache_read_input_tokens: 0,
    },
  } as unknown as Anthropic.Message;
}

/**
 * A failed Ollama chat in Rayne's terms: a missing model fails for good (NotFound: only
 * `ollama pull` fixes it); 5xx, 429 and an unreachable server retry; other refusals fail for good.
 */
export function toOllamaFailure(err: unknown, url: string, model: string): RayneFailure {
  const e = err as { name?: string; status_code?: number; message?: string; cause?: { code?: string; message?: string } };
  const at = `Ollama at ${url} (model "${model}")`;
  const data = { upstream: 'Ollama', status: e.status_code };
  if (e.status_code === 404 || (e.name === 'ResponseError' && /not found/i.test(e.message ?? ''))) {
    return new RayneFailure('NotFound', `${at} has no such model: run \`ollama pull ${model}\` there, or set OLLAMA_CHAT_MODEL`, data);
  }
  if (e.name === 'ResponseError' && e.status_code !== undefined) {
    if (e.status_code === 429) return new RayneFailure('RateLimited', `${at} answered 429: ${e.message}`, data);
    if (e.status_code >= 500 || e.status_code === 408)
      return new RayneFailure('Unavailable', `${at} answered ${e.status_code}: ${e.message}`, data);
    return new RayneFailure('BadRequest', `${at} refused the request (${e.status_code}): ${e.message}`, data);
  }
  const reason = e.cause?.code ?? e.cause?.message ?? e.message ?? String(err);
  return new RayneFailure('Unavailable', `${at} is unreachable (${reason}): start it with \`ollama serve\`, or fix OLLAMA_URL`, data);
}
