import type { DatabaseSync } from 'node:sqlite';
import {
  IdempotencyItemAlreadyExistsError,
  IdempotencyItemNotFoundError,
} from '@aws-lambda-powertools/idempotency';
import { BasePersistenceLayer, IdempotencyRecord } from '@aws-lambda-powertools/idempotency/persistence';
import type { IdempotencyStore } from '#ports/idempotency-store';
import { preparedStatement, type SqliteFile, SqliteTenantTable } from './sqlite-ingest-state';

let puts = 0;

type RecordStatus = ConstructorParameters<typeof IdempotencyRecord>[0]['status'];

interface Row {
  idempotency_key: string;
  status: string;
  expiry_s: number;
  in_progress_expiry_ms: number | null;
  response_data: string | null;
  payload_hash: string | null;
}

/**
 * Powertools' persistence contract over SQLite: the same put condition as DynamoDBPersistenceLayer
 * (insert when absent, expired, or in progress past its in-progress expiry), so the Powertools
 * idempotency handler behaves locally exactly as in Lambda.
 */
class SqlitePersistenceLayer extends BasePersistenceLayer {
  constructor(
    private readonly db: DatabaseSync,
    private readonly tenantId: string,
    /** The connection's group commit: puts and updates of concurrent requests share a commit. */
    private readonly write: <T>(work: () => T) => Promise<T>,
  ) {
    super();
  }

  protected async _getRecord(idempotencyKey: string): Promise<IdempotencyRecord> {
    const row = preparedStatement(
      this.db,
      'SELECT * FROM idempotency WHERE tenant_id = ? AND idempotency_key = ?',
    ).get(this.tenantId, idempotencyKey) as Row | undefined;
    if (!row) throw new IdempotencyItemNotFoundError();
    return toRecord(row);
  }

  protected async _putRecord(record: IdempotencyRecord): Promise<void> {
    const nowMs = Date.now();
    const changes = await this.write(() => {
      // DynamoDB's TTL removes expired records; here every 500th put does.
      if (++puts % 500 === 0)
        preparedStatement(this.db, 'DELETE FROM idempotency WHERE expiry_s < ?').run(nowMs / 1000);
      return Number(
        preparedStatement(
          this.db,
          `INSERT INTO idempotency (tenant_id, idempotency_key, status, expiry_s, in_progress_expiry_ms, response_data, payload_hash)
         VALUES (?, ?, ?, ?, ?, NULL, ?)
         ON CONFLICT (tenant_id, idempotency_key) DO UPDATE SET
           status = excluded.status, expiry_s = excluded.expiry_s,
           in_progress_expiry_ms = excluded.in_progress_expiry_ms, response_data = NULL,
           payload_hash = excluded.payload_hash
         WHERE idempotency.expiry_s < ? OR (idempotency.status = 'INPROGRESS'
           AND idempotency.in_progress_expiry_ms IS NOT NULL AND idempotency.in_progress_expiry_ms < ?)`,
        ).run(
          this.tenantId,
          record.idempotencyKey,
          record.getStatus(),
          record.expiryTimestamp ?? 0,
          record.inProgressExpiryTimestamp ?? null,
          this.isPayloadValidationEnabled() ? (record.payloadHash ?? null) : null,
          nowMs / 1000,
          nowMs,
        ).changes,
      );
    });
    if (changes === 0) {
      const existing = await this._getRecord(record.idempotencyKey);
      throw new IdempotencyItemAlreadyExistsError(
        `Failed to put record for already existing idempotency key: ${record.idempotencyKey}`,
        existing,
      );
    }
  }

  protected async _updateRecord(record: IdempotencyRecord): Promise<void> {
    await this.write(() =>
      preparedStatement(
        this.db,
        `UPDATE idempotency SET status = ?, expiry_s = ?, response_data = ?,
           payload_hash = COALESCE(?, payload_hash) WHERE tenant_id = ? AND idempotency_key = ?`,
      ).run(
        record.getStatus(),
        record.expiryTimestamp ?? 0,
        record.responseData === undefined ? null : JSON.stringify(record.responseData),
        this.isPayloadValidationEnabled() ? (record.payloadHash ?? null) : null,
        this.tenantId,
        record.idempotencyKey,
      ),
    );
  }

  protected async _deleteRecord(record: IdempotencyRecord): Promise<void> {
    await this.write(() =>
      preparedStatement(this.db, 'DELETE FROM idempotency WHERE tenant_id = ? AND idempotency_key = ?').run(
        this.tenantId,
        record.idempotencyKey,
      ),
    );
  }
}

function toRecord(row: Row): IdempotencyRecord {
  return new IdempotencyRecord({
    idempotencyKey: row.idempotency_key,
    status: row.status as RecordStatus,
    expiryTimestamp: Number(row.expiry_s),
    inProgressExpiryTimestamp:
      row.in_progress_expiry_ms === null ? undefined : Number(row.in_progress_expiry_ms),
    responseData: row.response_data === null ? undefined : JSON.parse(row.response_data),
    payloadHash: row.payload_hash ?? undefined,
  });
}

export class SqliteIdempotencyStore extends SqliteTenantTable implements IdempotencyStore {
  readonly dataName = 'idempotency';
  private readonly layers = new Map<string, SqlitePersistenceLayer>();

  constructor(file: SqliteFile) {
    super(
      file,
      'idempotency',
      `CREATE TABLE IF NOT EXISTS idempotency (
        tenant_id TEXT NOT NULL, idempotency_key TEXT NOT NULL, status TEXT NOT NULL, expiry_s REAL NOT NULL,
        in_progress_expiry_ms REAL, response_data TEXT, payload_hash TEXT,
        PRIMARY KEY (tenant_id, idempotency_key)) WITHOUT ROWID;`,
    );
  }

  persistenceFor(tenantId: string): BasePersistenceLayer {
    let layer = this.layers.get(tenantId);
    if (!layer) {
      if (this.layers.size >= 1000) this.layers.clear();
      layer = new SqlitePersistenceLayer(this.db, tenantId, (work) => this.inGroupCommit(work));
      this.layers.set(tenantId, layer);
    }
    return layer;
  }
}
