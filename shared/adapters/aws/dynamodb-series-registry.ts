import { TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import { BatchGetCommand, type DynamoDBDocumentClient, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import { UnavailableError } from '#domain/errors';
import { ACTIVE_SERIES_WINDOW_MS } from '#domain/guardrails/limits';
import type {
  SeriesAdmission,
  SeriesLimits,
  SeriesRef,
  SeriesRefusal,
  SeriesRegistry,
  SeriesUsage,
} from '#ports/series-registry';
import { DynamoDbTenantItems, pad, queryPrefix, SK_PREFIX, tenantPk } from './dynamodb-ingest-state';

/** Series per transaction: each series is one Put, plus one count update per metric and the tenant's. */
const CHUNK = 40;

/**
 * Active series counted globally in DynamoDB (see series-registry.ts for the window model).
 *
 * Known series (registered in this window) cost one BatchGet, or nothing once this instance has
 * seen them. New series are admitted by TransactWriteItems: a Put of each series marker
 * (`attribute_not_exists`) and atomic ADDs to the tenant's and each metric's count, each
 * conditioned on staying within the limit — so two instances cannot admit past it together.
 */
export class DynamoDbSeriesRegistry extends DynamoDbTenantItems implements SeriesRegistry {
  readonly dataName = 'active-series';
  protected readonly prefixes = [SK_PREFIX.series, SK_PREFIX.seriesCount];
  /** Series this instance knows are registered in the current window: `tenant window id`. */
  private readonly known = new Set<string>();
  private knownWindow = -1;

  constructor(client: DynamoDBDocumentClient, tableName: string) {
    super(client, tableName);
  }

  async admit(
    tenantId: string,
    series: readonly SeriesRef[],
    limits: SeriesLimits,
    nowMs: number,
  ): Promise<SeriesAdmission> {
    const win = Math.floor(nowMs / ACTIVE_SERIES_WINDOW_MS);
    if (win !== this.knownWindow) {
      this.known.clear();
      this.knownWindow = win;
    }
    const refused = new Map<string, SeriesRefusal>();
    const unique = [...new Map(series.map((s) => [s.id, s])).values()].filter(
      (s) => !this.known.has(`${tenantId} ${s.id}`),
    );
    if (unique.length === 0) return { refused };

    const pk = tenantPk(tenantId);
    const present = await this.existing(pk, unique, [win, win - 1]);
    const carried: SeriesRef[] = [];
    const fresh: SeriesRef[] = [];
    for (const ref of unique) {
      if (present.has(seriesSk(win, ref.id))) this.remember(tenantId, ref);
      else if (present.has(seriesSk(win - 1, ref.id))) carried.push(ref);
      else fresh.push(ref);
    }
    // Series active in the previous window carry over without a limit check: existing series keep ingesting.
    for (let i = 0; i < carried.length; i += CHUNK) {
      await this.register(tenantId, win, carried.slice(i, i + CHUNK), undefined);
    }
    if (fresh.length > 0) await this.admitFresh(tenantId, win, fresh, limits, refused);
    return { refused };
  }

  async usage(tenantId: string, nowMs: number): Promise<SeriesUsage> {
    const win = Math.floor(nowMs / ACTIVE_SERIES_WINDOW_MS);
    const perMetric = new Map<string, number>();
    let activeSeries = 0;
    for (const w of [win, win - 1]) {
      for await (const item of queryPrefix(this.client, this.tableName, tenantPk(tenantId), countSk(w))) {
        const n = Number(item.n ?? 0);
        const metric = (item.sk as string).split('#M#')[1];
        if (metric === undefined) activeSeries = Math.max(activeSeries, n);
        else perMetric.set(metric, Math.max(perMetric.get(metric) ?? 0, n));
      }
    }
    return {
      activeSeries,
      perMetric: [...perMetric]
        .map(([metric, n]) => ({ metric, activeSeries: n }))
        .sort((a, b) => b.activeSeries - a.activeSeries)
        .slice(0, 20),
    };
  }

  private remember(tenantId: string, ref: SeriesRef): void {
    if (this.known.size > 200_000) this.known.clear();
    this.known.add(`${tenantId} ${ref.id}`);
  }

  private async admitFresh(
    tenantId: string,
    win: number,
    fresh: SeriesRef[],
    limits: SeriesLimits,
    refused: Map<string, SeriesRefusal>,
  ): Promise<void> {
    const pk = tenantPk(tenantId);
    let pending = fresh;
    for (let round = 0; pending.length > 0; round++) {
      if (round > 8) throw new UnavailableError('active series registry is contended; retry', 1);
      // Room left under each limit: the active count is the larger of this and the previous window.
      const counts = await this.activeCounts(pk, win, pending);
      let tenantRoom = limits.maxActiveSeries - (counts.get('') ?? 0);
      const metricRoom = new Map<string, number>();
      const chosen: SeriesRef[] = [];
      for (const ref of pending) {
        const room =
          metricRoom.get(ref.metric) ?? limits.maxActiveSeriesPerMetric - (counts.get(ref.metric) ?? 0);
        if (tenantRoom <= 0) refused.set(ref.id, 'max-series');
        else if (room <= 0) refused.set(ref.id, 'max-series-per-metric');
        else {
          chosen.push(ref);
          tenantRoom--;
          metricRoom.set(ref.metric, room - 1);
          continue;
        }
        metricRoom.set(ref.metric, room);
      }
      const retry: SeriesRef[] = [];
      for (let i = 0; i < chosen.length; i += CHUNK) {
        const chunk = chosen.slice(i, i + CHUNK);
        const outcome = await this.register(tenantId, win, chunk, limits);
        if (outcome === 'limit-raced') retry.push(...chosen.slice(i));
        if (outcome === 'limit-raced') break;
      }
      pending = retry;
    }
  }

  /**
   * Registers series in window `win` in one transaction. With `limits`, each count update is
   * conditioned on staying within its limit. Markers that already exist (another instance won the
   * race) are dropped from the chunk and the rest retried. Returns 'limit-raced' when a count
   * condition failed: the caller re-reads the counts and decides again.
   */
  private async register(
    tenantId: string,
    win: number,
    chunk: SeriesRef[],
    limits: SeriesLimits | undefined,
  ): Promise<'ok' | 'limit-raced'> {
    const pk = tenantPk(tenantId);
    const expiresAt = Math.ceil(((win + 2) * ACTIVE_SERIES_WINDOW_MS) / 1000) + 3600;
    let remaining = chunk;
    for (let attempt = 0; remaining.length > 0; attempt++) {
      if (attempt > 8) throw new UnavailableError('active series registry is contended; retry', 1);
      const perMetric = new Map<string, number>();
      for (const ref of remaining) perMetric.set(ref.metric, (perMetric.get(ref.metric) ?? 0) + 1);
      const countUpdate = (sk: string, n: number, limit: number | undefined, metric?: string) => ({
        Update: {
          TableName: this.tableName,
          Key: { pk, sk },
          UpdateExpression: metric
            ? 'ADD n :n SET expiresAt = :exp, metric = :metric'
            : 'ADD n :n SET expiresAt = :exp',
          ...(limit === undefined ? {} : { ConditionExpression: 'attribute_not_exists(n) OR n <= :max' }),
          ExpressionAttributeValues: {
            ':n': n,
            ':exp': expiresAt,
            ...(limit === undefined ? {} : { ':max': limit - n }),
            ...(metric ? { ':metric': metric } : {}),
          },
        },
      });
      const items = [
        ...remaining.map((ref) => ({
          Put: {
            TableName: this.tableName,
            Item: { pk, sk: seriesSk(win, ref.id), metric: ref.metric, expiresAt },
            ConditionExpression: 'attribute_not_exists(pk)',
          },
        })),
        countUpdate(countSk(win), remaining.length, limits?.maxActiveSeries),
        ...[...perMetric].map(([metric, n]) =>
          countUpdate(countSk(win, metric), n, limits?.maxActiveSeriesPerMetric, metric),
        ),
      ];
      try {
        await this.client.send(new TransactWriteCommand({ TransactItems: items }));
        for (const ref of remaining) this.remember(tenantId, ref);
        return 'ok';
      } catch (error) {
        if (!(error instanceof TransactionCanceledException)) throw error;
        const reasons = error.CancellationReasons ?? [];
        const conflict = reasons.some(
          (r) => r.Code === 'TransactionConflict' || r.Code === 'ThrottlingError',
        );
        const existing = new Set<number>();
        let limitFailed = false;
        reasons.forEach((r, i) => {
          if (r.Code !== 'ConditionalCheckFailed') return;
          if (i < remaining.length) existing.add(i);
          else limitFailed = true;
        });
        if (existing.size > 0) {
          for (const i of existing) this.remember(tenantId, remaining[i]!);
          remaining = remaining.filter((_, i) => !existing.has(i));
          continue;
        }
        if (limitFailed) return 'limit-raced';
        if (!conflict) throw error;
        await new Promise((r) => setTimeout(r, Math.random() * 20 * 2 ** attempt));
      }
    }
    return 'ok';
  }

  /** Which of the series markers exist, for the given windows. */
  private async existing(pk: string, refs: readonly SeriesRef[], windows: number[]): Promise<Set<string>> {
    const keys = refs.flatMap((ref) => windows.map((w) => ({ pk, sk: seriesSk(w, ref.id) })));
    const found = new Set<string>();
    for (const item of await this.batchGet(keys)) found.add(item.sk as string);
    return found;
  }

  /** Active counts ('' for the tenant, else per metric): max over this and the previous window. */
  private async activeCounts(
    pk: string,
    win: number,
    refs: readonly SeriesRef[],
  ): Promise<Map<string, number>> {
    const metrics = [...new Set(refs.map((r) => r.metric))];
    const keys = [win, win - 1].flatMap((w) => [
      { pk, sk: countSk(w) },
      ...metrics.map((m) => ({ pk, sk: countSk(w, m) })),
    ]);
    const active = new Map<string, number>();
    for (const item of await this.batchGet(keys)) {
      const metric = (item.sk as string).split('#M#')[1] ?? '';
      active.set(metric, Math.max(active.get(metric) ?? 0, Number(item.n ?? 0)));
    }
    return active;
  }

  private async batchGet(keys: { pk: string; sk: string }[]): Promise<Record<string, unknown>[]> {
    const items: Record<string, unknown>[] = [];
    for (let i = 0; i < keys.length; i += 100) {
      let request: Record<string, unknown>[] = keys.slice(i, i + 100);
      for (let attempt = 0; request.length > 0; attempt++) {
        if (attempt > 8) throw new UnavailableError('active series registry is throttled; retry', 1);
        const result = await this.client.send(
          new BatchGetCommand({
            RequestItems: { [this.tableName]: { Keys: request, ConsistentRead: true } },
          }),
        );
        items.push(...(result.Responses?.[this.tableName] ?? []));
        request = result.UnprocessedKeys?.[this.tableName]?.Keys ?? [];
        if (request.length > 0) await new Promise((r) => setTimeout(r, 20 * 2 ** attempt));
      }
    }
    return items;
  }
}

const seriesSk = (win: number, id: string): string => `${SK_PREFIX.series}${pad(win)}#${id}`;
const countSk = (win: number, metric?: string): string =>
  metric === undefined
    ? `${SK_PREFIX.seriesCount}${pad(win)}`
    : `${SK_PREFIX.seriesCount}${pad(win)}#M#${metric}`;
