import fs from 'node:fs';
import path from 'node:path';
import type { AnalysisResult, StoredAnalysis } from '../../src/analysis/report';
import type { EvidenceBundle } from '../../src/evidence/bundle';
import {
  buildNotebook,
  isResolved,
  markResolved,
  notebookFingerprint,
  notebookName,
  renderMarkdown,
  RESOLVED_PREFIX,
} from '../../src/notebook/notebook';

const FIXTURES = path.resolve(__dirname, '../fixtures/evidence');
const bundles: Array<[string, EvidenceBundle]> = fs
  .readdirSync(FIXTURES)
  .filter((f) => f.endsWith('.json'))
  .map((f) => [f.replace(/\.json$/, ''), JSON.parse(fs.readFileSync(path.join(FIXTURES, f), 'utf8')).bundle]);
const bundle = (name: string) => bundles.find(([n]) => n === name)![1];

const resultFor = (b: EvidenceBundle): AnalysisResult => ({
  report: {
    summary: `The [alert] on ${b.alert.service ?? b.alert.hostname} has one likely cause.`,
    root_cause: 'rebuild-sitemap cron saturating the CPU',
    category: 'cpu_saturation',
    confidence: 0.82,
    verdict: 'likely',
    hypotheses: [
      {
        category: 'cpu_saturation',
        culprit: 'rebuild-sitemap',
        statement: 'rebuild-sitemap cron saturating the CPU',
        score: 0.82,
        supporting: [{ claim: 'CPU rose above 95%', source: 'metrics', link: b.metrics[0]?.link ?? b.links.monitor }],
        against: [],
      },
      {
        category: 'traffic_spike',
        culprit: 'a surge in requests',
        statement: 'a surge in requests',
        score: 0.2,
        supporting: [],
        against: [{ claim: 'requests stayed flat', source: 'metrics' }],
      },
    ],
    evidence: [
      { claim: 'CPU rose above 95%', source: 'metrics', link: b.metrics[0]?.link ?? b.links.monitor },
      { claim: 'no link here', source: 'logs' },
    ],
    remediation: ['Stop the cron job', 'Move it off the web tier'],
    missing_data: ['APM traces'],
  },
  analyst: 'offline',
  usage: { turns: 0, toolCalls: 0, inputTokens: 0, outputTokens: 0, cachedTokens: 0, estimatedCostUsd: 0 },
  timings: { startedAt: '2026-11-24T02:33:00.000Z', finishedAt: '2026-11-24T02:33:01.000Z', ms: 1000 },
  reasoning: [],
});

type Cell = { attributes: { definition: { type: string; text?: string; requests?: Array<{ q: string }> }; time?: unknown } };
const cellsOf = (b: EvidenceBundle) =>
  buildNotebook(b, resultFor(b), { temporalRun: 'http://temporal.test/run' }).data.attributes.cells as unknown as Cell[];
const markdownOf = (b: EvidenceBundle) =>
  cellsOf(b)
    .filter((c) => c.attributes.definition.type === 'markdown')
    .map((c) => c.attributes.definition.text!)
    .join('\n');
const THIRTY_MIN = 30 * 60_000;

describe('buildNotebook', () => {
  it.each(bundles)('names %s notebook "RCA: <monitor> (<eventId>)" within the 80 characters Datadog allows, resolved too', (_, b) => {
    const name = buildNotebook(b, resultFor(b)).data.attributes.name;
    expect(name).toBe(`RCA: ${b.alert.monitorName} (${b.alert.eventId})`);
    expect(`${RESOLVED_PREFIX}${name}`.length).toBeLessThanOrEqual(80);
  });

  it('shortens a long monitor name but keeps the event id, and falls back to the title', () => {
    const b = bundle('storefront-web-host-cpu');
    const long = notebookName({ ...b, alert: { ...b.alert, monitorName: 'x'.repeat(200) } });
    expect(long).toMatch(/^RCA: x+… \(178622011\)$/);
    expect(long.length).toBe(80 - RESOLVED_PREFIX.length);
    expect(notebookName({ ...b, alert: { ...b.alert, monitorName: undefined, title: 'Disk full' } })).toBe('RCA: Disk full (178622011)');
  });

  it.each(bundles)('%s: every link in the notebook is pinned to the 30-minute evidence window', (_, b) => {
    const urls = markdownOf(b)
      .match(/\]\((http[^)]+)\)/g)!
      .map((m) => new URL(m.slice(2, -1)))
      .filter((u) => u.host !== 'temporal.test');
    expect(urls.length).toBeGreaterThan(5);
    for (const url of urls.filter((u) => !u.pathname.startsWith('/apm'))) {
      expect(Number(url.searchParams.get('to_ts')) - Number(url.searchParams.get('from_ts'))).toBe(THIRTY_MIN);
      expect(url.searchParams.get('live')).toBe('false');
    }
    for (const url of urls.filter((u) => u.pathname.startsWith('/apm'))) {
      expect(Number(url.searchParams.get('end')) - Number(url.searchParams.get('start'))).toBe(THIRTY_MIN);
    }
  });

  it('has the header, quick links, analysis, CPU graph, logs, APM, similar incidents and actions', () => {
    const b = bundle('storefront-web-host-cpu');
    const cells = cellsOf(b);
    const text = markdownOf(b);
    expect(cells[0]!.attributes.definition.text).toContain(`**Monitor:** [CPU user above 90% on storefront web hosts](${b.links.monitor})`);
    expect(cells[0]!.attributes.definition.text).toContain(`**Host:** [web-07](${b.links.host})`);
    expect(cells[0]!.attributes.definition.text).toMatch(
      /\*\*Service:\*\* \[storefront-ssr\]\(http:\/\/127\.0\.0\.1:\d+\/apm\/services\/storefront-ssr\?/,
    );
    expect(cells[1]!.attributes.definition.text).toContain('## Quick links');
    for (const url of [b.links.logs!, b.links.events, b.links.host!, b.links.monitor])
      expect(cells[1]!.attributes.definition.text).toContain(`](${url})`);
    for (const heading of [
      '## Analysis',
      '### Evidence',
      '### Remediation',
      '### Missing data',
      '## Logs',
      '## APM',
      '## Similar incidents',
      '## Actions',
    ])
      expect(text).toContain(heading);
    expect(text).toContain('**Root cause:** rebuild-sitemap cron saturating the CPU');
    expect(text).toContain('**Category:** `cpu_saturation` · **Confidence:** 82%');
    expect(text).toContain(`- [CPU rose above 95%](${b.metrics[0]!.link}) _(metrics)_`);
    expect(text).toContain('1. Stop the cron job\n2. Move it off the web tier');
    expect(text).toContain(`](${b.logTemplates[0]!.link})`);
    expect(text).toContain(`— score ${b.similar[0]!.score.toFixed(2)}`);
    expect(text).toContain('`rayne rca rerun 178622011`');
    expect(text).toContain('[Temporal run](http://temporal.test/run)');
    expect(text).toContain('`POST /v1/rca/178622011/feedback`');
    // Brackets in the alert title do not turn into links.
    expect(text).toContain('The \\[alert\\] on');
  });

  it('graphs host CPU over the evidence window when a host is known, else the monitor metric', () => {
    const host = cellsOf(bundle('storefront-web-host-cpu')).find((c) => c.attributes.definition.type === 'timeseries')!;
    expect(host.attributes.definition.requests).toEqual([{ q: 'avg:system.cpu.user{host:web-07}', displayType: 'line' }]);
    expect(host.attributes.time).toEqual({
      start: new Date('2026-11-24T02:02:16.000Z'),
      end: new Date('2026-11-24T02:32:16.000Z'),
      live: false,
    });
    const b = bundle('asset-uploader-5xx');
    expect(b.alert.hostname).toBeUndefined();
    const own = cellsOf(b).find((c) => c.attributes.definition.type === 'timeseries')!;
    expect(own.attributes.definition.requests![0]!.q).toBe(
      `sum:trace.express.request.errors{${b.alert.scope !== '*' ? b.alert.scope : `service:${b.alert.service}`}}`,
    );
  });

  it("names a re-run's feedback endpoint by its full id", () => {
    const b = { ...bundle('storefront-web-host-cpu'), rcaId: 'rca/178622011/rerun-2' };
    expect(markdownOf(b)).toContain('`POST /v1/rca/rca%2F178622011%2Frerun-2/feedback`');
  });
});

describe('renderMarkdown', () => {
  it.each(bundles)('%s: renders the same sections as the notebook, with the graph as a link', (_, b) => {
    const md = renderMarkdown(b, resultFor(b));
    expect(md.startsWith(`# RCA: ${b.alert.monitorName}`)).toBe(true);
    for (const heading of ['## Quick links', '## Analysis', '## Logs', '## APM', '## Similar incidents', '## Actions'])
      expect(md).toContain(heading);
    expect(md).toContain(`](${b.links.monitor})`);
    expect(md).not.toContain('RESOLVED');
  });

  it('shows the verdict and the ranked hypotheses, each with its evidence for and against', () => {
    const b = bundle('storefront-web-host-cpu');
    const md = renderMarkdown(b, resultFor(b));
    expect(md).toContain('**Verdict:** likely · **Category:** `cpu_saturation` · **Confidence:** 82%');
    expect(md).toContain(
      [
        '### Hypotheses',
        '',
        '1. `cpu_saturation` · **rebuild-sitemap** — rebuild-sitemap cron saturating the CPU',
        `   - for: [CPU rose above 95%](${b.metrics[0]!.link}) _(metrics)_`,
        '   - against: _none_',
        '2. `traffic_spike` · **a surge in requests** — a surge in requests',
        '   - for: _none_',
        '   - against: requests stayed flat _(metrics)_',
      ].join('\n'),
    );
    // The notebook's analysis cell says the same.
    expect(markdownOf(b)).toContain('### Hypotheses');
  });

  it('renders a report stored before hypotheses and verdicts existed, with what it has', () => {
    const b = bundle('storefront-web-host-cpu');
    const { hypotheses: _h, verdict: _v, ...old } = resultFor(b).report;
    const stored: StoredAnalysis = { ...resultFor(b), report: old };
    for (const md of [
      renderMarkdown(b, stored),
      buildNotebook(b, stored)
        .data.attributes.cells.map((c) => JSON.stringify(c))
        .join('\n'),
    ]) {
      expect(md).not.toContain('Hypotheses');
      expect(md).not.toContain('Verdict');
    }
    expect(renderMarkdown(b, stored)).toContain(
      '**Root cause:** rebuild-sitemap cron saturating the CPU  \n**Category:** `cpu_saturation` · **Confidence:** 82%',
    );
  });

  it("lists each missing-data line once, though the report repeats the bundle's missing sources", () => {
    const b = bundle('cart-api-error-rate');
    expect(b.missing.length).toBeGreaterThan(0);
    const repeated = b.missing.map((m) => `${m.source}: ${m.reason}`);
    const result = resultFor(b);
    const md = renderMarkdown(b, { ...result, report: { ...result.report, missing_data: [...repeated, 'APM traces'] } });
    const missing = md.split('### Missing data\n\n')[1]!.split('\n\n')[0]!.split('\n');
    expect(missing).toContain('- metrics: none of the key metrics has data for this host or service');
    expect(new Set(missing).size).toBe(missing.length);
  });

  it('opens with the RESOLVED banner once resolved', () => {
    const b = bundle('storefront-web-host-cpu');
    const md = renderMarkdown(b, resultFor(b), {}, { resolvedAt: '2026-11-24T03:00:00.000Z' });
    expect(md.startsWith('## ✅ RESOLVED')).toBe(true);
    expect(md).toContain('recovered at 2026-11-24T03:00:00.000Z');
  });
});

describe('markResolved', () => {
  it('adds a RESOLVED banner first, prefixes the name, keeps every cell, and is idempotent', () => {
    const b = bundle('storefront-web-host-cpu');
    const built = buildNotebook(b, resultFor(b));
    expect(isResolved(built)).toBe(false);
    const resolved = markResolved(built, '2026-11-24T03:00:00.000Z');
    const { name, cells, time } = resolved.data.attributes;
    expect(name).toBe(`[RESOLVED] RCA: CPU user above 90% on storefront web hosts (178622011)`);
    expect(cells).toHaveLength(built.data.attributes.cells.length + 1);
    expect((cells[0] as unknown as Cell).attributes.definition.text).toMatch(
      /^## ✅ RESOLVED\n\n\*\*Status: RESOLVED\*\* — the monitor recovered at 2026-11-24T03:00:00.000Z/,
    );
    expect(cells.slice(1)).toEqual(built.data.attributes.cells);
    expect(time).toEqual(built.data.attributes.time);
    expect(isResolved(resolved)).toBe(true);
    const again = markResolved(resolved, '2026-11-24T04:00:00.000Z');
    expect(notebookFingerprint(again)).toBe(notebookFingerprint(resolved));
  });

  it('keeps the ids Datadog gave existing cells, so they are updated rather than replaced', () => {
    const b = bundle('storefront-web-host-cpu');
    const built = buildNotebook(b, resultFor(b));
    const response = {
      data: {
        id: 7,
        type: 'notebooks' as const,
        attributes: { ...built.data.attributes, cells: built.data.attributes.cells.map((c, i) => ({ ...c, id: `cell${i}` })) },
      },
    };
    const cells = markResolved(response).data.attributes.cells as Array<{ id?: string }>;
    expect(cells[0]!.id).toBeUndefined();
    expect(cells.slice(1).map((c) => c.id)).toEqual(built.data.attributes.cells.map((_, i) => `cell${i}`));
  });
});
