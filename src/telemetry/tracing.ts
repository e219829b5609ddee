/**
 * Datadog APM through dd-trace. bin/rayne.js calls initTracing before it loads anything else,
 * because dd-trace instruments only modules required after it (pino, pg, http, fetch, grpc).
 * This module therefore imports nothing of Rayne's and loads dd-trace only when tracing is on.
 */
import type { Tracer as OtelTracer } from '@opentelemetry/api';
import type DdTrace from 'dd-trace';

/** The processes that are traced, with the service name each reports when DD_SERVICE is unset. */
const TRACED_COMMANDS: Record<string, string> = { api: 'rayne-api', worker: 'rayne-worker', dev: 'rayne' };

// Scrapes and probes would be most of the traces of an idle Rayne: Prometheus reading /metrics,
// and /metrics reading Temporal Core's exporter on loopback.
const UNTRACED_PATHS = ['/metrics', '/health', '/ready'];
const UNTRACED_URL = /^http:\/\/127\.0\.0\.1:\d+\/metrics$/;

interface ActiveTracing {
  dd: typeof DdTrace;
  /** dd-trace's OpenTelemetry bridge: spans started here are Datadog spans. */
  otel: OtelTracer;
}

let active: ActiveTracing | undefined;

/** DD_TRACE_ENABLED as dd-trace reads it: `true` or `1`. Rayne's default is off. */
export function tracingRequested(env: NodeJS.ProcessEnv = process.env): boolean {
  return /^(true|1)$/i.test(env.DD_TRACE_ENABLED?.trim() ?? '');
}

/**
 * Starts dd-trace for `rayne api`, `worker` and `dev` when DD_TRACE_ENABLED is true, with log
 * injection on and dd-trace's OpenTelemetry TracerProvider registered (so Temporal's
 * OpenTelemetry interceptors write Datadog spans and propagate W3C trace context). dd-trace reads
 * DD_SERVICE, DD_ENV, DD_VERSION, DD_TRACE_AGENT_URL and DD_AGENT_HOST itself. Returns whether
 * tracing is on. Without an agent, spans are dropped quietly.
 */
export function initTracing(command: string | undefined, env: NodeJS.ProcessEnv = process.env): boolean {
  if (active) return true;
  const service = command === undefined ? undefined : TRACED_COMMANDS[command];
  if (!service || !tracingRequested(env)) return false;
  const dd = require('dd-trace') as typeof DdTrace;
  dd.init({ ...(env.DD_SERVICE?.trim() ? {} : { service }), logInjection: true, startupLogs: false });
  dd.use('http', { server: { blocklist: UNTRACED_PATHS }, client: { blocklist: UNTRACED_URL } });
  const provider = new dd.TracerProvider();
  provider.register();
  active = { dd, otel: provider.getTracer('rayne') };
  return true;
}

/** The OpenTelemetry tracer backed by dd-trace, or undefined when tracing is off. */
export function tracer(): OtelTracer | undefined {
  return active?.otel;
}

/** dd-trace itself, or undefined when tracing is off. */
export function ddTracer(): typeof DdTrace | undefined {
  return active?.dd;
}
