/**
 * Metric store cost: dollars per million stored datapoints on Amazon Managed Service for Prometheus
 * (billed per sample ingested) beside Timestream for LiveAnalytics (billed per 1 KiB write unit), for
 * each ingest format's typical payload (bench/lib/payloads.ts). Both figures come from the requests
 * the two adapters really build for the same samples: each payload is mapped by the ingest domain
 * code, then written through the Timestream adapter (WriteRecords captured by aws-sdk-client-mock)
 * and through the AMP adapter (remote-write bodies captured by a fake fetch, decoded and counted).
 *
 * Prices (us-east-1 list prices; check the pages before quoting):
 * - AMP: "Metrics ingested: first 2 billion samples $0.90 per 10 million samples", then $0.35,
 *   $0.16, $0.10 per 10 M in the higher tiers (aws.amazon.com/prometheus/pricing).
 * - Timestream for LiveAnalytics: "Writes $0.50 per million writes of 1 KiB"
 *   (aws.amazon.com/timestream/pricing); metered size per docs.aws.amazon.com/timestream/latest/
 *   developerguide/metering-and-pricing.writes.html.
 * Storage and queries are billed separately by both and left out here.
 */
import { TimestreamQueryClient } from '@aws-sdk/client-timestream-query';
import { TimestreamWriteClient, WriteRecordsCommand } from '@aws-sdk/client-timestream-write';
import { mockClient } from 'aws-sdk-client-mock';
import { AmpMetricStore } from '#adapters/aws/amp-metric-store';
import { unsignedRequests } from '#adapters/aws/amp-sigv4';
import { billedUnits } from '#adapters/aws/timestream-metering';
import { TimestreamMetricStore } from '#adapters/aws/timestream-metric-store';
import { otlpToBatch } from '#domain/ingest/otlp-metrics';
import { remoteWriteToBatch } from '#domain/ingest/remote-write';
import type { Sample } from '#domain/metrics';
import { nativePayloadToSamples } from '#domain/native-format';
import { decodeOtlpJson } from '#protocols/otlp/decode-json';
import { decodeRemoteWriteBody } from '#protocols/prometheus/remote-write';
import { typicalNative, typicalOtlpJson, typicalRemoteWriteBody } from './lib/payloads';
import { type BenchRow, fmt, writeReport } from './lib/results';

const AMP_USD_PER_MILLION_SAMPLES_TIERS = [
  { upToSamples: 2e9, usd: 0.09 },
  { upToSamples: 252e9, usd: 0.035 },
  { upToSamples: 1002e9, usd: 0.016 },
  { upToSamples: Number.POSITIVE_INFINITY, usd: 0.01 },
];
const TIMESTREAM_USD_PER_MILLION_WRITES = 0.5;
const REQUESTS_PER_FORMAT = 20;
/** Tenant ids are 32 hex characters (newId in shared/domain/credentials.ts). */
const TENANT = '0123456789abcdef0123456789abcdef';

function payloadSamples(format: string, i: number): Sample[] {
  const nowMs = Date.now();
  if (format === 'native')
    return nativePayloadToSamples(typicalNative(Math.floor(nowMs / 1000), `web-${i}`, i), nowMs);
  if (format === 'otlp')
    return otlpToBatch(decodeOtlpJson(typicalOtlpJson(nowMs, `svc-${i}`, i)), nowMs).samples;
  const body = typicalRemoteWriteBody(nowMs, { instance: `10.0.1.${i}:9100`, seed: i });
  return remoteWriteToBatch(decodeRemoteWriteBody(body, 1 << 24), nowMs).samples;
}

async function main() {
  const timestreamMock = mockClient(TimestreamWriteClient);
  timestreamMock.on(WriteRecordsCommand).resolves({});
  const timestream = new TimestreamMetricStore({
    writeClient: new TimestreamWriteClient({ region: 'us-east-1' }),
    queryClient: new TimestreamQueryClient({ region: 'us-east-1' }),
    databaseName: 'observability',
    magneticRetentionDays: 400,
  });
  const remoteWrites: Uint8Array[] = [];
  const amp = new AmpMetricStore({
    workspaceUrl:
      'https://aps-workspaces.us-east-1.amazonaws.com/workspaces/ws-00000000-0000-0000-0000-000000000000',
    sign: unsignedRequests,
    fetch: async (_url, init) => {
      remoteWrites.push(init?.body as Uint8Array);
      return new Response(null, { status: 200 });
    },
  });

  const formats = [
    { key: 'native', name: 'native JSON (1 host, 8 instances × 5 datapoints)' },
    { key: 'otlp', name: 'OTLP (1 service, 10 instruments × 4 attribute sets)' },
    { key: 'remote-write', name: 'Prometheus remote write (500 node_exporter series)' },
  ];
  const rows: BenchRow[] = [];
  const notes: string[] = [];
  for (const format of formats) {
    timestreamMock.resetHistory();
    remoteWrites.length = 0;
    let datapoints = 0;
    for (let i = 0; i < REQUESTS_PER_FORMAT; i++) {
      const samples = payloadSamples(format.key, i);
      datapoints += samples.length;
      const [t, a] = await Promise.all([timestream.write(TENANT, samples), amp.write(TENANT, samples)]);
      if (t.rejected.length + a.rejected.length > 0)
        throw new Error(`${format.name}: a store rejected samples`);
    }
    const calls = timestreamMock.commandCalls(WriteRecordsCommand).map((c) => c.args[0].input);
    const units = calls.reduce((n, c) => n + billedUnits(c), 0);
    const ampSamples = remoteWrites
      .map((b) => decodeRemoteWriteBody(b, 1 << 24))
      .reduce((n, r) => n + r.timeseries.reduce((m, s) => m + s.samples.length, 0), 0);
    const ampBytes = remoteWrites.reduce((n, b) => n + b.length, 0);
    const tsUsd = (units / datapoints) * TIMESTREAM_USD_PER_MILLION_WRITES;
    const ampUsd = (ampSamples / datapoints) * (AMP_USD_PER_MILLION_SAMPLES_TIERS[0] as { usd: number }).usd;
    rows.push({
      figure: `AMP ingestion per M datapoints: ${format.name}`,
      measured: `$${fmt(ampUsd, 3)} (${fmt((ampSamples / datapoints) * 1e6)} samples)`,
      baseline: `Timestream $${fmt(tsUsd, 3)} (${fmt((units / datapoints) * 1e6)} write units)`,
      ratio: `${fmt(ampUsd / tsUsd, 2)}×`,
      goal: 'informational',
      verdict: 'info',
    });
    notes.push(
      `${format.name}: ${datapoints} datapoints; Timestream ${calls.length} WriteRecords (${fmt(datapoints / calls.length, 1)} records, ${fmt(units / calls.length, 1)} KiB units each); AMP ${remoteWrites.length} remote writes, ${fmt(ampBytes / datapoints, 1)} snappy bytes per sample`,
    );
  }
  notes.push(
    'AMP bills every sample ingested: first 2 B samples/month $0.90 per 10 M ($0.09 per M), then $0.035, $0.016, $0.01 per M; Timestream bills each WriteRecords request in 1 KiB units (records: dimension names+values, measure name, value name + 8-byte DOUBLE, 8-byte time; common attributes once), $0.50 per million units.',
  );
  timestreamMock.restore();
  writeReport('metric-store-cost', { section: 'Metric store cost', rows, notes });
  for (const row of rows) console.log(`${row.figure}: ${row.measured} vs ${row.baseline} → ${row.ratio}`);
  for (const note of notes) console.log(`  ${note}`);
}

await main();
