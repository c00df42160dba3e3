import { SqliteDeadLetters } from '#adapters/local/sqlite-dead-letters';
import { UnavailableError } from '#domain/errors';
import { type Sample, seriesKey, type WriteResult } from '#domain/metrics';
import type { MetricQuery, Series } from '#domain/query';
import { seriesFromSamples } from '#domain/query';
import type { MetricStore } from '#ports/metric-store';
import type { SpilledBatch, SpillQueue } from '#ports/spill-queue';

/** An in-memory store keyed like the real ones (tenant, series, time): a re-write is an upsert. */
export class RecordingMetricStore implements MetricStore {
  readonly writes: { tenantId: string; samples: readonly Sample[] }[] = [];
  readonly points = new Map<string, Sample>();

  async write(tenantId: string, samples: readonly Sample[]): Promise<WriteResult> {
    this.writes.push({ tenantId, samples });
    for (const s of samples)
      this.points.set(`${tenantId}\u0003${seriesKey(s.metric, s.dimensions)}\u0003${s.timestampMs}`, s);
    return { accepted: samples.length, rejected: [] };
  }

  async query(tenantId: string, query: MetricQuery): Promise<Series[]> {
    const mine = [...this.points.entries()]
      .filter(([key]) => key.startsWith(`${tenantId}\u0003`))
      .map(([, s]) => s);
    return seriesFromSamples(mine, query);
  }

  pointCount(): number {
    return this.points.size;
  }
}

/** Wraps a store with a switchable outage (UnavailableError), as a down Timestream looks after retries. */
export class FlakyMetricStore implements MetricStore {
  down = false;
  /** When set, the store goes down after this many more successful writes. */
  downAfterWrites: number | undefined;
  failWith: Error | undefined;

  constructor(private readonly inner: MetricStore) {}

  async write(tenantId: string, samples: readonly Sample[]): Promise<WriteResult> {
    this.check();
    if (this.downAfterWrites !== undefined) {
      if (this.downAfterWrites <= 0) {
        this.down = true;
        this.check();
      }
      this.downAfterWrites--;
    }
    return this.inner.write(tenantId, samples);
  }

  async query(tenantId: string, query: MetricQuery): Promise<Series[]> {
    this.check();
    return this.inner.query(tenantId, query);
  }

  private check(): void {
    if (this.failWith) throw this.failWith;
    if (this.down) throw new UnavailableError('the metric store is unavailable; retry later', 5);
  }
}

/** A spill queue that keeps what is parked in memory (the replay parks retryable refusals again). */
export class RecordingSpillQueue implements SpillQueue {
  readonly parked: SpilledBatch[] = [];
  async park(batch: SpilledBatch): Promise<void> {
    this.parked.push(batch);
  }
}

/** Where a replay under test parks retryable refusals and dead-letters the others. */
export const replayOutlets = () => ({
  spill: new RecordingSpillQueue(),
  deadLetters: new SqliteDeadLetters(':memory:'),
});
