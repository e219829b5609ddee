import type { RuleWeights } from './ranking';

/**
 * The rule-family multipliers the offline analyst ships with, fitted by `fitWeights` on every
 * scenario in scenarios/ (see `rayne eval --cross-validate` for how well that transfers).
 */
export const SHIPPED_WEIGHTS: RuleWeights = {
  'anomalous-log-template': 1.5,
  'campaign-event': 3,
  'change-before-alert': 0.5,
  // Past incidents' categories misled more often than they helped, as a prior.
  'similar-incident-prior': 0,
};
