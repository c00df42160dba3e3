/** A valid native push payload around `nowS` (epoch seconds), with overrides for negative cases. */
export function nativePayload(nowS: number, overrides: Record<string, unknown> = {}) {
  return {
    resourceName: 'web-01',
    resourceIds: { 'system.hostname': 'web-01' },
    resourceProperties: { env: 'prod' },
    dataSource: 'LinuxCPU',
    instances: [
      {
        instanceName: 'cpu0',
        dataPoints: [
          { dataPointName: 'busy', dataPointType: 'GAUGE', values: { [nowS]: 12.5, [nowS - 60]: '10' } },
          { dataPointName: 'idle', values: { [nowS]: '87.5' } },
        ],
      },
    ],
    ...overrides,
  };
}
