/** A workflow's page in the Temporal Web UI (its run's history when the run is known); undefined without a UI URL. */
export function workflowUiUrl(ui: { temporalUiUrl?: string; namespace: string }, workflowId: string, runId?: string): string | undefined {
  if (!ui.temporalUiUrl) return undefined;
  const base = `${ui.temporalUiUrl.replace(/\/+$/, '')}/namespaces/${ui.namespace}/workflows/${encodeURIComponent(workflowId)}`;
  return runId ? `${base}/${runId}/history` : base;
}
