import { deadLetterPayload, parseDeadLetterPayload } from '#adapters/items/dead-letter-items';
import { DEAD_LETTER_RETENTION_MS, type DeadLetter, type DeadLetterStore } from '#ports/dead-letter-store';
import { type SqliteFile, SqliteTenantTable } from './sqlite-ingest-state';

/**
 * The local twin of DynamoDbDeadLetters: one row per dead letter, the payload cut the same way,
 * letters past the 14-day retention swept on each put (DynamoDB's TTL removes them there).
 */
export class SqliteDeadLetters extends SqliteTenantTable implements DeadLetterStore {
  readonly dataName = 'dead-letters';

  constructor(file: SqliteFile) {
    super(
      file,
      'dead_letters',
      `CREATE TABLE IF NOT EXISTS dead_letters (
        id INTEGER PRIMARY KEY AUTOINCREMENT, tenant_id TEXT NOT NULL, source TEXT NOT NULL,
        reason TEXT NOT NULL, payload TEXT NOT NULL, payload_truncated INTEGER NOT NULL, at_ms INTEGER NOT NULL);
       CREATE INDEX IF NOT EXISTS dead_letters_by_tenant ON dead_letters (tenant_id, at_ms, id);`,
    );
  }

  async put(letters: readonly DeadLetter[]): Promise<void> {
    if (letters.length === 0) return;
    await this.inGroupCommit(() => {
      const latest = Math.max(...letters.map((l) => l.atMs));
      this.statement('DELETE FROM dead_letters WHERE at_ms < ?').run(latest - DEAD_LETTER_RETENTION_MS);
      for (const letter of letters) {
        const { payload, payloadTruncated } = deadLetterPayload(letter.payload);
        this.statement(
          `INSERT INTO dead_letters (tenant_id, source, reason, payload, payload_truncated, at_ms)
           VALUES (?, ?, ?, ?, ?, ?)`,
        ).run(letter.tenantId, letter.source, letter.reason, payload, payloadTruncated ? 1 : 0, letter.atMs);
      }
    });
  }

  async list(tenantId: string, limit: number): Promise<DeadLetter[]> {
    const rows = this.statement(
      `SELECT source, reason, payload, payload_truncated, at_ms FROM dead_letters
       WHERE tenant_id = ? ORDER BY at_ms, id LIMIT ?`,
    ).all(tenantId, limit) as {
      source: DeadLetter['source'];
      reason: string;
      payload: string;
      payload_truncated: number;
      at_ms: number;
    }[];
    return rows.map((row) => ({
      source: row.source,
      tenantId,
      reason: row.reason,
      payload: parseDeadLetterPayload(row.payload, row.payload_truncated === 1),
      atMs: row.at_ms,
    }));
  }
}
