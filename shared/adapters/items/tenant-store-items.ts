/**
 * The single-table key scheme, shared by the DynamoDB adapter and its SQLite twin so both store the
 * very same items (layout and access patterns: dynamodb-tenant-store.ts).
 */
import type { CredentialRecord } from '#domain/credentials';
import { ENTITY_ID_FIELD, ENTITY_KEY_PREFIX, type EntityKind } from '#ports/tenant-store';

export interface TableKeys {
  pk: string;
  sk: string;
  gsi1pk?: string;
  gsi1sk?: string;
}

export const TABLE_KEYS = {
  tenant: (tenantId: string): TableKeys => ({
    pk: `TENANT#${tenantId}`,
    sk: 'META',
    gsi1pk: 'TENANTS',
    gsi1sk: `TENANT#${tenantId}`,
  }),
  credential: (record: Pick<CredentialRecord, 'credentialId'> & Partial<CredentialRecord>): TableKeys => ({
    pk: `CRED#${record.credentialId}`,
    sk: 'CRED',
    ...(record.tenantId
      ? { gsi1pk: `TENANT#${record.tenantId}`, gsi1sk: `CRED#${record.credentialId}` }
      : {}),
  }),
};

export function entityKeys(kind: EntityKind, entity: object): TableKeys {
  const e = entity as Record<string, string>;
  return { pk: `TENANT#${e.tenantId}`, sk: `${ENTITY_KEY_PREFIX[kind]}${e[ENTITY_ID_FIELD[kind]]}` };
}

/** The record as first stored: version 1. */
export function withVersion<T extends object>(item: T): T {
  return { ...item, version: 1 };
}
