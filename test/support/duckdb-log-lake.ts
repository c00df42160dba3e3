/**
 * Firehose, S3 and Athena for the AWS log store's tests, backed by a real SQL engine: DuckDB.
 *
 * - Firehose (PutRecordBatch): each record is de-aggregated into its JSON lines (at most 500, as
 *   Firehose's multi-record de-aggregation; more is an error here), partitioned by the
 *   lines' `tenant` and `event_hour` (the stream's dynamic partitioning), and converted to Parquet
 *   with the Glue table's columns (LOG_TABLE_COLUMNS; other fields dropped, as the OpenX JSON SerDe
 *   does) under `logs/tenant=…/event_hour=…/` in a temporary directory: the bucket.
 * - S3 (ListObjectsV2, DeleteObjects) lists and deletes files of that directory.
 * - Athena (StartQueryExecution, GetQueryExecution, GetQueryResults, StopQueryExecution) runs the
 *   adapter's SQL in DuckDB over those Parquet files (hive partitioning), binding the execution
 *   parameters (Athena literals, parsed back here). Two names differ between Trino and DuckDB and are
 *   the only rewrites: `element_at(map, key)` is DuckDB's `map_extract_value`, `regexp_like` its
 *   `regexp_matches` (both partial-match, RE2-style \p{L}).
 *
 * Every request is kept by aws-sdk-client-mock, so tests assert the exact requests as well.
 */
import { mkdirSync, mkdtempSync, readdirSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import {
  AthenaClient,
  GetQueryExecutionCommand,
  GetQueryResultsCommand,
  StartQueryExecutionCommand,
  StopQueryExecutionCommand,
} from '@aws-sdk/client-athena';
import { FirehoseClient, PutRecordBatchCommand } from '@aws-sdk/client-firehose';
import { DeleteObjectsCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { type DuckDBConnection, DuckDBInstance } from '@duckdb/node-api';
import { type AwsClientStub, mockClient } from 'aws-sdk-client-mock';
import { FIREHOSE_LIMITS } from '#adapters/aws/athena-log-store';
import { LOG_OBJECT_PREFIX, LOG_TABLE_COLUMNS } from '#adapters/aws/athena-log-table';

const DUCK_TYPES: Record<string, string> = {
  bigint: 'BIGINT',
  string: 'VARCHAR',
  int: 'INTEGER',
  'map<string,string>': 'MAP(VARCHAR, VARCHAR)',
};
const COLUMNS = `{${LOG_TABLE_COLUMNS.map((c) => `${c.name}: '${DUCK_TYPES[c.type]}'`).join(', ')}}`;

/** An Athena execution parameter (a SQL literal) back to a value DuckDB binds. */
export function parseAthenaLiteral(literal: string): string | bigint {
  if (/^-?\d+$/.test(literal)) return BigInt(literal);
  const quoted = /^'((?:[^']|'')*)'$/s.exec(literal);
  if (!quoted) throw new Error(`not an Athena literal: ${literal}`);
  return (quoted[1] as string).replaceAll("''", "'");
}

function filesUnder(dir: string): string[] {
  try {
    return readdirSync(dir, { recursive: true, withFileTypes: true })
      .filter((e) => e.isFile())
      .map((e) => join(e.parentPath, e.name));
  } catch {
    return [];
  }
}

interface Execution {
  columns: string[];
  rows: (string | undefined)[][];
  /** GetQueryExecution answers RUNNING this many times first. */
  pollsLeft: number;
}

export interface DuckDbLogLake {
  readonly firehose: FirehoseClient;
  readonly athena: AthenaClient;
  readonly s3: S3Client;
  readonly mocks: {
    firehose: AwsClientStub<FirehoseClient>;
    athena: AwsClientStub<AthenaClient>;
    s3: AwsClientStub<S3Client>;
  };
  readonly bucketDir: string;
  /** From now on every query is cancelled as the workgroup's bytes-scanned cap cancels it. */
  cancelQueriesAtByteCap(): void;
  close(): void;
}

export async function duckDbLogLake(options: { database: string; table: string }): Promise<DuckDbLogLake> {
  const bucketDir = mkdtempSync(join(tmpdir(), 'log-lake-'));
  const instance = await DuckDBInstance.create(':memory:');
  const db: DuckDBConnection = await instance.connect();
  const emptyTable = `${options.table}_empty`;
  await db.run(`CREATE SCHEMA "${options.database}"`);
  await db.run(
    `CREATE TABLE ${emptyTable} (${LOG_TABLE_COLUMNS.map((c) => `${c.name} ${DUCK_TYPES[c.type]}`).join(', ')}, tenant VARCHAR, event_hour VARCHAR)`,
  );
  let fileNo = 0;
  let executionNo = 0;
  const executions = new Map<string, Execution>();

  const firehose = new FirehoseClient({ region: 'eu-west-1' });
  const athena = new AthenaClient({ region: 'eu-west-1' });
  const s3 = new S3Client({ region: 'eu-west-1' });
  const mocks = { firehose: mockClient(firehose), athena: mockClient(athena), s3: mockClient(s3) };

  mocks.firehose.on(PutRecordBatchCommand).callsFake(async (input) => {
    const partitions = new Map<string, string[]>();
    for (const record of input.Records ?? []) {
      const text = Buffer.from(record.Data as Uint8Array).toString('utf8');
      const lines = text.split('\n').filter(Boolean);
      // Firehose de-aggregates at most 500 JSON objects from one record (FIREHOSE_LIMITS.linesPerRecord).
      if (lines.length > FIREHOSE_LIMITS.linesPerRecord)
        throw new Error(`a record of ${lines.length} JSON lines: Firehose de-aggregates at most 500`);
      for (const line of lines) {
        const { tenant, event_hour: hour } = JSON.parse(line) as { tenant: string; event_hour: string };
        const key = join(bucketDir, `${LOG_OBJECT_PREFIX}tenant=${tenant}`, `event_hour=${hour}`);
        partitions.set(key, [...(partitions.get(key) ?? []), line]);
      }
    }
    for (const [dir, lines] of partitions) {
      mkdirSync(dir, { recursive: true });
      const json = join(bucketDir, `incoming-${++fileNo}.json`);
      writeFileSync(json, `${lines.join('\n')}\n`);
      await db.run(
        `COPY (SELECT * FROM read_json('${json}', format = 'newline_delimited', columns = ${COLUMNS})) TO '${join(dir, `part-${fileNo}.parquet`)}' (FORMAT parquet)`,
      );
      unlinkSync(json);
    }
    const count = input.Records?.length ?? 0;
    return {
      FailedPutCount: 0,
      Encrypted: true,
      RequestResponses: Array.from({ length: count }, (_, i) => ({ RecordId: `r${fileNo}-${i}` })),
    };
  });

  // S3's listing: keys in order; with a Delimiter, what follows it rolls up into CommonPrefixes; keys
  // and prefixes together count toward MaxKeys (1,000 by default).
  mocks.s3.on(ListObjectsV2Command).callsFake(async (input) => {
    const prefix = input.Prefix ?? '';
    const entries = new Map<string, 'key' | 'prefix'>();
    for (const key of filesUnder(bucketDir).map((file) => relative(bucketDir, file))) {
      if (!key.startsWith(prefix)) continue;
      const cut = input.Delimiter ? key.indexOf(input.Delimiter, prefix.length) : -1;
      if (cut < 0) entries.set(key, 'key');
      else entries.set(key.slice(0, cut + (input.Delimiter as string).length), 'prefix');
    }
    const sorted = [...entries].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    // The token names the last entry returned (as S3's does a position in key order, not an index).
    const after = input.ContinuationToken ? Buffer.from(input.ContinuationToken, 'base64url').toString() : '';
    const start = sorted.findIndex(([name]) => name > after);
    const from = start < 0 ? sorted.length : start;
    const end = Math.min(sorted.length, from + (input.MaxKeys ?? 1000));
    const page = sorted.slice(from, end);
    return {
      Contents: page.filter(([, kind]) => kind === 'key').map(([Key]) => ({ Key })),
      ...(input.Delimiter
        ? { CommonPrefixes: page.filter(([, kind]) => kind === 'prefix').map(([Prefix]) => ({ Prefix })) }
        : {}),
      IsTruncated: end < sorted.length,
      ...(end < sorted.length
        ? { NextContinuationToken: Buffer.from(page.at(-1)?.[0] ?? '').toString('base64url') }
        : {}),
    };
  });
  mocks.s3.on(DeleteObjectsCommand).callsFake(async (input) => {
    for (const { Key } of input.Delete?.Objects ?? [])
      rmSync(join(bucketDir, Key as string), { force: true });
    return { Deleted: input.Delete?.Objects ?? [] };
  });

  mocks.athena.on(StartQueryExecutionCommand).callsFake(async (input) => {
    const parquet = filesUnder(join(bucketDir, LOG_OBJECT_PREFIX)).some((f) => f.endsWith('.parquet'));
    await db.run(
      `CREATE OR REPLACE VIEW "${options.database}"."${options.table}" AS ${
        parquet
          ? `SELECT * FROM read_parquet('${join(bucketDir, LOG_OBJECT_PREFIX)}*/*/*.parquet', hive_partitioning = true, hive_types = {'tenant': VARCHAR, 'event_hour': VARCHAR})`
          : `SELECT * FROM ${emptyTable}`
      }`,
    );
    const sql = (input.QueryString as string)
      .replaceAll('element_at(', 'map_extract_value(')
      .replaceAll('regexp_like(', 'regexp_matches(');
    const prepared = await db.prepare(sql);
    const params = (input.ExecutionParameters ?? []).map(parseAthenaLiteral);
    if (params.length > 0) prepared.bind(params);
    const result = await prepared.runAndReadAll();
    const id = `q-${++executionNo}`;
    executions.set(id, {
      columns: result.columnNames(),
      rows: result
        .getRowsJson()
        .map((row) =>
          row.map((v) => (v === null ? undefined : typeof v === 'string' ? v : JSON.stringify(v))),
        ),
      pollsLeft: 1,
    });
    return { QueryExecutionId: id };
  });
  mocks.athena.on(GetQueryExecutionCommand).callsFake(async (input) => {
    const execution = executions.get(input.QueryExecutionId as string);
    if (!execution) throw new Error(`no such query ${input.QueryExecutionId}`);
    const state = execution.pollsLeft-- > 0 ? 'RUNNING' : 'SUCCEEDED';
    return { QueryExecution: { QueryExecutionId: input.QueryExecutionId, Status: { State: state } } };
  });
  mocks.athena.on(GetQueryResultsCommand).callsFake(async (input) => {
    const execution = executions.get(input.QueryExecutionId as string) as Execution;
    // Athena's first page starts with the header row; NextToken here is the offset of the next page.
    const all = [execution.columns, ...execution.rows];
    const start = Number(input.NextToken ?? 0);
    const end = Math.min(all.length, start + (input.MaxResults ?? 1000));
    return {
      ResultSet: {
        ResultSetMetadata: { ColumnInfo: execution.columns.map((Name) => ({ Name, Type: 'varchar' })) },
        Rows: all.slice(start, end).map((row) => ({
          Data: row.map((v) => (v === undefined ? {} : { VarCharValue: v })),
        })),
      },
      ...(end < all.length ? { NextToken: String(end) } : {}),
    };
  });
  mocks.athena.on(StopQueryExecutionCommand).resolves({});

  return {
    firehose,
    athena,
    s3,
    mocks,
    bucketDir,
    cancelQueriesAtByteCap() {
      mocks.athena.on(StartQueryExecutionCommand).resolves({ QueryExecutionId: 'capped' });
      mocks.athena.on(GetQueryExecutionCommand).resolves({
        QueryExecution: {
          Status: {
            State: 'CANCELLED',
            StateChangeReason: 'Query cancelled! : Bytes scanned limit was exceeded',
          },
        },
      });
    },
    close() {
      db.closeSync();
      rmSync(bucketDir, { recursive: true, force: true });
    },
  };
}
