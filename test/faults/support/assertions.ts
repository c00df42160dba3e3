import { expect } from 'vitest';
import type { ExpectedPoint } from './payloads';

/** Every acknowledged point is queryable exactly once (and nothing else of those series is there). */
export async function expectQueryableExactlyOnce(
  platform: { request(path: string, init: { token: string }): Promise<Response> },
  adminToken: string,
  acknowledged: readonly ExpectedPoint[],
): Promise<void> {
  const byMetric = new Map<string, ExpectedPoint[]>();
  for (const p of acknowledged) byMetric.set(p.metric, [...(byMetric.get(p.metric) ?? []), p]);
  for (const [metric, points] of byMetric) {
    const from = Math.min(...points.map((p) => p.timestampMs));
    const to = Math.max(...points.map((p) => p.timestampMs));
    const response = await platform.request(`/v1/metrics/query?metric=${metric}&from=${from}&to=${to}`, {
      token: adminToken,
    });
    expect(response.status).toBe(200);
    const { series } = (await response.json()) as {
      series: { dimensions: Record<string, string>; points: [number, number][] }[];
    };
    for (const p of points) {
      const found = series
        .filter((s) => s.dimensions.instance === p.instance)
        .flatMap((s) => s.points.filter(([t]) => t === p.timestampMs));
      expect(found, `${metric}@${p.timestampMs} of ${p.instance}`).toEqual([[p.timestampMs, p.value]]);
    }
  }
}

export const waitFor = async (condition: () => Promise<boolean>, timeoutMs = 10_000) => {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 25));
  }
};
