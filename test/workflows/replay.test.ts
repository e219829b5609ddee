/**
 * Replays recorded histories (test/fixtures/histories, see its README) against today's workflow
 * code: a change that would make a running workflow non-deterministic fails here, not in production.
 */
import { Worker } from '@temporalio/worker';
import { WorkerMetrics } from '../../src/telemetry/metrics';
import { workerTelemetry, workflowInterceptorModules } from '../../src/telemetry/temporal-telemetry';
import { installRuntime } from '../../src/workers/worker';
import { readHistoryFiles } from '../support/histories';

// Bundling the workflows takes a while on a busy machine.
jest.setTimeout(120_000);

describe('workflow replay', () => {
  beforeAll(() => installRuntime());

  // The worker bundles the OpenTelemetry interceptor only when tracing is on: replay both bundles.
  it.each([false, true])('replays every recorded history without a determinism error (traced: %s)', async (traced) => {
    const histories = readHistoryFiles();
    const replayed: Array<{ workflowId: string; error?: Error }> = [];
    // The bundle src/workers/worker.ts builds: the same workflows and workflow interceptor modules.
    const results = Worker.runReplayHistories(
      {
        workflowsPath: require.resolve('../../src/workflows'),
        interceptors: { workflowModules: workflowInterceptorModules(traced) },
        // A replay worker calls no sink, but a bundled sink it cannot find is logged as an error.
        sinks: { ...workerTelemetry(new WorkerMetrics()).sinks, ...(traced ? { exporter: { export: { fn: () => undefined } } } : {}) },
      },
      histories,
    );
    for await (const { workflowId, error } of results) replayed.push({ workflowId, ...(error ? { error } : {}) });

    expect(replayed.filter((r) => r.error).map((r) => `${r.workflowId}: ${r.error!.message}`)).toEqual([]);
    // An empty or partly read folder must not pass: one result per recorded file.
    expect(replayed.map((r) => r.workflowId)).toEqual(histories.map((h) => h.workflowId));
    expect(histories.map((h) => h.file)).toEqual([
      'github-issue-workflow.json',
      'group-workflow-v1.json',
      'group-workflow.json',
      'incident-workflow-grouped.json',
      'incident-workflow.json',
      'rca-workflow-claude-v1.json',
      'rca-workflow-claude.json',
      'rca-workflow-investigation-no-calls.json',
      'rca-workflow-investigation.json',
      'rca-workflow-offline-v1.json',
    ]);
  });
});
