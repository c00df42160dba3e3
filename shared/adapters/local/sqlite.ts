import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { DatabaseSync } from 'node:sqlite';

/** Every database this process opened: offboarding truncates their write-ahead logs. */
const openDatabases = new Set<DatabaseSync>();

/**
 * Opens (creating if needed) a SQLite database in WAL mode: readers never block the writer, and a
 * killed process loses no committed transaction. secure_delete: a deleted row's bytes are overwritten,
 * not left in free pages, so an erased tenant's data is gone from the file (offboarding).
 */
export function openDatabase(path: string): DatabaseSync {
  if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
  const db = new DatabaseSync(path);
  db.exec(
    'PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA busy_timeout = 5000; PRAGMA secure_delete = ON;',
  );
  openDatabases.add(db);
  return db;
}

/**
 * Copies every open database's write-ahead log into the database and truncates the log to zero bytes:
 * the log still holds the pages as they were before a deletion until then. Offboarding calls it
 * after erasing (local platform: the last data holder).
 */
export function truncateWriteAheadLogs(): void {
  for (const db of openDatabases) {
    if (!db.isOpen) {
      openDatabases.delete(db);
      continue;
    }
    db.exec('PRAGMA wal_checkpoint(TRUNCATE)');
  }
}

/** Runs `work` in one transaction, rolling back when it throws. */
export function inTransaction<T>(db: DatabaseSync, work: () => T): T {
  db.exec('BEGIN IMMEDIATE');
  try {
    const result = work();
    db.exec('COMMIT');
    return result;
  } catch (error) {
    db.exec('ROLLBACK');
    throw error;
  }
}
