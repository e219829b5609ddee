/**
 * Temporal's side of Rayne's telemetry: the worker's interceptors and sinks (metrics always, traces
 * when dd-trace is on) and the client interceptor that starts a workflow's trace.
 */
import { ROOT_CONTEXT, type Attributes, type Tracer as OtelTracer } from '@opentelemetry/api';
import type { WorkflowClientInterceptor } from '@temporalio/client';
import { CancelledFailure } from '@temporalio/common';
import type { OpenTelemetrySinks, SerializableSpan } from '@temporalio/interceptors-opentelemetry';
import type { ActivityInterceptorsFactory, InjectedSinks, WorkerInterceptors } from '@temporalio/worker';
import type { WorkflowInfo } from '@temporalio/workflow';
import type { WorkerMetrics } from './metrics';
import { ddTracer, tracer } from './tracing';
import type { RayneMetricsSinks } from './workflow-interceptors';

type OtelInterceptors = typeof import('@temporalio/interceptors-opentelemetry');
// Loaded only when tracing is on: it brings OpenTelemetry's SDK with it.
const otelInterceptors = (): OtelInterceptors => require('@temporalio/interceptors-opentelemetry') as OtelInterceptors;

/** The workflow interceptor modules Rayne bundles: outcome metrics always, OpenTelemetry spans when traced. */
export function workflowInterceptorModules(traced = tracer() !== undefined): string[] {
  return [
    require.resolve('./workflow-interceptors'),
    ...(traced ? [require.resolve('@temporalio/interceptors-opentelemetry/lib/workflow-interceptors')] : []),
  ];
}

/** Client interceptors: when traced, each start or signal is a span whose context travels to the workflow in its headers. */
export function clientInterceptors(): { workflow: WorkflowClientInterceptor[] } {
  const otel = tracer();
  return { workflow: otel ? [new (otelInterceptors().OpenTelemetryWorkflowClientInterceptor)({ tracer: otel })] : [] };
}

/** Times every activity attempt by type and outcome. */
const activityMetrics =
  (metrics: WorkerMetrics): ActivityInterceptorsFactory =>
  (ctx) => ({
    inbound: {
      async execute(input, next) {
        const stop = metrics.activityDuration.startTimer({ activity_type: ctx.info.activityType });
        try {
          const result = await next(input);
          stop({ outcome: 'completed' });
          return result;
        } catch (err) {
          stop({ outcome: err instanceof CancelledFailure ? 'cancelled' : 'failed' });
          throw err;
        }
      },
    },
  });

export type RayneSinks = RayneMetricsSinks & Partial<OpenTelemetrySinks>;

/** Interceptors and sinks for Worker.create: metrics always; spans per activity and from the workflow sandbox when traced. */
export function workerTelemetry(metrics: WorkerMetrics): {
  interceptors: Omit<WorkerInterceptors, 'workflowModules'>;
  sinks: InjectedSinks<RayneSinks>;
} {
  const sinks: InjectedSinks<RayneSinks> = {
    rayneMetrics: { workflowClosed: { fn: (info, outcome) => metrics.workflowClosed(info, outcome) } },
  };
  const activity: ActivityInterceptorsFactory[] = [];
  const otel = tracer();
  if (otel) {
    const { OpenTelemetryActivityInboundInterceptor, OpenTelemetryActivityOutboundInterceptor } = otelInterceptors();
    activity.push((ctx) => ({
      inbound: new OpenTelemetryActivityInboundInterceptor(ctx, { tracer: otel }),
      outbound: new OpenTelemetryActivityOutboundInterceptor(ctx),
    }));
    sinks.exporter = { export: { fn: (info, spans) => writeWorkflowSpans(otel, info, spans) } };
  }
  activity.push(activityMetrics(metrics));
  return { interceptors: { activity }, sinks };
}

/** The parts of dd-trace's span context this bridge sets; dd-trace calls them internal. */
interface DdContextInternals {
  _traceId: unknown;
  _spanId: unknown;
  _parentId: unknown;
  _sampling: { priority?: number };
  _trace: { tags: Record<string, string> };
}

let warnedOnce = false;

/**
 * Writes the spans the workflow sandbox finished (RunWorkflow, StartActivity, HandleSignal …) as
 * Datadog spans with their own ids: activity spans, started in this process from the ids the
 * workflow put in their headers, then find their parents. dd-trace's OpenTelemetry bridge always
 * draws new ids, so the ids are set on its span context, found through dd-trace's own extract().
 */
export function writeWorkflowSpans(otel: OtelTracer, info: WorkflowInfo, spans: SerializableSpan[]): void {
  const dd = ddTracer();
  if (!dd) return;
  const contextOf = (traceId: string, spanId: string, flags: number) =>
    dd.extract('text_map', { traceparent: `00-${traceId}-${spanId}-${flags & 1 ? '01' : '00'}` }) as unknown as DdContextInternals | null;
  for (const s of spans) {
    try {
      const { traceId, spanId, traceFlags } = s.spanContext;
      const own = contextOf(traceId, spanId, traceFlags);
      if (!own) continue;
      const attributes: Attributes = {
        ...s.attributes,
        temporalWorkflowId: info.workflowId,
        run_id: info.runId,
        temporalWorkflowType: info.workflowType,
      };
      const span = otel.startSpan(s.name, { kind: s.kind, startTime: s.startTime, attributes }, ROOT_CONTEXT);
      const ctx = (span as unknown as { _ddSpan: { context(): DdContextInternals } })._ddSpan.context();
      ctx._traceId = own._traceId;
      ctx._spanId = own._spanId;
      ctx._parentId = s.parentSpanId ? (contextOf(traceId, s.parentSpanId, traceFlags)?._spanId ?? null) : null;
      ctx._sampling = { ...own._sampling };
      const tid = own._trace.tags['_dd.p.tid'];
      if (tid) ctx._trace.tags['_dd.p.tid'] = tid;
      else delete ctx._trace.tags['_dd.p.tid'];
      for (const e of s.events) span.addEvent(e.name, e.attributes, e.time);
      span.setStatus(s.status);
      span.end(s.endTime);
    } catch (err) {
      // A dd-trace upgrade that moved these internals loses workflow spans, not the workflow.
      if (!warnedOnce) console.error(`rayne: workflow span not exported to Datadog: ${(err as Error).message}`);
      warnedOnce = true;
    }
  }
}
