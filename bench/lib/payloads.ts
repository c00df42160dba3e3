/**
 * Typical payloads of each ingest format, as real senders build them: a LogicMonitor-style native
 * push of one resource, an OpenTelemetry SDK export of a service's metrics, a Prometheus remote-write
 * shard of node_exporter series.
 */
import { encodeRemoteWriteBody, type TimeSeries } from '#protocols/prometheus/remote-write';

/** Native push: one host, 8 CPU instances × 5 datapoints, one value each (one collection interval). */
export function typicalNative(nowS: number, host = 'web-01', seed = 0) {
  const names = ['busy', 'idle', 'iowait', 'system', 'user'];
  return {
    resourceName: host,
    resourceIds: { 'system.hostname': host },
    resourceProperties: { env: 'prod', 'system.category': 'linux' },
    dataSource: 'LinuxCPU',
    instances: Array.from({ length: 8 }, (_, i) => ({
      instanceName: `cpu${i}`,
      dataPoints: names.map((name, d) => ({
        dataPointName: name,
        dataPointType: 'GAUGE',
        values: { [nowS]: ((seed + i * 7 + d * 13) % 1000) / 10 },
      })),
    })),
  };
}

/** OTLP/JSON: an SDK export of one service: 10 instruments × 4 attribute sets (40 datapoints). */
export function typicalOtlpJson(nowMs: number, service = 'checkout', seed = 0) {
  const timeUnixNano = `${BigInt(nowMs) * 1_000_000n}`;
  const attr = (key: string, value: string) => ({ key, value: { stringValue: value } });
  const points = (m: number) =>
    Array.from({ length: 4 }, (_, p) => ({
      attributes: [
        attr('http.route', `/api/v1/r${p}`),
        attr('http.response.status_code', p === 3 ? '500' : '200'),
      ],
      timeUnixNano,
      startTimeUnixNano: `${BigInt(nowMs - 60_000) * 1_000_000n}`,
      asDouble: seed + m * 10 + p + 0.5,
    }));
  return {
    resourceMetrics: [
      {
        resource: {
          attributes: [
            attr('service.name', service),
            attr('service.instance.id', `${service}-7d9f8-abcde`),
            attr('host.name', 'ip-10-0-1-23'),
          ],
        },
        scopeMetrics: [
          {
            scope: { name: 'io.opentelemetry.http', version: '1.0.0' },
            metrics: Array.from({ length: 10 }, (_, m) =>
              m % 2 === 0
                ? { name: `http.server.metric_${m}`, unit: 'ms', gauge: { dataPoints: points(m) } }
                : {
                    name: `http.server.metric_${m}`,
                    unit: '1',
                    sum: { aggregationTemporality: 2, isMonotonic: true, dataPoints: points(m) },
                  },
            ),
          },
        ],
      },
    ],
  };
}

/** Remote write: one shard send of node_exporter-like series (Prometheus' default 500 per send). */
export function typicalRemoteWriteSeries(
  nowMs: number,
  options: { series?: number; instance?: string; seed?: number; metrics?: number } = {},
): TimeSeries[] {
  const count = options.series ?? 500;
  const metrics = options.metrics ?? 10;
  const instance = options.instance ?? '10.0.1.23:9100';
  const seed = options.seed ?? 0;
  return Array.from({ length: count }, (_, i) => ({
    labels: [
      { name: '__name__', value: `node_metric_${i % metrics}` },
      { name: 'cpu', value: String(Math.floor(i / metrics) % 64) },
      { name: 'instance', value: instance },
      { name: 'job', value: 'node' },
      { name: 'mode', value: `m${Math.floor(i / metrics / 64)}` },
    ],
    samples: [{ value: seed + i * 0.25, timestamp: nowMs, stale: false }],
  }));
}

export function typicalRemoteWriteBody(
  nowMs: number,
  options: Parameters<typeof typicalRemoteWriteSeries>[1] = {},
) {
  return encodeRemoteWriteBody({ timeseries: typicalRemoteWriteSeries(nowMs, options) });
}
