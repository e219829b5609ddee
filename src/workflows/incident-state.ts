import type { AlertStatus } from '../contracts/alert';
import type { IncidentKey, IncidentState, Transition, TransitionDecision } from '../contracts/incident';

export function initialState(key: IncidentKey): IncidentState {
  return { ...key, open: false, episode: 0, transitionsSeen: 0, rcaRequests: 0 };
}

const ACTIVE: readonly AlertStatus[] = ['Alert', 'Warn'];

/** The incident state machine over Alert / Warn / No Data / OK. Pure: no I/O, no clock. */
export function applyTransition(state: IncidentState, t: Transition): { state: IncidentState; decision: TransitionDecision } {
  const previousStatus = state.status;
  const opening = !state.open && t.status !== 'OK';
  const closesIncident = state.open && t.status === 'OK';
  const rcaSeverity = opening ? undefined : state.rcaSeverity;
  const escalation = rcaSeverity === 'Warn' && t.status === 'Alert';
  const startRca = ACTIVE.includes(t.status) && (rcaSeverity === undefined || escalation);
  const next: IncidentState = {
    ...state,
    status: t.status,
    open: opening || (state.open && !closesIncident),
    episode: opening ? state.episode + 1 : state.episode,
    openedAt: opening ? t.receivedAt : closesIncident ? undefined : state.openedAt,
    transitionsSeen: state.transitionsSeen + 1,
    rcaSeverity: closesIncident ? undefined : startRca ? t.status : rcaSeverity,
    rcaRequests: state.rcaRequests + (startRca ? 1 : 0),
    lastEventId: t.eventId,
  };
  const decision: TransitionDecision = {
    previousStatus,
    status: t.status,
    episode: next.episode,
    startRca,
    closesIncident,
    repeat: state.open && previousStatus === t.status,
  };
  return { state: next, decision };
}
