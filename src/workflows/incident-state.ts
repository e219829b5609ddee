import type { AlertStatus } from '../intake/datadog-payload';

/** One accepted alert transition, as the API hands it to the incident workflow (small: the raw payload stays in Postgres). */
export interface Transition {
  eventId: string;
  status: AlertStatus;
  receivedAt: string;
  monitorId: string;
  monitorName?: string;
  title?: string;
  service?: string;
  hostname?: string;
  priority?: string;
}

export interface IncidentKey {
  account: string;
  monitorId: string;
  scope: string;
}

export interface IncidentState extends IncidentKey {
  /** The last status seen; undefined before the first transition. */
  status?: AlertStatus;
  /** Whether an incident episode is open (from the first non-OK transition until OK). */
  open: boolean;
  /** Episodes opened in this workflow's lifetime; the current one when open. */
  episode: number;
  openedAt?: string;
  transitionsSeen: number;
  /** The severity the current episode's last RCA was requested for, if any. */
  rcaSeverity?: AlertStatus;
  rcaRequests: number;
  lastEventId?: string;
}

/** What the workflow should do for one transition; later issues attach tier-1 and RCA work here. */
export interface TransitionDecision {
  previousStatus?: AlertStatus;
  status: AlertStatus;
  episode: number;
  /** The first Alert/Warn of an episode, or an escalation Warn → Alert. */
  startRca: boolean;
  /** OK after an open episode: record recovery, then the workflow may complete. */
  closesIncident: boolean;
  /** A repeat of the current status while open (coalesced: no new RCA). */
  repeat: boolean;
}

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
