/**
 * The benchmarks CSV is bounded, not streamed (API Gateway buffers a Lambda's answer whole): however
 * many cells pass k-anonymity, the published ones fit MAX_BENCHMARK_CSV_BYTES, the cells covering
 * the most tenants are kept, and the rest are counted as withheld, never silently dropped.
 */
import { describe, expect, it } from 'vitest';
import {
  aggregateBenchmarks,
  type BenchmarkObservation,
  benchmarkCsvLines,
  MAX_BENCHMARK_CSV_BYTES,
} from '#domain/reports/aggregates';

const K = 5;
/** The longest datasource name the store keeps (2,048 bytes), so each line is as long as it gets. */
const datasource = (i: number) => `${String(i).padStart(6, '0')}${'d'.repeat(2048 - 6)}`;

/** `cells` datasources, each seen by `tenants` tenants with one series each. */
function observations(cells: number, tenants: (cell: number) => number): BenchmarkObservation[] {
  const all: BenchmarkObservation[] = [];
  for (let c = 0; c < cells; c++)
    for (let t = 0; t < tenants(c); t++)
      all.push({
        tenantId: `t${t}`,
        kind: 'metric',
        metric: 'cpu_busy',
        datasource: datasource(c),
        value: c,
      });
  return all;
}
const csvBytes = (report: Parameters<typeof benchmarkCsvLines>[0]) =>
  [...benchmarkCsvLines(report)].reduce((n, line) => n + Buffer.byteLength(line), 0);

describe('benchmarks CSV bound', () => {
  it('keeps the CSV under the bound, the widest cells first, and counts the withheld', () => {
    // 2,500 publishable cells of ~2 KB lines (~5 MB); every tenth covers one tenant more.
    const cells = 2_500;
    const report = aggregateBenchmarks(
      observations(cells, (c) => (c % 10 === 0 ? K + 1 : K)),
      { k: K, maxShare: 0.5 },
    );
    const bytes = csvBytes(report);
    expect(bytes).toBeLessThanOrEqual(MAX_BENCHMARK_CSV_BYTES);
    // Nearly full: one more line would not have fitted.
    expect(bytes).toBeGreaterThan(MAX_BENCHMARK_CSV_BYTES - 2_200);
    expect(report.published.length + (report.suppressed.overLimit ?? 0)).toBe(cells);
    expect(report.suppressed.overLimit).toBeGreaterThan(0);
    const wide = report.published.filter((c) => c.tenants === K + 1);
    expect(wide).toHaveLength(cells / 10);
    // Still in key order for the reader.
    const keys = report.published.map((c) => c.datasource);
    expect(keys).toEqual([...keys].sort());
  });

  it('withholds nothing, and says nothing of a limit, when the cells fit', () => {
    const report = aggregateBenchmarks(
      observations(100, () => K),
      { k: K, maxShare: 0.5 },
    );
    expect(report.published).toHaveLength(100);
    expect(report.suppressed).toEqual({ tooFewTenants: 0, dominated: 0 });
    expect(csvBytes(report)).toBeLessThan(MAX_BENCHMARK_CSV_BYTES);
  });
});
