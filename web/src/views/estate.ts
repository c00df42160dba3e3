/** Collectors with their last-seen health, and usage against the tenant's limits. */
import { type Collector, collectors, usage } from '../api';
import { dataTable, h, mount, relativeAge, statusLine } from '../dom';
import { poll, type View } from './view';

function live(
  root: HTMLElement,
  title: string,
  render: () => Promise<HTMLElement>,
  intervalMs: number,
): View {
  const status = statusLine();
  const body = h('div', { class: 'table-wrap' });
  mount(root, h('h1', null, title), status, body);
  return poll(
    async () => {
      mount(body, await render());
      status.classList.remove('error');
      status.textContent = `Updated ${new Date().toLocaleTimeString()}`;
    },
    intervalMs,
    (error) => {
      status.classList.add('error');
      status.textContent = error.message;
    },
  );
}

const STATUS_TEXT: Readonly<Record<Collector['status'], string>> = {
  up: 'up',
  down: 'down',
  'never-seen': 'never seen',
};

export const collectorsView = (root: HTMLElement): View =>
  live(
    root,
    'Collectors',
    async () => {
      const items = await collectors();
      return dataTable(
        ['Name', 'Status', 'Last seen', 'Version', 'Queue', 'Id'],
        items.map((c) => {
          const beat = c.lastHeartbeat;
          return h(
            'tr',
            { 'data-collector-id': c.collectorId },
            h('td', null, c.name),
            h(
              'td',
              null,
              h(
                'span',
                {
                  class: `badge status-${c.status}`,
                  title: c.status === 'down' ? `No heartbeat for over ${c.downAfterSeconds} s` : undefined,
                },
                STATUS_TEXT[c.status],
              ),
            ),
            h(
              'td',
              null,
              beat
                ? h(
                    'time',
                    { datetime: beat.at, title: new Date(beat.at).toLocaleString() },
                    `${relativeAge(beat.at)} ago`,
                  )
                : 'never',
            ),
            h('td', { class: 'mono' }, beat?.version ?? '—'),
            h(
              'td',
              { class: 'num' },
              beat
                ? `${beat.queueDepth.toLocaleString()} (${beat.state}${beat.dropped ? `, ${beat.dropped} dropped` : ''})`
                : '—',
            ),
            h('td', { class: 'mono' }, c.collectorId),
          );
        }),
        'No collectors registered.',
      );
    },
    15_000,
  );

const LIMIT_NAMES: Readonly<Record<string, string>> = {
  maxActiveSeries: 'Active series',
  maxActiveSeriesPerMetric: 'Active series of the busiest metric',
  ingestionRate: 'Samples per second',
  ingestionBurstSize: 'Burst',
  requestRate: 'Requests per second',
};

export const usageView = (root: HTMLElement): View =>
  live(
    root,
    'Usage and limits',
    async () => {
      const report = await usage();
      const discarded = Object.entries(report.samples.lastHour.discarded);
      return h(
        'div',
        null,
        dataTable(
          ['Limit', 'Used', 'Limit value', 'Share'],
          report.usage.map((u) =>
            h(
              'tr',
              null,
              h('td', null, LIMIT_NAMES[u.limit] ?? u.limit),
              h('td', { class: 'num' }, u.used.toLocaleString()),
              h('td', { class: 'num' }, u.value.toLocaleString()),
              h(
                'td',
                null,
                h('meter', {
                  min: 0,
                  max: 1,
                  low: 0.8,
                  high: 0.95,
                  optimum: 0,
                  value: Math.min(1, u.ratio),
                  'aria-label': `${LIMIT_NAMES[u.limit] ?? u.limit} used`,
                }),
                ` ${Math.round(u.ratio * 100)} %`,
              ),
            ),
          ),
          'No limits reported.',
        ),
        h(
          'p',
          null,
          `Last hour: ${report.samples.lastHour.accepted.toLocaleString()} samples accepted`,
          discarded.length
            ? `, discarded: ${discarded.map(([r, n]) => `${r} ${n}`).join(', ')}`
            : ', none discarded',
          `. Active series: ${report.activeSeries.total.toLocaleString()}.`,
        ),
      );
    },
    15_000,
  );
