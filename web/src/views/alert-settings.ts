/**
 * Alert settings: alert rules, escalation chains and scheduled downtime, each listed with a form to
 * add or change one. The API validates; its 422 is shown on the control its `error.field` names
 * (forms.ts). Read-only people see the lists without forms.
 */
import {
  type Chain,
  chains,
  createDowntime,
  type Downtime,
  deleteChain,
  deleteDowntime,
  deleteRule,
  downtimes,
  type RuleDocument,
  ruleDocuments,
  saveChain,
  saveRule,
  updateDowntime,
} from '../api';
import { session } from '../auth';
import { type Child, dataTable, field, h, mount, statusLine } from '../dom';
import { canEdit, clearFieldErrors, onSubmit } from '../forms';
import { parseFilters } from './explorer';
import type { View } from './view';

const AGGREGATIONS = ['avg', 'min', 'max', 'sum', 'count', 'p95'];
const STAGE_BOXES = 3;

interface Section<T> {
  readonly title: string;
  readonly noun: string;
  load(): Promise<T[]>;
  readonly columns: readonly string[];
  cells(item: T): Child[];
  idOf(item: T): string;
  nameOf(item: T): string;
  /** The form's controls, filled from `item` when editing; each names its API field in `data-field`. */
  controls(item: T | undefined): HTMLElement[];
  /** The request body, as typed: the API decides what is valid. */
  read(form: HTMLFormElement): unknown;
  /** Adds, or changes `editing`. */
  save(body: unknown, editing: T | undefined): Promise<unknown>;
  remove(id: string): Promise<void>;
}

const input = (name: string, value: string | number | undefined, props: Record<string, unknown> = {}) =>
  h('input', { name, id: `f-${name}`, 'data-field': name, value: value ?? '', ...props });

const text = (form: HTMLFormElement, name: string): string =>
  ((form.elements.namedItem(name) as HTMLInputElement | null)?.value ?? '').trim();

/** A number field: sent as a number when filled, left out (the API's default) when empty. */
const numberField = (form: HTMLFormElement, name: string) => {
  const value = text(form, name);
  return value === '' ? {} : { [name]: Number(value) };
};

const filtersText = (filters: Readonly<Record<string, string>> | undefined) =>
  Object.entries(filters ?? {})
    .map(([k, v]) => `${k}=${v}`)
    .join(', ');

interface SectionPart {
  readonly element: HTMLElement;
  refresh(): Promise<void>;
  /** Redraws the empty form (its choices may have changed). */
  reset(): void;
}

function section<T>(spec: Section<T>, editable: boolean): SectionPart {
  const status = statusLine();
  const list = h('div', { class: 'table-wrap' });
  const heading = h('h3', null, `Add ${spec.noun}`);
  const fields = h('div', { class: 'form-fields' });
  let editing: T | undefined;
  const form = h('form', { class: 'card editor', novalidate: true, 'aria-label': `${spec.noun} form` });
  const cancel = h(
    'button',
    { type: 'button', class: 'secondary', hidden: true, onclick: () => edit(undefined) },
    'Cancel',
  );
  form.append(
    heading,
    fields,
    h('p', { class: 'actions' }, h('button', { type: 'submit' }, `Save ${spec.noun}`), cancel),
    status,
  );

  const edit = (item: T | undefined, focus = true) => {
    editing = item;
    heading.textContent = item ? `Change ${spec.noun} “${spec.nameOf(item)}”` : `Add ${spec.noun}`;
    cancel.hidden = !item;
    clearFieldErrors(form);
    mount(fields, spec.controls(item));
    // Three forms share a page: their ids (and what points at them) get the form's own prefix.
    for (const element of fields.querySelectorAll<HTMLElement>('[id]'))
      element.id = `${spec.noun}-${element.id}`;
    for (const label of fields.querySelectorAll('label')) label.htmlFor = `${spec.noun}-${label.htmlFor}`;
    for (const c of fields.querySelectorAll('[aria-describedby]'))
      c.setAttribute('aria-describedby', `${spec.noun}-${c.getAttribute('aria-describedby')}`);
    if (focus) (fields.querySelector('input, select, textarea') as HTMLElement | null)?.focus();
  };
  const refresh = async () => {
    const items = await spec.load();
    mount(
      list,
      dataTable(
        [...spec.columns, ''],
        items.map((item) =>
          h(
            'tr',
            null,
            spec.cells(item).map((c) => h('td', null, c)),
            h(
              'td',
              null,
              editable
                ? h(
                    'button',
                    {
                      type: 'button',
                      class: 'secondary',
                      onclick: () => edit(item),
                      'aria-label': `Change ${spec.nameOf(item)}`,
                    },
                    'Change',
                  )
                : null,
              ' ',
              editable
                ? h(
                    'button',
                    {
                      type: 'button',
                      class: 'secondary',
                      'aria-label': `Delete ${spec.nameOf(item)}`,
                      onclick: async () => {
                        if (!confirm(`Delete ${spec.noun} “${spec.nameOf(item)}”?`)) return;
                        try {
                          await spec.remove(spec.idOf(item));
                          await refresh();
                        } catch (error) {
                          status.classList.add('error');
                          status.textContent = (error as Error).message;
                        }
                      },
                    },
                    'Delete',
                  )
                : null,
            ),
          ),
        ),
        `No ${spec.noun}s yet.`,
      ),
    );
  };
  form.addEventListener(
    'submit',
    onSubmit(form, status, async () => {
      const changing = editing;
      await spec.save(spec.read(form), changing);
      edit(undefined);
      await refresh();
      return changing ? `Saved the ${spec.noun}.` : `Added the ${spec.noun}.`;
    }),
  );
  edit(undefined, false);
  return {
    element: h(
      'section',
      { 'aria-label': spec.title },
      h('h2', null, spec.title),
      list,
      editable ? form : null,
    ),
    refresh,
    reset: () => {
      if (!editing) edit(undefined, false);
    },
  };
}

const ruleSection = (chainList: () => readonly Chain[]): Section<RuleDocument> => ({
  title: 'Alert rules',
  noun: 'rule',
  load: ruleDocuments,
  columns: ['Name', 'Metric', 'Threshold', 'Window', 'Chain', 'Enabled'],
  cells: (r) => [
    r.name,
    h(
      'span',
      { class: 'mono' },
      `${r.selector.metric}${r.selector.filters && Object.keys(r.selector.filters).length ? `{${filtersText(r.selector.filters)}}` : ''}`,
    ),
    r.threshold ?? '—',
    `${r.aggregation} over ${r.windowSeconds} s`,
    chainList().find((c) => c.chainId === r.escalationChainId)?.name ?? '—',
    r.enabled ? 'yes' : 'no',
  ],
  idOf: (r) => r.ruleId,
  nameOf: (r) => r.name,
  controls: (r) => [
    field('Name', input('name', r?.name)),
    field('Metric', input('metric', r?.selector.metric)),
    field(
      'Dimension filters',
      input('filters', filtersText(r?.selector.filters), { placeholder: 'host=web-01' }),
      'Exact matches, comma separated.',
    ),
    field(
      'Threshold',
      input('threshold', r?.threshold, { placeholder: '> 60 80 90' }),
      'Operator, then warning, error, critical values.',
    ),
    field('Window (seconds)', input('windowSeconds', r?.windowSeconds ?? 300, { inputmode: 'numeric' })),
    field(
      'Aggregation',
      h(
        'select',
        { name: 'aggregation', id: 'f-aggregation', 'data-field': 'aggregation' },
        AGGREGATIONS.map((a) => h('option', { value: a, selected: a === (r?.aggregation ?? 'avg') }, a)),
      ),
    ),
    field(
      'Trigger after (evaluations)',
      input('triggerInterval', r?.triggerInterval ?? 1, { inputmode: 'numeric' }),
    ),
    field(
      'Clear after (evaluations)',
      input('clearInterval', r?.clearInterval ?? 1, { inputmode: 'numeric' }),
    ),
    field(
      'Escalation chain',
      h(
        'select',
        { name: 'escalationChainId', id: 'f-escalationChainId', 'data-field': 'escalationChainId' },
        h('option', { value: '' }, 'None (routing rules decide)'),
        chainList().map((c) =>
          h('option', { value: c.chainId, selected: c.chainId === r?.escalationChainId }, c.name),
        ),
      ),
    ),
    h(
      'label',
      { class: 'check' },
      h('input', { type: 'checkbox', name: 'enabled', checked: r?.enabled ?? true }),
      ' Enabled',
    ),
  ],
  read: (form) => {
    const threshold = text(form, 'threshold');
    const chainId = text(form, 'escalationChainId');
    return {
      name: text(form, 'name'),
      metric: text(form, 'metric'),
      filters: parseFilters(text(form, 'filters')),
      ...(threshold ? { threshold } : {}),
      ...numberField(form, 'windowSeconds'),
      aggregation: text(form, 'aggregation'),
      ...numberField(form, 'triggerInterval'),
      ...numberField(form, 'clearInterval'),
      ...(chainId ? { escalationChainId: chainId } : {}),
      enabled: (form.elements.namedItem('enabled') as HTMLInputElement).checked,
    };
  },
  save: (body, rule) => saveRule(body, rule?.ruleId),
  remove: deleteRule,
});

const recipientsText = (stage: Chain['stages'][number] | undefined) =>
  (stage?.recipients ?? []).map((r) => `${r.type} ${r.address}`).join('\n');

const chainSection: Section<Chain> = {
  title: 'Escalation chains',
  noun: 'chain',
  load: chains,
  columns: ['Name', 'Stages', 'Interval'],
  cells: (c) => [
    c.name,
    h(
      'ol',
      { class: 'stages' },
      c.stages.map((s) => h('li', null, s.recipients.map((r) => `${r.type} ${r.address}`).join(', '))),
    ),
    `${c.stageIntervalSeconds / 60} min`,
  ],
  idOf: (c) => c.chainId,
  nameOf: (c) => c.name,
  controls: (c) => [
    field('Name', input('name', c?.name)),
    field(
      'Minutes between stages',
      input('stageMinutes', c ? c.stageIntervalSeconds / 60 : 15, {
        inputmode: 'numeric',
        'data-field': 'stageIntervalSeconds',
      }),
    ),
    h(
      'div',
      { class: 'stage-boxes', 'data-field': 'stages' },
      Array.from({ length: Math.max(STAGE_BOXES, c?.stages.length ?? 0) }, (_, i) => {
        const box = h('textarea', {
          name: `stage${i}`,
          id: `f-stage${i}`,
          rows: 2,
          'data-field': `stages[${i}].recipients`,
          'data-lines': '',
          placeholder:
            i === 0 ? 'email oncall@example.com\nsms +14155550100\nwebhook https://hooks.example/x' : '',
        });
        box.value = recipientsText(c?.stages[i]);
        return field(
          `Stage ${i + 1} recipients`,
          box,
          i === 0 ? 'One a line: email, sms or webhook, then the address.' : undefined,
        );
      }),
    ),
  ],
  read: (form) => {
    const stages = Array.from(
      { length: form.querySelectorAll('textarea[name^="stage"]').length },
      (_, i) => ({
        recipients: text(form, `stage${i}`)
          .split('\n')
          .map((line) => line.trim())
          .filter(Boolean)
          .map((line) => {
            const [type = '', ...address] = line.split(/\s+/);
            return { type, address: address.join(' ') };
          }),
      }),
    );
    // Empty boxes after the last filled stage are not stages; an empty one between two is (the API says so).
    while (stages.length > 1 && stages[stages.length - 1]?.recipients.length === 0) stages.pop();
    const minutes = text(form, 'stageMinutes');
    return {
      name: text(form, 'name'),
      ...(minutes === '' ? {} : { stageIntervalSeconds: Math.round(Number(minutes) * 60) }),
      stages,
    };
  },
  save: (body, chain) => saveChain(body, chain?.chainId),
  remove: deleteChain,
};

/** `2026-12-06T20:00` (the picker's local time) → ISO; anything else goes as typed, for the API to refuse. */
const instant = (value: string) => {
  const ms = Date.parse(value);
  return Number.isNaN(ms) ? value : new Date(ms).toISOString();
};
const localInput = (ms: number) => {
  const d = new Date(ms - new Date(ms).getTimezoneOffset() * 60_000);
  return d.toISOString().slice(0, 16);
};

const downtimeSection = (ruleList: () => readonly RuleDocument[]): Section<Downtime> => ({
  title: 'Scheduled downtime',
  noun: 'downtime',
  load: downtimes,
  columns: ['Name', 'From', 'Until', 'Covers'],
  cells: (d) => [
    d.name,
    h('time', { datetime: d.startsAt }, new Date(d.startsAt).toLocaleString()),
    d.endsAt ? h('time', { datetime: d.endsAt }, new Date(d.endsAt).toLocaleString()) : 'for ever',
    [
      d.resources?.length ? `resources: ${d.resources.join(', ')}` : '',
      d.filters && Object.keys(d.filters).length ? `series: ${filtersText(d.filters)}` : '',
      d.ruleIds?.length
        ? `rules: ${d.ruleIds.map((id) => ruleList().find((r) => r.ruleId === id)?.name ?? id).join(', ')}`
        : '',
    ]
      .filter(Boolean)
      .join('; '),
  ],
  idOf: (d) => d.downtimeId,
  nameOf: (d) => d.name,
  controls: (d) => {
    const now = Date.now();
    const from = d ? Date.parse(d.startsAt) : now;
    const until = d ? d.endsAt && Date.parse(d.endsAt) : now + 3_600_000;
    return [
      field('Name', input('name', d?.name)),
      field('From', input('startsAt', localInput(from), { type: 'datetime-local' })),
      field(
        'Until',
        input('endsAt', until ? localInput(until) : '', { type: 'datetime-local' }),
        d?.recurrence ? 'Repeats until then; empty: for ever.' : undefined,
      ),
      field(
        'Resources',
        input('resources', d?.resources?.join(', '), { placeholder: 'web-01, db-02' }),
        'Names or ids, comma separated.',
      ),
      field('Series filters', input('filters', filtersText(d?.filters), { placeholder: 'group=db' })),
      field(
        'Rules',
        h(
          'select',
          {
            name: 'ruleIds',
            id: 'f-ruleIds',
            'data-field': 'ruleIds',
            multiple: true,
            size: Math.min(5, Math.max(2, ruleList().length)),
          },
          ruleList().map((r) =>
            h('option', { value: r.ruleId, selected: d?.ruleIds?.includes(r.ruleId) ?? false }, r.name),
          ),
        ),
      ),
    ];
  },
  read: (form) => {
    const resources = text(form, 'resources')
      .split(',')
      .map((r) => r.trim())
      .filter(Boolean);
    const filters = parseFilters(text(form, 'filters'));
    const ruleIds = [...(form.elements.namedItem('ruleIds') as HTMLSelectElement).selectedOptions].map(
      (o) => o.value,
    );
    return {
      name: text(form, 'name'),
      startsAt: instant(text(form, 'startsAt')),
      ...(text(form, 'endsAt') ? { endsAt: instant(text(form, 'endsAt')) } : {}),
      ...(resources.length ? { resources } : {}),
      ...(Object.keys(filters).length ? { filters } : {}),
      ...(ruleIds.length ? { ruleIds } : {}),
    };
  },
  // A change is a merge patch: what the form leaves empty goes (null); what it does not show (a
  // recurrence) stays.
  save: (body, d) =>
    d
      ? updateDowntime(d, {
          endsAt: null,
          resources: null,
          filters: null,
          ruleIds: null,
          ...(body as object),
        })
      : createDowntime(body),
  remove: deleteDowntime,
});

export function alertSettingsView(root: HTMLElement): View {
  const editable = canEdit(session()?.claims['cognito:groups']);
  const status = statusLine();
  let chainCache: Chain[] = [];
  let ruleCache: RuleDocument[] = [];
  // The rule form offers the chains and the downtime form the rules: each list, once loaded,
  // redraws the form that offers it.
  const parts: Record<'rules' | 'downtime', SectionPart | undefined> = {
    rules: undefined,
    downtime: undefined,
  };
  const chainPart = section(
    {
      ...chainSection,
      load: async () => {
        chainCache = await chains();
        parts.rules?.reset();
        return chainCache;
      },
    },
    editable,
  );
  const rulePart = section(
    {
      ...ruleSection(() => chainCache),
      load: async () => {
        ruleCache = await ruleDocuments();
        parts.downtime?.reset();
        return ruleCache;
      },
    },
    editable,
  );
  const downtimePart = section(
    downtimeSection(() => ruleCache),
    editable,
  );
  parts.rules = rulePart;
  parts.downtime = downtimePart;
  mount(
    root,
    h('h1', null, 'Alert settings'),
    status,
    rulePart.element,
    chainPart.element,
    downtimePart.element,
  );
  (async () => {
    await chainPart.refresh();
    await rulePart.refresh();
    await downtimePart.refresh();
  })().catch((error: Error) => {
    status.classList.add('error');
    status.textContent = error.message;
  });
  return { stop: () => undefined };
}
