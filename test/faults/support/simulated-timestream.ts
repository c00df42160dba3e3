/**
 * A Timestream table behind aws-sdk-client-mock: WriteRecords upserts by (dimensions, measure, time)
 * with Timestream's version rule, and faults are scheduled per call. Lets a test check that every
 * acknowledged datapoint ends up in the table exactly once.
 */
import {
  RejectedRecordsException,
  TimestreamWriteClient,
  WriteRecordsCommand,
  type WriteRecordsCommandInput,
} from '@aws-sdk/client-timestream-write';
import { mockClient } from 'aws-sdk-client-mock';

export type Fault =
  | { readonly kind: 'throttle' }
  | { readonly kind: 'server-error' }
  | { readonly kind: 'reject'; readonly indices: readonly number[] };

interface StoredRecord {
  readonly value: string;
  readonly version: number;
}

const serviceError = (name: string, status: number, message: string) =>
  Object.assign(new Error(message), {
    name,
    $fault: status >= 500 ? 'server' : 'client',
    $metadata: { httpStatusCode: status },
  });

export class SimulatedTimestream {
  readonly mock = mockClient(TimestreamWriteClient);
  readonly table = new Map<string, StoredRecord>();
  /** Faults for the next calls, one per call, in order. */
  readonly faults: Fault[] = [];
  /** When true, every call fails with a 5xx (an outage longer than the adapter's retries). */
  outage = false;
  calls = 0;

  constructor() {
    this.mock.on(WriteRecordsCommand).callsFake((input: WriteRecordsCommandInput) => this.write(input));
  }

  client(): TimestreamWriteClient {
    return new TimestreamWriteClient({ region: 'us-west-2' });
  }

  private write(input: WriteRecordsCommandInput) {
    this.calls++;
    if (this.outage) throw serviceError('InternalServerException', 500, 'outage');
    const fault = this.faults.shift();
    if (fault?.kind === 'throttle') throw serviceError('ThrottlingException', 429, 'Rate exceeded');
    if (fault?.kind === 'server-error') throw serviceError('InternalServerException', 500, 'Internal error');
    const common = input.CommonAttributes ?? {};
    const rejected: { RecordIndex: number; Reason: string }[] = [];
    (input.Records ?? []).forEach((record, index) => {
      if (fault?.kind === 'reject' && fault.indices.includes(index)) {
        rejected.push({
          RecordIndex: index,
          Reason: 'The record timestamp is outside the time range of the data ingestion window.',
        });
        return;
      }
      const dims = [...(common.Dimensions ?? []), ...(record.Dimensions ?? [])]
        .map((d) => `${d.Name}=${d.Value}`)
        .sort()
        .join(',');
      const key = `${dims}|${record.MeasureName}|${record.Time ?? common.Time}`;
      const value = JSON.stringify(record.MeasureValues ?? record.MeasureValue);
      const version = Number(record.Version ?? common.Version ?? 1);
      const existing = this.table.get(key);
      // Timestream: same value is an idempotent no-op; a different value needs a higher version.
      if (existing && existing.value !== value && version <= existing.version) {
        rejected.push({ RecordIndex: index, Reason: 'A record with a higher version already exists.' });
        return;
      }
      if (!existing || version > existing.version) this.table.set(key, { value, version });
    });
    if (rejected.length > 0)
      throw new RejectedRecordsException({ message: 'rejected', $metadata: {}, RejectedRecords: rejected });
    return { RecordsIngested: { Total: (input.Records?.length ?? 0) - rejected.length } };
  }

  /** Keys (tenant, series, measure, time) written for a tenant. */
  keysOf(tenantId: string): string[] {
    return [...this.table.keys()].filter((k) => k.includes(`tenant_id=${tenantId}`));
  }
}
