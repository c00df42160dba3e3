/**
 * Amazon Managed Service for Prometheus as the MetricStore: writes are Prometheus remote write 1.0
 * (snappy-compressed protobuf) to `<workspace>/api/v1/remote_write`, reads the Prometheus HTTP API,
 * every request SigV4-signed (service `aps`). A real Prometheus with the remote-write receiver speaks
 * the same protocol and API, so the same class runs against it locally and in tests (unsigned).
 *
 * Tenancy: one shared workspace per region, a tenant label on every series and in every selector the
 * adapter builds (amp-labels.ts). Why, and what offboarding can and cannot do: docs in amp-labels.ts,
 * the `erasure` field below and README's metric-store section.
 *
 * Queries fetch the raw samples of the range (`selector[range]` instant queries, which return stored
 * points unchanged) and aggregate them with the domain's own code (seriesFromSamples), exactly as the
 * Timestream adapter does. Not PromQL's *_over_time: their windows are left-open from Prometheus 3
 * and closed in 2.x, newer versions sum floats with compensated (Kahan) summation, and AMP bills query samples
 * processed (QSP), which is the same for `x[1h]` as for `avg_over_time(x[1h])`, so server-side
 * aggregation would save transfer, not cost, and would give answers that can differ from the other
 * stores'. Equality is proven by the one MetricStore contract suite running on all three stores.
 */
import { BadRequestError, UnavailableError, UnprocessableError } from '#domain/errors';
import { BUCKET_LABEL, classicBucketsFromReported } from '#domain/ingest/native-histogram';
import {
  type Dimensions,
  type RejectedSample,
  type Sample,
  seriesKey,
  type WriteResult,
} from '#domain/metrics';
import { type MetricQuery, type Series, seriesFromSamples } from '#domain/query';
import { METRICS_QUERY_LIMITS, QueryBudget, type QueryLimits } from '#domain/query-limits';
import { jsonSampleValue, parseSampleValue, plainValue } from '#domain/special-values';
import type { MetricStore } from '#ports/metric-store';
import type { TenantDataHolder } from '#ports/tenant-data';
import {
  encodeRemoteWriteBody,
  type Histogram,
  REMOTE_WRITE_HEADERS,
  type RemoteSample,
} from '#protocols/prometheus/remote-write';
import {
  dimensionsFromLabels,
  nameFromPrometheus,
  type PromLabel,
  seriesLabels,
  tenantSelector,
} from './amp-labels';
import type { RequestSigner } from './amp-sigv4';
import { type BackoffPolicy, backoffDelayMs, DEFAULT_BACKOFF, sleep } from './retry';

/**
 * AMP's documented default quotas (docs.aws.amazon.com/prometheus/latest/userguide/AMP_quotas.html):
 * "Labels per metric series 70"; ingestion "140,000 samples per second" with a "1,000,000 samples"
 * burst in the long-standing table (newer revisions scale the workspace rate with its active-series
 * capacity, 1/30 of it). The bucket below is one process's share, so it keeps the conservative
 * figure; all are adjustable per account, so each is an option of the store.
 */
export const AMP_QUOTAS = {
  /** Labels per series, `__name__` and our tenant label included. */
  labelsPerSeries: 70,
  /** Ingestion rate per workspace (samples/s, sustained). */
  ingestionSamplesPerSecond: 140_000,
  /** Ingestion burst size per workspace (samples). */
  ingestionBurstSamples: 1_000_000,
  /** Default workspace retention (days) when RetentionPeriodInDays is not configured. */
  retentionDays: 150,
} as const;

/**
 * Samples per remote-write request: Prometheus' own queue_config default (max_samples_per_send), the
 * size AMP receives from every stock Prometheus; a 413 would still halve it (writeBatch).
 */
export const MAX_SAMPLES_PER_REQUEST = 2_000;
export const AMP_REMOTE_WRITE_PATH = '/api/v1/remote_write';
/** Where Prometheus' --web.enable-remote-write-receiver listens. */
export const PROMETHEUS_REMOTE_WRITE_PATH = '/api/v1/write';
/** One raw-sample query covers at most this much time, so a long range never answers in one huge body. */
export const QUERY_WINDOW_MS = 6 * 3_600_000;
/** Extra requests per refused batch to isolate its refused samples: ~6 samples in a 2,000 batch. */
export const SPLIT_BUDGET = 64;
/** One attempt of one request, before it is abandoned and retried. */
export const REQUEST_TIMEOUT_MS = 10_000;
/** Windows of one query fetched at once. */
export const QUERY_CONCURRENCY = 4;

export interface AmpMetricStoreOptions {
  /** `https://aps-workspaces.<region>.amazonaws.com/workspaces/<id>`, or a Prometheus base URL locally. */
  readonly workspaceUrl: string;
  /** sigv4Signer(...) for AMP; unsignedRequests for a local Prometheus. */
  readonly sign: RequestSigner;
  /** AMP: `/api/v1/remote_write` (the default); Prometheus' own receiver: PROMETHEUS_REMOTE_WRITE_PATH. */
  readonly remoteWritePath?: string;
  readonly fetch?: typeof fetch;
  readonly backoff?: BackoffPolicy;
  readonly sleep?: (ms: number) => Promise<void>;
  readonly now?: () => number;
  readonly maxSamplesPerRequest?: number;
  readonly labelsPerSeries?: number;
  /** This process's share of the workspace ingestion quota (token bucket). */
  readonly ingestionSamplesPerSecond?: number;
  readonly ingestionBurstSamples?: number;
  readonly queryWindowMs?: number;
  /** Extra requests one refused batch may spend finding its refused samples (default SPLIT_BUDGET). */
  readonly splitBudget?: number;
  /** Per attempt (default REQUEST_TIMEOUT_MS). */
  readonly requestTimeoutMs?: number;
  /** How far back exportTenant looks: the workspace's retention. */
  readonly retentionDays?: number;
  /**
   * `retention` (AMP): there is no per-series delete; a tenant's samples leave when the workspace
   * retention passes. `prometheus-admin-api`: a self-run Prometheus started with
   * --web.enable-admin-api deletes the tenant's series at once.
   */
  readonly erasure?: 'retention' | 'prometheus-admin-api';
  /** Bounds of /v1/metrics/query reads (METRICS_QUERY_LIMITS by default). */
  readonly queryLimits?: Pick<QueryLimits, 'maxSeries' | 'maxSamples'>;
}

interface PromResponse<T> {
  status: 'success' | 'error';
  data: T;
  errorType?: string;
  error?: string;
}
/** A native histogram point as the Prometheus HTTP API answers it: numbers as strings. */
interface PromHistogram {
  count: string;
  sum: string;
  /** [boundary rule, lower bound, upper bound, count]; absent when every bucket is empty. */
  buckets?: [number, string, string, string][];
}
interface MatrixEntry {
  metric: Record<string, string>;
  /** Absent for a native histogram series (its points come as `histograms`). */
  values?: [number, string][];
  /** The native histogram points of the series (Prometheus ≥ 2.40, AMP). */
  histograms?: [number, PromHistogram][];
}

/**
 * A native histogram point in an offboarding export (JSON lines, beside the float samples'
 * `{metric, dimensions, timestampMs, value}`): what the Prometheus HTTP API reports of it. Numbers as
 * JSON numbers, NaN and ±Inf as "NaN", "+Inf", "-Inf"; each bucket is [boundary rule, lower bound,
 * upper bound, count], the rule as in Prometheus' API (0: (lower, upper], 1: [lower, upper),
 * 2: (lower, upper), 3: [lower, upper], the zero bucket).
 */
export interface ExportedHistogramPoint {
  metric: string;
  dimensions: Dimensions;
  timestampMs: number;
  histogram: {
    count: number | string;
    sum: number | string;
    buckets: [number, number | string, number | string, number | string][];
  };
}

/** A Prometheus API number (a string) as an export writes it: special values stay strings. */
function exportedNumber(text: string): number | string {
  const value = parseSampleValue(text) ?? Number.NaN;
  return jsonSampleValue(value, false).value;
}

/** The classic series a native histogram stands for: `<histogram>_bucket`, `_count`, `_sum`. */
type ClassicPart = 'bucket' | 'count' | 'sum';
const CLASSIC_SUFFIX = /^(.+)_(bucket|count|sum)$/;

function classicSeriesOf(metric: string): { histogram: string; part: ClassicPart } | undefined {
  const match = CLASSIC_SUFFIX.exec(metric);
  return match ? { histogram: match[1]!, part: match[2] as ClassicPart } : undefined;
}

const numberOf = (x: number | string): number =>
  typeof x === 'number' ? x : (parseSampleValue(x) ?? Number.NaN);

/**
 * One native histogram point as the float samples of `metric` (its `_bucket`, `_count` or `_sum`
 * series) that a store converting histograms on ingest holds for it (classicBucketsFromReported).
 */
function classicSamplesOf(point: ExportedHistogramPoint, part: ClassicPart, metric: string): Sample[] {
  const { dimensions, timestampMs, histogram } = point;
  const count = numberOf(histogram.count);
  if (part === 'count') return [{ metric, dimensions, timestampMs, value: count }];
  if (part === 'sum') return [{ metric, dimensions, timestampMs, value: numberOf(histogram.sum) }];
  const buckets = classicBucketsFromReported(
    count,
    histogram.buckets.map(([, lower, upper, n]) => ({
      lower: numberOf(lower),
      upper: numberOf(upper),
      count: numberOf(n),
    })),
  );
  return buckets.bounds.map((le, i) => ({
    metric,
    dimensions: { ...dimensions, [BUCKET_LABEL]: le },
    timestampMs,
    value: buckets.cumulative[i]!,
  }));
}

/** One query window's points: float samples and native histogram points. */
interface WindowPoints {
  samples: Sample[];
  histograms: ExportedHistogramPoint[];
}

/**
 * Refusals of particular samples. AMP answers them with 400; Prometheus 2.42 answers "too old sample"
 * (out-of-order window exceeded) with a 500, which no retry can cure, so the message decides.
 */
const SAMPLE_REFUSAL = /out of order sample|out of bounds|too old sample|duplicate sample for timestamp/i;

/** A request the server refused for its content (4xx other than 429): not worth repeating as is. */
class RefusedError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

export class AmpMetricStore implements MetricStore, TenantDataHolder {
  readonly dataName = 'metrics';
  /**
   * AMP ingests, stores and queries native histograms sent in remote write 1.0's `histograms` field
   * (README "In an AMP region native histograms stay native"): forwarded unchanged, not converted.
   */
  readonly nativeHistograms = true;
  readonly erasure: 'retention' | 'prometheus-admin-api';
  readonly retentionDays: number;
  private readonly base: string;
  private readonly remoteWritePath: string;
  private readonly fetch: typeof fetch;
  private readonly backoff: BackoffPolicy;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly now: () => number;
  private readonly maxSamplesPerRequest: number;
  private readonly labelsPerSeries: number;
  private readonly queryWindowMs: number;
  private readonly splitBudget: number;
  private readonly requestTimeoutMs: number;
  private readonly bucket: TokenBucket;

  constructor(private readonly options: AmpMetricStoreOptions) {
    this.base = options.workspaceUrl.replace(/\/+$/, '');
    this.remoteWritePath = options.remoteWritePath ?? AMP_REMOTE_WRITE_PATH;
    this.fetch = options.fetch ?? fetch;
    this.backoff = options.backoff ?? DEFAULT_BACKOFF;
    this.sleep = options.sleep ?? sleep;
    this.now = options.now ?? Date.now;
    this.maxSamplesPerRequest = options.maxSamplesPerRequest ?? MAX_SAMPLES_PER_REQUEST;
    this.labelsPerSeries = options.labelsPerSeries ?? AMP_QUOTAS.labelsPerSeries;
    this.queryWindowMs = options.queryWindowMs ?? QUERY_WINDOW_MS;
    this.splitBudget = options.splitBudget ?? SPLIT_BUDGET;
    this.requestTimeoutMs = options.requestTimeoutMs ?? REQUEST_TIMEOUT_MS;
    this.retentionDays = options.retentionDays ?? AMP_QUOTAS.retentionDays;
    this.erasure = options.erasure ?? 'retention';
    this.bucket = new TokenBucket(
      options.ingestionSamplesPerSecond ?? AMP_QUOTAS.ingestionSamplesPerSecond,
      options.ingestionBurstSamples ?? AMP_QUOTAS.ingestionBurstSamples,
      this.now,
      this.sleep,
    );
  }

  async write(tenantId: string, samples: readonly Sample[]): Promise<WriteResult> {
    const rejected: RejectedSample[] = [];
    const groups = new Map<string, { labels: PromLabel[]; items: { index: number; sample: Sample }[] }>();
    samples.forEach((sample, index) => {
      const labels = seriesLabels(tenantId, sample.metric, sample.dimensions);
      if (labels.length > this.labelsPerSeries) {
        rejected.push({
          index,
          reason: `series has ${labels.length} labels (metric name and tenant included), more than the workspace limit of ${this.labelsPerSeries}`,
        });
        return;
      }
      const key = seriesKey(sample.metric, sample.dimensions);
      let group = groups.get(key);
      if (!group) {
        group = { labels, items: [] };
        groups.set(key, group);
      }
      group.items.push({ index, sample });
    });

    // Within a series, samples go in time order (the receiver refuses older-than-head samples), and a
    // repeated timestamp in one request is sent once.
    const entries: WriteEntry[] = [];
    for (const group of groups.values()) {
      group.items.sort((a, b) => a.sample.timestampMs - b.sample.timestampMs);
      for (const item of group.items) entries.push({ labels: group.labels, ...item });
    }
    for (let start = 0; start < entries.length; start += this.maxSamplesPerRequest) {
      const batch = entries.slice(start, start + this.maxSamplesPerRequest);
      rejected.push(...(await this.writeBatch(batch)));
    }
    rejected.sort((a, b) => a.index - b.index);
    return { accepted: samples.length - rejected.length, rejected };
  }

  /**
   * Sends one batch. When the receiver refuses it (400: out of order, out of bounds, duplicate with
   * another value …) remote write 1.0 does not say which sample was at fault, so the batch is halved
   * and each half sent again until the refused samples are alone; every sample is then either stored
   * or reported with the receiver's reason. Re-sending stored samples is harmless (same value, same
   * timestamp is a no-op in Prometheus and AMP). The search is bounded by `splitBudget` extra
   * requests per batch (a batch where everything is refused would otherwise cost two requests per
   * sample); past it, a still-refused part is reported sample by sample as refused with its request,
   * which may over-report (a retry of those is idempotent) but never hides a loss.
   */
  private async writeBatch(
    batch: readonly WriteEntry[],
    budget = { left: this.splitBudget },
  ): Promise<RejectedSample[]> {
    await this.bucket.take(batch.length);
    try {
      await this.send('POST', this.remoteWritePath, REMOTE_WRITE_HEADERS, encodeBatch(batch));
      return [];
    } catch (error) {
      if (!(error instanceof RefusedError)) throw error;
      if (batch.length === 1) {
        return [
          { index: (batch[0] as WriteEntry).index, reason: `refused by the metric store: ${error.message}` },
        ];
      }
      if (budget.left < 2) {
        return batch.map((entry) => ({
          index: entry.index,
          reason: `refused by the metric store with the ${batch.length - 1} other samples of its request: ${error.message}`,
        }));
      }
      budget.left -= 2;
      const middle = Math.ceil(batch.length / 2);
      return [
        ...(await this.writeBatch(batch.slice(0, middle), budget)),
        ...(await this.writeBatch(batch.slice(middle), budget)),
      ];
    }
  }

  async query(tenantId: string, query: MetricQuery): Promise<Series[]> {
    // An empty filter value would match series *without* the label in PromQL; no stored dimension is
    // empty, so the other stores answer nothing, and so does this one.
    if (Object.values(query.filters).some((v) => v === '')) return [];
    const selector = tenantSelector(tenantId, query.metric, query.filters);
    const samples: Sample[] = [];
    // Charged as the windows arrive: past the sample limit no further window is requested.
    const budget = new QueryBudget(this.options.queryLimits ?? METRICS_QUERY_LIMITS);
    for await (const sample of this.rawSamples(selector, query.fromMs, query.toMs)) {
      budget.chargeSamples(1);
      samples.push(sample);
    }
    const classic = classicSeriesOf(query.metric);
    if (classic) {
      // `<name>_bucket`, `_count`, `_sum`: the stores that convert native histograms hold these series;
      // here the native histogram `<name>` is read and converted the same way. `le` filters the
      // converted buckets (the native series has no such label).
      const { [BUCKET_LABEL]: _le, ...filters } = query.filters;
      const nativeSelector = tenantSelector(tenantId, classic.histogram, filters);
      for await (const page of this.rawPoints(nativeSelector, query.fromMs, query.toMs))
        for (const point of page.histograms) {
          const converted = classicSamplesOf(point, classic.part, query.metric);
          budget.chargeSamples(converted.length);
          samples.push(...converted);
        }
    }
    return seriesFromSamples(samples, query);
  }

  /** Raw float samples of every series matching `selector` in [fromMs, toMs], in window order. */
  private async *rawSamples(selector: string, fromMs: number, toMs: number): AsyncGenerator<Sample> {
    for await (const page of this.rawPoints(selector, fromMs, toMs)) yield* page.samples;
  }

  /**
   * Raw points of every series matching `selector` in [fromMs, toMs], window by window, up to
   * QUERY_CONCURRENCY windows in flight (a month of 6-hour windows stays well inside API Gateway's
   * 29 s), yielded in window order.
   */
  private async *rawPoints(selector: string, fromMs: number, toMs: number): AsyncGenerator<WindowPoints> {
    const windows: [number, number][] = [];
    for (let start = fromMs; start <= toMs; start += this.queryWindowMs)
      windows.push([start, Math.min(toMs, start + this.queryWindowMs - 1)]);
    for (let i = 0; i < windows.length; i += QUERY_CONCURRENCY) {
      const pages = await Promise.all(
        windows
          .slice(i, i + QUERY_CONCURRENCY)
          .map(([start, end]) => this.windowPoints(selector, start, end)),
      );
      yield* pages;
    }
  }

  private async windowPoints(selector: string, start: number, end: number): Promise<WindowPoints> {
    // Evaluated at `end`, `[range]` holds (end - range, end] from Prometheus 3 and [end - range, end]
    // in 2.x; one extra millisecond covers `start` in both, and the filter below drops the extra.
    const range = `${end - start + 1}ms`;
    const data = await this.promQuery<{ resultType: string; result: MatrixEntry[] }>('/api/v1/query', {
      query: `${selector}[${range}]`,
      time: (end / 1000).toFixed(3),
    });
    const samples: Sample[] = [];
    const histograms: ExportedHistogramPoint[] = [];
    for (const entry of data.result) {
      const metric = nameFromPrometheus(entry.metric['__name__'] ?? '');
      const dimensions = dimensionsFromLabels(entry.metric) as Dimensions;
      for (const [seconds, value] of entry.values ?? []) {
        const timestampMs = Math.round(seconds * 1000);
        if (timestampMs < start || timestampMs > end) continue;
        // "NaN", "+Inf", "-Inf" as the Prometheus API spells them (Number() reads "+Inf" as NaN).
        samples.push({ metric, dimensions, timestampMs, value: parseSampleValue(value) ?? Number.NaN });
      }
      // Native histogram points: /v1/metrics/query reads them as classic series (classicSamplesOf),
      // offboarding exports them as they are.
      for (const [seconds, h] of entry.histograms ?? []) {
        const timestampMs = Math.round(seconds * 1000);
        if (timestampMs < start || timestampMs > end) continue;
        histograms.push({
          metric,
          dimensions,
          timestampMs,
          histogram: {
            count: exportedNumber(h.count),
            sum: exportedNumber(h.sum),
            buckets: (h.buckets ?? []).map(([rule, lower, upper, count]) => [
              rule,
              exportedNumber(lower),
              exportedNumber(upper),
              exportedNumber(count),
            ]),
          },
        });
      }
    }
    return { samples, histograms };
  }

  /**
   * Every float sample and native histogram point the tenant has in the workspace's retention
   * (JSON lines: samples as `{metric, dimensions, timestampMs, value}`, histogram points as
   * ExportedHistogramPoint), a day at a time; days without any of the tenant's series
   * (/api/v1/series) are skipped without reading samples.
   */
  async *exportTenant(tenantId: string): AsyncIterable<unknown> {
    const toMs = this.now();
    const selector = tenantSelector(tenantId);
    for (let start = toMs - this.retentionDays * 86_400_000; start <= toMs; start += 86_400_000) {
      const end = Math.min(toMs, start + 86_400_000 - 1);
      if ((await this.tenantSeries(tenantId, start, end)).length === 0) continue;
      for await (const page of this.rawPoints(selector, start, end)) {
        // Special values as their strings (JSON.stringify would turn NaN into null).
        for (const s of page.samples) yield { ...s, ...jsonSampleValue(s.value, false) };
        yield* page.histograms;
      }
    }
  }

  /**
   * AMP has no per-series delete (Prometheus' admin delete_series is not part of its API), so on
   * AMP nothing is removed here: the tenant's samples leave with the workspace retention
   * (`retentionDays`), and its credentials are gone, so nobody can query them meanwhile. Returns the
   * number of series removed: 0 on AMP; all of the tenant's on a Prometheus with the admin API.
   */
  async deleteTenant(tenantId: string): Promise<number> {
    if (this.erasure !== 'prometheus-admin-api') return 0;
    const toMs = this.now() + 3_600_000;
    const fromMs = toMs - this.retentionDays * 86_400_000 - 3_600_000;
    const series = await this.tenantSeries(tenantId, fromMs, toMs);
    const form = new URLSearchParams({ 'match[]': tenantSelector(tenantId) });
    await this.send('POST', `/api/v1/admin/tsdb/delete_series?${form}`, {}, undefined);
    await this.send('POST', '/api/v1/admin/tsdb/clean_tombstones', {}, undefined);
    return series.length;
  }

  /** What offboarding reports instead of an erasure AMP cannot do (TenantDataHolder). */
  get erasureLimitation(): string | undefined {
    if (this.erasure !== 'retention') return undefined;
    return `Amazon Managed Service for Prometheus cannot delete series on demand: the tenant's samples stay in the shared workspace until its retention (${this.retentionDays} days) expires them; meanwhile no credential of the tenant exists to read them and every query is scoped to its own tenant label.`;
  }

  /** The label sets of the tenant's series (/api/v1/series). */
  async tenantSeries(tenantId: string, fromMs: number, toMs: number): Promise<Record<string, string>[]> {
    return this.promQuery<Record<string, string>[]>('/api/v1/series', {
      'match[]': tenantSelector(tenantId),
      start: (fromMs / 1000).toFixed(3),
      end: (toMs / 1000).toFixed(3),
    });
  }

  /** The label names the tenant uses (/api/v1/labels), unescaped, metric name and tenant label left out. */
  async tenantLabelNames(tenantId: string, fromMs: number, toMs: number): Promise<string[]> {
    const names = await this.promQuery<string[]>('/api/v1/labels', {
      'match[]': tenantSelector(tenantId),
      start: (fromMs / 1000).toFixed(3),
      end: (toMs / 1000).toFixed(3),
    });
    return Object.keys(dimensionsFromLabels(Object.fromEntries(names.map((n) => [n, ''])))).sort();
  }

  /** A Prometheus API read as a form POST (long selectors never hit URL length limits). */
  private async promQuery<T>(path: string, params: Record<string, string>): Promise<T> {
    const body = new URLSearchParams(params).toString();
    let response: Response;
    try {
      response = await this.send(
        'POST',
        path,
        { 'content-type': 'application/x-www-form-urlencoded' },
        new TextEncoder().encode(body),
      );
    } catch (error) {
      if (error instanceof RefusedError && error.status === 422) {
        // Prometheus/AMP refuse a query that would touch too many samples or chunks with 422.
        throw new UnprocessableError(`the metric store refused the query: ${error.message}`, 'from');
      }
      throw error;
    }
    const parsed = (await response.json()) as PromResponse<T>;
    if (parsed.status !== 'success')
      throw new Error(`metric store query failed: ${parsed.error ?? 'unknown'}`);
    return parsed.data;
  }

  /**
   * A Prometheus API read forwarded for the PromQL API (functions/query): the form parameters as
   * given (repeated `match[]` kept), the workspace's refusals as the domain's errors (400 bad data,
   * 422 execution), its `data` and `warnings` as answered.
   */
  async prometheusApi(
    path: string,
    params: readonly (readonly [string, string])[],
  ): Promise<{ data: unknown; warnings: string[] }> {
    const body = new TextEncoder().encode(new URLSearchParams(params as [string, string][]).toString());
    let response: Response;
    try {
      response = await this.send('POST', path, { 'content-type': 'application/x-www-form-urlencoded' }, body);
    } catch (error) {
      if (!(error instanceof RefusedError)) throw error;
      const message = (() => {
        try {
          return (JSON.parse(error.message) as PromResponse<unknown>).error ?? error.message;
        } catch {
          return error.message;
        }
      })();
      if (error.status === 400) throw new BadRequestError(message, 'query');
      throw new UnprocessableError(message, 'query');
    }
    const parsed = (await response.json()) as PromResponse<unknown> & { warnings?: string[] };
    if (parsed.status !== 'success') throw new UnprocessableError(parsed.error ?? 'query failed', 'query');
    return { data: parsed.data, warnings: parsed.warnings ?? [] };
  }

  /** One signed request; 429, 5xx and network faults retried with backoff and full jitter. */
  private async send(
    method: 'GET' | 'POST',
    path: string,
    headers: Readonly<Record<string, string>>,
    body: Uint8Array | undefined,
  ): Promise<Response> {
    const url = new URL(`${this.base}${path}`);
    for (let attempt = 0; ; attempt++) {
      let failure: unknown;
      let retryAfterMs = 0;
      try {
        const signed = await this.options.sign({ method, url, headers, ...(body ? { body } : {}) });
        // `host` is signed but set by fetch itself from the URL.
        const { host: _host, ...sendHeaders } = signed;
        const response = await this.fetch(url, {
          method,
          headers: sendHeaders,
          ...(body ? { body } : {}),
          // A hung connection counts as a failed attempt, well before the Lambda's own timeout.
          signal: AbortSignal.timeout(this.requestTimeoutMs),
        });
        if (response.ok) return response;
        const text = (await response.text()).slice(0, 500).trim();
        // 413: the body is too big for the receiver; halving the batch (writeBatch) is the cure.
        if ([400, 413, 422].includes(response.status) || SAMPLE_REFUSAL.test(text))
          throw new RefusedError(response.status, text);
        if (response.status !== 429 && response.status < 500) {
          // 401/403/404 …: wrong workspace URL or missing grant, not the data's fault; never retried.
          throw new Error(`metric store answered ${response.status} for ${path}: ${text}`);
        }
        failure = new Error(`HTTP ${response.status}: ${text}`);
        retryAfterMs = Number(response.headers.get('retry-after') ?? 0) * 1000 || 0;
      } catch (error) {
        if (error instanceof RefusedError) throw error;
        failure = error;
      }
      if (attempt + 1 >= this.backoff.maxAttempts) {
        throw new UnavailableError('the metric store is unavailable; retry later', 5, { cause: failure });
      }
      await this.sleep(Math.max(retryAfterMs, backoffDelayMs(attempt, this.backoff)));
    }
  }
}

interface WriteEntry {
  readonly labels: PromLabel[];
  readonly index: number;
  readonly sample: Sample;
}

/** Consecutive entries of one series (same label array) become one TimeSeries. */
function encodeBatch(batch: readonly WriteEntry[]): Uint8Array {
  // Remote write carries IEEE bits as they are; the encoder writes a stale marker's exact bits.
  const timeseries: { labels: PromLabel[]; samples: RemoteSample[]; histograms: Histogram[] }[] = [];
  let lastTimestamp = Number.NaN;
  let lastHistogramTimestamp = Number.NaN;
  for (const entry of batch) {
    let current = timeseries[timeseries.length - 1];
    if (!current || current.labels !== entry.labels) {
      current = { labels: entry.labels, samples: [], histograms: [] };
      timeseries.push(current);
      lastTimestamp = Number.NaN;
      lastHistogramTimestamp = Number.NaN;
    }
    const { sample } = entry;
    // Same series, same instant: the later sample in the call wins, as in the other stores.
    if (sample.histogram) {
      const histogram = { ...sample.histogram, timestamp: sample.timestampMs, stale: sample.stale === true };
      if (sample.timestampMs === lastHistogramTimestamp)
        current.histograms[current.histograms.length - 1] = histogram;
      else current.histograms.push(histogram);
      lastHistogramTimestamp = sample.timestampMs;
      continue;
    }
    const wire = {
      value: plainValue(sample.value),
      timestamp: sample.timestampMs,
      stale: sample.stale === true,
    };
    if (sample.timestampMs === lastTimestamp) current.samples[current.samples.length - 1] = wire;
    else current.samples.push(wire);
    lastTimestamp = sample.timestampMs;
  }
  return encodeRemoteWriteBody({ timeseries });
}

/**
 * Client-side share of the workspace ingestion quota: a token bucket of `burst` samples refilled at
 * `rate` a second. It smooths a big call into the quota instead of drawing 429s; AMP's own 429s are
 * still retried, since several Lambda instances share one workspace.
 */
export class TokenBucket {
  private tokens: number;
  private last: number;

  constructor(
    private readonly rate: number,
    private readonly burst: number,
    private readonly now: () => number,
    private readonly sleep: (ms: number) => Promise<void>,
  ) {
    this.tokens = burst;
    this.last = now();
  }

  async take(count: number): Promise<void> {
    const wanted = Math.min(count, this.burst);
    for (;;) {
      const now = this.now();
      this.tokens = Math.min(this.burst, this.tokens + ((now - this.last) / 1000) * this.rate);
      this.last = now;
      if (this.tokens >= wanted) {
        this.tokens -= wanted;
        return;
      }
      await this.sleep(Math.ceil(((wanted - this.tokens) / this.rate) * 1000));
    }
  }
}
