import type { Client } from '@temporalio/client';
import type { AccountStore } from '../accounts/store';
import type { Config } from '../config';
import type { Db } from '../db/pool';
import type { GithubIntake } from '../intake/github-intake';
import type { Intake } from '../intake/intake';
import type { Logger } from '../logger';
import type { ProcessorConfigStore } from '../processors/config';
import type { FeedbackReindex } from '../intake/feedback-reindex';
import type { ReadinessMonitor } from './readiness';
import type { ApiMetrics, MetricsSource } from '../telemetry/metrics';
import type { ApiAuth } from './auth';

/** What the API's routes are built over: its own module, so routes and the app that mounts them do not import each other. */
export interface ApiDeps {
  config: Pick<
    Config,
    | 'RAYNE_API_TOKEN'
    | 'RAYNE_WEBHOOK_SECRET'
    | 'GITHUB_WEBHOOK_SECRET'
    | 'PAGERDUTY_WEBHOOK_SECRET'
    | 'RAYNE_PUBLIC_URL'
    | 'TEMPORAL_UI_URL'
    | 'TEMPORAL_NAMESPACE'
    | 'TEMPORAL_TASK_QUEUE'
    | 'RAYNE_TEMPORAL_TIMEOUT_MS'
    | 'RAYNE_REQUEST_TIMEOUT_MS'
    | 'DD_API_URL'
    | 'RAYNE_DATADOG_ALLOWED_HOSTS'
    | 'RAYNE_DATADOG_ALLOW_PRIVATE_ADDRESSES'
  >;
  auth: ApiAuth;
  db: Db;
  temporal: Client;
  intake: Intake;
  githubIntake: GithubIntake;
  feedbackReindex: FeedbackReindex;
  readiness: ReadinessMonitor<'postgres' | 'temporal'>;
  accounts: AccountStore;
  processorConfigs: ProcessorConfigStore;
  log: Logger;
  metrics: ApiMetrics;
  /** What GET /metrics serves, in order. */
  metricsSources: MetricsSource[];
}
