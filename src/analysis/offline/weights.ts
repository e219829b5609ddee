import type { OfflineModel } from './ranking';

/**
 * The model the offline analyst ships with, fitted by `fitModel` on every scenario in scenarios/
 * (see `rayne eval --cross-validate` for how well that transfers): rule-family multipliers, and
 * the calibration that turns the best hypothesis' share of the evidence into its confidence.
 */
export const SHIPPED_MODEL: OfflineModel = {
  weights: {
    'anomalous-log-template': 1.5,
    'campaign-event': 3,
    'change-before-alert': 0.5,
    // Past incidents' categories misled more often than they helped, as a prior.
    'similar-incident-prior': 0,
  },
  calibration: { slope: 5.5, intercept: -1.25 },
};
