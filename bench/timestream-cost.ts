/**
 * Timestream cost model: billed 1 KiB write units per million datapoints for each format's typical
 * payload, computed from the WriteRecords requests the Timestream adapter really builds (the ingest
 * handler runs in-process; TimestreamWriteClient is aws-sdk-client-mock, which captures the inputs).
 * Goal ≤ 100,000 units per million datapoints (≤ $0.05 per million datapoints at $0.50 per million
 * writes).
 *
 * Metered size of a request, as Timestream documents it (metering-and-pricing.writes): each record
 * counts its dimension names and values, measure name, measure value (8 bytes for a DOUBLE) and an
 * 8-byte timestamp; common attributes count once per request; each request is rounded up to KiB.
 * The one definition is shared/adapters/aws/timestream-metering.ts, which the adapter packs against.
 */
import { TimestreamQueryClient } from '@aws-sdk/client-timestream-query';
import { TimestreamWriteClient, WriteRecordsCommand } from '@aws-sdk/client-timestream-write';
import { mockClient } from 'aws-sdk-client-mock';
import { billedUnits } from '#adapters/aws/timestream-metering';
import { TimestreamMetricStore } from '#adapters/aws/timestream-metric-store';
import { REMOTE_WRITE_HEADERS } from '#protocols/prometheus/remote-write';
import { inProcessPlatform } from '../test/faults/support/in-process';
import { invoke } from '../test/fuzz/support/http-event';
import { typicalNative, typicalOtlpJson, typicalRemoteWriteBody } from './lib/payloads';
import { type BenchRow, fmt, ratio, writeReport } from './lib/results';

const GOAL_UNITS_PER_MILLION = 100_000;
const PRICE_PER_MILLION_WRITES = 0.5;
const REQUESTS_PER_FORMAT = 20;

async function main() {
  const timestream = mockClient(TimestreamWriteClient);
  timestream.on(WriteRecordsCommand).resolves({ RecordsIngested: { Total: 0 } });
  const store = new TimestreamMetricStore({
    writeClient: new TimestreamWriteClient({ region: 'us-west-2' }),
    queryClient: new TimestreamQueryClient({ region: 'us-west-2' }),
    databaseName: 'observability',
    magneticRetentionDays: 400,
  });
  const platform = inProcessPlatform({ ingest: store, query: store });
  const { ingestKey } = await platform.onboard();

  const formats: { name: string; send: (i: number) => Promise<number> }[] = [
    {
      name: 'native JSON (1 host, 8 instances × 5 datapoints)',
      send: async (i) =>
        (await platform.ingest(ingestKey, typicalNative(Math.floor(Date.now() / 1000), `web-${i}`, i)))
          .statusCode,
    },
    {
      name: 'OTLP (1 service, 10 instruments × 4 attribute sets)',
      send: async (i) =>
        (
          await invoke(platform.handlers.ingest, {
            method: 'POST',
            resource: '/v1/metrics',
            token: ingestKey,
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify(typicalOtlpJson(Date.now(), `svc-${i}`, i)),
          })
        ).statusCode,
    },
    {
      name: 'Prometheus remote write (500 node_exporter series)',
      send: async (i) =>
        (
          await invoke(platform.handlers.ingest, {
            method: 'POST',
            resource: '/api/v1/write',
            token: ingestKey,
            headers: { ...REMOTE_WRITE_HEADERS },
            body: Buffer.from(typicalRemoteWriteBody(Date.now(), { instance: `10.0.1.${i}:9100`, seed: i })),
          })
        ).statusCode,
    },
  ];

  const rows: BenchRow[] = [];
  const notes: string[] = [];
  for (const format of formats) {
    timestream.resetHistory();
    const statuses = new Set<number>();
    for (let i = 0; i < REQUESTS_PER_FORMAT; i++) statuses.add(await format.send(i));
    const calls = timestream.commandCalls(WriteRecordsCommand).map((c) => c.args[0].input);
    const datapoints = calls.reduce((n, c) => n + (c.Records?.length ?? 0), 0);
    if (datapoints === 0) {
      rows.push({
        figure: `Timestream cost: ${format.name}`,
        measured: `no writes (status ${[...statuses].join('/')})`,
        baseline: '100,000',
        ratio: '—',
        goal: '≤ 100,000 units / M datapoints',
        verdict: 'missed',
      });
      continue;
    }
    const units = calls.reduce((n, c) => n + billedUnits(c), 0);
    const perMillion = (units / datapoints) * 1e6;
    const jsonBytes = calls.reduce((n, c) => n + JSON.stringify(c).length, 0);
    rows.push({
      figure: `Timestream cost: ${format.name}`,
      measured: `${fmt(perMillion)} units / M datapoints ($${fmt((perMillion / 1e6) * PRICE_PER_MILLION_WRITES, 3)})`,
      baseline: '100,000 (goal)',
      ratio: ratio(perMillion, GOAL_UNITS_PER_MILLION),
      goal: '≤ 100,000 units / M datapoints',
      verdict: perMillion <= GOAL_UNITS_PER_MILLION ? 'met' : 'missed',
    });
    notes.push(
      `${format.name}: ${datapoints} datapoints in ${calls.length} WriteRecords calls (${fmt(datapoints / calls.length, 1)} records/call), ${fmt(jsonBytes / datapoints, 1)} request-JSON bytes per datapoint; statuses ${[...statuses].join('/')}`,
    );
  }
  notes.push(
    'Metered size per WriteRecords request (Timestream docs, metering-and-pricing.writes): Σ over records of dimension names+values, measure name, multi-measure value name + 8-byte DOUBLE, 8-byte time; common attributes once per request (one table per tenant: no tenant dimension); rounded up to KiB; $0.50 per million 1-KiB writes.',
  );
  timestream.restore();
  writeReport('timestream-cost', { section: 'Timestream cost model', rows, notes });
  for (const row of rows) console.log(`${row.figure}: ${row.measured} (${row.verdict})`);
  for (const note of notes) console.log(`  ${note}`);
}

await main();
