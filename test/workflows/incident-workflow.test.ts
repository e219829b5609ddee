import crypto from 'node:crypto';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection, Worker } from '@temporalio/worker';
import type { Activities } from '../../src/activities';
import { RayneAlertStatus } from '../../src/contracts/search-attributes';
import { installRuntime } from '../../src/workers/worker';
import { WorkerMetrics } from '../../src/telemetry/metrics';
import { workerTelemetry } from '../../src/telemetry/temporal-telemetry';
import { eventually, temporalAddress } from '../support/harness';
import { stateQuery, type Transition, transitionSignal, transitionsQuery } from '../../src/contracts/incident';
import type { incidentWorkflow } from '../../src/workflows';

describe('incidentWorkflow', () => {
  let connection: Connection;
  let client: Client;
  let nativeConnection: NativeConnection;

  beforeAll(async () => {
    installRuntime();
    connection = await Connection.connect({ address: temporalAddress() });
    client = new Client({ connection });
    nativeConnection = await NativeConnection.connect({ address: temporalAddress() });
  });
  afterAll(async () => {
    await connection.close();
    await nativeConnection.close();
  });

  it('processes each transition once, answers state queries, and completes when the incident recovers', async () => {
    const taskQueue = `wf-${crypto.randomUUID()}`;
    const recordTransition = jest.fn<ReturnType<Activities['recordTransition']>, Parameters<Activities['recordTransition']>>(
      async () => undefined,
    );
    const worker = await Worker.create({
      connection: nativeConnection,
      taskQueue,
      workflowBundle: { codePath: process.env.RAYNE_TEST_WORKFLOW_BUNDLE! },
      // The bundle reports workflow outcomes through this sink.
      sinks: workerTelemetry(new WorkerMetrics()).sinks,
      // No processors configured: this test is about the state machine.
      activities: {
        recordTransition,
        planTier1: async () => ({
          targets: [],
          runOn: 'every_transition',
          flapping: { transitions: 6, windowMinutes: 30 },
          transitionsInWindow: 1,
        }),
        unresolvedNotebooks: async () => [],
      },
    });
    const workflowId = `incident/test/${crypto.randomUUID()}/host:web-01`;
    // Event ids of their own: rca/{eventId} children live on the Temporal server every test file shares.
    const base = crypto.randomInt(1, 1_000_000) * 1000 + 1_000_000_000;
    const id = (n: number) => String(base + n);
    const transition = (n: number, status: Transition['status']): Transition => ({
      eventId: id(n),
      status,
      receivedAt: new Date().toISOString(),
      monitorId: '1',
    });
    const send = (t: Transition) =>
      client.workflow.signalWithStart<typeof incidentWorkflow, [Transition]>('incidentWorkflow', {
        workflowId,
        taskQueue,
        args: [{ account: 'test', monitorId: '1', scope: 'host:web-01' }],
        signal: transitionSignal,
        signalArgs: [t],
      });

    await worker.runUntil(async () => {
      const handle = await send(transition(1, 'Warn'));
      await send(transition(1, 'Warn')); // redelivered signal: ignored
      await send(transition(2, 'Alert'));
      await eventually(async () => (await handle.query(stateQuery)).transitionsSeen === 2);
      const state = await handle.query(stateQuery);
      expect(state).toMatchObject({ open: true, status: 'Alert', rcaRequests: 2, episode: 1 });
      // Each transition is listed once its recording activity has finished, which may trail the state under load.
      const recorded = await eventually(async () => {
        const transitions = await handle.query(transitionsQuery);
        return transitions.length === 2 && transitions;
      });
      expect(recorded.map((t) => [t.eventId, t.previousStatus ?? null, t.status])).toEqual([
        [id(1), null, 'Warn'],
        [id(2), 'Warn', 'Alert'],
      ]);
      const described = await handle.describe();
      expect(described.typedSearchAttributes.get(RayneAlertStatus)).toBe('Alert');
      // The first Warn and the escalation each started an RCA child that carries the incident's search attributes.
      for (const n of [1, 2]) {
        const child = client.workflow.getHandle(`rca/${id(n)}`);
        const { type, typedSearchAttributes } = await child.describe();
        expect(type).toBe('rcaWorkflow');
        expect(typedSearchAttributes.get(RayneAlertStatus)).toBeDefined();
        await child.terminate('the state-machine test has no RCA activities');
      }

      await send(transition(3, 'OK'));
      const final = await handle.result();
      expect(final).toMatchObject({ open: false, status: 'OK', transitionsSeen: 3 });
    });
    expect(recordTransition.mock.calls.map(([eventId, d]) => [eventId, d.status, d.startRca, d.closesIncident])).toEqual([
      [id(1), 'Warn', true, false],
      [id(2), 'Alert', true, false],
      [id(3), 'OK', false, true],
    ]);
  });
});
