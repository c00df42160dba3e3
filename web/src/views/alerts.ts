/** The alert list: severity, state, age; acknowledge; an alert's log lines; refreshed every 3 s. */
import { type Alert, type AlertDetail, acknowledge, alertDetail, alerts } from '../api';
import { h, mount, relativeAge, statusLine } from '../dom';
import { poll, type View } from './view';

const SEVERITY_RANK = { critical: 0, error: 1, warning: 2 } as const;

export const alertState = (a: Alert): string =>
  a.status === 'cleared' ? 'cleared' : a.acknowledgedAt ? 'acknowledged' : 'open';

export const seriesText = (a: Pick<Alert, 'metric' | 'dimensions'>): string =>
  `${a.metric}{${Object.entries(a.dimensions)
    .map(([k, v]) => `${k}="${v}"`)
    .join(', ')}}`;

export function alertTable(
  items: readonly Alert[],
  onAck?: (a: Alert) => void,
  onLogs?: (a: Alert) => void,
): HTMLElement {
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
            onLogs && a.resource
              ? h(
                  'button',
                  { type: 'button', onclick: () => onLogs(a), 'aria-label': `Log lines of ${a.ruleName}` },
                  'Logs',
                )
              : null,
          ),
        ),
      ),
    ),
  );
}

/** An alert's log lines (its resource's, around its opening), newest first. */
function alertLogs(alert: AlertDetail): HTMLElement {
  const logs = alert.logs;
  const title = `Log lines of ${alert.resource ?? alert.ruleName} around ${alert.openedAt}`;
  if (!logs)
    return h('section', { 'aria-label': title }, h('p', { class: 'empty' }, 'No log lines to show.'));
  return h(
    'section',
    { 'aria-label': title, class: 'alert-logs' },
    h('h2', null, title),
    h('p', { class: 'mono' }, logs.q),
    logs.items.length === 0
      ? h('p', { class: 'empty' }, 'No log lines.')
      : h(
          'ul',
          { class: 'log-lines' },
          logs.items.map((line) =>
            h(
              'li',
              { class: 'mono' },
              h('time', { datetime: line.timestamp }, line.timestamp),
              ` ${line.severity || '-'} ${line.message}`,
            ),
          ),
        ),
    logs.more ? h('p', null, 'More lines: search the logs with the query above.') : null,
  );
}

export function alertsView(root: HTMLElement): View {
  const status = statusLine();
  const list = h('div', { class: 'table-wrap' });
  // Outside the list: the 3 s refresh redraws the table, not the lines being read.
  const logPanel = h('div');
  mount(root, h('h1', null, 'Alerts'), status, list, logPanel);
  const refresh = async () => {
    const items = await alerts();
    mount(list, alertTable(items, ack, showLogs));
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
  const showLogs = (a: Alert) => {
    alertDetail(a.alertId)
      .then((detail) => mount(logPanel, alertLogs(detail)))
      .catch(onError);
  };
  return poll(refresh, 3000, onError);
}
