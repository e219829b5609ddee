import { applyTransition, initialState } from '../../src/workflows/incident-state';
import type { AlertStatus } from '../../src/contracts/alert';
import type { IncidentState, TransitionDecision } from '../../src/contracts/incident';

function run(statuses: AlertStatus[]): { state: IncidentState; decisions: TransitionDecision[] } {
  let state = initialState({ account: 'a', monitorId: '1', scope: '*' });
  const decisions: TransitionDecision[] = [];
  statuses.forEach((status, i) => {
    const r = applyTransition(state, { eventId: String(i), status, receivedAt: `t${i}`, monitorId: '1' });
    state = r.state;
    decisions.push(r.decision);
  });
  return { state, decisions };
}

describe('incident state machine', () => {
  it('opens on Alert, requests one RCA, and closes on OK', () => {
    const { state, decisions } = run(['Alert', 'Alert', 'OK']);
    expect(decisions.map((d) => d.startRca)).toEqual([true, false, false]);
    expect(decisions[1]!.repeat).toBe(true);
    expect(decisions[2]!.closesIncident).toBe(true);
    expect(state).toMatchObject({ open: false, episode: 1, rcaRequests: 1, status: 'OK' });
  });

  it('requests a second RCA on escalation Warn → Alert, not on Alert → Warn', () => {
    expect(run(['Warn', 'Alert']).decisions.map((d) => d.startRca)).toEqual([true, true]);
    expect(run(['Alert', 'Warn', 'Alert']).decisions.map((d) => d.startRca)).toEqual([true, false, false]);
  });

  it('keeps No Data open without an RCA, and starts one when it turns into Alert', () => {
    const { state, decisions } = run(['No Data', 'Alert']);
    expect(decisions.map((d) => d.startRca)).toEqual([false, true]);
    expect(state.open).toBe(true);
  });

  it('counts a new episode after recovery', () => {
    const { state, decisions } = run(['Alert', 'OK', 'Warn']);
    expect(decisions.map((d) => d.episode)).toEqual([1, 1, 2]);
    expect(decisions[2]!.startRca).toBe(true);
    expect(state.rcaRequests).toBe(2);
  });

  it('treats an OK with nothing open as a no-op that leaves the incident closed', () => {
    const { state, decisions } = run(['OK']);
    expect(decisions[0]).toMatchObject({ closesIncident: false, startRca: false, episode: 0 });
    expect(state.open).toBe(false);
  });
});
