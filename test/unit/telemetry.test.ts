import type { WorkflowInfo } from '@temporalio/workflow';
import { Counter, Registry } from 'prom-client';
import { loadConfig } from '../../src/config';
import { exposition, WorkerMetrics } from '../../src/telemetry/metrics';
import { initTracing, tracer, tracingRequested } from '../../src/telemetry/tracing';
import { metricValue } from '../support/prometheus';

let runs = 0;
const info = (workflowType: string, startedSecondsAgo: number, runId = `run-${++runs}`) =>
  ({ workflowType, runId, startTime: new Date(Date.now() - startedSecondsAgo * 1000) }) as unknown as WorkflowInfo;

describe('worker metrics', () => {
  it("counts closed workflows by type and outcome, and times an RCA from its workflow's start", async () => {
    const metrics = new WorkerMetrics();
    metrics.workflowClosed(info('incidentWorkflow', 3600), 'completed');
    metrics.workflowClosed(info('rcaWorkflow', 90), 'completed');
    metrics.workflowClosed(info('rcaWorkflow', 30), 'failed');
    const text = await metrics.registry.metrics();
    expect(metricValue(text, 'rayne_workflows_closed_total', { workflow_type: 'incidentWorkflow', outcome: 'completed' })).toBe(1);
    expect(metricValue(text, 'rayne_workflows_closed_total', { workflow_type: 'rcaWorkflow' })).toBe(2);
    // Only RCAs are timed; the incident's hour is not among them.
    expect(metricValue(text, 'rayne_rca_duration_seconds_count')).toBe(2);
    expect(metricValue(text, 'rayne_rca_duration_seconds_sum', { outcome: 'completed' })).toBeGreaterThanOrEqual(90);
    expect(metricValue(text, 'rayne_rca_duration_seconds_sum', { outcome: 'completed' })).toBeLessThan(120);
    expect(metricValue(text, 'rayne_rca_duration_seconds_bucket', { outcome: 'completed', le: '60' })).toBe(0);
    expect(metricValue(text, 'rayne_rca_duration_seconds_bucket', { outcome: 'completed', le: '120' })).toBe(1);
  });

  it('counts a run once when its closing task is run again (the server lost the first completion)', async () => {
    const metrics = new WorkerMetrics();
    metrics.workflowClosed(info('incidentWorkflow', 60, 'run-a'), 'completed');
    metrics.workflowClosed(info('incidentWorkflow', 61, 'run-a'), 'completed');
    metrics.workflowClosed(info('incidentWorkflow', 62, 'run-b'), 'completed');
    const text = await metrics.registry.metrics();
    expect(metricValue(text, 'rayne_workflows_closed_total', { workflow_type: 'incidentWorkflow', outcome: 'completed' })).toBe(2);
  });

  it('serves every source in order and names one that failed instead of failing the scrape', async () => {
    const registry = new Registry();
    new Counter({ name: 'rayne_test_total', help: 'a test counter', registers: [registry] });
    const text = await exposition([
      registry,
      async () => 'temporal_up 1',
      async () => {
        throw new Error('connect ECONNREFUSED\n127.0.0.1:1');
      },
    ]);
    expect(text).toMatch(/rayne_test_total 0\ntemporal_up 1\n# source unavailable: connect ECONNREFUSED 127\.0\.0\.1:1\n$/);
  });
});

describe('observability settings', () => {
  it('default to tracing off and the worker metrics on 9464, and name a bad value', () => {
    expect(loadConfig({})).toMatchObject({ DD_TRACE_ENABLED: false, RAYNE_WORKER_METRICS_PORT: 9464 });
    expect(
      loadConfig({ DD_TRACE_ENABLED: 'True', DD_TRACE_AGENT_URL: 'unix:///var/run/datadog/apm.socket', RAYNE_WORKER_METRICS_PORT: '0' }),
    ).toMatchObject({ DD_TRACE_ENABLED: true, DD_TRACE_AGENT_URL: 'unix:///var/run/datadog/apm.socket', RAYNE_WORKER_METRICS_PORT: 0 });
    expect(() => loadConfig({ DD_TRACE_ENABLED: 'maybe' })).toThrow(/DD_TRACE_ENABLED/);
    expect(() => loadConfig({ DD_TRACE_AGENT_URL: 'localhost:8126' })).toThrow(/DD_TRACE_AGENT_URL/);
  });
});

describe('tracing', () => {
  it('is off unless DD_TRACE_ENABLED is true, and only for the api, worker and dev commands', () => {
    expect(tracingRequested({})).toBe(false);
    expect(tracingRequested({ DD_TRACE_ENABLED: 'false' })).toBe(false);
    expect(tracingRequested({ DD_TRACE_ENABLED: 'TRUE' })).toBe(true);
    expect(tracingRequested({ DD_TRACE_ENABLED: '1' })).toBe(true);
    expect(initTracing('api', {})).toBe(false);
    expect(initTracing('logs', { DD_TRACE_ENABLED: 'true' })).toBe(false);
    expect(initTracing(undefined, { DD_TRACE_ENABLED: 'true' })).toBe(false);
    expect(tracer()).toBeUndefined();
  });
});
