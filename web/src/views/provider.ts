/**
 * The provider's operational view, CloudWatch-style: the functions' EMF metrics (and the API's request
 * metrics) drawn with the same chart component as the customers' metrics.
 */
import { type ChartSeries, platformSeries, tenants } from '../api';
import { chart } from '../chart';
import { dataTable, h, mount, statusLine } from '../dom';
import { poll, type View } from './view';

interface Panel {
  readonly title: string;
  readonly metrics: readonly string[];
  /** How a minute's points fold (default: sum, max for latencies). */
  readonly agg?: 'sum' | 'max';
}

const PANELS: readonly Panel[] = [
  {
    title: 'Datapoints accepted / rejected (per minute)',
    metrics: ['DatapointsAccepted', 'DatapointsRejected'],
  },
  { title: 'Samples discarded by reason (per minute)', metrics: ['SamplesDiscarded'] },
  { title: 'Request latency p50 / p99 (ms)', metrics: ['Latency_p50', 'Latency_p99'] },
  { title: 'Responses 4xx / 5xx (per minute)', metrics: ['4XXError', '5XXError'] },
  { title: 'Samples accepted per tenant (per minute)', metrics: ['SamplesAccepted'] },
  // The CloudWatch dashboard's titles (infra/constructs/ops-monitoring.ts), the same EMF metrics.
  { title: 'Alert evaluator lag (s)', metrics: ['AlertEvaluatorLagSeconds'], agg: 'max' },
  { title: 'Notification failures', metrics: ['NotificationFailures'] },
  { title: 'Spill queue depth (batches parked)', metrics: ['SpillQueueDepth'], agg: 'max' },
];

export function providerView(root: HTMLElement): View {
  const status = statusLine();
  const charts = PANELS.map((p) => ({ panel: p, chart: chart(p.title, 200) }));
  const top = h('div', { class: 'table-wrap' });
  mount(
    root,
    h('h1', null, 'Platform health'),
    status,
    h(
      'div',
      { class: 'grid' },
      charts.map((c) => c.chart.element),
    ),
    h('h2', null, 'Top tenants (samples accepted, last hour)'),
    top,
  );
  const refresh = async () => {
    const toMs = Date.now();
    const fromMs = toMs - 3600_000;
    const results = await Promise.all(
      charts.map(async ({ panel, chart: c }) => {
        const all: ChartSeries[] = [];
        for (const metric of panel.metrics)
          all.push(
            ...(await platformSeries({
              metric,
              fromMs,
              toMs,
              stepSeconds: 60,
              agg: panel.agg ?? (metric.startsWith('Latency') ? 'max' : 'sum'),
            })),
          );
        c.update(all, { fromMs, toMs });
        return all;
      }),
    );
    const names = new Map((await tenants()).map((t) => [t.tenantId, t.name]));
    const perTenant = (results[4] ?? [])
      .map((s) => ({
        tenant: s.dimensions.tenant ?? '?',
        total: s.values.reduce<number>((n, v) => n + (v ?? 0), 0),
      }))
      .sort((a, b) => b.total - a.total)
      .slice(0, 10);
    mount(
      top,
      dataTable(
        ['Tenant', 'Id', 'Samples'],
        perTenant.map((t) =>
          h(
            'tr',
            null,
            h('td', null, names.get(t.tenant) ?? '—'),
            h('td', { class: 'mono' }, t.tenant),
            h('td', { class: 'num' }, t.total.toLocaleString()),
          ),
        ),
        'No tenant has sent samples in the last hour.',
      ),
    );
    status.classList.remove('error');
    status.textContent = `Updated ${new Date().toLocaleTimeString()}`;
  };
  const timer = poll(refresh, 10_000, (error) => {
    status.classList.add('error');
    status.textContent = error.message;
  });
  return {
    stop: () => {
      timer.stop();
      for (const c of charts) c.chart.destroy();
    },
  };
}
