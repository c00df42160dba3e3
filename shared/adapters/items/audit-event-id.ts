import { newId } from '#domain/credentials';

let sequence = 0;

/**
 * Event ids sort in append order within one process (a counter, then randomness), so two events of
 * the same millisecond read back in the order they happened; across processes the instant decides.
 * Both audit logs (DynamoDB and SQLite) name their events with it.
 */
export function auditEventId(): string {
  sequence = (sequence + 1) % 0xffffffff;
  return `${sequence.toString(16).padStart(8, '0')}${newId().slice(8)}`;
}
