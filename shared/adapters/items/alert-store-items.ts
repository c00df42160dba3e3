/**
 * Alerting's single-table item model, shared by the DynamoDB adapter and its SQLite twin so both keep
 * the same keys and answer the same access patterns. Items live in the tenant's partition of the
 * metadata table beside the tenant store's items (`META`, `COLLECTOR#…`), under their own prefixes:
 *
 * | entity                 | pk               | sk                                | gsi1pk        | gsi1sk                        |
 * |------------------------|------------------|-----------------------------------|---------------|-------------------------------|
 * | alert rule             | TENANT#<tenant>  | ALERTRULE#<ruleId>                | ALERTRULES¹   | <tenant>#<ruleId>             |
 * | escalation chain       | TENANT#<tenant>  | ESCCHAIN#<chainId>                |               |                               |
 * | alert routing rule     | TENANT#<tenant>  | ALERTROUTE#<routeId>              |               |                               |
 * | downtime               | TENANT#<tenant>  | DOWNTIME#<downtimeId>             |               |                               |
 * | series state           | TENANT#<tenant>  | ASTATE#<ruleId>#<h(seriesKey)>    |               |                               |
 * | alert (history)        | TENANT#<tenant>  | ALERT#<alertId>²                  | ESCALATION³   | <nextAt, 15 digits>#<tenant>#<alertId> |
 * | open alert by resource⁵| TENANT#<tenant>  | AOPEN#<h(resource)>#<alertId>     |               |                               |
 * | latest incident⁵       | TENANT#<tenant>  | INCIDENT#<h(resource)>            |               |                               |
 * | outbox event⁴          | OUTBOX#<shard>   | EV#<enqueued ISO>#<seq>#<tenant>#<eventId> |      |                               |
 * | email recipient ref⁶   | EMAILREF#<h(address)> | TENANT#<tenant>              |               |                               |
 * | tenant's email ref⁷    | TENANT#<tenant>  | EMAILREF#<h(address)>             |               |                               |
 *
 * ¹ only while enabled: the evaluator pages through every tenant's enabled rules on gsi1.
 * ² alert ids start with a time-ordered prefix, so a reverse Query lists the newest first.
 * ³ only while an escalation stage is pending: the evaluator queries gsi1sk ≤ now for due stages.
 * ⁴ the transactional outbox (events not yet accepted by the bus), across tenants in OUTBOX_SHARDS
 *   partitions (shard = hash of the event id), so no GSI is needed: one Query per shard lists its
 *   events oldest first, and the shards' answers are merged. The outbox is normally empty.
 * ⁵ `resource` is the alert's resourceKeyOf: the linked API resource's id, else the series' value.
 * ⁶ one per tenant whose chains name the address (the SNS subscription is per address, region-wide):
 *   the subscription goes when the last reference does. The address itself is not stored, its hash is.
 * ⁷ the reverse of ⁶, written and deleted with it, body `{ address }`: offboarding finds every address
 *   the tenant references (chains, notice channels, report schedules) without reading what named it.
 *   References from before it are found through the tenant's chains only.
 *
 * Access patterns: rules/chains/downtimes of a tenant (Query pk + begins_with sk); states of one rule
 * (Query begins_with ASTATE#<ruleId>#); alert history (reverse Query ALERT#); open alerts on a
 * resource (Query AOPEN#<h>#); all enabled rules (Query gsi1 ALERTRULES); due escalations (Query gsi1
 * ESCALATION, sk ≤ now). h(x) is a 128-bit SHA-256 prefix, because keys are ≤ 1 KiB and a series key is
 * not. Item bodies are one JSON attribute `item`. Series states also carry a numeric `version`
 * attribute: every state write is conditional on the version it was read at, so an on-ingest
 * evaluation and the scheduled evaluator racing on one rule × series cannot both act on one old state.
 */
import { createHash } from 'node:crypto';
import { type Alert, alertIdTimePrefix, type Incident, resourceKeyOf } from '#domain/alerting/alert';
import type { Downtime } from '#domain/alerting/downtime';
import { type EscalationChain, emailsOf, escalationPending } from '#domain/alerting/escalation';
import type { AlertBusEvent } from '#domain/alerting/events';
import {
  DEFAULT_HISTORY_RETENTION_DAYS,
  historyExpiry,
  MAX_HISTORY_SCAN,
  matchesHistoryFilter,
} from '#domain/alerting/history';
import type { AlertRoute } from '#domain/alerting/routing';
import type { AlertRule } from '#domain/alerting/rule';
import type {
  AlertHistoryPage,
  AlertHistoryQuery,
  AlertStore,
  OutboxEntry,
  Page,
  StoredDowntime,
  StoredSeriesState,
} from '#ports/alert-store';

export interface TableItem {
  readonly pk: string;
  readonly sk: string;
  readonly gsi1pk?: string;
  readonly gsi1sk?: string;
  readonly item: string;
  /** Optimistic-concurrency version (series states and downtimes). */
  readonly version?: number;
  /** Epoch seconds after which the item may be deleted (the table's TTL attribute); cleared alerts only. */
  readonly expiresAt?: number;
  /** Alerts only: `escalationMark` of the body, what an escalation step is conditional on. */
  readonly mark?: string;
}

/** The condition of a conditional write: the item at (pk, sk) carries this `mark` (or none yet). */
export interface MarkCondition extends ItemKey {
  readonly mark: string;
}

export interface ItemKey {
  readonly pk: string;
  readonly sk: string;
}

export interface ItemPage {
  readonly items: TableItem[];
  /** The last key read when more may follow (pass back as `after`). */
  readonly last?: ItemKey & { gsi1pk?: string; gsi1sk?: string };
}

/** The few table operations the model needs; DynamoDB and SQLite each implement them. */
export interface ItemTable {
  get(pk: string, sk: string): Promise<TableItem | undefined>;
  /** Puts and deletes; atomic when the engine can (DynamoDB: one transaction per 100 items). */
  write(puts: readonly TableItem[], deletes: readonly ItemKey[]): Promise<void>;
  /**
   * Puts the item with `version: expected + 1` (1 when `expected` is undefined) only if the stored
   * item's version is `expected` (undefined: only if there is no stored item). False when refused.
   */
  putIfVersion(item: TableItem, expected: number | undefined): Promise<boolean>;
  /**
   * `write`, atomically, only if the item at the condition's key carries its `mark` (an item from
   * before marks, without one, passes once). False when refused; nothing is written then.
   */
  writeIfMarked(
    puts: readonly TableItem[],
    deletes: readonly ItemKey[],
    condition: MarkCondition,
  ): Promise<boolean>;
  query(
    pk: string,
    options: { prefix: string; limit?: number; after?: ItemKey; reverse?: boolean },
  ): Promise<ItemPage>;
  queryIndex(
    gsi1pk: string,
    options: { upTo?: string; limit: number; after?: ItemKey & { gsi1pk?: string; gsi1sk?: string } },
  ): Promise<ItemPage>;
}

const h = (s: string) => createHash('sha256').update(s).digest('base64url').slice(0, 22);
const tenantPk = (tenantId: string) => `TENANT#${tenantId}`;
const EMAIL_REF_PREFIX = 'EMAILREF#';
const emailRefPk = (address: string) => `${EMAIL_REF_PREFIX}${h(address)}`;
/** The tenant's reverse reference (footnote ⁷): the forward reference's keys swapped. */
const emailRefKeys = (tenantId: string, address: string) => ({
  forward: { pk: emailRefPk(address), sk: tenantPk(tenantId) },
  reverse: { pk: tenantPk(tenantId), sk: emailRefPk(address) },
});
const PREFIXES = [
  'ALERTRULE#',
  'ESCCHAIN#',
  'ALERTROUTE#',
  'DOWNTIME#',
  'ASTATE#',
  'ALERT#',
  'AOPEN#',
  'INCIDENT#',
];
const RULES_INDEX = 'ALERTRULES';
/** Partitions of the outbox: spreads a backlog's writes without a GSI; a drain queries each. */
export const OUTBOX_SHARDS = 4;
const OUTBOX_PREFIX = 'EV#';
const outboxPk = (eventId: string) =>
  `OUTBOX#${createHash('sha256').update(eventId).digest().readUInt32BE(0) % OUTBOX_SHARDS}`;
const outboxSk = (e: OutboxEntry) =>
  `${OUTBOX_PREFIX}${new Date(e.enqueuedAt).toISOString()}#${String(e.sequence).padStart(9, '0')}#${e.tenantId}#${e.eventId}`;
/** Orders the events one process enqueues within one millisecond (wraps after 10⁹: harmless). */
let outboxSequence = 0;
const nextOutboxSequence = () => {
  outboxSequence = (outboxSequence + 1) % 1_000_000_000;
  return outboxSequence;
};
function outboxEntriesOf(events: readonly AlertBusEvent[], nowMs: number): OutboxEntry[] {
  if (events.some((e) => !e.detail.eventId)) throw new Error('an outbox event needs detail.eventId');
  return events.map((event) => ({
    eventId: event.detail.eventId as string,
    tenantId: event.detail.tenantId,
    enqueuedAt: nowMs,
    sequence: nextOutboxSequence(),
    event,
  }));
}
const outboxItem = (e: OutboxEntry): TableItem => ({
  pk: outboxPk(e.eventId),
  sk: outboxSk(e),
  item: JSON.stringify(e),
});
const ESCALATION_INDEX = 'ESCALATION';

/**
 * What an escalation step is conditional on: the alert's status, acknowledgement, and the escalation
 * run, stage and due time. Any writer that changes one of them (a clear, an acknowledgement, another
 * evaluator's step, a hold for downtime) makes a step decided on the older copy refused.
 */
export const escalationMark = (alert: Alert): string => {
  const e = alert.escalation;
  return JSON.stringify([
    alert.status,
    alert.acknowledgedAt ?? null,
    e?.chainId ?? null,
    e?.sequence ?? null,
    e?.nextStage ?? null,
    e?.nextAt ?? null,
  ]);
};

const encodeCursor = (key: unknown) => Buffer.from(JSON.stringify(key)).toString('base64url');
function decodeCursor(
  cursor: string | undefined,
): (ItemKey & { gsi1pk?: string; gsi1sk?: string }) | undefined {
  if (!cursor) return undefined;
  try {
    const key = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (typeof key?.pk === 'string' && typeof key?.sk === 'string') return key;
  } catch {}
  return undefined;
}

const parse = <T>(i: TableItem): T => JSON.parse(i.item) as T;
const downtimeItem = (downtime: Downtime): TableItem => {
  const { version: _v, ...body } = downtime as StoredDowntime;
  return {
    pk: tenantPk(downtime.tenantId),
    sk: `DOWNTIME#${downtime.downtimeId}`,
    item: JSON.stringify(body),
  };
};
/** Downtimes written before versioning carry no version: they count as 0 (putIfVersion's rule). */
const storedDowntime = (i: TableItem): StoredDowntime => ({ ...parse<Downtime>(i), version: i.version ?? 0 });

/** A webhook secret never leaves the store in an export. */
function redactChain(chain: EscalationChain): EscalationChain {
  return {
    ...chain,
    stages: chain.stages.map((s) => ({
      recipients: s.recipients.map(({ secret, ...r }) => (secret ? { ...r, secret: '[redacted]' } : r)),
    })),
  };
}

export class ItemAlertStore implements AlertStore {
  readonly dataName = 'alerts';
  private readonly historyRetentionDays: number;

  constructor(
    private readonly table: ItemTable,
    options: { historyRetentionDays?: number } = {},
  ) {
    this.historyRetentionDays = options.historyRetentionDays ?? DEFAULT_HISTORY_RETENTION_DAYS;
  }

  async putRule(rule: AlertRule): Promise<void> {
    await this.table.write(
      [
        {
          pk: tenantPk(rule.tenantId),
          sk: `ALERTRULE#${rule.ruleId}`,
          ...(rule.enabled ? { gsi1pk: RULES_INDEX, gsi1sk: `${rule.tenantId}#${rule.ruleId}` } : {}),
          item: JSON.stringify(rule),
        },
      ],
      [],
    );
  }

  async getRule(tenantId: string, ruleId: string) {
    const i = await this.table.get(tenantPk(tenantId), `ALERTRULE#${ruleId}`);
    return i && parse<AlertRule>(i);
  }

  listRules(tenantId: string) {
    return this.all<AlertRule>(tenantId, 'ALERTRULE#');
  }

  async deleteRule(tenantId: string, ruleId: string): Promise<boolean> {
    const existing = await this.table.get(tenantPk(tenantId), `ALERTRULE#${ruleId}`);
    if (!existing) return false;
    const states = await this.allItems(tenantPk(tenantId), `ASTATE#${ruleId}#`);
    await this.table.write([], [existing, ...states]);
    return true;
  }

  async listEnabledRules(page: { cursor?: string; limit: number }): Promise<Page<AlertRule>> {
    const after = decodeCursor(page.cursor);
    const result = await this.table.queryIndex(RULES_INDEX, {
      limit: page.limit,
      ...(after ? { after } : {}),
    });
    return {
      items: result.items.map((i) => parse<AlertRule>(i)),
      ...(result.last ? { cursor: encodeCursor(result.last) } : {}),
    };
  }

  async putChain(chain: EscalationChain) {
    await this.table.write(
      [{ pk: tenantPk(chain.tenantId), sk: `ESCCHAIN#${chain.chainId}`, item: JSON.stringify(chain) }],
      [],
    );
  }

  async getChain(tenantId: string, chainId: string) {
    const i = await this.table.get(tenantPk(tenantId), `ESCCHAIN#${chainId}`);
    return i && parse<EscalationChain>(i);
  }

  listChains(tenantId: string) {
    return this.all<EscalationChain>(tenantId, 'ESCCHAIN#');
  }

  deleteChain(tenantId: string, chainId: string) {
    return this.deleteOne(tenantPk(tenantId), `ESCCHAIN#${chainId}`);
  }

  async putRoute(route: AlertRoute) {
    await this.table.write(
      [{ pk: tenantPk(route.tenantId), sk: `ALERTROUTE#${route.routeId}`, item: JSON.stringify(route) }],
      [],
    );
  }

  async getRoute(tenantId: string, routeId: string) {
    const i = await this.table.get(tenantPk(tenantId), `ALERTROUTE#${routeId}`);
    return i && parse<AlertRoute>(i);
  }

  listRoutes(tenantId: string) {
    return this.all<AlertRoute>(tenantId, 'ALERTROUTE#');
  }

  deleteRoute(tenantId: string, routeId: string) {
    return this.deleteOne(tenantPk(tenantId), `ALERTROUTE#${routeId}`);
  }

  async referenceEmailRecipient(tenantId: string, address: string) {
    const { forward, reverse } = emailRefKeys(tenantId, address);
    await this.table.write(
      [
        { ...forward, item: '{}' },
        { ...reverse, item: JSON.stringify({ address }) },
      ],
      [],
    );
  }

  async releaseEmailRecipient(tenantId: string, address: string) {
    const { forward, reverse } = emailRefKeys(tenantId, address);
    await this.table.write([], [forward, reverse]);
    return this.unreferenced(address);
  }

  async releaseTenantEmailRecipients(
    tenantId: string,
    onLastReference?: (address: string) => Promise<void>,
    alsoNamed: Iterable<string> = [],
  ) {
    const addresses = new Set((await this.listChains(tenantId)).flatMap((c) => [...emailsOf(c)]));
    for (const address of alsoNamed) addresses.add(address);
    for (const i of await this.allItems(tenantPk(tenantId), EMAIL_REF_PREFIX))
      addresses.add(parse<{ address: string }>(i).address);
    const unreferenced: string[] = [];
    for (const address of addresses) {
      const { forward, reverse } = emailRefKeys(tenantId, address);
      await this.table.write([], [forward]);
      if (await this.unreferenced(address)) {
        // Before the reverse item goes: a failure here leaves it, so a retry finds the address again.
        await onLastReference?.(address);
        unreferenced.push(address);
      }
      await this.table.write([], [reverse]);
    }
    return unreferenced;
  }

  private async unreferenced(address: string) {
    return (await this.table.query(emailRefPk(address), { prefix: 'TENANT#', limit: 1 })).items.length === 0;
  }

  async putDowntime(downtime: Downtime) {
    if (!(await this.table.putIfVersion(downtimeItem(downtime), undefined)))
      throw new Error(`downtime ${downtime.downtimeId} already exists`);
  }

  async getDowntime(tenantId: string, downtimeId: string) {
    const i = await this.table.get(tenantPk(tenantId), `DOWNTIME#${downtimeId}`);
    return i && storedDowntime(i);
  }

  replaceDowntime(downtime: Downtime, expectedVersion: number) {
    return this.table.putIfVersion(downtimeItem(downtime), expectedVersion);
  }

  async listDowntimes(tenantId: string) {
    return (await this.allItems(tenantPk(tenantId), 'DOWNTIME#')).map(storedDowntime);
  }

  deleteDowntime(tenantId: string, downtimeId: string) {
    return this.deleteOne(tenantPk(tenantId), `DOWNTIME#${downtimeId}`);
  }

  async getSeriesStates(tenantId: string, ruleId: string): Promise<Map<string, StoredSeriesState>> {
    const items = await this.allItems(tenantPk(tenantId), `ASTATE#${ruleId}#`);
    const map = new Map<string, StoredSeriesState>();
    for (const i of items) {
      const { version: _ignored, ...s } = parse<StoredSeriesState>(i);
      map.set(s.seriesKey, { ...s, version: i.version ?? 0 });
    }
    return map;
  }

  async putSeriesStates(
    tenantId: string,
    ruleId: string,
    states: readonly StoredSeriesState[],
  ): Promise<string[]> {
    const refused: string[] = [];
    // Conditional writes are per item (a transaction would refuse all for one conflict); 25 at a time.
    for (let i = 0; i < states.length; i += 25) {
      await Promise.all(
        states.slice(i, i + 25).map(async ({ version, ...s }) => {
          const written = await this.table.putIfVersion(
            { pk: tenantPk(tenantId), sk: `ASTATE#${ruleId}#${h(s.seriesKey)}`, item: JSON.stringify(s) },
            version,
          );
          if (!written) refused.push(s.seriesKey);
        }),
      );
    }
    return refused;
  }

  async putAlert(alert: Alert): Promise<void> {
    const { puts, deletes } = this.alertWrites(alert);
    await this.table.write(puts, deletes);
  }

  async advanceEscalation(
    next: Alert,
    read: Alert,
    queue?: { readonly events: readonly AlertBusEvent[]; readonly nowMs: number },
  ): Promise<OutboxEntry[] | false> {
    const { puts, deletes } = this.alertWrites(next);
    // The step's notification joins the outbox in the same atomic write: no crash can leave a stage
    // advanced without its event queued (or queued without the stage advanced).
    const entries = queue ? outboxEntriesOf(queue.events, queue.nowMs) : [];
    const written = await this.table.writeIfMarked([...puts, ...entries.map(outboxItem)], deletes, {
      pk: tenantPk(read.tenantId),
      sk: `ALERT#${read.alertId}`,
      mark: escalationMark(read),
    });
    return written ? entries : false;
  }

  /** The alert item (on the escalation index while a stage is pending) and its open-by-resource pointer. */
  private alertWrites(alert: Alert): { puts: TableItem[]; deletes: ItemKey[] } {
    const pk = tenantPk(alert.tenantId);
    const pending = escalationPending(alert);
    const expiresAt = historyExpiry(alert, this.historyRetentionDays);
    const alertItem: TableItem = {
      pk,
      sk: `ALERT#${alert.alertId}`,
      ...(expiresAt !== undefined ? { expiresAt } : {}),
      ...(pending
        ? {
            gsi1pk: ESCALATION_INDEX,
            gsi1sk: `${String(alert.escalation?.nextAt).padStart(15, '0')}#${alert.tenantId}#${alert.alertId}`,
          }
        : {}),
      item: JSON.stringify(alert),
      mark: escalationMark(alert),
    };
    const resource = resourceKeyOf(alert);
    const pointer = resource ? { pk, sk: `AOPEN#${h(resource)}#${alert.alertId}` } : undefined;
    if (pointer && alert.status === 'open')
      return { puts: [alertItem, { ...pointer, item: JSON.stringify(alert) }], deletes: [] };
    return { puts: [alertItem], deletes: pointer ? [pointer] : [] };
  }

  async getAlert(tenantId: string, alertId: string) {
    const i = await this.table.get(tenantPk(tenantId), `ALERT#${alertId}`);
    return i && parse<Alert>(i);
  }

  async listAlerts(
    tenantId: string,
    options: { status?: 'open' | 'cleared'; limit: number; cursor?: string },
  ): Promise<Page<Alert>> {
    const items: Alert[] = [];
    let after = decodeCursor(options.cursor);
    for (;;) {
      const page = await this.table.query(tenantPk(tenantId), {
        prefix: 'ALERT#',
        reverse: true,
        limit: options.limit,
        ...(after ? { after } : {}),
      });
      for (const i of page.items) {
        const alert = parse<Alert>(i);
        if (!options.status || alert.status === options.status) items.push(alert);
        if (items.length === options.limit) {
          const more = i !== page.items.at(-1) || page.last !== undefined;
          return { items, ...(more ? { cursor: encodeCursor({ pk: i.pk, sk: i.sk }) } : {}) };
        }
      }
      if (!page.last) return { items };
      after = page.last;
    }
  }

  async alertHistory(tenantId: string, query: AlertHistoryQuery): Promise<AlertHistoryPage> {
    const pk = tenantPk(tenantId);
    const lowest = query.fromMs === undefined ? undefined : `ALERT#${alertIdTimePrefix(query.fromMs)}`;
    // Newest first from just below `to` (ids start with the opening time, so the key range is the time range).
    let after: ItemKey | undefined =
      decodeCursor(query.cursor) ??
      (query.toMs === undefined ? undefined : { pk, sk: `ALERT#${alertIdTimePrefix(query.toMs)}` });
    const maxScan = query.maxScan ?? MAX_HISTORY_SCAN;
    const nowSeconds = query.nowMs / 1000;
    const items: Alert[] = [];
    let scanned = 0;
    for (;;) {
      const page = await this.table.query(pk, {
        prefix: 'ALERT#',
        reverse: true,
        limit: Math.min(maxScan - scanned, Math.max(query.limit - items.length, 100)),
        ...(after ? { after } : {}),
      });
      for (const i of page.items) {
        if (lowest !== undefined && i.sk < lowest) return { items, scanned };
        scanned++;
        after = { pk: i.pk, sk: i.sk };
        // DynamoDB deletes expired items within days; they are gone for the API at once.
        if (i.expiresAt !== undefined && i.expiresAt < nowSeconds) continue;
        const alert = parse<Alert>(i);
        if (!matchesHistoryFilter(alert, query.filter)) continue;
        items.push(alert);
        if (items.length === query.limit) {
          const more = i !== page.items.at(-1) || page.last !== undefined;
          return { items, scanned, ...(more ? { cursor: encodeCursor(after) } : {}) };
        }
      }
      if (!page.last) return { items, scanned };
      after = page.last;
      // The scan budget is spent: answer what matched so far, and where to go on.
      if (scanned >= maxScan) return { items, scanned, cursor: encodeCursor(after) };
    }
  }

  async openAlertsOnResources(tenantId: string, resources: readonly string[]): Promise<Alert[]> {
    const result: Alert[] = [];
    for (const resource of new Set(resources)) {
      for (const i of await this.allItems(tenantPk(tenantId), `AOPEN#${h(resource)}#`))
        result.push(parse<Alert>(i));
    }
    return result;
  }

  async dueEscalations(nowMs: number, limit: number): Promise<Alert[]> {
    const page = await this.table.queryIndex(ESCALATION_INDEX, {
      upTo: `${String(nowMs).padStart(15, '0')}#\uffff`,
      limit,
    });
    return page.items.map((i) => parse<Alert>(i));
  }

  async latestIncident(tenantId: string, resource: string) {
    const i = await this.table.get(tenantPk(tenantId), `INCIDENT#${h(resource)}`);
    return i && parse<Incident>(i);
  }

  async putIncident(incident: Incident) {
    await this.table.write(
      [
        {
          pk: tenantPk(incident.tenantId),
          sk: `INCIDENT#${h(incident.resource)}`,
          item: JSON.stringify(incident),
        },
      ],
      [],
    );
  }

  async enqueueEvents(events: readonly AlertBusEvent[], nowMs: number): Promise<OutboxEntry[]> {
    const entries = outboxEntriesOf(events, nowMs);
    // One write: up to 100 events atomically (DynamoDB transaction), beyond that in batches.
    await this.table.write(entries.map(outboxItem), []);
    return entries;
  }

  async pendingEvents(limit: number): Promise<OutboxEntry[]> {
    const items: TableItem[] = [];
    for (let shard = 0; shard < OUTBOX_SHARDS; shard++)
      items.push(...(await this.table.query(`OUTBOX#${shard}`, { prefix: OUTBOX_PREFIX, limit })).items);
    // Each shard answers oldest first; the oldest `limit` of all are among the shards' first `limit`.
    items.sort((a, b) => (a.sk < b.sk ? -1 : a.sk > b.sk ? 1 : 0));
    return items.slice(0, limit).map((i) => parse<OutboxEntry>(i));
  }

  async removeEvents(entries: readonly OutboxEntry[]): Promise<void> {
    const keys = entries.map((e) => ({ pk: outboxPk(e.eventId), sk: outboxSk(e) }));
    for (let i = 0; i < keys.length; i += 100) await this.table.write([], keys.slice(i, i + 100));
  }

  async *exportTenant(tenantId: string): AsyncIterable<unknown> {
    for (const prefix of PREFIXES) {
      for (const i of await this.allItems(tenantPk(tenantId), prefix)) {
        const body = parse<unknown>(i);
        yield {
          kind: prefix.slice(0, -1).toLowerCase(),
          ...(prefix === 'ESCCHAIN#' ? redactChain(body as EscalationChain) : (body as object)),
        };
      }
    }
  }

  async deleteTenant(tenantId: string): Promise<number> {
    let removed = 0;
    // The tenant's references to shared email subscriptions (offboarding releases them first, and
    // unsubscribes the addresses nobody references any more; this is what is left without it).
    await this.releaseTenantEmailRecipients(tenantId);
    for (const prefix of PREFIXES) {
      const items = await this.allItems(tenantPk(tenantId), prefix);
      for (let i = 0; i < items.length; i += 100) await this.table.write([], items.slice(i, i + 100));
      removed += items.length;
    }
    // Events of this tenant still waiting in the outbox carry its data too.
    for (let shard = 0; shard < OUTBOX_SHARDS; shard++) {
      const items = (await this.allItems(`OUTBOX#${shard}`, OUTBOX_PREFIX)).filter(
        (i) => parse<OutboxEntry>(i).tenantId === tenantId,
      );
      for (let i = 0; i < items.length; i += 100) await this.table.write([], items.slice(i, i + 100));
      removed += items.length;
    }
    return removed;
  }

  private async all<T>(tenantId: string, prefix: string): Promise<T[]> {
    return (await this.allItems(tenantPk(tenantId), prefix)).map((i) => parse<T>(i));
  }

  private async allItems(pk: string, prefix: string): Promise<TableItem[]> {
    const items: TableItem[] = [];
    let after: ItemKey | undefined;
    for (;;) {
      const page = await this.table.query(pk, { prefix, ...(after ? { after } : {}) });
      items.push(...page.items);
      if (!page.last) return items;
      after = page.last;
    }
  }

  private async deleteOne(pk: string, sk: string): Promise<boolean> {
    const existing = await this.table.get(pk, sk);
    if (!existing) return false;
    await this.table.write([], [existing]);
    return true;
  }
}
