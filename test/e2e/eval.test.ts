import path from 'node:path';
import { runRayne, tempHome } from '../support/cli';

const ROOT = path.resolve(__dirname, '../..');

describe('rayne eval', () => {
  it('runs every scenario through the pipeline with the offline analyst and scores the stored reports', async () => {
    const { code, output } = await runRayne(['eval', 'scenarios'], { RAYNE_HOME: tempHome('eval') });
    expect(code).toBe(0);
    expect(output).toMatch(/\[12\/12\] storefront-web-host-cpu \.\.\. ok/);
    const last = output.trim().split('\n').pop()!;
    const match = last.match(/^solved=(\d+)\/12 category_accuracy=(\d\.\d\d) median_evidence_tokens=(\d+)$/);
    expect(match).not.toBeNull();
    // A floor under the measured 12/12, so a regression in evidence or analysis fails here.
    expect(Number(match![1])).toBeGreaterThanOrEqual(10);
    expect(Number(match![3])).toBeLessThanOrEqual(12_000);
  }, 300_000);

  it('says what is wrong with a folder that holds no scenarios', async () => {
    const { code, output } = await runRayne(['eval', path.join(ROOT, 'src')], { RAYNE_HOME: tempHome('eval') });
    expect(code).toBe(1);
    expect(output).toMatch(/holds no \*\.json scenario files/);
  });
});
