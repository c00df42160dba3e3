/**
 * A Timestream database behind aws-sdk-client-mock: one table per tenant, created by CreateTable
 * (ConflictException when it exists; a write to a table that does not exist is a
 * ResourceNotFoundException); WriteRecords upserts by (dimensions, measure, time) with Timestream's
 * version rule and enforces the per-table quota on distinct dimension names; faults are scheduled
 * per call. Lets a test check that every acknowledged datapoint ends up in the table exactly once.
 */
import {
  ConflictException,
  CreateTableCommand,
  type CreateTableCommandInput,
  DescribeTableCommand,
  RejectedRecordsException,
  ResourceNotFoundException,
  TimestreamWriteClient,
  WriteRecordsCommand,
  type WriteRecordsCommandInput,
} from '@aws-sdk/client-timestream-write';
import { mockClient } from 'aws-sdk-client-mock';
import { tenantTableName } from '#adapters/aws/timestream-tables';

export type Fault =
  | { readonly kind: 'throttle' }
  | { readonly kind: 'server-error' }
  | { readonly kind: 'reject'; readonly indices: readonly number[] };

interface StoredRecord {
  readonly value: string;
  readonly version: number;
}

interface SimulatedTable {
  readonly records: Map<string, StoredRecord>;
  readonly dimensionNames: Set<string>;
}

const serviceError = (name: string, status: number, message: string) =>
  Object.assign(new Error(message), {
    name,
    $fault: status >= 500 ? 'server' : 'client',
    $metadata: { httpStatusCode: status },
  });

/** Timestream's quota: distinct dimension names per table. */
export const DIMENSION_NAMES_PER_TABLE = 128;
export const DIMENSION_LIMIT_REASON = `The number of dimensions exceeds the maximum of ${DIMENSION_NAMES_PER_TABLE} per table.`;

export class SimulatedTimestream {
  readonly mock = mockClient(TimestreamWriteClient);
  readonly tables = new Map<string, SimulatedTable>();
  /** Faults for the next WriteRecords calls (to an existing table), one per call, in order. */
  readonly faults: Fault[] = [];
  /** Faults for the next CreateTable calls. */
  readonly createFaults: Exclude<Fault, { kind: 'reject' }>[] = [];
  /** When true, every call fails with a 5xx (an outage longer than the adapter's retries). */
  outage = false;
  calls = 0;

  constructor() {
    this.mock.on(WriteRecordsCommand).callsFake((input: WriteRecordsCommandInput) => this.write(input));
    this.mock.on(CreateTableCommand).callsFake((input: CreateTableCommandInput) => this.create(input));
    this.mock.on(DescribeTableCommand).callsFake(() => ({ Table: { TableStatus: 'ACTIVE' } }));
  }

  client(): TimestreamWriteClient {
    return new TimestreamWriteClient({ region: 'us-west-2' });
  }

  private create(input: CreateTableCommandInput) {
    if (this.outage) throw serviceError('InternalServerException', 500, 'outage');
    const fault = this.createFaults.shift();
    if (fault?.kind === 'throttle') throw serviceError('ThrottlingException', 429, 'Rate exceeded');
    if (fault?.kind === 'server-error') throw serviceError('InternalServerException', 500, 'Internal error');
    const name = input.TableName as string;
    if (this.tables.has(name))
      throw new ConflictException({ message: 'exists', Message: 'exists', $metadata: {} });
    this.tables.set(name, { records: new Map(), dimensionNames: new Set() });
    return { Table: { TableName: name, TableStatus: 'ACTIVE' } };
  }

  private write(input: WriteRecordsCommandInput) {
    this.calls++;
    if (this.outage) throw serviceError('InternalServerException', 500, 'outage');
    const table = this.tables.get(input.TableName as string);
    if (!table) throw new ResourceNotFoundException({ message: 'The table does not exist.', $metadata: {} });
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
      const dimensions = [...(common.Dimensions ?? []), ...(record.Dimensions ?? [])];
      const added = dimensions.map((d) => d.Name as string).filter((n) => !table.dimensionNames.has(n));
      if (table.dimensionNames.size + new Set(added).size > DIMENSION_NAMES_PER_TABLE) {
        rejected.push({ RecordIndex: index, Reason: DIMENSION_LIMIT_REASON });
        return;
      }
      for (const name of added) table.dimensionNames.add(name);
      const dims = dimensions
        .map((d) => `${d.Name}=${d.Value}`)
        .sort()
        .join(',');
      const key = `${dims}|${record.MeasureName}|${record.Time ?? common.Time}`;
      const value = JSON.stringify(record.MeasureValues ?? record.MeasureValue);
      const version = Number(record.Version ?? common.Version ?? 1);
      const existing = table.records.get(key);
      // Timestream: same value is an idempotent no-op; a different value needs a higher version.
      if (existing && existing.value !== value && version <= existing.version) {
        rejected.push({ RecordIndex: index, Reason: 'A record with a higher version already exists.' });
        return;
      }
      if (!existing || version > existing.version) table.records.set(key, { value, version });
    });
    if (rejected.length > 0)
      throw new RejectedRecordsException({ message: 'rejected', $metadata: {}, RejectedRecords: rejected });
    return { RecordsIngested: { Total: (input.Records?.length ?? 0) - rejected.length } };
  }

  /** The tenant's table: the records written to it (by series, measure and time). */
  recordsOf(tenantId: string): Map<string, StoredRecord> {
    return this.tables.get(tenantTableName(tenantId))?.records ?? new Map();
  }

  /** Keys (series, measure, time) written for a tenant. */
  keysOf(tenantId: string): string[] {
    return [...this.recordsOf(tenantId).keys()];
  }
}
