import { Writable } from 'node:stream';
import { createLogger, temporalLogger } from '../../src/logger';

/** A logger writing into an array of parsed JSON lines. */
function capture(level = 'info') {
  const lines: string[] = [];
  const sink = new Writable({ write: (chunk, _enc, done) => (lines.push(String(chunk)), done()) });
  return { log: createLogger(level, 'test', sink), lines, json: () => lines.map((l) => JSON.parse(l)) };
}

describe('logger', () => {
  it('redacts keys, tokens and authorization headers before a line is written', () => {
    const lines: string[] = [];
    const sink = new Writable({ write: (chunk, _enc, done) => (lines.push(String(chunk)), done()) });
    const log = createLogger('info', 'test', sink);
    log.info(
      {
        api_key: 'dd-api-secret',
        account: { app_key: 'dd-app-secret' },
        headers: { authorization: 'Bearer tok-secret' },
        token: 'raw-token',
      },
      'account saved',
    );
    const written = lines.join('');
    expect(written).toContain('account saved');
    for (const secret of ['dd-api-secret', 'dd-app-secret', 'tok-secret', 'raw-token']) expect(written).not.toContain(secret);
  });

  it("writes the Temporal SDK's lines as JSON: workflow and activity logs at LOG_LEVEL, the SDK's own from WARN", () => {
    const { log, json, lines } = capture('info');
    const sdk = temporalLogger(log);
    sdk.info('tier-1 effect', {
      sdkComponent: 'activity',
      workflowId: 'incident/default/1/host:a',
      eventId: '7',
      taskToken: 'Cg-task-token',
    });
    sdk.warn('tier-1 processor failed', { sdkComponent: 'workflow', workflowId: 'incident/default/1/host:a', error: new Error('boom') });
    sdk.info('Worker state changed', { sdkComponent: 'worker', state: 'RUNNING' });
    sdk.warn('Worker is shutting down slowly', { sdkComponent: 'worker' });
    sdk.debug('Activity started', { sdkComponent: 'activity' });
    expect(json().map((l) => l.msg)).toEqual(['tier-1 effect', 'tier-1 processor failed', 'Worker is shutting down slowly']);
    expect(json()[0]).toMatchObject({
      level: 30,
      component: 'temporal',
      workflowId: 'incident/default/1/host:a',
      eventId: '7',
      taskToken: '[redacted]',
    });
    expect(json()[1]).toMatchObject({ level: 40, err: { message: 'boom', type: 'Error' } });
    expect(lines.join('')).not.toContain('Cg-task-token');
  });

  it('redacts Slack webhook URLs and signing secrets in processor settings', () => {
    const { log, lines } = capture();
    log.info(
      { slack: { webhook_url: 'https://hooks.slack.com/services/T0/B0/secret-path' }, forward: { signing_secret: 'sign-secret-1234567' } },
      'saved',
    );
    expect(lines.join('')).not.toMatch(/secret-path|sign-secret/);
  });
});
