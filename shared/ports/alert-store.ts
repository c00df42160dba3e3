import type { Alert, Incident } from '#domain/alerting/alert';
import type { Downtime } from '#domain/alerting/downtime';
import type { EscalationChain } from '#domain/alerting/escalation';
import type { AlertBusEvent } from '#domain/alerting/events';
import type { AlertHistoryFilter } from '#domain/alerting/history';
import type { AlertRoute } from '#domain/alerting/routing';
import type { AlertRule } from '#domain/alerting/rule';
import type { SeriesAlertState } from '#domain/alerting/state-machine';
import type { Dimensions } from '#domain/metrics';
import type { TenantDataHolder } from './tenant-data';

/** A downtime with its optimistic-concurrency version (the ETag of PATCH /v1/downtimes/{id}). */
export interface StoredDowntime extends Downtime {
  readonly version: number;
}

/** The alert state of one rule × series, as the evaluator keeps it between evaluations. */
export interface StoredSeriesState {
  readonly seriesKey: string;
  readonly metric: string;
  readonly dimensions: Dimensions;
  readonly state: SeriesAlertState;
  /** The state before the first evaluation of the current evaluation period (re-evaluation within a period replaces, not adds). */
  readonly periodBase?: SeriesAlertState;
  readonly period?: number;
  /** Whether an evaluation in the current period made a transition (later ones in the period are skipped). */
  readonly periodTransition?: boolean;
  readonly openAlertId?: string;
  /** Epoch ms of the newest point seen (no-data alerting). */
  readonly lastSeenAt: number;
  /**
   * The stored version this state was read at (absent: never stored). The store sets it on read and
   * checks it on write (optimistic concurrency), so two evaluators never both act on one old state.
   */
  readonly version?: number;
}

/** An alert event waiting in the outbox until the bus has accepted it. */
export interface OutboxEntry {
  /** The event's `detail.eventId`. */
  readonly eventId: string;
  readonly tenantId: string;
  /** Epoch ms it was enqueued: the outbox lists oldest first. */
  readonly enqueuedAt: number;
  /** Increases with every event a process enqueues: orders events enqueued within one millisecond. */
  readonly sequence: number;
  readonly event: AlertBusEvent;
}

export interface Page<T> {
  readonly items: T[];
  /** Absent on the last page. */
  readonly cursor?: string;
}

/** A page of alert history: `scanned` stored alerts were read to find `items`. */
export interface AlertHistoryPage extends Page<Alert> {
  readonly scanned: number;
}

/** Alerting's persistent state. Implementations: DynamoDB (single table) and SQLite, same key scheme. */
/** A page of alert history: opening time in [fromMs, toMs), the filter, and a scan bound. */
export interface AlertHistoryQuery {
  readonly fromMs?: number;
  readonly toMs?: number;
  readonly filter: AlertHistoryFilter;
  readonly limit: number;
  readonly cursor?: string;
  readonly nowMs: number;
  readonly maxScan?: number;
}

export interface AlertStore extends TenantDataHolder {
  putRule(rule: AlertRule): Promise<void>;
  getRule(tenantId: string, ruleId: string): Promise<AlertRule | undefined>;
  listRules(tenantId: string): Promise<AlertRule[]>;
  /** Also removes the rule's series states. Returns false when there was no such rule. */
  deleteRule(tenantId: string, ruleId: string): Promise<boolean>;
  /** Enabled rules of every tenant, a page at a time (the scheduled evaluator walks them). */
  listEnabledRules(page: { cursor?: string; limit: number }): Promise<Page<AlertRule>>;

  putChain(chain: EscalationChain): Promise<void>;
  getChain(tenantId: string, chainId: string): Promise<EscalationChain | undefined>;
  listChains(tenantId: string): Promise<EscalationChain[]>;
  deleteChain(tenantId: string, chainId: string): Promise<boolean>;
  /**
   * Email recipients are one SNS subscription per address shared by every tenant naming it: each
   * tenant's use is a reference. Idempotent.
   */
  referenceEmailRecipient(tenantId: string, address: string): Promise<void>;
  /** Drops the tenant's reference; true when no tenant references the address any more. */
  releaseEmailRecipient(tenantId: string, address: string): Promise<boolean>;
  /**
   * Offboarding: drops every reference the tenant holds, calling `onLastReference` (before the
   * reference is gone for good, so a failed call is retried by calling this again) for each address
   * no tenant references any more. Answers those addresses. Found through the tenant's reverse
   * references and chains, plus `alsoNamed` (what else it names: references from before reverse ones).
   */
  releaseTenantEmailRecipients(
    tenantId: string,
    onLastReference?: (address: string) => Promise<void>,
    alsoNamed?: Iterable<string>,
  ): Promise<string[]>;

  putRoute(route: AlertRoute): Promise<void>;
  getRoute(tenantId: string, routeId: string): Promise<AlertRoute | undefined>;
  /** The tenant's routing rules (any order: routing sorts them by priority). */
  listRoutes(tenantId: string): Promise<AlertRoute[]>;
  deleteRoute(tenantId: string, routeId: string): Promise<boolean>;

  /** Stores a new downtime at version 1. */
  putDowntime(downtime: Downtime): Promise<void>;
  getDowntime(tenantId: string, downtimeId: string): Promise<StoredDowntime | undefined>;
  /** Replaces a downtime only if it is still at `expectedVersion`; false when it changed or went. */
  replaceDowntime(downtime: Downtime, expectedVersion: number): Promise<boolean>;
  listDowntimes(tenantId: string): Promise<StoredDowntime[]>;
  deleteDowntime(tenantId: string, downtimeId: string): Promise<boolean>;

  getSeriesStates(tenantId: string, ruleId: string): Promise<Map<string, StoredSeriesState>>;
  /**
   * Writes each state only if its stored version still equals `state.version` (absent: only if there
   * is no stored state yet), bumping the version. Returns the series keys whose write was refused
   * because another writer got there first; the others are written.
   */
  putSeriesStates(tenantId: string, ruleId: string, states: readonly StoredSeriesState[]): Promise<string[]>;

  /**
   * Creates or replaces an alert; keeps the open-by-resource (by `resourceKeyOf`: the linked resource
   * id, else the series' resource value) and escalation indexes in step.
   */
  putAlert(alert: Alert): Promise<void>;
  /**
   * An escalation step: writes `next` as putAlert does, but only if the stored alert is still as
   * `read` had it (status, acknowledgement, chain run, stage, due time: items/alert-store-items.ts
   * escalationMark). Two evaluators, or one acting on a stale read of the escalation index, cannot
   * both advance one stage. `queue.events` (the step's notification) enter the outbox in the same
   * atomic write, so a crash after the step cannot lose them: the written outbox entries are returned
   * (empty without `queue`); false when refused (nothing written).
   */
  advanceEscalation(
    next: Alert,
    read: Alert,
    queue?: { readonly events: readonly AlertBusEvent[]; readonly nowMs: number },
  ): Promise<OutboxEntry[] | false>;
  getAlert(tenantId: string, alertId: string): Promise<Alert | undefined>;
  /** Newest first. */
  listAlerts(
    tenantId: string,
    options: { status?: 'open' | 'cleared'; limit: number; cursor?: string },
  ): Promise<Page<Alert>>;
  /**
   * Alert history newest first by opening time in [fromMs, toMs), filtered, reading at most `maxScan`
   * stored alerts (default MAX_HISTORY_SCAN): a page may hold fewer than `limit` items and a cursor.
   * Cleared alerts expire after the retention (hidden at once, deleted by the table's TTL).
   */
  alertHistory(tenantId: string, query: AlertHistoryQuery): Promise<AlertHistoryPage>;
  /** Open alerts whose `resourceKeyOf` is one of `resources`. */
  openAlertsOnResources(tenantId: string, resources: readonly string[]): Promise<Alert[]>;
  /** Open alerts of every tenant whose next escalation stage is due at `nowMs`. */
  dueEscalations(nowMs: number, limit: number): Promise<Alert[]>;

  latestIncident(tenantId: string, resource: string): Promise<Incident | undefined>;
  putIncident(incident: Incident): Promise<void>;

  /**
   * The transactional outbox: events are written here before the bus is tried and removed once it
   * accepted them, so a bus outage delays notifications instead of losing them. Every event must carry
   * `detail.eventId`. Entries are keyed by enqueue time, order in the call, tenant and event id.
   */
  enqueueEvents(events: readonly AlertBusEvent[], nowMs: number): Promise<OutboxEntry[]>;
  /** Pending events of every tenant, oldest first, at most `limit`. */
  pendingEvents(limit: number): Promise<OutboxEntry[]>;
  /** Removes published events (unknown ones are ignored). */
  removeEvents(entries: readonly OutboxEntry[]): Promise<void>;
}
