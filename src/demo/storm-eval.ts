import { type Api, apiClient, poll } from '../api-client';
import type { RcaReport } from '../analysis/report';
import { type ReportScore, scoreReport } from '../analysis/scoring';
import type { Config } from '../config';
import { consoleSteps, type DevStack, startDevStack } from '../dev/stack';
import { type GroupedAlert, addPairCounts, compression, type PairCounts, pairCounts, pairwiseScores } from '../groups/grouping-score';
import { StartupError } from '../errors';
import type { Logger } from '../logger';
import { EVAL_ACCOUNT, EVAL_KEYS, forgetHistory, scenarioFiles, useEvalAccount, waitRca } from './eval';
import { startDatadogSandbox } from './sandbox';
import { readScenarioJson } from './scenario';
import { indexHistory, isolatedConfig } from './stack-client';
import { isStormJson, loadStorm, type Storm, stormAlertPayload, stormScenario } from './storm';

/**
 * The settling wait storms are evaluated with: above 0 so alerts group, short so ten storms take
 * minutes. Every alert of a storm is sent well within it, so no member arrives after its group's RCA.
 */
const STORM_EVAL_GROUP_WAIT_S = 5;

/** One storm's result. */
export interface StormRow {
  storm: string;
  alerts: number;
  trueGroups: number;
  groups: number;
  rcas: number;
  pairs: PairCounts;
  /** The score of the first RCA of the group holding most of the root cause's alerts. */
  score: ReportScore;
  category: string;
  rootCause: string;
  /** From sending the first alert to the creation of that RCA, in seconds. */
  rcaStartS: number;
  /** Groups resolved once every alert recovered. */
  resolved: number;
}

export interface StormEvalOptions {
  dir: string;
  apiUrl?: string;
  out?: (s: string) => void;
  groupWaitS?: number;
}

/** Whether a folder holds storms (every file has `alerts`); a StartupError names a file when it mixes them with single scenarios. */
export function isStormFolder(dir: string): boolean {
  const files = scenarioFiles(dir).map((file) => ({ file, storm: isStormJson(readScenarioJson(file)) }));
  const storms = files.filter((f) => f.storm);
  if (storms.length === 0) return false;
  const single = files.find((f) => !f.storm);
  if (single)
    throw new StartupError(
      `${dir} mixes storms (${storms[0]!.file}) and single-alert scenarios (${single.file}), which eval runs with different group waits; evaluate them from separate folders`,
    );
  return true;
}

interface GroupView {
  id: string;
  opened_at: string;
  status: 'open' | 'resolved' | 'merged';
  rca_ids: string[];
  members: Array<{ event_id: string }>;
}

/**
 * `rayne eval DIR` for a folder of storms: each storm's alerts sent through the API in firing
 * order with incident groups on, its groups and their RCAs read back, and scored: compression,
 * pairwise grouping precision and recall against the true groups, the root cause group's RCA
 * top-1, and the time from the first alert to that RCA's start.
 */
export async function runStormEval(baseConfig: Config, log: Logger, options: StormEvalOptions): Promise<StormRow[]> {
  const out = options.out ?? ((s: string) => process.stdout.write(s));
  const storms = scenarioFiles(options.dir).map((file) => loadStorm(file));
  // A running stack (RAYNE_URL) groups with its own wait, which the eval cannot read.
  const groupWaitS = options.apiUrl ? undefined : (options.groupWaitS ?? STORM_EVAL_GROUP_WAIT_S);
  // The sandbox serves one storm's service map at a time: a map cached for minutes would be the last storm's.
  const config = {
    ...(await isolatedConfig(baseConfig, process.env, 'eval-storms')),
    RAYNE_GROUP_WAIT_S: groupWaitS ?? 0,
    RAYNE_GROUP_SERVICE_MAP_TTL_S: 1,
  };
  const step = consoleSteps(out);
  out(`rayne eval: ${storms.length} storms from ${options.dir}, ${waitText(groupWaitS)}\n`);
  const sandbox = await startDatadogSandbox({ apiKey: EVAL_KEYS.api_key, appKey: EVAL_KEYS.app_key });
  let stack: DevStack | undefined;
  try {
    if (!options.apiUrl) stack = await startDevStack(config, log, step);
    const api = apiClient(options.apiUrl ?? stack!.apiUrl, config.RAYNE_API_TOKEN);
    const databaseUrl = stack?.databaseUrl ?? config.databaseUrl;
    await useEvalAccount(api, sandbox.url);
    const rows: StormRow[] = [];
    for (const [i, storm] of storms.entries()) {
      const s = step(`[${i + 1}/${storms.length}] ${storm.id} (${storm.alerts.length} alerts)`);
      // The alerts are sent at once, not at their offsets: the data is placed so that the storm's last
      // alert fires now, and every alert's evidence is already there when its group's RCA reads it.
      const scenario = stormScenario(storm);
      sandbox.seed(scenario, new Date(Date.now() - storm.alerts.at(-1)!.offset_s * 1000));
      const historyIds = databaseUrl ? await indexHistory(config, databaseUrl, scenario, EVAL_ACCOUNT) : [];
      const row = await runStorm(api, storm);
      rows.push(row);
      if (databaseUrl && historyIds.length) await forgetHistory(config, databaseUrl, historyIds);
      s.done(
        `${row.groups} groups, ${row.rcas} RCAs, ${row.score.solved ? 'solved' : row.score.categoryCorrect ? 'category only' : 'missed'}`,
      );
    }
    out(`\n${formatStormScores(rows, groupWaitS)}\n`);
    return rows;
  } finally {
    await stack?.stop();
    await sandbox.close();
  }
}

async function runStorm(api: Api, storm: Storm): Promise<StormRow> {
  await noOpenGroups(api);
  const run = Date.now().toString(36);
  const sentAt = Date.now();
  const sent: Array<{ eventId: string; truth: string; payload: Record<string, unknown> }> = [];
  // One after another in firing order: the group's first member is the storm's first alert.
  for (const alert of storm.alerts) {
    const payload = stormAlertPayload(storm, alert, run);
    const res = await api('POST', `/v1/webhooks/receive/${EVAL_ACCOUNT}`, payload, 202);
    sent.push({ eventId: ((await res.json()) as { event_id: string }).event_id, truth: alert.group, payload });
  }
  const groups = await waitGroups(
    api,
    sent.map((a) => a.eventId),
  );
  const groupOf = new Map(groups.flatMap((g) => g.members.map((m) => [m.event_id, g] as const)));
  for (const rcaId of groups.flatMap((g) => g.rca_ids)) await waitRca(api, rcaId);

  const grouped: GroupedAlert[] = sent.map((a) => ({ truth: a.truth, group: groupOf.get(a.eventId)!.id }));
  const causeGroup = mostCommon(grouped.filter((a) => a.truth === storm.root_cause.group).map((a) => a.group));
  const causeRca = await waitRca(api, groups.find((g) => g.id === causeGroup)!.rca_ids[0]!);
  const report = causeRca.report as RcaReport | null;
  // Groups seen again after the waits: a member that joined late may have started a re-analysis.
  const final = await Promise.all(groups.map((g) => groupView(api, g.id)));

  for (const a of sent)
    await api(
      'POST',
      `/v1/webhooks/receive/${EVAL_ACCOUNT}`,
      { ...a.payload, alert_status: 'OK', transition_id: `${String(a.payload.transition_id)}-ok` },
      202,
    );
  const resolved = await waitResolved(
    api,
    final.map((g) => g.id),
  );
  return {
    storm: storm.id,
    alerts: sent.length,
    trueGroups: new Set(storm.alerts.map((a) => a.group)).size,
    groups: final.length,
    rcas: final.reduce((n, g) => n + g.rca_ids.length, 0),
    pairs: pairCounts(grouped),
    score: report ? scoreReport(report, storm.root_cause) : { categoryCorrect: false, culpritFound: false, solved: false, top3: false },
    category: report?.category ?? '(none)',
    rootCause: report?.root_cause ?? `(${causeRca.status})`,
    rcaStartS: (new Date(causeRca.created_at).getTime() - sentAt) / 1000,
    resolved,
  };
}

/**
 * A storm's alerts would join a group still open from an earlier storm or a run cut short (they
 * share hosts and services by design), so each storm starts with none: a StartupError says so.
 */
async function noOpenGroups(api: Api): Promise<void> {
  const open = (await (await api('GET', `/v1/groups?account=${EVAL_ACCOUNT}&status=open&limit=10`, undefined, 200)).json()) as {
    groups: GroupView[];
  };
  if (open.groups.length)
    throw new StartupError(
      `the ${EVAL_ACCOUNT} account has open incident groups (${open.groups.map((g) => g.id).join(', ')}), from a run cut short or a storm whose groups did not resolve; ` +
        "its alerts would join them. Remove the eval stack's data (RAYNE_HOME/eval-storms) or let them resolve, then run again",
    );
}

const groupView = async (api: Api, id: string) => (await (await api('GET', `/v1/groups/${id}`, undefined, 200)).json()) as GroupView;

/** The groups holding the events, once every event is in one and every one of them has started its RCA. */
async function waitGroups(api: Api, eventIds: string[]): Promise<GroupView[]> {
  const wanted = new Set(eventIds);
  const known = new Map<string, GroupView>();
  return poll(
    `the storm's ${eventIds.length} alerts were not all grouped with an RCA started`,
    async () => {
      const list = (await (await api('GET', `/v1/groups?account=${EVAL_ACCOUNT}&status=open&limit=200`, undefined, 200)).json()) as {
        groups: GroupView[];
      };
      // A group seen once may have been merged since: each is read again, and a merged one left out.
      for (const id of new Set([...known.keys(), ...list.groups.map((g) => g.id)])) known.set(id, await groupView(api, id));
      const mine = [...known.values()].filter((g) => g.status !== 'merged' && g.members.some((m) => wanted.has(m.event_id)));
      const placed = new Set(mine.flatMap((g) => g.members.map((m) => m.event_id)));
      const done = eventIds.every((id) => placed.has(id)) && mine.every((g) => g.rca_ids.length > 0);
      return done ? mine : undefined;
    },
    120_000,
  );
}

/** Waits (three minutes at most) for the groups to resolve once their members recovered; how many did. */
async function waitResolved(api: Api, ids: string[]): Promise<number> {
  const deadline = Date.now() + 180_000;
  for (;;) {
    const resolved = (await Promise.all(ids.map((id) => groupView(api, id)))).filter((g) => g.status === 'resolved').length;
    if (resolved === ids.length || Date.now() > deadline) return resolved;
    await new Promise((r) => setTimeout(r, 500));
  }
}

function mostCommon(values: string[]): string {
  const counts = new Map<string, number>();
  for (const v of values) counts.set(v, (counts.get(v) ?? 0) + 1);
  return [...counts.entries()].sort((a, b) => b[1] - a[1])[0]![0];
}

const waitText = (groupWaitS: number | undefined) =>
  groupWaitS === undefined ? "the running stack's group wait" : `group wait ${groupWaitS} s`;
const percent = (x: number) => `${(x * 100).toFixed(1)} %`;
const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? (s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2) : 0;
};

/** A line per storm, then totals over all storms (pairs and RCAs summed before dividing), then one line for scripts. */
export function formatStormScores(rows: StormRow[], groupWaitS: number | undefined): string {
  const lines = rows.map((r) => {
    const { precision, recall } = pairwiseScores(r.pairs);
    const verdict = r.score.solved ? 'solved' : r.score.categoryCorrect ? `category only (${r.category})` : `missed (${r.category})`;
    return (
      `${r.storm}: ${r.alerts} alerts, ${r.trueGroups} true groups → ${r.groups} groups, ${r.rcas} RCAs; ` +
      `compression ${percent(compression(r.alerts, r.rcas))}, precision ${precision.toFixed(3)}, recall ${recall.toFixed(3)}; ` +
      `RCA top-1 ${verdict}; first alert → RCA start ${r.rcaStartS.toFixed(1)} s; resolved ${r.resolved}/${r.groups}\n` +
      `  its RCA: ${r.rootCause.length > 240 ? `${r.rootCause.slice(0, 239)}…` : r.rootCause}`
    );
  });
  const alerts = rows.reduce((n, r) => n + r.alerts, 0);
  const rcas = rows.reduce((n, r) => n + r.rcas, 0);
  const { precision, recall } = pairwiseScores(
    rows.map((r) => r.pairs).reduce(addPairCounts, { together: 0, trueTogether: 0, togetherAndTrue: 0 }),
  );
  const solved = rows.filter((r) => r.score.solved).length;
  const starts = rows.map((r) => r.rcaStartS);
  lines.push(
    `all ${rows.length} storms: ${alerts} alerts, ${rcas} RCAs, compression ${percent(compression(alerts, rcas))}, ` +
      `pairwise precision ${precision.toFixed(3)}, recall ${recall.toFixed(3)}, top-1 ${solved}/${rows.length}, ` +
      `first alert → RCA start median ${median(starts).toFixed(1)} s, max ${Math.max(...starts).toFixed(1)} s (${waitText(groupWaitS)})`,
    `storms=${rows.length} alerts=${alerts} rcas=${rcas} compression=${compression(alerts, rcas).toFixed(3)} precision=${precision.toFixed(3)} ` +
      `recall=${recall.toFixed(3)} top1=${solved}/${rows.length} median_rca_start_s=${median(starts).toFixed(1)} max_rca_start_s=${Math.max(...starts).toFixed(1)} group_wait_s=${groupWaitS ?? '-'}`,
  );
  return lines.join('\n');
}
