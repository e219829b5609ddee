import type { AnswerFeatures } from './conclude';

/**
 * Confidence as the probability of being right: a logistic map from an answer's features (how
 * deep its cause sits, whether the cause reports its own trouble, in how many kinds of source, its
 * lead over the next candidate) to how often such answers were right. Fitted on labelled answers;
 * the shipped map is fitted on every visible scenario, and its out-of-sample quality is what
 * `rayne eval --cross-validate` measures by leaving each company out.
 */
export interface Calibration {
  bias: number;
  weights: Record<keyof AnswerFeatures, number>;
}

/** An answer's features and whether it was right: one training sample. */
export interface LabelledAnswer {
  features: AnswerFeatures;
  right: boolean;
}

const FEATURES: ReadonlyArray<keyof AnswerFeatures> = ['depth', 'own', 'sourceKinds', 'margin', 'change', 'candidates'];

/**
 * Fitted by `fitCalibration` on the investigation's answers to the 32 visible scenarios (scenarios/),
 * 2026-12-07, as `npm run bench:investigation` prints it. The method was developed on those same
 * scenarios, so this map is optimistic on incidents it has not seen; the eval's cross-validation
 * and the fresh set say by how much.
 */
export const SHIPPED_CALIBRATION: Calibration = {
  bias: -0.063,
  weights: { depth: -0.123, own: 0.162, sourceKinds: 0.241, margin: 0.32, change: 1.375, candidates: 0.01 },
};

const numeric = (f: AnswerFeatures): number[] => [
  Math.min(f.depth, 3),
  f.own ? 1 : 0,
  Math.min(f.sourceKinds, 4),
  Math.min(f.margin, 2),
  f.change ? 1 : 0,
  Math.min(f.candidates, 10),
];

const sigmoid = (z: number) => 1 / (1 + Math.exp(-z));

function linear(c: Calibration, x: number[]): number {
  return FEATURES.reduce((z, k, i) => z + c.weights[k] * x[i]!, c.bias);
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
  const w = FEATURES.map(() => 0);
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
  return { bias, weights: Object.fromEntries(FEATURES.map((k, i) => [k, w[i]!])) as Calibration['weights'] };
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
