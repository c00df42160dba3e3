/** Resources with their open alerts, and the latest value of every series the alert rules watch. */
import { alertRules, alerts, resources, series } from '../api';
import { dataTable, h, mount, statusLine } from '../dom';
import { seriesText } from './alerts';
import { noticesPanel } from './notices';
import { poll, type View } from './view';

const SEVERITIES = ['critical', 'error', 'warning'] as const;

export function overviewView(root: HTMLElement): View {
  const status = statusLine();
  const resourceTable = h('div', { class: 'table-wrap' });
  const latest = h('div', { class: 'table-wrap' });
  mount(
    root,
    h('h1', null, 'Overview'),
    noticesPanel(),
    status,
    h('h2', null, 'Resources'),
    resourceTable,
    h('h2', null, 'Latest values'),
    latest,
  );
  const refresh = async () => {
    const [items, open, rules] = await Promise.all([resources(), alerts(), alertRules()]);
    const openAlerts = open.filter((a) => a.status === 'open');
    const worst = (matches: (a: (typeof openAlerts)[number]) => boolean) =>
      SEVERITIES.find((s) => openAlerts.some((a) => a.severity === s && matches(a)));
    mount(
      resourceTable,
      dataTable(
        ['Resource', 'Properties', 'Alert state'],
        items.map((r) => {
          const state = worst((a) => a.resource === r.resourceId || a.resource === r.name);
          return h(
            'tr',
            null,
            h('td', null, r.name),
            h(
              'td',
              { class: 'mono' },
              Object.entries(r.properties)
                .map(([k, v]) => `${k}=${v}`)
                .join(', '),
            ),
            h('td', null, state ? h('span', { class: `badge ${state}` }, state) : 'ok'),
          );
        }),
        'No resources yet.',
      ),
    );
    const now = Date.now();
    const watched = [
      ...new Map(rules.map((r) => [`${r.metric}|${JSON.stringify(r.filters ?? {})}`, r])).values(),
    ];
    const results = await Promise.all(
      watched.map((r) =>
        series({
          metric: r.metric,
          filters: r.filters ?? {},
          fromMs: now - 15 * 60_000,
          toMs: now,
          stepSeconds: 0,
        }),
      ),
    );
    const rows = results.flat().map((s) => {
      const last = s.values.length - 1;
      const state = worst((a) => seriesText(a) === s.label);
      return h(
        'tr',
        null,
        h('td', { class: 'mono' }, s.label),
        h('td', { class: 'num' }, last >= 0 ? String(s.values[last]) : '—'),
        h('td', null, last >= 0 ? new Date(s.timestampsMs[last] as number).toLocaleTimeString() : '—'),
        h('td', null, state ? h('span', { class: `badge ${state}` }, state) : 'ok'),
      );
    });
    mount(
      latest,
      dataTable(
        ['Series', 'Latest', 'At', 'Alert state'],
        rows,
        'No series watched by an alert rule has data in the last 15 minutes.',
      ),
    );
    status.classList.remove('error');
    status.textContent = `Updated ${new Date().toLocaleTimeString()}`;
  };
  return poll(refresh, 10_000, (error) => {
    status.classList.add('error');
    status.textContent = error.message;
  });
}
