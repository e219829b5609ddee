import { Writable } from 'node:stream';
import { createLogger } from '../../src/logger';

describe('logger', () => {
  it('redacts keys, tokens and authorization headers before a line is written', () => {
    const lines: string[] = [];
    const sink = new Writable({ write: (chunk, _enc, done) => (lines.push(String(chunk)), done()) });
    const log = createLogger('info', 'test', sink);
    log.info({ api_key: 'dd-api-secret', account: { app_key: 'dd-app-secret' }, headers: { authorization: 'Bearer tok-secret' }, token: 'raw-token' }, 'account saved');
    const written = lines.join('');
    expect(written).toContain('account saved');
    for (const secret of ['dd-api-secret', 'dd-app-secret', 'tok-secret', 'raw-token']) expect(written).not.toContain(secret);
  });
});
