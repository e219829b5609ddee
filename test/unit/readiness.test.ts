import { ReadinessMonitor } from '../../src/api/readiness';
import { createLogger } from '../../src/logger';

const until = async (check: () => boolean) => {
  for (let i = 0; i < 200 && !check(); i++) await new Promise((r) => setTimeout(r, 10));
};

describe('the readiness monitor', () => {
  it('tells a dependency away from one that refuses the setup, logs each change once, and calls back on recovery', async () => {
    const lines: Array<Record<string, unknown>> = [];
    const log = createLogger('info', 'test', { write: (line: string) => lines.push(JSON.parse(line) as Record<string, unknown>) });
    let temporal: 'away' | 'refuses' | 'ok' = 'refuses';
    const monitor = new ReadinessMonitor(
      {
        postgres: () => Promise.resolve(),
        temporal: () =>
          temporal === 'away'
            ? Promise.reject(new Error('connect ECONNREFUSED'))
            : Promise.resolve(temporal === 'refuses' ? { notConfigured: 'no namespace "x"' } : undefined),
      },
      5,
      log,
    );
    const recovered: string[] = [];
    monitor.onRecovered((name) => recovered.push(name));
    try {
      expect(await monitor.current()).toMatchObject({ postgres: { state: 'ok' }, temporal: { state: 'not_configured' } });
      temporal = 'away';
      await until(() => lines.some((l) => l.msg === 'readiness check failed'));
      expect((await monitor.current()).temporal.state).toBe('unavailable');
      temporal = 'ok';
      await until(() => recovered.length > 0);
      expect((await monitor.current()).temporal.state).toBe('ok');
    } finally {
      monitor.stop();
    }
    const failures = lines.filter((l) => l.dependency === 'temporal' && String(l.msg).startsWith('readiness check failed'));
    // One error for the refused setup, one warning for the outage: a change of state each, not a line per check.
    expect(failures.map((l) => l.level)).toEqual([50, 40]);
    expect(recovered).toEqual(['temporal']);
  });
});
