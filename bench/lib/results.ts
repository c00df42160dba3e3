/**
 * The result format every bench script writes (bench/results/<name>.json) so that `npm run bench`
 * prints them as one table and writes it into BENCHMARKS.md. Each figure is measured against its
 * baseline in the same run.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

export interface BenchRow {
  /** What is measured, e.g. `remote write: samples/s accepted and queryable`. */
  readonly figure: string;
  /** Our figure, formatted with its unit. */
  readonly measured: string;
  /** The baseline measured in the same run, or `—` when the goal is absolute. */
  readonly baseline: string;
  /** measured ÷ baseline (or ÷ goal), formatted, e.g. `0.83×`. */
  readonly ratio: string;
  readonly goal: string;
  readonly verdict: 'met' | 'missed' | 'info';
}

export interface BenchReport {
  readonly section: string;
  readonly rows: readonly BenchRow[];
  /** Notes printed under the table (method, caveats). */
  readonly notes?: readonly string[];
}

export const RESULTS_DIR = resolve(process.env.BENCH_RESULTS_DIR ?? 'bench/results');

export function writeReport(name: string, report: BenchReport): void {
  mkdirSync(RESULTS_DIR, { recursive: true });
  writeFileSync(join(RESULTS_DIR, `${name}.json`), `${JSON.stringify(report, null, 2)}\n`);
}

export const fmt = (n: number, digits = 0): string =>
  n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });
export const ratio = (a: number, b: number): string => (b === 0 ? '—' : `${fmt(a / b, 2)}×`);

export function markdownTable(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const line = (cells: readonly string[]) => `| ${cells.map((c) => c.replaceAll('|', '\\|')).join(' | ')} |`;
  return [line(header), line(header.map(() => '---')), ...rows.map(line)].join('\n');
}

/** Rejects after `ms`: every bench is bounded in time. */
export function deadline(ms: number, what: string): { promise: Promise<never>; clear(): void } {
  let timer: NodeJS.Timeout | undefined;
  const promise = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not finish within ${ms / 1000} s`)), ms);
    timer.unref();
  });
  return { promise, clear: () => clearTimeout(timer) };
}
