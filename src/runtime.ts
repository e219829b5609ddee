import type { Client } from '@temporalio/client';
import type { ActivityDeps } from './activities';
import { AccountStore } from './accounts/store';
import { type ApiAuth, createApiAuth } from './api/auth';
import { type Config, groupSettingsOf } from './config';
import { createPool, type Db } from './db/pool';
import { GithubIntake } from './intake/github-intake';
import { Intake } from './intake/intake';
import { FeedbackReindex } from './intake/feedback-reindex';
import type { Logger } from './logger';
import { ProcessorConfigStore } from './processors/config';
import { loadSecretBox } from './secret-box';
import { createSimilarityProviders } from './similarity/providers';
import { ApiMetrics, type MetricsSource, processMetrics } from './telemetry/metrics';
import { createLazyClient, temporalState } from './temporal/connection';
import { ReadinessMonitor } from './api/readiness';

/** The stores over one pool, sealing secrets with the configured (or dev) key. */
export function createStores(config: Config, db: Db) {
  const box = loadSecretBox(config.RAYNE_ENCRYPTION_KEY, config.home);
  return { accounts: new AccountStore(db, box), processorConfigs: new ProcessorConfigStore(db, box) };
}

/** Everything the API needs, built from config: one pool, one Temporal client, its metrics. */
export interface ApiRuntime extends ReturnType<typeof createStores> {
  db: Db;
  auth: ApiAuth;
  temporal: Client;
  intake: Intake;
  githubIntake: GithubIntake;
  feedbackReindex: FeedbackReindex;
  /** Postgres and Temporal, checked in the background once started (by the server, or by the first /ready). */
  readiness: ReadinessMonitor<'postgres' | 'temporal'>;
  metrics: ApiMetrics;
  /** What GET /metrics serves: this process's and the API's series, then any extra sources (the worker's in `rayne dev`). */
  metricsSources: MetricsSource[];
  close(): Promise<void>;
}

export function createApiRuntime(
  config: Config,
  databaseUrl: string,
  temporalAddress: string,
  log: Logger,
  extraMetrics: MetricsSource[] = [],
): ApiRuntime {
  const db = createPool(databaseUrl, undefined, config.RAYNE_DB_TIMEOUT_MS);
  const temporal = createLazyClient({ address: temporalAddress, namespace: config.TEMPORAL_NAMESPACE });
  const stores = createStores(config, db);
  const metrics = new ApiMetrics();
  const starts = {
    db,
    temporal,
    taskQueue: config.TEMPORAL_TASK_QUEUE,
    temporalTimeoutMs: config.RAYNE_TEMPORAL_TIMEOUT_MS,
    maxStartAttempts: config.RAYNE_START_MAX_ATTEMPTS,
    log,
    metrics,
  };
  const intake = new Intake({ ...starts, accounts: stores.accounts, grouping: groupSettingsOf(config) });
  const githubIntake = new GithubIntake({ ...starts, triggerLabel: config.RAYNE_GITHUB_TRIGGER_LABEL });
  const feedbackReindex = new FeedbackReindex(starts);
  const readiness = new ReadinessMonitor(
    {
      postgres: () => db.query('SELECT 1'),
      temporal: async () => {
        const found = await temporalState(temporal, config.RAYNE_TEMPORAL_TIMEOUT_MS);
        if (found.state === 'unavailable') throw new Error(found.reason);
        return found.state === 'not_configured' ? { notConfigured: found.reason } : undefined;
      },
    },
    config.RAYNE_READY_INTERVAL_MS,
    log,
  );
  return {
    db,
    auth: createApiAuth(config, db),
    temporal,
    intake,
    githubIntake,
    feedbackReindex,
    readiness,
    ...stores,
    metrics,
    metricsSources: [processMetrics(), metrics.registry, ...extraMetrics],
    async close() {
      readiness.stop();
      await temporal.connection.close().catch(() => undefined);
      await db.end();
    },
  };
}

/** What a worker's activities need; the Temporal UI URL comes from config or the dev server. */
export function createActivityDeps(config: Config, db: Db, temporalUiUrl = config.TEMPORAL_UI_URL): ActivityDeps {
  const anthropic = {
    apiKey: config.ANTHROPIC_API_KEY,
    baseURL: config.ANTHROPIC_BASE_URL,
    model: config.ANTHROPIC_MODEL,
    maxTurns: config.RAYNE_LLM_MAX_TURNS,
    maxTokensPerRca: config.RAYNE_LLM_TOKEN_BUDGET,
  };
  return {
    db,
    ...createStores(config, db),
    links: { publicUrl: config.RAYNE_PUBLIC_URL, temporalUiUrl, namespace: config.TEMPORAL_NAMESPACE },
    anthropic,
    ollama: { url: config.OLLAMA_URL, model: config.OLLAMA_CHAT_MODEL },
    analysis: {
      analyst: config.RAYNE_ANALYST,
      claudeConfigured: !!config.ANTHROPIC_API_KEY,
      ollamaConfigured: !!config.OLLAMA_URL,
      model: config.ANTHROPIC_MODEL,
      ollamaModel: config.OLLAMA_CHAT_MODEL,
      maxTurns: config.RAYNE_LLM_MAX_TURNS,
      llmTaskQueue: config.TEMPORAL_LLM_TASK_QUEUE,
    },
    evidenceTokens: config.RAYNE_EVIDENCE_TOKENS,
    similarity: createSimilarityProviders(config, db),
    similar: { limit: config.RAYNE_SIMILAR_LIMIT, minScore: config.RAYNE_SIMILAR_MIN_SCORE },
    serviceMapTtlS: config.RAYNE_GROUP_SERVICE_MAP_TTL_S,
    github: {
      token: config.GH_TOKEN,
      apiUrl: config.GITHUB_API_URL,
      triggerLabel: config.RAYNE_GITHUB_TRIGGER_LABEL,
      applyLabels: config.RAYNE_GITHUB_APPLY_LABELS,
      closeDuplicates: config.RAYNE_GITHUB_CLOSE_DUPLICATES,
      duplicateConfidence: config.RAYNE_GITHUB_DUPLICATE_CONFIDENCE,
    },
  };
}
