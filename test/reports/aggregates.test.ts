import { describe, expect, it } from 'vitest';
import { aggregateBenchmarks, type BenchmarkObservation } from '#domain/reports/aggregates';

const tenantId = (i: number) => `${i.toString(16).padStart(2, '0')}${'a'.repeat(30)}`;

/** `series` cpu_busy series per tenant, each series' mean `base + i`. */
function cpu(tenants: number, series: (t: number) => number, datasource = 'Linux'): BenchmarkObservation[] {
  const out: BenchmarkObservation[] = [];
  for (let t = 0; t < tenants; t++)
    for (let s = 0; s < series(t); s++)
      out.push({ tenantId: tenantId(t), kind: 'metric', metric: 'cpu_busy', datasource, value: 10 * t + s });
  return out;
}

describe('k-anonymous benchmarks', () => {
  it('publishes a cell of 10 tenants and withholds one of 9', () => {
    const ten = aggregateBenchmarks(
      cpu(10, () => 1),
      { k: 10, maxShare: 0.5 },
    );
    expect(ten.published).toHaveLength(1);
    // One series each: tenant medians 0,10,…,90; median 45, nearest-rank p90 the 9th value, 80.
    expect(ten.published[0]).toEqual({
      kind: 'metric',
      metric: 'cpu_busy',
      datasource: 'Linux',
      tenants: 10,
      observations: 10,
      median: 45,
      p90: 80,
    });
    const nine = aggregateBenchmarks(
      cpu(9, () => 1),
      { k: 10, maxShare: 0.5 },
    );
    expect(nine.published).toEqual([]);
    expect(nine.suppressed).toEqual({ tooFewTenants: 1, dominated: 0 });
  });

  it('never goes below k = 5 whatever the caller asks', () => {
    expect(
      aggregateBenchmarks(
        cpu(4, () => 1),
        { k: 1, maxShare: 0.5 },
      ).published,
    ).toEqual([]);
    expect(
      aggregateBenchmarks(
        cpu(5, () => 1),
        { k: 1, maxShare: 0.5 },
      ).published,
    ).toHaveLength(1);
  });

  it('suppresses a cell a dominant tenant could be re-identified from', () => {
    // Tenant 0 holds 20 of 29 series: its own figures would be most of the cell.
    const dominant = cpu(10, (t) => (t === 0 ? 20 : 1));
    const report = aggregateBenchmarks(dominant, { k: 10, maxShare: 0.5 });
    expect(report.published).toEqual([]);
    expect(report.suppressed).toEqual({ tooFewTenants: 0, dominated: 1 });
    // At exactly half it is published, and the dominant tenant counts once (its median, 4), not 9 times.
    const half = aggregateBenchmarks(
      cpu(10, (t) => (t === 0 ? 9 : 1)),
      { k: 10, maxShare: 0.5 },
    );
    expect(half.published[0]).toMatchObject({ tenants: 10, observations: 18, median: 45, p90: 80 });
  });

  it('counts alerts per tenant, and other cells are judged on their own', () => {
    const alerts: BenchmarkObservation[] = [];
    for (let t = 0; t < 12; t++)
      for (let a = 0; a <= t; a++)
        alerts.push({
          tenantId: tenantId(t),
          kind: 'alerts',
          metric: 'cpu_busy',
          datasource: 'Linux',
          value: 1,
        });
    const report = aggregateBenchmarks([...alerts, ...cpu(3, () => 1, 'Windows')], { k: 10, maxShare: 0.5 });
    // Tenant counts 1..12: median 6.5, nearest-rank p90 the 11th, 11.
    expect(report.published).toEqual([
      {
        kind: 'alerts',
        metric: 'cpu_busy',
        datasource: 'Linux',
        tenants: 12,
        observations: 78,
        median: 6.5,
        p90: 11,
      },
    ]);
    expect(report.suppressed.tooFewTenants).toBe(1);
  });

  it('output carries no tenant id', () => {
    const text = JSON.stringify(
      aggregateBenchmarks(
        cpu(12, (t) => t + 1),
        { k: 10, maxShare: 0.5 },
      ),
    );
    for (let t = 0; t < 12; t++) expect(text).not.toContain(tenantId(t));
  });
});
