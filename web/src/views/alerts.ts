/** The alert list: severity, state, age; acknowledge; refreshed every 3 s. */
import { type Alert, acknowledge, alerts } from '../api';
import { h, mount, relativeAge, statusLine } from '../dom';
import { poll, type View } from './view';

const SEVERITY_RANK = { critical: 0, error: 1, warning: 2 } as const;

export const alertState = (a: Alert): string =>
  a.status === 'cleared' ? 'cleared' : a.acknowledgedAt ? 'acknowledged' : 'open';

export const seriesText = (a: Pick<Alert, 'metric' | 'dimensions'>): string =>
  `${a.metric}{${Object.entries(a.dimensions)
    .map(([k, v]) => `${k}="${v}"`)
    .join(', ')}}`;

export function alertTable(items: readonly Alert[], onAck?: (a: Alert) => void): HTMLElement {
  if (items.length === 0) return h('p', { class: 'empty' }, 'No alerts.');
  const sorted = [...items].sort(
    (a, b) =>
      Number(a.status === 'cleared') - Number(b.status === 'cleared') ||
      SEVERITY_RANK[a.severity] - SEVERITY_RANK[b.severity] ||
      b.openedAt.localeCompare(a.openedAt),
  );
  return h(
    'table',
    { class: 'alerts' },
    h('caption', { class: 'sr-only' }, 'Alerts, most severe first'),
    h(
      'thead',
      null,
      h(
        'tr',
        null,
        ['Severity', 'State', 'Rule', 'Series', 'Value', 'Age', ''].map((t) => h('th', { scope: 'col' }, t)),
      ),
    ),
    h(
      'tbody',
      null,
      sorted.map((a) =>
        h(
          'tr',
          { 'data-alert-id': a.alertId, 'data-state': alertState(a) },
          h('td', null, h('span', { class: `badge ${a.severity}` }, a.severity)),
          h('td', null, alertState(a)),
          h('td', null, a.ruleName),
          h('td', { class: 'mono' }, seriesText(a)),
          h('td', { class: 'num' }, a.value === undefined ? '—' : String(a.value)),
          h('td', null, h('time', { datetime: a.openedAt, title: a.openedAt }, relativeAge(a.openedAt))),
          h(
            'td',
            null,
            onAck && alertState(a) === 'open'
              ? h(
                  'button',
                  { type: 'button', onclick: () => onAck(a), 'aria-label': `Acknowledge ${a.ruleName}` },
                  'Acknowledge',
                )
              : null,
          ),
        ),
      ),
    ),
  );
}

export function alertsView(root: HTMLElement): View {
  const status = statusLine();
  const list = h('div', { class: 'table-wrap' });
  mount(root, h('h1', null, 'Alerts'), status, list);
  const refresh = async () => {
    const items = await alerts();
    mount(list, alertTable(items, ack));
    status.classList.remove('error');
    status.textContent = `${items.filter((a) => a.status === 'open').length} open · updated ${new Date().toLocaleTimeString()}`;
  };
  const onError = (error: Error) => {
    status.classList.add('error');
    status.textContent = error.message;
  };
  const ack = (a: Alert) => {
    acknowledge(a.alertId).then(refresh).catch(onError);
  };
  return poll(refresh, 3000, onError);
}
