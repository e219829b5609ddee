import { v1 } from '@datadog/datadog-api-client';
import type { DatadogConfiguration } from './client';

/** One Datadog operation on an account, named for its error message. */
export type DatadogCall = <T>(operation: string, fn: (c: DatadogConfiguration) => Promise<T>) => Promise<T>;

/** A host as the evidence bundle and the analysts' get_host tool show it. */
export interface HostSummary {
  name: string;
  up?: boolean;
  apps: string[];
  platform?: string;
  lastReportedTime?: number;
  metrics?: { cpu?: number; iowait?: number; load?: number };
  tags: string[];
}

/** The host named exactly `host`, with its tags; when none is, the names the search found instead. */
export async function readHost(call: DatadogCall, host: string): Promise<{ found: HostSummary } | { similar: string[] }> {
  const list = await call('list hosts', (c) => new v1.HostsApi(c).listHosts({ filter: host, count: 10 }));
  const found = list.hostList?.find((h) => h.hostName === host || h.name === host);
  if (!found) return { similar: (list.hostList ?? []).flatMap((h) => h.hostName ?? h.name ?? []).slice(0, 10) };
  const tags = await call(`get tags of host ${host}`, (c) => new v1.TagsApi(c).getHostTags({ hostName: host }));
  return {
    found: {
      name: host,
      up: found.up,
      apps: found.apps ?? [],
      platform: found.meta?.platform,
      lastReportedTime: found.lastReportedTime,
      metrics: found.metrics ? { cpu: found.metrics.cpu, iowait: found.metrics.iowait, load: found.metrics.load } : undefined,
      tags: tags.tags ?? [],
    },
  };
}

/** Whether an alert's monitor id is a Datadog monitor's (a number); other sources' are source:rule. */
export const isDatadogMonitorId = (monitorId: string): boolean => /^\d{1,20}$/.test(monitorId);

/** A monitor's definition, its message cut to what a reader needs. */
export function monitorSummary(m: v1.Monitor) {
  return {
    id: m.id,
    name: m.name,
    type: m.type,
    query: m.query,
    message: (m.message ?? '').slice(0, 2000),
    tags: m.tags ?? [],
    overallState: m.overallState,
  };
}
