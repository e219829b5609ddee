import type { AnswerFeatures } from './conclude';

/** A logistic map from an answer's features to the probability that it is right. */
export interface Calibration {
  bias: number;
  weights: Record<keyof AnswerFeatures, number>;
}

export const SHIPPED_CALIBRATION: Calibration = {
  bias: -1,
  weights: { depth: 0.3, own: 0.5, sourceKinds: 0.3, margin: 0.5, change: 0, candidates: -0.05 },
};

const numeric = (f: AnswerFeatures): Record<keyof AnswerFeatures, number> => ({
  depth: Math.min(f.depth, 3),
  own: f.own ? 1 : 0,
  sourceKinds: f.sourceKinds,
  margin: Math.min(f.margin, 2),
  change: f.change ? 1 : 0,
  candidates: Math.min(f.candidates, 10),
});

/** The estimated probability that an answer with these features is right. */
export function confidenceOf(features: AnswerFeatures, calibration: Calibration = SHIPPED_CALIBRATION): number {
  const x = numeric(features);
  const z = calibration.bias + (Object.keys(x) as Array<keyof AnswerFeatures>).reduce((s, k) => s + calibration.weights[k] * x[k], 0);
  return Math.round((1 / (1 + Math.exp(-z))) * 100) / 100;
}
