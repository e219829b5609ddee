import type { AnswerFeatures } from './conclude';

/**
 * Confidence as the probability of being right: a logistic map from three things about an answer
 * to how often such answers were right: whether it found a candidate at all, whether the cause
 * reports its own trouble, and whether a change is tied to it by content. Depth, kinds of source,
 * lead and number of candidates are stored with every answer too, but left out of the map: fitted
 * with them and scored leaving each company out, the map did worse than without them (Brier
 * 0.31 against 0.25 on the visible scenarios), so they do not say when an answer is right.
 * The shipped map is fitted on every visible scenario; `rayne eval --cross-validate` refits it
 * without each company in turn.
 */
export interface Calibration {
  bias: number;
  weights: Record<CalibratedFeature, number>;
}

const CALIBRATED = ['none', 'own', 'change'] as const;
type CalibratedFeature = (typeof CALIBRATED)[number];

/** An answer's features and whether it was right: one training sample. */
export interface LabelledAnswer {
  features: AnswerFeatures;
  right: boolean;
}

/**
 * Fitted by `fitCalibration` on the investigation's answers to the 56 scenarios in scenarios/
 * (2026-12-07, second round, as `npm run bench:investigation` prints it), which solves 36 of them.
 * Every one of the 56 had been read by the time the method's second round was written, so this
 * map is optimistic on incidents nothing here has seen: the first round solved 4 of 24 unseen
 * against 21 of the 32 it was written from.
 */
export const SHIPPED_CALIBRATION: Calibration = {
  bias: 0.046,
  weights: { none: -0.976, own: 0.874, change: 0.286 },
};

const numeric = (f: AnswerFeatures): number[] => [f.candidates === 0 ? 1 : 0, f.own ? 1 : 0, f.change ? 1 : 0];

const sigmoid = (z: number) => 1 / (1 + Math.exp(-z));

function linear(c: Calibration, x: number[]): number {
  return CALIBRATED.reduce((z, k, i) => z + c.weights[k] * x[i]!, c.bias);
}

/** The estimated probability that an answer with these features is right, to two decimals. */
export function confidenceOf(features: AnswerFeatures, calibration: Calibration = SHIPPED_CALIBRATION): number {
  return Math.round(sigmoid(linear(calibration, numeric(features))) * 100) / 100;
}

/**
 * Logistic regression by gradient descent with an L2 penalty, from zero weights: deterministic,
 * and with few samples the penalty keeps the map from promising what it cannot know.
 */
export function fitCalibration(samples: readonly LabelledAnswer[], { l2 = 0.5, rounds = 3000, rate = 0.05 } = {}): Calibration {
  const xs = samples.map((s) => numeric(s.features));
  const ys = samples.map((s) => (s.right ? 1 : 0));
  let bias = 0;
  const w = CALIBRATED.map(() => 0);
  const n = Math.max(1, samples.length);
  for (let round = 0; round < rounds; round++) {
    let gBias = 0;
    const g = w.map(() => 0);
    xs.forEach((x, j) => {
      const err = sigmoid(bias + x.reduce((z, v, i) => z + w[i]! * v, 0)) - ys[j]!;
      gBias += err;
      x.forEach((v, i) => (g[i]! += err * v));
    });
    bias -= (rate * gBias) / n;
    w.forEach((wi, i) => (w[i] = wi - rate * (g[i]! / n + (l2 * wi) / n)));
  }
  return { bias, weights: Object.fromEntries(CALIBRATED.map((k, i) => [k, w[i]!])) as Calibration['weights'] };
}

/** Each group's answers given the confidence a map fitted on the other groups estimates for them. */
export function crossValidatedConfidence<T extends LabelledAnswer & { group: string }>(
  answers: readonly T[],
): Array<T & { confidence: number }> {
  return answers.map((a) => {
    const calibration = fitCalibration(answers.filter((o) => o.group !== a.group));
    return { ...a, confidence: confidenceOf(a.features, calibration) };
  });
}
