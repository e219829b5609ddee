import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadScenario, materializeScenario, parseScenario, type Scenario, ScenarioError } from '../../src/demo/scenario';
import { StartupError } from '../../src/errors';

const SCENARIOS_DIR = path.join(__dirname, '..', '..', 'scenarios');
const STOREFRONT = path.join(SCENARIOS_DIR, 'storefront-web-host-cpu.json');
const ALERT_TIME = new Date('2024-01-29T15:00:00.000Z');
const at = (offsetSeconds: number) => new Date(ALERT_TIME.getTime() + offsetSeconds * 1000);

function writeTemp(name: string, text: string): string {
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'rayne-scenario-')), name);
  fs.writeFileSync(file, text);
  return file;
}

const storefrontJson = () => JSON.parse(fs.readFileSync(STOREFRONT, 'utf8'));

function scenarioError(load: () => unknown): ScenarioError {
  try {
    load();
  } catch (err) {
    if (err instanceof ScenarioError) return err;
    throw err;
  }
  throw new Error('expected a ScenarioError');
}

describe('scenario files', () => {
  it('loads every scenario in scenarios/, each with an id equal to its file name', () => {
    const files = fs.readdirSync(SCENARIOS_DIR).filter((f) => f.endsWith('.json'));
    expect(files.length).toBeGreaterThanOrEqual(12);
    for (const file of files) expect(loadScenario(path.join(SCENARIOS_DIR, file)).id).toBe(path.basename(file, '.json'));
  });

  it('names the file and a missing required field, as a StartupError the CLI prints without a stack', () => {
    const json = storefrontJson();
    delete json.expected.culprit_terms;
    const file = writeTemp('no-culprits.json', JSON.stringify(json));
    const err = scenarioError(() => loadScenario(file));
    expect(err).toBeInstanceOf(StartupError);
    expect(err.message).toBe(`${file}: expected.culprit_terms: missing (expected array)`);
  });

  it('names the file and the path of a wrong type deep in an array', () => {
    const json = storefrontJson();
    json.datadog.logs[3].offset_s = '-120';
    const file = writeTemp('string-offset.json', JSON.stringify(json));
    expect(scenarioError(() => loadScenario(file)).message).toBe(
      `${file}: datadog.logs[3].offset_s: Invalid input: expected number, received string`,
    );
  });

  it("names the file and the parser's message for a file that is not JSON", () => {
    const text = '{"id": "x",\n "title": }';
    const file = writeTemp('bad.json', text);
    expect(scenarioError(() => loadScenario(file)).message).toContain(`${file}: not valid JSON: Unexpected token '}'`);
  });

  it('lists each bad field when there are several', () => {
    const json = storefrontJson();
    json.datadog.logs[3].status = 5;
    delete json.datadog.monitor.query;
    const file = writeTemp('broken.json', JSON.stringify(json));
    const err = scenarioError(() => loadScenario(file));
    expect(err.message).toContain(file);
    expect(err.problems).toEqual([
      expect.stringMatching(/^datadog\.monitor\.query: /),
      expect.stringMatching(/^datadog\.logs\[3\]\.status: /),
    ]);
  });

  it('rejects a category outside the closed set', () => {
    const json = { ...storefrontJson(), expected: { category: 'gremlins', culprit_terms: ['x'] } };
    expect(scenarioError(() => parseScenario(json, 'inline')).problems).toEqual([expect.stringMatching(/^expected\.category: /)]);
  });

  it('says so for a missing file', () => {
    expect(scenarioError(() => loadScenario('/nonexistent/scenario.json')).message).toBe('/nonexistent/scenario.json: file not found');
  });

  it('keeps fields it does not know', () => {
    const json = storefrontJson();
    json.owner = 'sre';
    json.datadog.logs[0].attributes = { http: { status_code: 504 } };
    const scenario = parseScenario(json, 'inline');
    expect(scenario.owner).toBe('sre');
    expect(materializeScenario(scenario, ALERT_TIME).logs.find((l) => l.attributes)?.attributes).toEqual({ http: { status_code: 504 } });
  });
});

describe('materializeScenario', () => {
  const scenario: Scenario = loadScenario(STOREFRONT);

  it('places events and metric points at absolute times around the alert', () => {
    const m = materializeScenario(scenario, ALERT_TIME);
    expect(m.events.find((e) => e.title.startsWith('Job rebuild-sitemap'))?.at).toEqual(at(-1260));
    const cpu = m.metrics.find((s) => s.metric === 'system.cpu.user' && s.scope === 'host:web-07');
    expect(cpu?.points[0]).toEqual([at(-1800).getTime(), 36.0]);
    expect(cpu?.points.at(-1)).toEqual([at(-60).getTime(), 98.6]);
  });

  it('expands repeated log lines every_s apart, oldest first, the same way every time', () => {
    const m = materializeScenario(scenario, ALERT_TIME);
    const expected = scenario.datadog.logs.reduce((n, l) => n + l.repeat, 0);
    expect(m.logs).toHaveLength(expected);
    const timeouts = m.logs.filter((l) => l.message.includes('upstream timed out'));
    expect(timeouts).toHaveLength(45);
    expect(timeouts.slice(0, 3).map((l) => l.at)).toEqual([at(-900), at(-880), at(-860)]);
    expect(
      m.logs.every((l, i) => {
        const before = m.logs[i - 1];
        return before === undefined || before.at <= l.at;
      }),
    ).toBe(true);
    expect(materializeScenario(scenario, ALERT_TIME)).toEqual(m);
  });

  it('sets the alert timestamp and last_updated where the scenario leaves them 0', () => {
    const seconds = ALERT_TIME.getTime() / 1000;
    expect(materializeScenario(scenario, ALERT_TIME).alert).toMatchObject({
      timestamp: seconds,
      last_updated: seconds,
      monitor_id: 48212031,
    });
    const stamped = { ...scenario, alert: { ...scenario.alert, timestamp: 1700000000 } };
    expect(materializeScenario(stamped, ALERT_TIME).alert).toMatchObject({ timestamp: 1700000000, last_updated: seconds });
  });
});
