/** Native push payloads with a known set of datapoints, for counting what the store ends up holding. */
export interface ExpectedPoint {
  readonly metric: string;
  readonly instance: string;
  readonly timestampMs: number;
  readonly value: number;
}

/** `instances × dataPoints × values` datapoints; `seed` makes values (and so payloads) distinct. */
export function nativeBatch(
  nowS: number,
  shape: { instances: number; dataPoints: number; values: number },
  seed = 0,
): { body: unknown; points: ExpectedPoint[] } {
  const points: ExpectedPoint[] = [];
  const instances = Array.from({ length: shape.instances }, (_, i) => ({
    instanceName: `inst-${seed}-${i}`,
    dataPoints: Array.from({ length: shape.dataPoints }, (_, d) => {
      const values: Record<string, number> = {};
      for (let v = 0; v < shape.values; v++) {
        // Ascending: integer-like object keys iterate in numeric order, so this is the sample order.
        const epochS = nowS - (shape.values - 1 - v) * 10;
        const value = seed * 1_000_000 + i * 1000 + d * 10 + v + 0.25;
        values[String(epochS)] = value;
        points.push({ metric: `dp${d}`, instance: `inst-${seed}-${i}`, timestampMs: epochS * 1000, value });
      }
      return { dataPointName: `dp${d}`, values };
    }),
  }));
  return {
    body: {
      resourceName: 'host-1',
      resourceIds: { 'system.hostname': 'host-1' },
      dataSource: 'Faults',
      instances,
    },
    points,
  };
}
