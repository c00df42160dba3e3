/**
 * Metric explorer: a metric with dimension filters, or a PromQL expression (the CodeMirror PromQL
 * editor, loaded on demand: until it arrives, and if it cannot, a plain text box), time range and
 * step, a live chart.
 */
import { metricNames, promqlSeries, series } from '../api';
import { chart } from '../chart';
import { field, h, mount, statusLine } from '../dom';
import { poll, type View } from './view';

const RANGES: readonly [string, number][] = [
  ['Last 15 minutes', 15 * 60],
  ['Last hour', 3600],
  ['Last 6 hours', 6 * 3600],
  ['Last day', 86_400],
  ['Last 7 days', 7 * 86_400],
];
const STEPS: readonly [string, number][] = [
  ['Auto', 0],
  ['15 s', 15],
  ['1 min', 60],
  ['5 min', 300],
  ['1 h', 3600],
];

/** About 300 points across the range, at least 15 s. */
export const autoStep = (rangeSeconds: number): number =>
  Math.max(15, Math.ceil(rangeSeconds / 300 / 15) * 15);

/** `host=web-01, instance=cpu0` → filters. */
export function parseFilters(text: string): Record<string, string> {
  const filters: Record<string, string> = {};
  for (const part of text.split(',')) {
    const [name, ...rest] = part.split('=');
    if (name?.trim() && rest.length) filters[name.trim()] = rest.join('=').trim();
  }
  return filters;
}

export function explorerView(root: HTMLElement): View {
  const params = new URLSearchParams(location.hash.split('?')[1] ?? '');
  const metric = h('input', {
    name: 'metric',
    list: 'metric-names',
    value: params.get('metric') ?? '',
  });
  const names = h('datalist', { id: 'metric-names' });
  const filters = h('input', {
    name: 'filters',
    placeholder: 'instance=cpu0, env=prod',
    value: params.get('filters') ?? '',
  });
  const range = h(
    'select',
    { name: 'range' },
    RANGES.map(([label, s]) => h('option', { value: s }, label)),
  );
  range.value = params.get('range') ?? '3600';
  const step = h(
    'select',
    { name: 'step' },
    STEPS.map(([label, s]) => h('option', { value: s }, label)),
  );
  const promql = h('textarea', {
    name: 'promql',
    rows: 2,
    spellcheck: false,
    placeholder: 'rate(http_requests_total[5m])',
  });
  promql.value = params.get('promql') ?? '';
  const live = h('input', { type: 'checkbox', name: 'live', checked: true });
  const status = statusLine();
  const plot = chart('Query result', 320);

  const refresh = async () => {
    if (!metric.value && !promql.value.trim()) return;
    const rangeSeconds = Number(range.value);
    const toMs = Date.now();
    const fromMs = toMs - rangeSeconds * 1000;
    const stepSeconds = Number(step.value) || autoStep(rangeSeconds);
    const result = promql.value.trim()
      ? await promqlSeries({ promql: promql.value.trim(), fromMs, toMs, stepSeconds })
      : await series({
          metric: metric.value,
          filters: parseFilters(filters.value),
          fromMs,
          toMs,
          stepSeconds,
        });
    plot.update(result, { fromMs, toMs });
    status.classList.remove('error');
    status.textContent = `${result.length} series, updated ${new Date().toLocaleTimeString()}`;
  };
  const onError = (error: Error) => {
    status.classList.add('error');
    status.textContent = error.message;
  };

  const form = h(
    'form',
    {
      class: 'toolbar',
      role: 'search',
      'aria-label': 'Metric query',
      onsubmit: (event: Event) => {
        event.preventDefault();
        const query = new URLSearchParams({
          metric: metric.value,
          filters: filters.value,
          range: range.value,
        });
        history.replaceState(null, '', `#/explore?${query}`);
        refresh().catch(onError);
      },
    },
    field('Metric', metric, 'An OTLP name, a Prometheus __name__ or a native dataPointName.'),
    names,
    field('Dimension filters', filters, 'Exact matches, comma separated.'),
    field('PromQL (instead of metric and filters)', promql),
    field('Range', range),
    field('Step', step),
    h('label', { class: 'check' }, live, ' Live (every 10 s)'),
    h('button', { type: 'submit' }, 'Run query'),
  );
  mount(root, h('h1', null, 'Metric explorer'), form, status, plot.element);
  // A separate chunk: the first load stays small, and the box works as plain text meanwhile.
  let stopped = false;
  const editor = import('../promql-editor')
    .then(({ mountPromqlEditor }) =>
      stopped ? undefined : mountPromqlEditor(promql, () => form.requestSubmit()),
    )
    .catch(() => undefined);
  metricNames()
    .then((all) =>
      mount(
        names,
        all.map((m) => h('option', { value: m })),
      ),
    )
    .catch(() => undefined);
  const timer = poll(
    async () => {
      if (live.checked) await refresh();
    },
    10_000,
    onError,
  );
  return {
    stop: () => {
      stopped = true;
      timer.stop();
      plot.destroy();
      void editor.then((e) => e?.destroy());
    },
  };
}
