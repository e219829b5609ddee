import Anthropic from '@anthropic-ai/sdk';
import { Ollama } from 'ollama';
import { heartbeatWhile } from './heartbeat';
import type { AccountStore } from '../accounts/store';
import { buildTurnRequest, answerBlocks, estimateCostUsd, toTurnFailure, turnOutcome, type TurnOutcome } from '../analysis/claude';
import { fromOllamaReply, toOllamaChat, toOllamaFailure } from '../analysis/ollama';
import { dataBlock, evidenceMessage, SYSTEM_PROMPT } from '../analysis/claude-prompt';
import { bounded, runReadTool, type ToolContext } from '../analysis/claude-tool-runner';
import { type AnalysisTask, callKey, describeIssues, offersReadTool, RCA_TASK, RCA_TASK_WITH_PROMETHEUS } from '../analysis/claude-tools';
import { type RcaReport, RcaReportSchema, type SubmittedReport } from '../analysis/report';
import { ConversationStore, type StoredMessage, toolUses } from '../analysis/conversation';
import type { Db } from '../db/pool';
import { estimateTokens } from '../evidence/bundle';
import { RcaStore } from '../rca/store';
import type { SimilarityProviders } from '../similarity/providers';
import { type ActivityMetrics, NO_ACTIVITY_METRICS } from '../telemetry/metrics';
import type { ToolCall } from '../contracts/rca';
import { noDatadogAccount, RayneFailure } from '../errors';
import { reportingFailures } from './failures';

export interface LlmDeps {
  db: Db;
  accounts: AccountStore;
  similarity: SimilarityProviders;
  similar: { limit: number; minScore: number };
  anthropic: {
    /** Absent: every turn fails as Unauthorized (the workflow should pick another analyst instead). */
    apiKey?: string;
    baseURL?: string;
    model: string;
    /** The last turn may only call submit_report. */
    maxTurns: number;
    /** Input, cached and output tokens summed over turns; near it, the report is forced. */
    maxTokensPerRca: number;
  };
  /** The Ollama analyst (runs whose analyst is `ollama`); it shares maxTurns and the token budget above. */
  ollama?: {
    /** Absent: every Ollama turn fails (planAnalysis does not pick Ollama then). */
    url?: string;
    /** OLLAMA_CHAT_MODEL, for a run that stored no model. */
    model: string;
  };
  /** Counts each turn's tokens and estimated cost; unset: not counted. */
  metrics?: ActivityMetrics;
}

/** What a tool call left in the conversation; `refused` says why it was not run. */
export interface ToolOutcome {
  ok: boolean;
  chars: number;
  refused?: string;
}

const ANSWER_MAX_TOKENS = 4096;
// Below the workflow's start-to-close timeout for a turn, so the SDK gives up first and says why.
const REQUEST_TIMEOUT_MS = 240_000;
const REFUSED = 'Refused: ';

const resultText = (content: Anthropic.ToolResultBlockParam['content']): string =>
  typeof content === 'string' ? content : (content ?? []).map((b) => (b.type === 'text' ? b.text : '')).join('');

/** A stored tool_result as the workflow sees it. */
function toolOutcome(result: Anthropic.ToolResultBlockParam): ToolOutcome {
  const text = resultText(result.content);
  return {
    ok: !result.is_error,
    chars: text.length,
    ...(text.startsWith(REFUSED) ? { refused: text.slice(REFUSED.length, REFUSED.length + 300) } : {}),
  };
}

/** One kind of analyst conversation: where it is stored, what it is for, and what its tools work on. */
export interface ConversationSpec<R> {
  store: ConversationStore;
  task: AnalysisTask<R>;
  /** The task of one conversation when it depends on the run (the Prometheus tools for an account with one); `task` when unset. */
  taskFor?(id: string): Promise<AnalysisTask<R>>;
  /** The system prompt and the first user message, written once when the conversation is new. */
  opening(id: string): Promise<{ system: string; first: string }>;
  /** The analyst and model planned for the run (a re-run may name another model). */
  plan(id: string): Promise<{ analyst?: string | null; model?: string | null }>;
  /** The account, window and similarity search the read tools of this run use. */
  toolContext(id: string): Promise<ToolContext>;
  /** Where a tool's output is cut (TOOL_OUTPUT_MAX_CHARS when unset): a model's context is bounded. */
  maxToolChars?: number;
}

/** Claude and Ollama turns over lazily built clients; both answer in the Messages API's shape. */
function modelClients({ anthropic, ollama }: Pick<LlmDeps, 'anthropic' | 'ollama'>) {
  let client: Anthropic | undefined;
  let ollamaClient: Ollama | undefined;
  return {
    async claude(request: Anthropic.MessageCreateParamsNonStreaming): Promise<Anthropic.Message> {
      if (!anthropic.apiKey) throw new RayneFailure('NotConfigured', 'no Anthropic API key is configured (ANTHROPIC_API_KEY)');
      // No SDK retries: Temporal retries the activity, with its own backoff and retry-after.
      client ??= new Anthropic({ apiKey: anthropic.apiKey, baseURL: anthropic.baseURL, maxRetries: 0, timeout: REQUEST_TIMEOUT_MS });
      try {
        return await heartbeatWhile(client.messages.create(request));
      } catch (err) {
        throw toTurnFailure(err);
      }
    },
    /** One Ollama chat turn, answered as the Messages API would have answered it. */
    async ollama(request: Anthropic.MessageCreateParamsNonStreaming, turn: number): Promise<Anthropic.Message> {
      const url = ollama?.url;
      if (!url) throw new RayneFailure('NotConfigured', 'no Ollama server is configured (OLLAMA_URL)');
      ollamaClient ??= new Ollama({ host: url });
      try {
        return fromOllamaReply(await heartbeatWhile(ollamaClient.chat(toOllamaChat(request))), turn);
      } catch (err) {
        throw toOllamaFailure(err, url, request.model);
      }
    },
  };
}

/**
 * An analyst conversation as two activities: `turn` is one model turn, `tool` one read-only
 * tool call. The conversation lives in Postgres; the workflow only passes ids and small
 * outcomes, and decides when to stop (a valid submit, or maxTurns).
 */
export function createConversation<R>(deps: Pick<LlmDeps, 'anthropic' | 'ollama' | 'metrics'>, spec: ConversationSpec<R>) {
  const { anthropic, ollama, metrics = NO_ACTIVITY_METRICS } = deps;
  const { store } = spec;
  const models = modelClients(deps);

  /** The conversation so far, seeded with the system prompt and the opening message when it is new. */
  const load = async (id: string): Promise<StoredMessage[]> => {
    const stored = await store.load(id);
    if (stored.length > 0) return stored;
    const { system, first } = await spec.opening(id);
    await store.seed(id, system, [{ type: 'text', text: first }]);
    return store.load(id);
  };

  return {
    /**
     * Model turn `turn` (from 1): sends the stored conversation, stores the answer at the turn's
     * place (a retried turn overwrites it) and returns its tool calls, result and usage. On the
     * last turn, or when the token budget is nearly spent, only the submit tool is offered and forced.
     * Throws Unauthorized (non-retryable) for a rejected key, NotConfigured for a missing one,
     * RateLimited/Unavailable (retryable, after retry-after) when the API is busy, NotFound when
     * the run has nothing to analyse.
     */
    async turn(id: string, turn: number): Promise<TurnOutcome<R>> {
      const stored = await load(id);
      const answers = stored.filter((m) => m.role === 'assistant');
      // The turn-th answer, when already stored, belongs to an earlier attempt of this turn: replace it.
      const replaced = answers[turn - 1];
      const seq = replaced ? replaced.seq : stored[stored.length - 1]!.seq + 1;
      const history = stored.filter((m) => m.seq < seq);
      const spent = history.reduce((n, m) => n + (m.usage ? m.usage.inputTokens + m.usage.cachedTokens + m.usage.outputTokens : 0), 0);
      const run = await spec.plan(id);
      const task = spec.taskFor ? await spec.taskFor(id) : spec.task;
      const viaOllama = run.analyst === 'ollama';
      const model: string = run.model ?? (viaOllama ? ollama?.model : undefined) ?? anthropic.model;
      const next = estimateTokens(buildTurnRequest(history, { model, final: false, task })) + ANSWER_MAX_TOKENS;
      const final = turn >= anthropic.maxTurns || spent + next > anthropic.maxTokensPerRca;
      const request = buildTurnRequest(history, { model, final, maxTokens: ANSWER_MAX_TOKENS, task });

      const message = viaOllama ? await models.ollama(request, turn) : await models.claude(request);
      const blocks = answerBlocks(message.content);
      const outcome = turnOutcome(message, final, task);
      // Counted per turn, retried ones too: a turn whose answer is replaced was still paid for.
      metrics.llmTurn(viaOllama ? 'ollama' : 'claude', model, outcome.usage, viaOllama ? 0 : estimateCostUsd(model, outcome.usage));
      // An empty answer would make the next request invalid; a placeholder keeps the roles alternating.
      await store.putAssistant(id, seq, blocks.length ? blocks : [{ type: 'text', text: '(no answer)' }], outcome.usage);
      return outcome;
    },

    /** One tool call of the conversation; see answerToolCalls. */
    tool: answerToolCalls(spec),
  };
}

/**
 * Runs one tool call of a conversation and appends its tool_result, once per tool_use id (a retry
 * returns what was recorded). Tool failures, bad input, tools the task does not offer and repeats
 * of an earlier identical call become error results; the submit tool is answered with its
 * validation errors. Throws NotFound for a tool_use the conversation lacks.
 */
export function answerToolCalls<R>(spec: Pick<ConversationSpec<R>, 'store' | 'task' | 'taskFor' | 'toolContext' | 'maxToolChars'>) {
  const { store } = spec;
  return async function tool(id: string, call: ToolCall): Promise<ToolOutcome> {
    const task = spec.taskFor ? await spec.taskFor(id) : spec.task;
    const recorded = await store.findToolResult(id, call.id);
    if (recorded) return toolOutcome(recorded);
    const uses = toolUses(await store.load(id));
    const index = uses.findIndex((u) => u.id === call.id);
    if (index < 0) throw new RayneFailure('NotFound', `${id} has no tool call ${call.id}`);
    // The stored call is the truth: it is what the model will see answered.
    const use = uses[index]!;
    const answer = async (text: string, isError: boolean) =>
      toolOutcome(
        await store.appendToolResult(id, {
          type: 'tool_result',
          tool_use_id: use.id,
          content: text,
          ...(isError ? { is_error: true } : {}),
        }),
      );

    if (use.name === task.submit.name) {
      const parsed = task.submit.schema.safeParse(use.input);
      return parsed.success
        ? answer('Received.', false)
        : answer(
            `The input does not match the schema: ${describeIssues(parsed.error)}. Call ${task.submit.name} again with these fields fixed.`,
            true,
          );
    }
    if (!offersReadTool(task, use.name)) return answer(`Unknown tool "${use.name}"; the tools are listed in the request.`, true);
    const key = callKey(use.name, use.input);
    if (uses.slice(0, index).some((u) => callKey(u.name, u.input) === key)) {
      return answer(
        `${REFUSED}this exact call (${use.name} with the same arguments) was already made in this investigation; use its result above, or change the arguments.`,
        true,
      );
    }
    const ctx = await spec.toolContext(id);
    let output: string;
    try {
      output = await heartbeatWhile(runReadTool(use.name, use.input, ctx));
    } catch (err) {
      return answer(`${use.name} failed: ${bounded((err as Error).message ?? String(err), 1000)}`, true);
    }
    return answer(dataBlock(use.name, bounded(output, spec.maxToolChars)), false);
  };
}

/** The RCA analyst (Claude or Ollama): its conversation in rca_messages, opened with the evidence bundle. */
/** The account (its Datadog keys and its Prometheus), window and similarity search an RCA's read tools use; NotConfigured when the account has neither. */
export function rcaToolContext({ db, accounts, similarity, similar }: Pick<LlmDeps, 'db' | 'accounts' | 'similarity' | 'similar'>) {
  const rcas = new RcaStore(db);
  return async (rcaId: string): Promise<ToolContext> => {
    const run = await rcas.accountAndBundle(rcaId);
    if (!run) throw new RayneFailure('NotFound', `RCA ${rcaId} does not exist`);
    const { account, bundle } = run;
    const credentials = await accounts.credentials(account);
    const prometheus = await accounts.prometheus(account);
    if (!credentials && !prometheus) throw noDatadogAccount(account);
    const to = bundle ? new Date(bundle.window.to) : new Date();
    return {
      selfId: rcaId,
      account,
      credentials,
      prometheus,
      similarity,
      similar,
      window: { from: bundle ? new Date(bundle.window.from) : new Date(to.getTime() - 30 * 60_000), to },
    };
  };
}

/** An RCA's task: with the Prometheus tools when its account has a Prometheus, so a model is offered only tools that can answer. */
export function rcaTaskFor({ db, accounts }: Pick<LlmDeps, 'db' | 'accounts'>) {
  const rcas = new RcaStore(db);
  return async (rcaId: string): Promise<AnalysisTask<SubmittedReport>> => {
    const run = await rcas.accountAndBundle(rcaId);
    return run && (await accounts.prometheus(run.account)) ? RCA_TASK_WITH_PROMETHEUS : RCA_TASK;
  };
}

/** The report the investigating analyst submitted in its conversation, with its calibration features, if it has one yet. */
export async function investigationReport(
  store: ConversationStore,
  rcaId: string,
): Promise<(SubmittedReport & Pick<RcaReport, 'calibration'>) | undefined> {
  const submit = toolUses(await store.load(rcaId))
    .filter((u) => u.name === RCA_TASK.submit.name)
    .at(-1);
  const parsed = submit && RCA_TASK.submit.schema.safeParse(submit.input);
  const calibration = RcaReportSchema.shape.calibration.safeParse((submit?.input as Record<string, unknown> | undefined)?.calibration);
  return parsed?.success ? { ...parsed.data, calibration: calibration.success ? calibration.data : undefined } : undefined;
}

export const createLlmActivities = (deps: LlmDeps) => {
  const { db } = deps;
  const rcas = new RcaStore(db);
  const investigations = new ConversationStore(db, 'rca_investigation_messages');
  const rca = createConversation(deps, {
    store: new ConversationStore(db),
    task: RCA_TASK,
    async opening(rcaId) {
      const bundle = await rcas.bundle(rcaId);
      if (!bundle) throw new RayneFailure('NotFound', `RCA ${rcaId} has no evidence bundle; the analysis runs after the evidence step`);
      // The investigating analyst's ranking is the model's starting point: hypotheses to confirm or refute.
      const investigated = await investigationReport(investigations, rcaId);
      return { system: SYSTEM_PROMPT, first: evidenceMessage(bundle, investigated?.hypotheses ?? []) };
    },
    plan: (rcaId) => rcas.plannedAnalyst(rcaId),
    taskFor: rcaTaskFor(deps),
    toolContext: rcaToolContext(deps),
  });
  return reportingFailures({
    /** One RCA model turn; see createConversation's `turn`. */
    analysisTurn: (rcaId: string, turn: number) => rca.turn(rcaId, turn),
    /** One RCA tool call; throws NotConfigured when the alert's Datadog account is gone. */
    analysisTool: (rcaId: string, call: ToolCall) => rca.tool(rcaId, call),
  });
};

export type LlmActivities = ReturnType<typeof createLlmActivities>;
