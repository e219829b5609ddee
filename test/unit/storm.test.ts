import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ScenarioError } from '../../src/demo/scenario';
import { isStormJson, loadStorm, stormAlertPayload, stormScenario } from '../../src/demo/storm';
import { isStormFolder } from '../../src/demo/storm-eval';
import { StartupError } from '../../src/errors';

const STORMS_DIR = path.join(__dirname, '..', '..', 'scenarios', 'storms');
const FAILOVER = path.join(STORMS_DIR, 'tallow-orders-db-primary-failover.json');

function writeTemp(name: string, text: string, dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rayne-storm-'))): string {
  const file = path.join(dir, name);
  fs.writeFileSync(file, text);
  return file;
}

const failoverJson = () => JSON.parse(fs.readFileSync(FAILOVER, 'utf8'));

function stormError(file: string): ScenarioError {
  try {
    loadStorm(file);
  } catch (err) {
    if (err instanceof ScenarioError) return err;
    throw err;
  }
  throw new Error('expected a ScenarioError');
}

describe('storm files', () => {
  it('loads every storm in scenarios/storms, at least ten, each named by its file, with alerts in firing order', () => {
    const files = fs.readdirSync(STORMS_DIR).filter((f) => f.endsWith('.json'));
    expect(files.length).toBeGreaterThanOrEqual(10);
    for (const file of files) {
      const storm = loadStorm(path.join(STORMS_DIR, file));
      expect(storm.id).toBe(path.basename(file, '.json'));
      expect(storm.alerts.map((a) => a.offset_s)).toEqual([...storm.alerts.map((a) => a.offset_s)].sort((a, b) => a - b));
      // Background alerts: every storm has at least one group besides the root cause's.
      expect(Object.keys(storm.groups).length).toBeGreaterThanOrEqual(2);
    }
    expect(isStormFolder(STORMS_DIR)).toBe(true);
  });

  it('names the file and the alert whose group is not one of the true groups', () => {
    const json = failoverJson();
    json.alerts[2].group = 'no-such-group';
    const err = stormError(writeTemp('bad-group.json', JSON.stringify(json)));
    expect(err).toBeInstanceOf(StartupError);
    expect(err.message).toContain('bad-group.json');
    expect(err.problems).toEqual(['alerts[2].group: "no-such-group" is not one of groups']);
  });

  it('names a missing field with its path', () => {
    const json = failoverJson();
    delete json.alerts[0].query;
    expect(stormError(writeTemp('no-query.json', JSON.stringify(json))).problems).toEqual(['alerts[0].query: missing (expected string)']);
  });

  it('names a repeated monitor id and a root cause group without alerts, each with its path', () => {
    const json = failoverJson();
    json.alerts[3].monitor_id = json.alerts[1].monitor_id;
    json.groups.unused = 'a group no alert is in';
    json.root_cause.group = 'unused';
    expect(stormError(writeTemp('several.json', JSON.stringify(json))).problems).toEqual([
      `alerts[3].monitor_id: ${json.alerts[1].monitor_id} is used by an earlier alert`,
      'root_cause.group: no alert is in "unused"',
    ]);
  });

  it('names a file that is not JSON, and one that is missing', () => {
    expect(stormError(writeTemp('broken.json', '{"alerts": [')).message).toMatch(/broken\.json: not valid JSON/);
    expect(stormError('/nonexistent/storm.json').message).toBe('/nonexistent/storm.json: file not found');
  });

  it('refuses a folder that mixes storms and single-alert scenarios, naming both', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rayne-mixed-'));
    writeTemp('a-storm.json', fs.readFileSync(FAILOVER, 'utf8'), dir);
    writeTemp('b-single.json', fs.readFileSync(path.join(STORMS_DIR, '..', 'storefront-web-host-cpu.json'), 'utf8'), dir);
    expect(() => isStormFolder(dir)).toThrow(/mixes storms \(.*a-storm\.json\) and single-alert scenarios \(.*b-single\.json\)/);
  });

  it("seeds the sandbox with every alert's monitor and the storm's service map and spans", () => {
    const storm = loadStorm(FAILOVER);
    const scenario = stormScenario(storm);
    expect([scenario.datadog.monitor, ...scenario.datadog.monitors].map((m) => m.id)).toEqual(storm.alerts.map((a) => a.monitor_id));
    expect(scenario.expected).toEqual({ category: 'database', culprit_terms: ['pg-orders-01'] });
    expect(scenario.datadog.service_map?.['orders-api']).toEqual(['orders-db']);
    expect(scenario.datadog.spans.length).toBeGreaterThan(0);
    expect(isStormJson(failoverJson())).toBe(true);
  });

  it('sends each alert as a Datadog webhook with its service tag and a transition id new on every run', () => {
    const storm = loadStorm(FAILOVER);
    const alert = storm.alerts.find((a) => a.service === 'orders-api')!;
    const first = stormAlertPayload(storm, alert, 'run1');
    expect(first).toMatchObject({ monitor_id: alert.monitor_id, service: 'orders-api', org_name: 'Tallow Commerce' });
    expect(first.tags).toContain('service:orders-api');
    expect(first).not.toHaveProperty('group');
    expect(stormAlertPayload(storm, alert, 'run2').transition_id).not.toBe(first.transition_id);
  });
});
