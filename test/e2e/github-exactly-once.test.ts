import type { ChildProcess } from 'node:child_process';
import { commentMarker } from '../../src/github/comment';
import { deliver, issuePayload, newDeliveryId } from '../support/github-deliveries';
import { type GithubSimulator, startGithubSimulator } from '../support/github-simulator';
import { createTestApi, createTestDatabase, eventually, testConfig, type TestApi } from '../support/harness';
import { kill, startWorkerProcess } from '../support/worker-process';

jest.setTimeout(180_000);

describe('one triage comment under a worker crash', () => {
  let database: Awaited<ReturnType<typeof createTestDatabase>>;
  let api: TestApi;
  let github: GithubSimulator;
  let worker: ChildProcess | undefined;
  const env = () => ({ GH_TOKEN: 'ghp_crash', GITHUB_API_URL: github.url });

  beforeAll(async () => {
    database = await createTestDatabase();
    github = await startGithubSimulator('ghp_crash');
    api = createTestApi(database.url, testConfig({ GITHUB_WEBHOOK_SECRET: 's3cret' }));
  });
  afterAll(async () => {
    if (worker && worker.exitCode === null) await kill(worker);
    await api.close();
    await github.close();
    await database.drop();
  });

  it('finds the comment posted before the crash by its marker instead of posting another', async () => {
    // GitHub creates the comment and holds its answer: the worker dies before the activity completes.
    github.holdNext('POST', '/issues/1/comments', 30_000);
    worker = await startWorkerProcess(api.config, database.url, env());
    const deliveryId = newDeliveryId();
    const res = await deliver(
      api,
      'issues',
      issuePayload('opened', { repository: 'acme/crash', number: 1, title: 'Orders stuck', body: 'Orders stay pending' }),
      { secret: 's3cret', deliveryId },
    );
    expect(res.status).toBe(202);
    const { event_id: eventId } = (await res.json()) as { event_id: string };
    await eventually(async () => github.issue('acme/crash', 1).comments.length === 1, 60_000);
    await kill(worker);

    worker = await startWorkerProcess(api.config, database.url, env());
    const triage = await eventually(async () => {
      const {
        rows: [row],
      } = await database.db.query('SELECT status, comment_url, comment_note FROM github_triage WHERE event_id = $1', [eventId]);
      return row?.status === 'completed' && row;
    }, 90_000);

    const comments = github.issue('acme/crash', 1).comments;
    expect(comments).toHaveLength(1);
    expect(comments[0]!.body.endsWith(commentMarker(`github/${deliveryId}`))).toBe(true);
    expect(github.writes().filter((w) => w.method === 'POST')).toHaveLength(1);
    expect(triage).toEqual({ status: 'completed', comment_url: comments[0]!.html_url, comment_note: 'found by its marker' });
  });
});
