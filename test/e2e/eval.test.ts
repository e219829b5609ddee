import fs from 'node:fs';
import path from 'node:path';
import { runRayne, tempHome } from '../support/cli';

const ROOT = path.resolve(__dirname, '../..');

describe('rayne eval', () => {
  it('runs every scenario through the pipeline with the investigating analyst, scores the stored reports and cross-validates its calibration by company', async () => {
    const { code, output } = await runRayne(['eval', 'scenarios', '--cross-validate'], { RAYNE_HOME: tempHome('eval') });
    expect(code).toBe(0);
    expect(output).toMatch(/\[218\/218\] vireo-unlock-command-failures \.\.\. ok/);
    const line = (prefix: string) => output.split('\n').find((l) => l.startsWith(prefix))!;
    const figures =
      /solved=(\d+)\/218 top3=(\d+)\/218 evidence_recall=(\d+)\/218 category_accuracy=(\d\.\d\d) committed_accuracy=\S+ median_evidence_tokens=(\d+) median_tool_calls=(\S+) max_tool_calls=(\S+)$/;
    const inSample = line('solved=').match(figures);
    expect(inSample).not.toBeNull();
    expect(output).toMatch(/solved by verdict: /);
    expect(output).toMatch(/confirmed or likely answers right: /);
    // The investigating analyst reads with tools, within its bound of 40 calls.
    const calls = output.match(/tool calls per investigation: median (\d+), max (\d+)/);
    expect(calls).not.toBeNull();
    expect(Number(calls![1])).toBeGreaterThan(0);
    expect(Number(calls![2])).toBeLessThanOrEqual(40);
    expect(inSample!.slice(6)).toEqual([calls![1], calls![2]]);
    // Cross-validation refits the confidence calibration per company; the answers themselves stay.
    const crossValidated = line('cv_solved=').match(figures);
    expect(crossValidated).not.toBeNull();
    expect(crossValidated![1]).toBe(inSample![1]);
    expect(output).toMatch(/cross-validated calibration \(each company's confidence fitted on the other 31 companies' answers\)/);
    // Each company gets a line in the table and one in the cross-validated table.
    for (const company of [
      'Brightcart',
      'Cedar Health',
      'Harbor Logistics',
      'Lumen Pay',
      'Orbit Telematics',
      'Pinecrest Media',
      'Quillmetrics',
      'Skyline Arcade',
      'Fernwood Pay',
      'Marlowe Stream',
      'Tidewater Health',
      'Quarrydale Insurance',
      'Vireo Mobility',
      'Bramblewood Books',
      'Corvid Telecom',
      'Emberfall Games',
      'Inkwell Gazette',
      'Gristmill Bank',
      'Lanternfish Freight',
      'Pebblebrook Tutoring',
      'Sparrowhawk Sensors',
      'Copperfield Clearing',
      'Juniper Lane Market',
      'Northwind Reels',
      'Bellwether Payroll',
      'Marigold Health Records',
      'Quillfeather Learning',
      'Tamarack Ads',
      'Alder Creek Utilities',
      'Brindle Social',
      'Kestrel Robotics',
      'Moorfield Retail',
    ]) {
      const lines = output.match(
        new RegExp(`^  ${company}: solved \\d+/\\d+, top-3 \\d+/\\d+, recall \\d+/\\d+, committed right \\d+/\\d+$`, 'gm'),
      );
      expect(lines).toHaveLength(2);
    }
    // Floors under the measured figures, so a regression in evidence or analysis fails here.
    expect(Number(inSample![1])).toBeGreaterThanOrEqual(160);
    expect(Number(inSample![3])).toBeGreaterThanOrEqual(200);
    expect(Number(inSample![5])).toBeLessThanOrEqual(12_000);
  }, 900_000);

  it('names the file and field of a malformed scenario, without a stack trace', async () => {
    const dir = tempHome('eval-scenarios');
    const scenario = JSON.parse(fs.readFileSync(path.join(ROOT, 'scenarios/storefront-web-host-cpu.json'), 'utf8'));
    scenario.datadog.logs[3].offset_s = 'soon';
    fs.writeFileSync(path.join(dir, 'broken.json'), JSON.stringify(scenario));
    const { code, stderr } = await runRayne(['eval', dir], { RAYNE_HOME: tempHome('eval') });
    expect(code).toBe(1);
    expect(stderr).toContain(`${path.join(dir, 'broken.json')}: datadog.logs[3].offset_s: Invalid input: expected number`);
    expect(stderr).not.toMatch(/^\s+at /m);
  });

  it('says what is wrong with a folder that holds no scenarios', async () => {
    const { code, output } = await runRayne(['eval', path.join(ROOT, 'src')], { RAYNE_HOME: tempHome('eval') });
    expect(code).toBe(1);
    expect(output).toMatch(/holds no \*\.json scenario files/);
  });
});
