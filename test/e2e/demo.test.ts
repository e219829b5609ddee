import path from 'node:path';
import { runRayne, tempHome } from '../support/cli';

const ROOT = path.resolve(__dirname, '../..');

const runDemo = (args: string[], home: string) => runRayne(['demo', ...args, '--exit'], { RAYNE_HOME: home });

describe('rayne demo', () => {
  it('runs a scenario through the stack and the sandbox, and shows what every processor did', async () => {
    const home = tempHome('demo');
    const { code, output } = await runDemo([], home);
    expect(output).toContain('Rayne demo: One storefront web host pegged at 98% CPU');
    expect(code).toBe(0);
    // --exit stops the stack at once: no link that would be dead when read.
    expect(output).toMatch(/workflow incident\/demo\/48212031\/host:web-07\n/);
    expect(output).not.toMatch(/https?:\/\/127\.0\.0\.1:\d+\/(namespaces|rca|docs)/);
    expect(output).toMatch(/downtime\s+succeeded\s+attempts 1/);
    expect(output).toContain('notify 2, forward 2, Slack 2 request(s)');
    expect(output).toContain('POST /api/v2/downtime -> 200');
    // The RCA's evidence: classified, mined, and the scenario's past incidents searched.
    expect(output).toMatch(/RCA rca\/\d+\n/);
    expect(output).toMatch(/role infrastructure \(monitor name "CPU user above 90% on storefront web hosts"\)/);
    expect(output).toMatch(/Job rebuild-sitemap started on web-07/);
    expect(output).toMatch(/similar incidents:\n\s+0\.\d\d /);
    // Its conclusion: verdict, root cause, ranked hypotheses, remediation.
    expect(output).toMatch(
      /Conclusion \(offline\): (confirmed|likely|inconclusive), \w+, confidence \d+%\n\s+root cause: .+\n\s+top hypotheses:\n\s+1\. \w+ · .+\n[\s\S]*remediation:\n\s+- \S/,
    );

    // A second run reuses the demo's data folder and still sends fresh transitions.
    const again = await runDemo([path.join(ROOT, 'scenarios/checkout-service-error-rate-spike.json')], home);
    expect(again.code).toBe(0);
    expect(again.output).toContain('notify 2, forward 2, Slack 2 request(s)');
  });

  it('names a scenario file it cannot read', async () => {
    const { code, output } = await runDemo(['/nonexistent/scenario.json'], tempHome('demo'));
    expect(code).toBe(1);
    expect(output).toMatch(/scenario\.json/);
    expect(output).not.toMatch(/^\s+at /m);
  });
});
