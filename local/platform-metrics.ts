/**
 * The provider's operational metrics on this machine. In AWS the functions' EMF lines become
 * CloudWatch metrics and API Gateway publishes Latency/4XXError/5XXError; here the same EMF documents
 * (Powertools Metrics, captured instead of printed) and the same request metrics, measured by the
 * local server, go into an embedded store (its own SQLite metric store file), queried by the provider
 * view through GET /admin/v1/platform-metrics/query in the shape of /v1/metrics/query.
 *
 * Points are rolled up in 10-second buckets before they are stored (a request each would be a write
 * each): counts as their sum, milliseconds as `<name>_p50` and `<name>_p99` of the bucket.
 */
import { Metrics } from '@aws-lambda-powertools/metrics';
import type { Sample } from '#domain/metrics';
import type { MetricQuery, Series } from '#domain/query';
import { createObservability, METRICS_NAMESPACE, type Observability } from '#http/handler';
import type { MetricStore } from '#ports/metric-store';

export const PLATFORM_TENANT = 'platform';
const BUCKET_MS = 10_000;

type MetricsOptions = ConstructorParameters<typeof Metrics>[0];

interface Bucket {
  readonly metric: string;
  readonly dimensions: Record<string, string>;
  readonly bucketMs: number;
  readonly unit: string;
  readonly values: number[];
}

/** The part of an EMF document this reads (CloudWatch embedded metric format). */
interface EmfDocument {
  readonly _aws?: {
    readonly Timestamp?: number;
    readonly CloudWatchMetrics?: readonly {
      readonly Dimensions?: readonly (readonly string[])[];
      readonly Metrics?: readonly { readonly Name: string; readonly Unit?: string }[];
    }[];
  };
  readonly [key: string]: unknown;
}

export class PlatformMetrics {
  private readonly buckets = new Map<string, Bucket>();
  private readonly timer: ReturnType<typeof setInterval>;
  private flushing: Promise<void> = Promise.resolve();

  constructor(
    private readonly store: MetricStore,
    private readonly now: () => number = Date.now,
  ) {
    this.timer = setInterval(() => void this.flush(), BUCKET_MS);
    this.timer.unref();
  }

  record(
    metric: string,
    dimensions: Record<string, string>,
    value: number,
    unit = 'Count',
    atMs = this.now(),
  ): void {
    if (!Number.isFinite(value)) return;
    const bucketMs = atMs - (atMs % BUCKET_MS);
    const key = `${metric}\u0000${JSON.stringify(dimensions)}\u0000${bucketMs}`;
    let bucket = this.buckets.get(key);
    if (!bucket) {
      bucket = { metric, dimensions, bucketMs, unit, values: [] };
      this.buckets.set(key, bucket);
    }
    bucket.values.push(value);
  }

  /** Every metric of one EMF document, with the dimensions its directive names. */
  recordEmf(document: EmfDocument): void {
    const at = document._aws?.Timestamp ?? this.now();
    for (const directive of document._aws?.CloudWatchMetrics ?? []) {
      const dimensions: Record<string, string> = {};
      for (const name of directive.Dimensions?.flat() ?? []) {
        // `service` is on every document: the function, not a breakdown anyone charts.
        if (name !== 'service' && typeof document[name] === 'string')
          dimensions[name] = document[name] as string;
      }
      for (const { Name, Unit } of directive.Metrics ?? []) {
        const raw = document[Name];
        for (const value of Array.isArray(raw) ? raw : [raw]) {
          if (typeof value === 'number') this.record(Name, dimensions, value, Unit ?? 'Count', at);
        }
      }
    }
  }

  /** Observability whose Powertools Metrics feed this store (and still print nothing locally). */
  observability(serviceName: string): Observability {
    const base = createObservability(serviceName);
    return { ...base, metrics: capturingMetrics(this, { serviceName, namespace: METRICS_NAMESPACE }) };
  }

  /** Writes every bucket that has closed (all of them with `all`). */
  flush(all = false): Promise<void> {
    this.flushing = this.flushing.then(async () => {
      const open = this.now() - (this.now() % BUCKET_MS);
      const samples: Sample[] = [];
      for (const [key, bucket] of this.buckets) {
        if (!all && bucket.bucketMs >= open) continue;
        this.buckets.delete(key);
        const { metric, dimensions, bucketMs: timestampMs, values } = bucket;
        if (bucket.unit === 'Milliseconds') {
          const sorted = [...values].sort((a, b) => a - b);
          const at = (q: number) =>
            sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)] as number;
          samples.push({ metric: `${metric}_p50`, dimensions, timestampMs, value: at(0.5) });
          samples.push({ metric: `${metric}_p99`, dimensions, timestampMs, value: at(0.99) });
        } else {
          samples.push({ metric, dimensions, timestampMs, value: values.reduce((a, b) => a + b, 0) });
        }
      }
      if (samples.length > 0) await this.store.write(PLATFORM_TENANT, samples);
    });
    return this.flushing;
  }

  query(query: MetricQuery): Promise<Series[]> {
    return this.store.query(PLATFORM_TENANT, query);
  }

  async close(): Promise<void> {
    clearInterval(this.timer);
    await this.flush(true);
  }
}

/**
 * Powertools Metrics that hand each EMF document to `sink` instead of stdout. `publishStoredMetrics`
 * is where Powertools prints; `singleMetric` builds a plain Metrics, so it is overridden to keep
 * capturing (the ingest guard's per-tenant metrics are single-metric documents).
 */
function capturingMetrics(sink: PlatformMetrics, options: MetricsOptions): Metrics {
  class CapturingMetrics extends Metrics {
    override publishStoredMetrics(): this {
      if (this.hasStoredMetrics()) sink.recordEmf(this.serializeMetrics() as unknown as EmfDocument);
      this.clearMetrics();
      this.clearDimensions();
      this.clearMetadata();
      return this;
    }
    override singleMetric(): Metrics {
      return capturingMetrics(sink, { ...options, singleMetric: true });
    }
  }
  return new CapturingMetrics(options);
}
