/**
 * Dashboards saved per tenant (/v1/dashboards): the list, one dashboard drawn live (line charts and
 * single values through the Prometheus HTTP API, the alert list), and the editor (operators and
 * admins; the API's 422 lands on the widget field it names). Routes: `#/dashboards`,
 * `#/dashboards?id=…`, `#/dashboards?id=…&edit=1`, `#/dashboards?new=1`.
 */
import {
  alerts,
  type Dashboard,
  dashboard,
  dashboards,
  deleteDashboard,
  instantValues,
  promqlSeries,
  saveDashboard,
  type Widget,
} from '../api';
import { session } from '../auth';
import { type Chart, chart, compactNumber } from '../chart';
import { dataTable, field, h, mount, statusLine } from '../dom';
import { canEdit, onSubmit } from '../forms';
import { alertTable } from './alerts';
import { autoStep } from './explorer';
import { poll, type View } from './view';

const RANGES: readonly [string, number][] = [
  ['15 minutes', 900],
  ['1 hour', 3600],
  ['6 hours', 6 * 3600],
  ['1 day', 86_400],
  ['7 days', 7 * 86_400],
];
const TYPES: readonly [Widget['type'], string][] = [
  ['line', 'Line chart (PromQL)'],
  ['single-value', 'Single value (PromQL)'],
  ['alert-list', 'Alert list'],
];

const editable = () => canEdit(session()?.claims['cognito:groups']);
const go = (hash: string) => {
  location.hash = hash;
};

export function dashboardsView(root: HTMLElement): View {
  const params = new URLSearchParams(location.hash.split('?')[1] ?? '');
  const id = params.get('id');
  if (params.get('new')) return editorView(root, undefined);
  if (id && params.get('edit')) return editorView(root, id);
  if (id) return boardView(root, id);
  return listView(root);
}

function listView(root: HTMLElement): View {
  const status = statusLine();
  const body = h('div', { class: 'table-wrap' });
  mount(
    root,
    h('h1', null, 'Dashboards'),
    editable()
      ? h('p', null, h('a', { href: '#/dashboards?new=1', class: 'button' }, 'New dashboard'))
      : null,
    status,
    body,
  );
  return poll(
    async () => {
      const items = await dashboards();
      mount(
        body,
        dataTable(
          ['Name', 'Widgets', 'Description'],
          items.map((d) =>
            h(
              'tr',
              null,
              h('td', null, h('a', { href: `#/dashboards?id=${encodeURIComponent(d.dashboardId)}` }, d.name)),
              h('td', { class: 'num' }, d.widgets.length),
              h('td', null, d.description ?? ''),
            ),
          ),
          'No dashboards yet.',
        ),
      );
      status.classList.remove('error');
      status.textContent = `${items.length} dashboards`;
    },
    30_000,
    (error) => {
      status.classList.add('error');
      status.textContent = error.message;
    },
  );
}

interface DrawnWidget {
  readonly element: HTMLElement;
  refresh(): Promise<void>;
  destroy(): void;
}

function drawWidget(widget: Widget): DrawnWidget {
  const span = widget.width === 2 ? 'span-2' : '';
  if (widget.type === 'line') {
    const c: Chart = chart(widget.title, 220);
    c.element.classList.add('widget');
    if (span) c.element.classList.add(span);
    return {
      element: c.element,
      refresh: async () => {
        const rangeSeconds = widget.rangeSeconds ?? 3600;
        const toMs = Date.now();
        const fromMs = toMs - rangeSeconds * 1000;
        c.update(
          await promqlSeries({ promql: widget.promql, fromMs, toMs, stepSeconds: autoStep(rangeSeconds) }),
          { fromMs, toMs },
        );
      },
      destroy: () => c.destroy(),
    };
  }
  const body = h('div', { class: 'widget-body' });
  const element = h(
    'figure',
    { class: `chart widget ${span}`, 'aria-label': widget.title },
    h('figcaption', null, widget.title),
    body,
  );
  if (widget.type === 'single-value') {
    return {
      element,
      refresh: async () => {
        const values = await instantValues(widget.promql);
        const first = values[0];
        mount(
          body,
          first
            ? h(
                'p',
                { class: 'single-value', title: first.label },
                compactNumber(first.value),
                widget.unit ? h('span', { class: 'unit' }, ` ${widget.unit}`) : null,
              )
            : h('p', { class: 'empty' }, 'No value.'),
          values.length > 1 ? h('small', null, `${first?.label} (of ${values.length} series)`) : null,
        );
      },
      destroy: () => undefined,
    };
  }
  return {
    element,
    refresh: async () => {
      const items = await alerts();
      mount(
        body,
        h(
          'div',
          { class: 'table-wrap' },
          alertTable(widget.status === 'all' ? items : items.filter((a) => a.status === 'open')),
        ),
      );
    },
    destroy: () => undefined,
  };
}

function boardView(root: HTMLElement, id: string): View {
  const status = statusLine();
  const grid = h('div', { class: 'grid dashboard' });
  const title = h('h1', null, 'Dashboard');
  const actions = h('p', { class: 'actions' });
  mount(root, title, actions, status, grid);
  let drawn: DrawnWidget[] | undefined;
  const timer = poll(
    async () => {
      if (!drawn) {
        const board = await dashboard(id);
        title.textContent = board.name;
        document.title = `${board.name} · Observability console`;
        if (editable())
          mount(
            actions,
            h('a', { href: `#/dashboards?id=${encodeURIComponent(id)}&edit=1`, class: 'button' }, 'Edit'),
            ' ',
            h(
              'button',
              {
                type: 'button',
                class: 'secondary',
                onclick: async () => {
                  if (!confirm(`Delete the dashboard “${board.name}”?`)) return;
                  await deleteDashboard(id);
                  go('#/dashboards');
                },
              },
              'Delete',
            ),
          );
        drawn = board.widgets.map(drawWidget);
        mount(
          grid,
          drawn.map((w) => w.element),
          drawn.length ? null : h('p', { class: 'empty' }, 'This dashboard has no widgets yet.'),
        );
      }
      // A widget whose query fails says so in its own place; the others still draw.
      const failures = (await Promise.allSettled(drawn.map((w) => w.refresh()))).filter(
        (r): r is PromiseRejectedResult => r.status === 'rejected',
      );
      status.classList.toggle('error', failures.length > 0);
      status.textContent = failures.length
        ? `${failures.length} widget(s) failed: ${(failures[0]?.reason as Error | undefined)?.message}`
        : `Updated ${new Date().toLocaleTimeString()}`;
    },
    10_000,
    (error) => {
      status.classList.add('error');
      status.textContent = error.message;
    },
  );
  return {
    stop: () => {
      timer.stop();
      for (const w of drawn ?? []) w.destroy();
    },
  };
}

/** One widget's controls; `data-field` names the API field each one fills. */
function widgetFieldset(
  index: number,
  widget: Widget,
  onChange: () => void,
  onRemove: () => void,
): HTMLElement {
  const at = `widgets[${index}]`;
  const type = h(
    'select',
    { name: 'type', 'data-field': `${at}.type`, id: `w${index}-type`, onchange: onChange },
    TYPES.map(([value, label]) => h('option', { value, selected: value === widget.type }, label)),
  );
  const title = h('input', {
    name: 'title',
    'data-field': `${at}.title`,
    id: `w${index}-title`,
    value: widget.title,
  });
  const width = h(
    'select',
    { name: 'width', 'data-field': `${at}.width`, id: `w${index}-width` },
    h('option', { value: '1' }, 'Half'),
    h('option', { value: '2', selected: widget.width === 2 }, 'Full'),
  );
  const controls: HTMLElement[] = [field('Type', type), field('Title', title), field('Width', width)];
  if (widget.type !== 'alert-list') {
    const promql = h('textarea', {
      name: 'promql',
      rows: 2,
      spellcheck: false,
      'data-field': `${at}.promql`,
      id: `w${index}-promql`,
    });
    promql.value = widget.promql;
    controls.push(field('PromQL', promql));
  }
  if (widget.type === 'line') {
    const range = h(
      'select',
      { name: 'rangeSeconds', 'data-field': `${at}.rangeSeconds`, id: `w${index}-range` },
      RANGES.map(([label, s]) =>
        h('option', { value: s, selected: s === (widget.rangeSeconds ?? 3600) }, label),
      ),
    );
    controls.push(field('Range', range));
  }
  if (widget.type === 'single-value')
    controls.push(
      field(
        'Unit',
        h('input', {
          name: 'unit',
          'data-field': `${at}.unit`,
          id: `w${index}-unit`,
          value: widget.unit ?? '',
        }),
      ),
    );
  if (widget.type === 'alert-list') {
    const which = h(
      'select',
      { name: 'status', 'data-field': `${at}.status`, id: `w${index}-status` },
      h('option', { value: 'open' }, 'Open alerts'),
      h('option', { value: 'all', selected: widget.status === 'all' }, 'All alerts'),
    );
    controls.push(field('Show', which));
  }
  return h(
    'fieldset',
    { class: 'widget-editor', 'data-field': at, 'data-index': index },
    h('legend', null, `Widget ${index + 1}`),
    controls,
    h(
      'button',
      { type: 'button', class: 'secondary', onclick: onRemove, 'aria-label': `Remove widget ${index + 1}` },
      'Remove',
    ),
  );
}

/** Reads a widget back from its fieldset (what the API gets, unvalidated: the API decides). */
function readWidget(fieldset: HTMLElement): Widget {
  const value = (name: string) =>
    (fieldset.querySelector(`[name="${name}"]`) as HTMLInputElement | HTMLSelectElement | null)?.value;
  const type = value('type') as Widget['type'];
  const common = {
    title: value('title') ?? '',
    width: Number(value('width')) === 2 ? (2 as const) : (1 as const),
  };
  if (type === 'line')
    return { type, ...common, promql: value('promql') ?? '', rangeSeconds: Number(value('rangeSeconds')) };
  if (type === 'single-value') {
    const unit = value('unit');
    return { type, ...common, promql: value('promql') ?? '', ...(unit ? { unit } : {}) };
  }
  return { type, ...common, status: value('status') === 'all' ? 'all' : 'open' };
}

function editorView(root: HTMLElement, id: string | undefined): View {
  const status = statusLine();
  const name = h('input', { name: 'name', 'data-field': 'name', id: 'dashboard-name' });
  const description = h('input', {
    name: 'description',
    'data-field': 'description',
    id: 'dashboard-description',
  });
  const list = h('div', { class: 'widget-list', 'data-field': 'widgets' });
  let widgets: Widget[] = [];
  let existing: Dashboard | undefined;

  const redraw = () => {
    widgets = [...list.querySelectorAll<HTMLElement>('fieldset.widget-editor')].map(readWidget);
    draw();
  };
  const draw = () =>
    mount(
      list,
      widgets.map((w, i) =>
        widgetFieldset(
          i,
          w,
          () => {
            redraw();
            // Switching type keeps the title; the PromQL box appears or goes.
            (list.querySelector(`#w${i}-type`) as HTMLElement | null)?.focus();
          },
          () => {
            redraw();
            widgets.splice(i, 1);
            draw();
          },
        ),
      ),
      widgets.length ? null : h('p', { class: 'empty' }, 'No widgets yet: add one below.'),
    );

  const form = h(
    'form',
    { class: 'card editor', novalidate: true, 'aria-label': 'Dashboard' },
    field('Name', name),
    field('Description', description),
    h('h2', null, 'Widgets'),
    list,
    h(
      'p',
      { class: 'actions' },
      h(
        'button',
        {
          type: 'button',
          class: 'secondary',
          onclick: () => {
            redraw();
            widgets.push({ type: 'line', title: '', promql: '', rangeSeconds: 3600 });
            draw();
            (list.querySelector(`#w${widgets.length - 1}-title`) as HTMLElement | null)?.focus();
          },
        },
        'Add widget',
      ),
      ' ',
      h('button', { type: 'submit' }, 'Save dashboard'),
      ' ',
      h('a', { href: id ? `#/dashboards?id=${encodeURIComponent(id)}` : '#/dashboards' }, 'Cancel'),
    ),
    status,
  );
  form.addEventListener(
    'submit',
    onSubmit(form, status, async () => {
      const input = {
        name: name.value,
        ...(description.value ? { description: description.value } : {}),
        widgets: [...list.querySelectorAll<HTMLElement>('fieldset.widget-editor')].map(readWidget),
      };
      const saved = await saveDashboard(input, existing);
      go(`#/dashboards?id=${encodeURIComponent(saved.dashboardId)}`);
      return 'Saved.';
    }),
  );
  mount(root, h('h1', null, id ? 'Edit dashboard' : 'New dashboard'), form);
  if (id)
    dashboard(id)
      .then((d) => {
        existing = d;
        name.value = d.name;
        description.value = d.description ?? '';
        widgets = [...d.widgets];
        draw();
      })
      .catch((error: Error) => {
        status.classList.add('error');
        status.textContent = error.message;
      });
  else draw();
  name.focus();
  return { stop: () => undefined };
}
