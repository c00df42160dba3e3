import type { Recipient } from '#domain/alerting/escalation';
import type { Incident, NoticeChannels, TenantNotice } from '#domain/notices';
import type { Page, PageRequest } from '#domain/pagination';
import type { TenantDataHolder } from './tenant-data';

/**
 * Security-incident notices: the provider's incidents (kept apart from every tenant, so they outlive
 * offboarding), each tenant's copies and its notice channels (erased with the tenant's data).
 * Writes are conditional on the version read (`expectedVersion` 0: the item must not exist), so two
 * fan-outs or an ack racing a fan-out never overwrite each other: the loser reads again.
 * Implementations: DynamoDB (the metadata table) and SQLite.
 */
export interface NoticeStore extends TenantDataHolder {
  getIncident(incidentId: string): Promise<Incident | undefined>;
  /** Newest first. */
  listIncidents(page: PageRequest): Promise<Page<Incident>>;
  /** Writes with version expectedVersion + 1; false when the stored version differs (nothing written). */
  putIncident(incident: Incident, expectedVersion: number): Promise<boolean>;
  getNotice(tenantId: string, incidentId: string): Promise<TenantNotice | undefined>;
  /** The tenant's notices, newest incident first. */
  listNotices(tenantId: string, page: PageRequest): Promise<Page<TenantNotice>>;
  /** Writes with version expectedVersion + 1; false when the stored version differs. */
  putNotice(notice: TenantNotice, expectedVersion: number): Promise<boolean>;
  getChannels(tenantId: string): Promise<NoticeChannels | undefined>;
  putChannels(channels: NoticeChannels): Promise<void>;
}

/** One message of a notice to one channel; throws when it could not be delivered after retries. */
export interface NoticeMessage {
  readonly deliveryId: string;
  readonly tenantId: string;
  readonly recipient: Recipient;
  readonly subject: string;
  readonly text: string;
  /** The webhook's JSON body. */
  readonly payload: unknown;
}

export interface NoticeSender {
  send(message: NoticeMessage): Promise<void>;
}
