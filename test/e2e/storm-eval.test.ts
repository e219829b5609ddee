import fs from 'node:fs';
import path from 'node:path';
import { runRayne, tempHome } from '../support/cli';

const ROOT = path.resolve(__dirname, '../..');
const STORM = path.join(ROOT, 'scenarios/storms/skyline-node-dies-under-several-services.json');

describe('rayne eval on a folder of storms', () => {
  it('sends each storm through the API with incident groups on, reads its groups back, and scores grouping and the group RCA', async () => {
    const dir = tempHome('eval-storms');
    fs.copyFileSync(STORM, path.join(dir, path.basename(STORM)));
    const { code, output } = await runRayne(['eval', dir], { RAYNE_HOME: tempHome('eval') });
    // The whole output when the eval fails: what it printed is what says why.
    expect({ code, output }).toEqual({ code: 0, output: expect.stringContaining(`rayne eval: 1 storms from ${dir}, group wait 5 s`) });
    // The dying node's alerts join one group, each background alert its own; never two causes in one
    // (precision 1). Groups never merge, so under load a service-only alert whose join runs before any
    // member with its service has joined starts a group of its own: a few more groups, never fewer.
    expect(output).toMatch(
      /^skyline-node-dies-under-several-services: 15 alerts, 3 true groups → \d+ groups, \d+ RCAs; .* resolved \d+\/\d+$/m,
    );
    const [, groups, resolved, of] = /→ (\d+) groups, .* resolved (\d+)\/(\d+)$/m.exec(output)!;
    expect(Number(groups)).toBeGreaterThanOrEqual(3);
    expect(Number(groups)).toBeLessThanOrEqual(7);
    expect([resolved, of]).toEqual([groups, groups]);
    expect(output).toMatch(/^storms=1 alerts=15 rcas=\d+ compression=\S+ precision=1\.000 recall=\S+ top1=[01]\/1 .* group_wait_s=5$/m);
  }, 300_000);

  it('refuses a storm whose alert names a group that is not one of its groups, naming the file and field', async () => {
    const dir = tempHome('eval-storms');
    const storm = JSON.parse(fs.readFileSync(STORM, 'utf8'));
    storm.alerts[1].group = 'elsewhere';
    fs.writeFileSync(path.join(dir, 'broken.json'), JSON.stringify(storm));
    const { code, stderr } = await runRayne(['eval', dir], { RAYNE_HOME: tempHome('eval') });
    expect(code).toBe(1);
    expect(stderr).toContain(`${path.join(dir, 'broken.json')}: alerts[1].group: "elsewhere" is not one of groups`);
    expect(stderr).not.toMatch(/^\s+at /m);
  });
});
