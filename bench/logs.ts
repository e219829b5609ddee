/**
 * npm run bench:logs [-- --replicas N --rounds R]
 *
 * 1. Accuracy, leave one system out: every configuration of a small grid mines each of the 9
 *    LogHub-2k systems (2,000 messages, a fresh miner each) and is scored (GA, PA) on the final
 *    template of every line. For each system, the configuration with the best mean (GA + PA) / 2
 *    on the other 8 is chosen and its score on the one left out is the result. The shipped
 *    default is the configuration best on all 9; its score there is printed as in-sample only.
 *    The miner shipped before (bench/legacy-miner.ts, its own grid), Brain (bench/brain.ts, its
 *    child threshold chosen the same way) and plain Drain (bench/drain.ts, no parameters chosen)
 *    are scored alongside in the same run.
 * 2. Speed: the 9 systems' messages replicated N times, mined by a fresh miner per round with the
 *    default configuration (the previous miner and Brain with their own), interleaved with a baseline
 *    pass that only splits each line on whitespace; CSV parsing is outside the timing. The figure
 *    is the median round.
 * The last line is machine-readable.
 */
import os from 'node:os';
import { DEFAULT_CONFIG, TemplateMiner, type MinerConfig } from '../src/logs/template-miner';
import { BRAIN_DEFAULT_CONFIG, BrainMiner, type BrainConfig } from './brain';
import { drainTemplates } from './drain';
import { LEGACY_DEFAULT_CONFIG, LegacyTemplateMiner, type LegacyMinerConfig } from './legacy-miner';
import {
  accuracy,
  bestOn,
  CORRECTED_SYSTEMS,
  gridOf,
  leaveOneOut,
  loadSystem,
  LOGHUB_SYSTEMS,
  PUBLISHED_MEANS,
  type Accuracy,
  type LabelledLines,
} from './loghub';
import { arg } from './measure';

const replicas = arg('replicas', 20);
const rounds = arg('rounds', 5);

/** What the bench needs of a miner: its grid, its default, and how to build one. */
interface Candidate<C> {
  name: string;
  grid: C[];
  defaults: Readonly<C>;
  make: (config: Partial<C>) => { add(line: string): void; templateOf(line: string): string; templates(): unknown[] };
  describe: (config: C) => string;
}

const CURRENT: Candidate<MinerConfig> = {
  name: 'miner',
  grid: gridOf<MinerConfig>({
    similarity: [0.4, 0.5, 0.6],
    prefixWords: [0, 1, 2],
    maxSplitWords: [2, 3, 4, 6],
    minNameSplitLines: [10, 3, 1],
  }),
  defaults: DEFAULT_CONFIG,
  make: (config) => new TemplateMiner(config),
  describe: (c) => `sim ${c.similarity} prefix ${c.prefixWords} split ≤${c.maxSplitWords} names ≥${c.minNameSplitLines}`,
};

const PREVIOUS: Candidate<LegacyMinerConfig> = {
  name: 'previous',
  grid: gridOf<LegacyMinerConfig>({
    similarity: [0.4, 0.5, 0.6],
    prefixWords: [0, 1, 2],
    minDistinctWords: [3, 4, 6],
    minDistinctShare: [0, 0.3],
    minDistinctIdentifiers: [2, 3, 4, 20],
  }),
  defaults: LEGACY_DEFAULT_CONFIG,
  make: (config) => new LegacyTemplateMiner(config),
  describe: (c) =>
    `sim ${c.similarity} prefix ${c.prefixWords} words ${c.minDistinctWords}/${c.minDistinctShare} ids ${c.minDistinctIdentifiers}`,
};

const BRAIN: Candidate<BrainConfig> = {
  name: 'Brain',
  grid: gridOf<BrainConfig>({ childThreshold: [2, 3, 4, 6, 8, 12] }),
  defaults: BRAIN_DEFAULT_CONFIG,
  make: (config) => new BrainMiner(config),
  describe: (c) => `child threshold ${c.childThreshold}`,
};

function score<C>(candidate: Candidate<C>, data: LabelledLines, config: Partial<C>): Accuracy {
  const miner = candidate.make(config);
  for (const line of data.contents) miner.add(line);
  return accuracy(
    data.contents.map((line) => miner.templateOf(line)),
    data.truth,
  );
}

const pair = (a: { ga: number; pa: number }) => `${a.ga.toFixed(3)}  ${a.pa.toFixed(3)}`;
const meanOf = (results: readonly Accuracy[]) => ({ ga: mean(results.map((r) => r.ga)), pa: mean(results.map((r) => r.pa)) });

interface Scored {
  heldOut: Accuracy[];
  chosen: string[];
  inSample: Accuracy[];
}

/** Leave-one-system-out scores of a candidate, and its default's in-sample scores. */
function scoreCandidate<C extends object>(candidate: Candidate<C>, systems: LabelledLines[]): Scored {
  const started = performance.now();
  const scores = candidate.grid.map((config) => systems.map((data) => score(candidate, data, config)));
  console.log(
    `${candidate.name}: ${candidate.grid.length} configurations × ${systems.length} systems in ${((performance.now() - started) / 1000).toFixed(1)} s`,
  );
  const folds = leaveOneOut(scores);
  const shipped =
    candidate.grid[
      bestOn(
        scores,
        systems.map((_, i) => i),
      )
    ]!;
  const isDefault = (Object.keys(shipped) as (keyof C)[]).every((k) => shipped[k] === candidate.defaults[k]);
  console.log(
    `  chosen on all ${systems.length}: ${candidate.describe(shipped)}${isDefault ? ' = its default' : ` ≠ its default (${candidate.describe(candidate.defaults as C)}): update it`}`,
  );
  return {
    heldOut: folds.map((f) => f.accuracy),
    chosen: folds.map((f) => candidate.describe(candidate.grid[f.chosen]!)),
    inSample: systems.map((data) => score(candidate, data, candidate.defaults)),
  };
}

function printAccuracy(systems: LabelledLines[]): { ga: number; pa: number } {
  console.log(`LogHub-2k, leave one system out`);
  const current = scoreCandidate(CURRENT, systems);
  const previous = scoreCandidate(PREVIOUS, systems);
  const brain = scoreCandidate(BRAIN, systems);
  const drain = systems.map((data) => accuracy(drainTemplates(data.contents), data.truth));
  console.log(
    `${'held out'.padEnd(10)}  miner GA  PA   previous GA  PA   Brain GA   PA   Drain GA   PA  miner params chosen on the other ${systems.length - 1}; Brain's`,
  );
  const printRow = (name: string, pick: (xs: Accuracy[]) => Accuracy[], note: string) =>
    console.log(
      `${name.padEnd(10)}  ${pair(meanOf(pick(current.heldOut)))}   ${pair(meanOf(pick(previous.heldOut)))}   ${pair(meanOf(pick(brain.heldOut)))}   ${pair(meanOf(pick(drain)))}  ${note}`,
    );
  current.chosen.forEach((chosen, i) => printRow(LOGHUB_SYSTEMS[i]!, (xs) => [xs[i]!], `${chosen}; ${brain.chosen[i]}`));
  const corrected = CORRECTED_SYSTEMS.length;
  printRow('LOSO mean', (xs) => xs, `all ${systems.length}`);
  printRow('', (xs) => xs.slice(0, corrected), `the ${corrected} with corrected labels`);
  printRow('', (xs) => xs.slice(corrected), 'Android and Windows (original labels)');
  for (const [name, p] of Object.entries(PUBLISHED_MEANS))
    console.log(`${`${name} (published, 7 corrected)`.padEnd(35)} GA ${p.ga.toFixed(3)}  PA ${p.pa.toFixed(3)}`);

  console.log('\ndefaults, in-sample, not a result:  miner GA  PA   templates   previous GA  PA');
  current.inSample.forEach((a, i) =>
    console.log(
      `${LOGHUB_SYSTEMS[i]!.padEnd(10)} ${pair(a)}  ${`${a.predictedTemplates}/${a.trueTemplates}`.padEnd(9)}  ${pair(previous.inSample[i]!)}`,
    ),
  );
  console.log(`${'mean'.padEnd(10)} ${pair(meanOf(current.inSample))}  ${''.padEnd(9)}  ${pair(meanOf(previous.inSample))}`);
  return meanOf(current.heldOut);
}

/** Lines per second of the miner and of the whitespace-split baseline, median of interleaved rounds. */
function measureSpeed(lines: string[]): { miner: number; previous: number; brain: number; baseline: number } {
  const mineWith = (make: () => { add(line: string): void; templates(): unknown[] }) => () => {
    const miner = make();
    for (const line of lines) miner.add(line);
    return miner.templates().length;
  };
  const mine = mineWith(() => new TemplateMiner());
  const minePrevious = mineWith(() => new LegacyTemplateMiner());
  const mineBrain = mineWith(() => new BrainMiner());
  // The token count keeps the split from being optimised away.
  const split = () => lines.reduce((n, line) => n + line.split(/\s+/).length, 0);
  const timed = (f: () => number) => {
    const started = performance.now();
    f();
    return lines.length / ((performance.now() - started) / 1000);
  };
  mine();
  minePrevious();
  mineBrain();
  split();
  const minerRates: number[] = [];
  const previousRates: number[] = [];
  const brainRates: number[] = [];
  const baselineRates: number[] = [];
  for (let r = 0; r < rounds; r++) {
    minerRates.push(timed(mine));
    previousRates.push(timed(minePrevious));
    brainRates.push(timed(mineBrain));
    baselineRates.push(timed(split));
  }
  return { miner: median(minerRates), previous: median(previousRates), brain: median(brainRates), baseline: median(baselineRates) };
}

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

const systems = LOGHUB_SYSTEMS.map((s) => loadSystem(s));
const { ga, pa } = printAccuracy(systems);
const lines = Array.from({ length: replicas }, () => systems.flatMap((s) => s.contents)).flat();
console.log(
  `\nspeed: ${lines.length} lines (${systems.length} systems × ${replicas}), median of ${rounds} interleaved rounds, one core of ${os.cpus().length}`,
);
const speed = measureSpeed(lines);
const ratio = speed.miner / speed.baseline;
console.log(
  `miner ${Math.round(speed.miner)} lines/s, previous miner ${Math.round(speed.previous)} lines/s, Brain ${Math.round(speed.brain)} lines/s, split(/\\s+/) baseline ${Math.round(speed.baseline)} lines/s, ratio ${ratio.toFixed(3)}`,
);
console.log(
  `loso_ga_mean=${ga.toFixed(3)} loso_pa_mean=${pa.toFixed(3)} lines_per_s=${Math.round(speed.miner)} ratio_vs_baseline=${ratio.toFixed(3)}`,
);
