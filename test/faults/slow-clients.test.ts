import net from 'node:net';
import { startApiServer, type RunningApi } from '../../src/api/server';
import { freePort } from '../../src/dev/free-port';
import { createLogger } from '../../src/logger';
import { createTestDatabase, temporalAddress, testConfig } from '../support/harness';

const HEADERS_TIMEOUT_MS = 1000;
const REQUEST_TIMEOUT_MS = 2000;
const IDLE_TIMEOUT_MS = 1000;
// Node checks the header and request timeouts about once a second; the rest is slack for a busy machine.
const SLACK_MS = 4000;
// A slowloris that never stops on its own would hang the test: every client gives up after this.
const GIVE_UP_MS = 20_000;

interface Outcome {
  closedAfterMs: number;
  response: string;
  bytesSent: number;
}

/** Opens a connection, runs the slow client on it until the server closes it (or GIVE_UP_MS passes), and says when and how. */
function slowClient(port: number, drip: (socket: net.Socket, sent: (n: number) => void) => void): Promise<Outcome> {
  return new Promise((resolve, reject) => {
    const started = Date.now();
    let response = '';
    let bytesSent = 0;
    const socket = net.connect(port, '127.0.0.1', () => drip(socket, (n) => (bytesSent += n)));
    socket.on('data', (d) => (response += d));
    socket.on('error', () => undefined); // a reset after the server closes counts as closed
    const giveUp = setTimeout(() => {
      socket.destroy();
      reject(new Error(`the server kept the connection open for ${GIVE_UP_MS} ms`));
    }, GIVE_UP_MS);
    socket.on('close', () => {
      clearTimeout(giveUp);
      resolve({ closedAfterMs: Date.now() - started, response, bytesSent });
    });
  });
}

/** Writes one byte of text every intervalMs until the socket closes or the text runs out. */
function dripBytes(text: string, intervalMs: number) {
  return (socket: net.Socket, sent: (n: number) => void) => {
    let i = 0;
    const timer = setInterval(() => {
      if (socket.destroyed || i >= text.length) return clearInterval(timer);
      socket.write(text[i++]!, () => sent(1));
    }, intervalMs);
    socket.on('close', () => clearInterval(timer));
  };
}

const slowWebhookBody = JSON.stringify({
  monitor_id: 1,
  alert_status: 'Alert',
  alert_id: 1,
  transition_id: 'slow',
  filler: 'x'.repeat(200),
});
const slowWebhookHeaders = `POST /v1/webhooks/receive HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: ${slowWebhookBody.length}\r\n\r\n`;

describe('slow clients', () => {
  let database: Awaited<ReturnType<typeof createTestDatabase>>;
  let api: RunningApi;
  let port: number;
  const observed: Record<string, number> = {};

  beforeAll(async () => {
    database = await createTestDatabase();
    port = await freePort();
    const config = testConfig({
      PORT: String(port),
      HOST: '127.0.0.1',
      RAYNE_HTTP_HEADERS_TIMEOUT_MS: String(HEADERS_TIMEOUT_MS),
      RAYNE_HTTP_REQUEST_TIMEOUT_MS: String(REQUEST_TIMEOUT_MS),
      RAYNE_HTTP_IDLE_TIMEOUT_MS: String(IDLE_TIMEOUT_MS),
    });
    api = await startApiServer(config, database.url, temporalAddress(), createLogger('silent'));
  });
  afterAll(async () => {
    await api?.stop();
    await database?.drop();
    console.log('slow-client close times (ms):', JSON.stringify(observed));
  });

  it('closes a connection that sends nothing once the header timeout passes', async () => {
    const outcome = await slowClient(port, () => undefined);
    observed.silent = outcome.closedAfterMs;
    expect(outcome.closedAfterMs).toBeLessThan(HEADERS_TIMEOUT_MS + SLACK_MS);
  });

  it('answers 408 to headers sent a byte at a time (slowloris) within the header timeout', async () => {
    const headers = 'GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ' + 'a'.repeat(200) + '\r\n\r\n';
    const outcome = await slowClient(port, dripBytes(headers, 50));
    observed.slow_headers = outcome.closedAfterMs;
    expect(outcome.response).toMatch(/^HTTP\/1\.1 408/);
    expect(outcome.bytesSent).toBeLessThan(headers.length);
    expect(outcome.closedAfterMs).toBeLessThan(HEADERS_TIMEOUT_MS + SLACK_MS);
  });

  it('answers 408 to a webhook body sent a byte at a time within the request timeout, and stores nothing', async () => {
    const outcome = await slowClient(port, (socket, sent) => {
      socket.write(slowWebhookHeaders, () => sent(slowWebhookHeaders.length));
      dripBytes(slowWebhookBody, 50)(socket, sent);
    });
    observed.slow_body = outcome.closedAfterMs;
    expect(outcome.response).toMatch(/^HTTP\/1\.1 408/);
    expect(outcome.bytesSent).toBeLessThan(slowWebhookHeaders.length + slowWebhookBody.length);
    expect(outcome.closedAfterMs).toBeLessThan(REQUEST_TIMEOUT_MS + SLACK_MS);
    expect((await database.db.query('SELECT count(*)::int AS n FROM webhook_events')).rows[0].n).toBe(0);
  });

  it('answers 408, logged at info, to a body still arriving when the request deadline passes first', async () => {
    const lines: Array<{ level: number; msg: string }> = [];
    const log = createLogger('info', 'test', { write: (line: string) => lines.push(JSON.parse(line)) });
    const deadlinePort = await freePort();
    // Node's own bound on the whole request is far off, so the API's deadline is what the trickle meets.
    const config = testConfig({
      PORT: String(deadlinePort),
      HOST: '127.0.0.1',
      RAYNE_REQUEST_TIMEOUT_MS: '1500',
      RAYNE_HTTP_REQUEST_TIMEOUT_MS: String(GIVE_UP_MS * 2),
    });
    const patient = await startApiServer(config, database.url, temporalAddress(), log);
    try {
      const outcome = await slowClient(deadlinePort, (socket, sent) => {
        socket.write(slowWebhookHeaders, () => sent(slowWebhookHeaders.length));
        dripBytes(slowWebhookBody, 50)(socket, sent);
      });
      observed.slow_body_deadline = outcome.closedAfterMs;
      expect(outcome.response).toMatch(/^HTTP\/1\.1 408/);
      expect(outcome.response).toContain('"code":"REQUEST_TIMEOUT"');
    } finally {
      await patient.stop();
    }
    expect(lines.filter((l) => l.level >= 50)).toEqual([]);
    expect(lines).toContainEqual(expect.objectContaining({ level: 30, msg: expect.stringMatching(/body did not arrive in time/) }));
    expect((await database.db.query('SELECT count(*)::int AS n FROM webhook_events')).rows[0].n).toBe(0);
  });

  it('closes a kept-alive connection that sends no next request once the idle timeout passes', async () => {
    const outcome = await slowClient(port, (socket, sent) =>
      socket.write('GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n', () => sent(1)),
    );
    observed.idle_keep_alive = outcome.closedAfterMs;
    expect(outcome.response).toMatch(/^HTTP\/1\.1 200/);
    expect(outcome.closedAfterMs).toBeLessThan(IDLE_TIMEOUT_MS + SLACK_MS);
  });
});
