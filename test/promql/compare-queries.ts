/**
 * The PromQL queries the engine (and the platform's /api/v1) must answer as Prometheus 2.42 does,
 * over the metrics a Prometheus exposes about itself. Built the way prometheus/compliance builds its
 * promql query list: each category of the language crossed with a few metrics, ranges and modifiers.
 */

export interface ComparisonQuery {
  readonly query: string;
  /** The order of the instant result matters (sort, sort_desc). */
  readonly ordered?: boolean;
}

/** Counters, gauges and a classic histogram every Prometheus 2.42 exposes about itself. */
const COUNTERS = [
  'prometheus_http_requests_total',
  'go_memstats_alloc_bytes_total',
  'process_cpu_seconds_total',
  'prometheus_tsdb_head_samples_appended_total',
  'go_gc_duration_seconds_count',
] as const;
const GAUGES = [
  'go_goroutines',
  'go_memstats_heap_alloc_bytes',
  'process_resident_memory_bytes',
  'prometheus_tsdb_head_series',
  'scrape_duration_seconds',
  'go_gc_duration_seconds',
] as const;
const HISTOGRAM = 'prometheus_http_request_duration_seconds_bucket';
const RANGES = ['1s', '15s', '1m', '5m'] as const;

/** The queries, with `atSeconds` a time inside the data for `@` modifiers. */
export function comparisonQueries(atSeconds: number): ComparisonQuery[] {
  const q: ComparisonQuery[] = [];
  const add = (...queries: string[]) => {
    for (const query of queries) q.push({ query });
  };

  // Literals and scalars.
  add(
    '42',
    '1.5e3',
    '-0x1F',
    'Inf',
    '-Inf',
    'NaN',
    '"a string"',
    '1 + 2 * 3 ^ 2',
    '-2 ^ 2',
    '10 % 3',
    '2 ^ 3 ^ 2',
  );
  add('time()', 'pi()', 'vector(1)', 'vector(time())', 'scalar(up)', 'scalar(go_goroutines)');

  // Selectors, matchers, offsets, @.
  for (const m of [...COUNTERS, ...GAUGES]) add(m);
  add(
    'up',
    '{__name__=~"go_memstats_.*_bytes"}',
    'prometheus_http_requests_total{handler="/metrics"}',
    'prometheus_http_requests_total{handler=~"/api/.*"}',
    'prometheus_http_requests_total{code!="200"}',
    'prometheus_http_requests_total{handler!~"/metrics|/-/ready"}',
    'prometheus_http_requests_total{handler="/metrics", code="200"}',
    'nonexistent_metric',
    'go_goroutines offset 10s',
    'go_goroutines offset 1m',
    'go_goroutines offset -10s',
    `go_goroutines @ ${atSeconds}`,
    `go_goroutines @ ${atSeconds} offset 5s`,
    'go_goroutines @ start()',
    'go_goroutines @ end()',
    'prometheus_http_requests_total[1m]',
    'go_goroutines[15s] offset 10s',
  );

  // Rate-style functions over counters, at several ranges.
  for (const fn of ['rate', 'increase', 'irate', 'delta', 'idelta', 'resets', 'changes', 'deriv'])
    for (const c of COUNTERS.slice(0, 3)) for (const r of RANGES) add(`${fn}(${c}[${r}])`);
  add(
    'rate(prometheus_http_requests_total[1m] offset 15s)',
    `rate(prometheus_http_requests_total[30s] @ ${atSeconds})`,
    'predict_linear(go_memstats_alloc_bytes_total[1m], 60)',
    'predict_linear(go_goroutines[30s], 10)',
    'holt_winters(go_goroutines[1m], 0.5, 0.5)',
  );

  // *_over_time over gauges.
  for (const fn of [
    'avg_over_time',
    'min_over_time',
    'max_over_time',
    'sum_over_time',
    'count_over_time',
    'last_over_time',
    'present_over_time',
    'stddev_over_time',
    'stdvar_over_time',
  ])
    for (const g of GAUGES.slice(0, 3)) add(`${fn}(${g}[1m])`);
  add(
    'quantile_over_time(0.5, go_goroutines[1m])',
    'quantile_over_time(0.99, scrape_duration_seconds[1m])',
    'quantile_over_time(0, go_memstats_heap_alloc_bytes[30s])',
    'quantile_over_time(1.5, go_goroutines[30s])',
    'absent_over_time(go_goroutines[1m])',
    'absent_over_time(nonexistent_metric{job="x"}[1m])',
    'changes(go_gc_duration_seconds[1m])',
  );

  // Aggregations.
  for (const op of ['sum', 'avg', 'min', 'max', 'count', 'stddev', 'stdvar', 'group']) {
    add(
      `${op}(prometheus_http_requests_total)`,
      `${op} by (code) (prometheus_http_requests_total)`,
      `${op} without (handler) (prometheus_http_requests_total)`,
    );
  }
  add(
    'sum by (__name__) ({__name__=~"go_memstats_.*_bytes"})',
    'sum(rate(prometheus_http_requests_total[1m])) by (handler)',
    'avg without (quantile) (go_gc_duration_seconds)',
    'max(go_gc_duration_seconds)',
    'count(nonexistent_metric)',
    'topk(3, prometheus_http_requests_total)',
    'topk by (code) (1, prometheus_http_requests_total)',
    'bottomk(2, go_gc_duration_seconds)',
    'topk(1, go_goroutines)',
    'topk(scalar(count(up)), go_memstats_heap_alloc_bytes)',
    'quantile(0.5, prometheus_http_requests_total)',
    'quantile by (code) (0.9, prometheus_http_requests_total)',
    'quantile(0.5, go_gc_duration_seconds)',
    'count_values("value", up)',
    'count_values by (code) ("count", prometheus_http_requests_total)',
    'count_values("goroutines", go_goroutines)',
  );

  // Binary operators.
  for (const op of ['+', '-', '*', '/', '%', '^', '==', '!=', '>', '<', '>=', '<=']) {
    const bool = ['==', '!=', '>', '<', '>=', '<='].includes(op);
    add(`go_goroutines ${op} 10`, `2 ${op} go_goroutines`);
    if (bool) add(`go_goroutines ${op} bool 10`, `1 ${op} bool 2`);
  }
  add(
    'go_goroutines atan2 go_threads',
    'go_memstats_heap_alloc_bytes / go_memstats_heap_sys_bytes',
    'go_memstats_heap_alloc_bytes / on(instance, job) go_memstats_heap_sys_bytes',
    'go_memstats_heap_alloc_bytes / ignoring(nothing) go_memstats_heap_sys_bytes',
    'prometheus_http_requests_total / on(instance) group_left up',
    'prometheus_http_requests_total * on(instance, job) group_left(version) prometheus_build_info',
    'prometheus_build_info * on(instance) group_right(version) prometheus_http_requests_total',
    'prometheus_http_requests_total / prometheus_http_requests_total',
    'prometheus_http_requests_total > on(handler, code, instance, job) prometheus_http_requests_total offset 30s',
    'rate(prometheus_http_requests_total[1m]) > bool 0',
    'go_goroutines > go_threads',
    'go_goroutines < bool go_threads',
    'up == 1',
    '-go_goroutines',
    '+go_goroutines',
    'go_goroutines + up',
    'sum(prometheus_http_requests_total) / count(prometheus_http_requests_total)',
    'prometheus_http_requests_total and prometheus_http_requests_total{code="200"}',
    'prometheus_http_requests_total and on(handler) prometheus_http_requests_total{handler="/metrics"}',
    'prometheus_http_requests_total or go_goroutines',
    'prometheus_http_requests_total{code="200"} or on(handler) prometheus_http_requests_total',
    'prometheus_http_requests_total unless prometheus_http_requests_total{handler="/metrics"}',
    'prometheus_http_requests_total unless on(code) up',
    'nonexistent_metric or up',
    'up and nonexistent_metric',
    // Errors both engines raise.
    'prometheus_http_requests_total / ignoring(handler) prometheus_http_requests_total',
    'up * on() group_left prometheus_http_requests_total',
    'rate({__name__=~"go_memstats_.*_total"}[1m])',
    '-{__name__=~"go_memstats_.*_bytes"}',
  );

  // Element-wise functions.
  for (const fn of [
    'abs',
    'ceil',
    'floor',
    'exp',
    'ln',
    'log2',
    'log10',
    'sqrt',
    'sgn',
    'sin',
    'cos',
    'tan',
    'atan',
    'sinh',
    'tanh',
    'asinh',
    'deg',
    'rad',
  ])
    add(`${fn}(go_goroutines / 100)`);
  add(
    'asin(up)',
    'acos(up)',
    'acosh(go_goroutines)',
    'atanh(up / 2)',
    'cosh(up)',
    'round(go_goroutines / 7)',
    'round(go_memstats_heap_alloc_bytes, 1000)',
    'round(go_goroutines, 0.3)',
    'clamp(go_goroutines, 10, 20)',
    'clamp(go_goroutines, 20, 10)',
    'clamp_min(go_gc_duration_seconds, 0.0001)',
    'clamp_max(go_gc_duration_seconds, 0.0001)',
    'exp(go_goroutines)',
    'ln(-go_goroutines)',
  );

  // Histograms.
  add(
    `histogram_quantile(0.5, ${HISTOGRAM})`,
    `histogram_quantile(0.9, rate(${HISTOGRAM}[1m]))`,
    `histogram_quantile(0.99, sum by (le) (rate(${HISTOGRAM}[1m])))`,
    `histogram_quantile(0.5, sum by (le, handler) (rate(${HISTOGRAM}[30s])))`,
    `histogram_quantile(0, ${HISTOGRAM})`,
    `histogram_quantile(1, ${HISTOGRAM})`,
    `histogram_quantile(1.5, ${HISTOGRAM})`,
    `histogram_quantile(-0.5, ${HISTOGRAM})`,
    'histogram_quantile(0.5, sum by (le) (rate(prometheus_http_response_size_bytes_bucket[1m])))',
    'histogram_quantile(0.5, go_goroutines)',
    `histogram_quantile(0.9, ${HISTOGRAM}{le!="+Inf"})`,
  );

  // Labels, absence, sorting, time.
  add(
    'label_replace(up, "port", "$1", "instance", ".*:(.*)")',
    'label_replace(up, "instance", "", "instance", ".*")',
    // biome-ignore lint/suspicious/noTemplateCurlyInString: a PromQL replacement template, not JavaScript.
    'label_replace(up, "x", "${1}-$2", "job", "(pro)(.*)")',
    'label_replace(go_goroutines, "job", "a", "nonexistent", "(.*)")',
    'label_join(up, "address", "|", "job", "instance")',
    'label_join(up, "job", "", "nonexistent")',
    'absent(up)',
    'absent(nonexistent_metric{job="a", instance=~"b"})',
    'absent(sum(nonexistent_metric))',
    'sort(prometheus_http_requests_total)',
    'sort_desc(prometheus_http_requests_total)',
    'sort(go_gc_duration_seconds)',
    'timestamp(up)',
    'timestamp(go_goroutines offset 10s)',
    'timestamp(sum(up))',
    'minute()',
    'hour()',
    'day_of_week()',
    'day_of_month()',
    'day_of_year()',
    'days_in_month()',
    'month()',
    'year()',
    'minute(up * 1e9)',
    'year(vector(1e9))',
  );

  // Subqueries.
  add(
    'max_over_time(rate(prometheus_http_requests_total[15s])[1m:5s])',
    'avg_over_time(go_goroutines[1m:10s])',
    'rate(go_memstats_alloc_bytes_total[1m:10s])',
    'sum_over_time(up[30s:])',
    'min_over_time(go_goroutines[30s:7s] offset 10s)',
    `max_over_time(go_goroutines[30s:5s] @ ${atSeconds})`,
    'count_over_time(sum(up)[1m:3s])',
    'deriv(go_memstats_heap_alloc_bytes[1m:5s])',
    'go_goroutines[30s:10s]',
    'max_over_time(sum_over_time(up[10s:2s])[30s:5s])',
    'sum_over_time(up[2m:])',
    `sum_over_time(go_goroutines @ ${atSeconds}[20s:5s])`,
    'rate(prometheus_http_requests_total[30s:5s] offset 10s)',
  );

  // Corners: float labels, nested aggregations, modifiers in both orders, errors.
  add(
    'count_values("v", scrape_duration_seconds)',
    'count_values("v", go_gc_duration_seconds)',
    'topk(2, rate(prometheus_http_requests_total[1m]))',
    'bottomk(1, sum by (handler) (prometheus_http_requests_total))',
    'quantile(0.5, rate(go_memstats_alloc_bytes_total[30s]))',
    'max by (handler) (topk by (handler) (1, prometheus_http_requests_total))',
    'scalar(sum(up))',
    'vector(1) and on() up',
    'up * on() group_left count(up)',
    'go_goroutines == bool go_goroutines',
    '-1 * go_goroutines',
    `up offset 10s @ ${atSeconds}`,
    `timestamp(go_goroutines @ ${atSeconds})`,
    'label_replace(up, "x", "$1", "job", "(")',
    'label_replace(up, "1x", "$1", "job", "(.*)")',
    'count_values("1x", up)',
    'sum(prometheus_http_requests_total) without ()',
    'sum by () (prometheus_http_requests_total)',
    'avg by (code) (rate(prometheus_http_requests_total[1m]))',
    'stddev by (handler) (prometheus_http_requests_total)',
    'increase(go_gc_duration_seconds_sum[1m])',
    'rate(go_gc_duration_seconds_sum[1m]) / rate(go_gc_duration_seconds_count[1m])',
    'go_memstats_heap_alloc_bytes / on() group_left sum(go_memstats_heap_sys_bytes)',
    'predict_linear(go_memstats_heap_alloc_bytes[30s] offset 10s, 3600)',
    'deriv(process_resident_memory_bytes[1m])',
    'irate(prometheus_tsdb_head_samples_appended_total[15s])',
    'sort_desc(rate(prometheus_http_requests_total[1m]))',
    'absent(go_goroutines{job="nonexistent"})',
    'absent(nonexistent_metric{job=~"a|b"})',
    'up{job="prometheus"} unless on(job) up{job="other"}',
  );
  // Staleness: the flapping target's series disappear, fail and come back (prometheus-raw.ts).
  add(
    'flappy_gauge',
    'flappy_gauge{n="2"}',
    'count(flappy_gauge)',
    'sum by (n) (flappy_gauge)',
    'flappy_total',
    'up{job="flappy"}',
    'rate(flappy_total[10s])',
    'increase(flappy_total[30s])',
    'resets(flappy_total[30s])',
    'irate(flappy_total[5s])',
    'changes(flappy_gauge[20s])',
    'count_over_time(flappy_gauge[15s])',
    'last_over_time(flappy_gauge[20s])',
    'present_over_time(flappy_gauge{n="2"}[5s])',
    'absent(flappy_gauge{n="2"})',
    'absent_over_time(flappy_gauge{n="2"}[5s])',
    'timestamp(flappy_gauge)',
    'max_over_time(flappy_gauge[1m:2s])',
    'flappy_gauge offset 20s',
    `flappy_gauge @ ${atSeconds}`,
    'flappy_gauge * on(n) group_left flappy_gauge offset 5s',
  );
  for (const s of q) if (/^sort(_desc)?\(/.test(s.query)) Object.assign(s, { ordered: true });
  return q;
}
