import http from 'node:http';
import type { AddressInfo } from 'node:net';

/** A scripted answer: a message (content and stop reason; the rest is filled in) or an HTTP error. */
export type ScriptedAnswer =
  | {
      content: Array<{ type: 'text'; text: string } | { type: 'tool_use'; id: string; name: string; input: unknown }>;
      stop_reason?: 'end_turn' | 'tool_use' | 'max_tokens' | 'stop_sequence';
      usage?: Partial<{
        input_tokens: number;
        output_tokens: number;
        cache_read_input_tokens: number;
        cache_creation_input_tokens: number;
      }>;
      /** Answers only after this long: a slow model, for a test that kills the caller meanwhile. */
      holdMs?: number;
    }
  | { status: number; body?: unknown; headers?: Record<string, string> };

export interface RecordedRequest {
  headers: http.IncomingHttpHeaders;
  body: any;
}

/**
 * A loopback stand-in for Anthropic's Messages API (`POST /v1/messages`), answering from a
 * script in order: messages in the real shape (`id, type: "message", role, model, content,
 * stop_reason, stop_sequence, usage`) or errors in the real error shape
 * (`{ type: "error", error: { type, message } }`). Records every request.
 */
export interface AnthropicSimulator {
  url: string;
  requests: RecordedRequest[];
  /** Appends answers to the script. */
  script(...answers: ScriptedAnswer[]): void;
  /** Forgets the unused script and the recorded requests. */
  reset(): void;
  close(): Promise<void>;
}

const ERROR_TYPES: Record<number, string> = {
  400: 'invalid_request_error',
  401: 'authentication_error',
  403: 'permission_error',
  404: 'not_found_error',
  413: 'request_too_large',
  429: 'rate_limit_error',
  500: 'api_error',
  529: 'overloaded_error',
};

export const anthropicError = (status: number, message = status === 529 ? 'Overloaded' : `error ${status}`) => ({
  type: 'error',
  error: { type: ERROR_TYPES[status] ?? 'api_error', message },
});

export async function startAnthropicSimulator(): Promise<AnthropicSimulator> {
  const queue: ScriptedAnswer[] = [];
  const requests: RecordedRequest[] = [];
  let n = 0;
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const send = (status: number, body: unknown, headers: Record<string, string> = {}) =>
        res.writeHead(status, { 'content-type': 'application/json', 'request-id': `req_sim_${n}`, ...headers }).end(JSON.stringify(body));
      if (req.method !== 'POST' || !req.url?.startsWith('/v1/messages'))
        return send(404, anthropicError(404, `no route ${req.method} ${req.url}`));
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
      requests.push({ headers: req.headers, body });
      const answer = queue.shift();
      n += 1;
      if (!answer) return send(500, anthropicError(500, 'the simulator script is exhausted'));
      if ('status' in answer) return send(answer.status, answer.body ?? anthropicError(answer.status), answer.headers);
      const hasToolUse = answer.content.some((b) => b.type === 'tool_use');
      const reply = () =>
        send(200, {
          id: `msg_sim_${String(n).padStart(4, '0')}`,
          type: 'message',
          role: 'assistant',
          model: body.model,
          content: answer.content.map((b) => (b.type === 'text' ? { type: 'text', text: b.text, citations: null } : b)),
          stop_reason: answer.stop_reason ?? (hasToolUse ? 'tool_use' : 'end_turn'),
          stop_sequence: null,
          usage: { input_tokens: 1200, output_tokens: 150, cache_read_input_tokens: 0, cache_creation_input_tokens: 0, ...answer.usage },
        });
      if (answer.holdMs) setTimeout(reply, answer.holdMs);
      else reply();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    requests,
    script: (...answers) => queue.push(...answers),
    reset: () => {
      queue.length = 0;
      requests.length = 0;
    },
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
