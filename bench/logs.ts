/**
 * npm run bench:logs [-- --replicas N --rounds R]
 *
 * 1. Accuracy: mines each LogHub-2k system's 2,000 messages with one fresh miner (one
 *    configuration for all) and scores the final template of every line against the truth
 *    (GA, PA), next to the published means of Drain, UniParser and LogPPT.
 * 2. Speed: the 7 systems' messages concatenated and replicated N times, mined by a fresh miner
 *    per round, interleaved with a baseline pass that only splits each line on whitespace; CSV
 *    parsing is outside the timing. The figure is the median round.
 * The last line is machine-readable.
 */
import os from 'node:os';
import { TemplateMiner } from '../src/logs/template-miner';
import { accuracy, loadSystem, LOGHUB_SYSTEMS, PUBLISHED_MEANS, type Accuracy } from './loghub';
import { arg } from './measure';

const replicas = arg('replicas', 20);
const rounds = arg('rounds', 5);

function mineSystem(contents: string[]): { predicted: string[]; ms: number } {
  const started = performance.now();
  const miner = new TemplateMiner();
  for (const line of contents) miner.add(line);
  const predicted = contents.map((line) => miner.templateOf(line));
  return { predicted, ms: performance.now() - started };
}

function printAccuracy(): { ga: number; pa: number; contents: string[] } {
  console.log(`LogHub-2k, one configuration for all systems\n${'system'.padEnd(10)}    GA     PA  templates/true      ms`);
  const results: Accuracy[] = [];
  const contents: string[] = [];
  for (const system of LOGHUB_SYSTEMS) {
    const data = loadSystem(system);
    contents.push(...data.contents);
    const { predicted, ms } = mineSystem(data.contents);
    const a = accuracy(predicted, data.truth);
    results.push(a);
    console.log(`${system.padEnd(10)} ${a.ga.toFixed(3)}  ${a.pa.toFixed(3)}  ${`${a.predictedTemplates}/${a.trueTemplates}`.padStart(14)}  ${ms.toFixed(1).padStart(6)}`);
  }
  const ga = mean(results.map((r) => r.ga));
  const pa = mean(results.map((r) => r.pa));
  console.log(`${'mean'.padEnd(10)} ${ga.toFixed(3)}  ${pa.toFixed(3)}`);
  for (const [name, p] of Object.entries(PUBLISHED_MEANS)) console.log(`${`${name} (published)`.padEnd(22)} GA ${p.ga.toFixed(3)}  PA ${p.pa.toFixed(3)}`);
  return { ga, pa, contents };
}

/** Lines per second of the miner and of the whitespace-split baseline, median of interleaved rounds. */
function measureSpeed(lines: string[]): { miner: number; baseline: number } {
  const mine = () => {
    const miner = new TemplateMiner();
    for (const line of lines) miner.add(line);
    return miner.templates().length;
  };
  // The token count keeps the split from being optimised away.
  const split = () => lines.reduce((n, line) => n + line.split(/\s+/).length, 0);
  const timed = (f: () => number) => {
    const started = performance.now();
    f();
    return lines.length / ((performance.now() - started) / 1000);
  };
  mine();
  split();
  const minerRates: number[] = [];
  const baselineRates: number[] = [];
  for (let r = 0; r < rounds; r++) {
    minerRates.push(timed(mine));
    baselineRates.push(timed(split));
  }
  return { miner: median(minerRates), baseline: median(baselineRates) };
}

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

const { ga, pa, contents } = printAccuracy();
const lines = Array.from({ length: replicas }, () => contents).flat();
console.log(`\nspeed: ${lines.length} lines (7 systems × ${replicas}), median of ${rounds} interleaved rounds, ${os.cpus().length} cores`);
const speed = measureSpeed(lines);
const ratio = speed.miner / speed.baseline;
console.log(`miner ${Math.round(speed.miner)} lines/s, split(/\\s+/) baseline ${Math.round(speed.baseline)} lines/s, ratio ${ratio.toFixed(3)}`);
console.log(`ga_mean=${ga.toFixed(3)} pa_mean=${pa.toFixed(3)} lines_per_s=${Math.round(speed.miner)} ratio_vs_baseline=${ratio.toFixed(3)}`);
