/** Shared by the benchmarks: batches with bounded concurrency, latency percentiles, one line per path. */

export interface Result {
  rps: number;
  p50: number;
  p99: number;
}

export function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
}

const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;

export interface Sample {
  seconds: number;
  latencies: number[];
}

/** Runs ops [from, to) with `concurrency` in flight, adding to sample; every call must succeed. */
export async function runBatch(sample: Sample, from: number, to: number, concurrency: number, op: (i: number) => Promise<void>): Promise<void> {
  let next = from;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < to) {
        const i = next++;
        const t0 = performance.now();
        await op(i);
        sample.latencies.push(performance.now() - t0);
      }
    }),
  );
  sample.seconds += (performance.now() - started) / 1000;
}

export function report(label: string, sample: Sample): Result {
  const sorted = [...sample.latencies].sort((a, b) => a - b);
  const result = { rps: sorted.length / sample.seconds, p50: percentile(sorted, 50), p99: percentile(sorted, 99) };
  console.log(`${label.padEnd(28)} ${sorted.length} in ${sample.seconds.toFixed(2)}s  ${result.rps.toFixed(1)} req/s  p50 ${result.p50.toFixed(1)} ms  p99 ${result.p99.toFixed(1)} ms`);
  return result;
}

