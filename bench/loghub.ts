/**
 * The LogHub-2k evaluation: reads the shipped CSV files and scores a parser's templates with the
 * grouping and parsing accuracy of loghub-2.0 (see bench/data/loghub-2k/README.md). Seven systems
 * carry loghub-2.0's corrected labels; Android and Windows (bench/data/loghub-2k-extra) only the
 * original, noisier ones.
 */
import fs from 'node:fs';
import path from 'node:path';

// Found from bench/ (jest runs the sources) and from dist/bench/ (compiled).
const DATA_DIR = [path.join(__dirname, 'data'), path.join(__dirname, '../../bench/data')].find((d) =>
  fs.existsSync(path.join(d, 'loghub-2k')),
)!;
export const CORRECTED_SYSTEMS = ['Apache', 'HDFS', 'Hadoop', 'HealthApp', 'OpenStack', 'Spark', 'Zookeeper'] as const;
export const ORIGINAL_LABEL_SYSTEMS = ['Android', 'Windows'] as const;
export const LOGHUB_SYSTEMS = [...CORRECTED_SYSTEMS, ...ORIGINAL_LABEL_SYSTEMS] as const;
export type LoghubSystem = (typeof LOGHUB_SYSTEMS)[number];

const csvPath = (system: LoghubSystem) =>
  (ORIGINAL_LABEL_SYSTEMS as readonly string[]).includes(system)
    ? path.join(DATA_DIR, 'loghub-2k-extra', `${system}_2k.log_structured.csv`)
    : path.join(DATA_DIR, 'loghub-2k', `${system}_2k.log_structured_corrected.csv`);

/** Published means over the 7 systems (README.md), for comparison. */
export const PUBLISHED_MEANS = { Drain: { ga: 0.907, pa: 0.367 }, UniParser: { ga: 0.907, pa: 0.679 }, LogPPT: { ga: 0.866, pa: 0.778 } };

/** Parses CSV text: fields may be quoted, with commas, newlines and doubled quotes inside. */
export function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quoted) {
      if (c !== '"') field += c;
      else if (text[i + 1] === '"') field += text[i++];
      else quoted = false;
    } else if (c === '"') quoted = true;
    else if (c === ',') {
      row.push(field);
      field = '';
    } else if (c === '\n' || c === '\r') {
      if (c === '\r' && text[i + 1] === '\n') i++;
      row.push(field);
      rows.push(row);
      row = [];
      field = '';
    } else field += c;
  }
  if (field !== '' || row.length > 0) rows.push([...row, field]);
  return rows;
}

export interface LabelledLines {
  contents: string[];
  truth: string[];
}

/** The `Content` and `EventTemplate` columns of one system's 2,000 lines. */
export function loadSystem(system: LoghubSystem): LabelledLines {
  const [header, ...rows] = parseCsv(fs.readFileSync(csvPath(system), 'utf8'));
  const content = header!.indexOf('Content');
  const template = header!.indexOf('EventTemplate');
  if (content < 0 || template < 0) throw new Error(`${system}: no Content or EventTemplate column`);
  return { contents: rows.map((r) => r[content]!), truth: rows.map((r) => r[template]!) };
}

export interface Accuracy {
  ga: number;
  pa: number;
  predictedTemplates: number;
  trueTemplates: number;
}

/**
 * GA: a predicted group counts, all its lines, when it holds exactly the lines of one true
 * template. PA: a line counts when its predicted template equals the true one.
 */
export function accuracy(predicted: readonly string[], truth: readonly string[]): Accuracy {
  const trueSizes = countBy(truth);
  const groups = new Map<string, number[]>();
  for (let i = 0; i < predicted.length; i++) {
    const g = groups.get(predicted[i]!);
    if (g) g.push(i);
    else groups.set(predicted[i]!, [i]);
  }
  let grouped = 0;
  for (const lines of groups.values()) {
    const t = truth[lines[0]!]!;
    if (trueSizes.get(t) === lines.length && lines.every((i) => truth[i] === t)) grouped += lines.length;
  }
  const parsed = predicted.filter((p, i) => p === truth[i]).length;
  return { ga: grouped / truth.length, pa: parsed / truth.length, predictedTemplates: groups.size, trueTemplates: trueSizes.size };
}

function countBy(values: readonly string[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const v of values) counts.set(v, (counts.get(v) ?? 0) + 1);
  return counts;
}

/** Every combination of the values listed per key, in order (the first key varies slowest). */
export function gridOf<T extends object>(values: { [K in keyof T]: readonly T[K][] }): T[] {
  let configs: Partial<T>[] = [{}];
  for (const key of Object.keys(values) as (keyof T)[]) {
    configs = configs.flatMap((c) => values[key].map((v) => ({ ...c, [key]: v })));
  }
  return configs as T[];
}

/** The index of the configuration with the best mean (GA + PA) / 2 on `systems`; ties go to the first. */
export function bestOn(scores: readonly (readonly Accuracy[])[], systems: readonly number[]): number {
  const score = (c: number) => systems.reduce((s, i) => s + scores[c]![i]!.ga + scores[c]![i]!.pa, 0);
  let best = 0;
  for (let c = 1; c < scores.length; c++) if (score(c) > score(best)) best = c;
  return best;
}

export interface HeldOut {
  /** The configuration chosen on the other systems. */
  chosen: number;
  accuracy: Accuracy;
}

/**
 * Leave one system out: for each system, the configuration that scores best on all the others,
 * and that configuration's score on the one left out. `scores[config][system]`.
 */
export function leaveOneOut(scores: readonly (readonly Accuracy[])[]): HeldOut[] {
  const systems = scores[0]!.map((_, i) => i);
  return systems.map((held) => {
    const chosen = bestOn(
      scores,
      systems.filter((i) => i !== held),
    );
    return { chosen, accuracy: scores[chosen]![held]! };
  });
}
