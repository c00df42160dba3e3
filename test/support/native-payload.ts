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

/** The query window around `nativePayload(nowS)`: the last hour up to a minute ahead, in epoch ms. */
export const lastHourOf = (nowS: number) => ({
  from: String((nowS - 3600) * 1000),
  to: String((nowS + 60) * 1000),
});

/** The `busy` series that `nativePayload(nowS)` stores, as the query API answers it. */
export const nativeBusySeries = (nowS: number) => ({
  metric: 'busy',
  dimensions: { 'system.hostname': 'web-01', datasource: 'LinuxCPU', instance: 'cpu0' },
  points: [
    [(nowS - 60) * 1000, 10],
    [nowS * 1000, 12.5],
  ],
});

/** The smallest native payload: one `util` point of instance i on resource r1 (data source cpu). */
export const onePointPayload = (atSeconds: number, value: number) => ({
  resourceName: 'r1',
  resourceIds: { 'system.hostname': 'r1' },
  dataSource: 'cpu',
  instances: [{ instanceName: 'i', dataPoints: [{ dataPointName: 'util', values: { [atSeconds]: value } }] }],
});

/** One point of `dataPointName` on web-01's cpu0 (data source LinuxCPU) at `atSeconds`. */
export const webPointPayload = (dataPointName: string, atSeconds: number, value: number) => ({
  resourceName: 'web-01',
  resourceIds: { 'system.hostname': 'web-01' },
  dataSource: 'LinuxCPU',
  instances: [{ instanceName: 'cpu0', dataPoints: [{ dataPointName, values: { [atSeconds]: value } }] }],
});
