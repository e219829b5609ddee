import type { Config } from '../config';
import { workflowUiUrl } from '../temporal/ui-links';

/** A workflow's Web UI page for API answers: null (not absent) when TEMPORAL_UI_URL is not set. */
export function temporalRunLink(
  config: Pick<Config, 'TEMPORAL_UI_URL' | 'TEMPORAL_NAMESPACE'>,
  workflowId: string,
  runId?: string | null,
): string | null {
  return (
    workflowUiUrl({ temporalUiUrl: config.TEMPORAL_UI_URL, namespace: config.TEMPORAL_NAMESPACE }, workflowId, runId ?? undefined) ?? null
  );
}
