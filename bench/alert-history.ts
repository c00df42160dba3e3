/**
 * `npx tsx bench/alert-history.ts`: the alert history query over 1,000,000 alerts of one tenant on the
 * local store (SQLite, the DynamoDB item model's twin: same keys, same page reads). The alerts span
 * 13 months (one every ~34 s), 4 severities and 1,000 rules; 1 in 4 is critical, 1 in 1,000 is of
 * the rarest rule. Each query runs 50 times (p50/p99); its baseline is the bare key-range read of the
 * same number of rows in the same SQLite file (what the engine itself costs, without the model's
 * parsing and filtering).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { ItemAlertStore, type TableItem } from '#adapters/items/alert-store-items';
import { openDatabase } from '#adapters/local/sqlite';
import { SqliteItemTable } from '#adapters/local/sqlite-alert-store';
import { type Alert, alertIdTimePrefix } from '#domain/alerting/alert';
import { csvRow, DEFAULT_HISTORY_RETENTION_DAYS, historyExpiry } from '#domain/alerting/history';
import { type BenchRow, fmt, markdownTable, ratio, writeReport } from './lib/results';

const ALERTS = Number(process.env.HISTORY_ALERTS ?? 1_000_000);
const RUNS = 50;
const dir = mkdtempSync(join(tmpdir(), 'alert-history-bench-'));
const db = openDatabase(join(dir, 'alerts.sqlite'));
const table = new SqliteItemTable(db);
const store = new ItemAlertStore(table);
const end = Date.parse('2026-12-01T00:00:00Z');
const span = DEFAULT_HISTORY_RETENTION_DAYS * 86_400_000;
const start = end - span;
const step = span / ALERTS;
const severities = ['warning', 'error', 'critical', 'warning'] as const;

const loadStarted = performance.now();
for (let i = 0; i < ALERTS; i += 5_000) {
  const batch: TableItem[] = [];
  for (let j = i; j < Math.min(ALERTS, i + 5_000); j++) {
    const opened = Math.floor(start + j * step);
    const alert: Alert = {
      tenantId: 't1',
      alertId: `${alertIdTimePrefix(opened)}${j.toString(16).padStart(16, '0')}`,
      ruleId: `rule-${j % 1000}`,
      ruleName: `Rule ${j % 1000}`,
      seriesKey: `cpu_busy\u0000host\u0001host-${j % 5000}`,
      metric: 'cpu_busy',
      dimensions: { host: `host-${j % 5000}`, datasource: 'CPU', instance: 'cpu0' },
      resource: `host-${j % 5000}`,
      cause: 'threshold',
      status: 'cleared',
      severity: severities[j % 4] as Alert['severity'],
      value: 91.5,
      openedAt: new Date(opened).toISOString(),
      updatedAt: new Date(opened + 300_000).toISOString(),
      clearedAt: new Date(opened + 300_000).toISOString(),
      history: [
        { at: new Date(opened).toISOString(), from: 'ok', to: severities[j % 4] },
        { at: new Date(opened + 300_000).toISOString(), from: severities[j % 4], to: 'ok' },
      ] as unknown as Alert['history'],
    };
    batch.push({
      pk: 'TENANT#t1',
      sk: `ALERT#${alert.alertId}`,
      item: JSON.stringify(alert),
      expiresAt: historyExpiry(alert, DEFAULT_HISTORY_RETENTION_DAYS) as number,
    });
  }
  await table.write(batch, []);
}
const loadSeconds = (performance.now() - loadStarted) / 1000;

const percentile = (sorted: number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]!;
async function time(call: () => Promise<unknown> | unknown) {
  const times: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const t = performance.now();
    await call();
    times.push(performance.now() - t);
  }
  times.sort((a, b) => a - b);
  return { p50: percentile(times, 0.5), p99: percentile(times, 0.99) };
}
const raw = db.prepare(
  'SELECT item FROM alert_items WHERE pk = ? AND sk >= ? AND sk < ? ORDER BY sk DESC LIMIT ?',
);
const rawRange = (fromMs: number, toMs: number, n: number) => () =>
  raw.all('TENANT#t1', `ALERT#${alertIdTimePrefix(fromMs)}`, `ALERT#${alertIdTimePrefix(toMs)}`, n);

const nowMs = end;
const middle = start + span / 2;
const cases: { name: string; ours: () => Promise<unknown>; base: () => unknown }[] = [
  {
    name: 'newest 100',
    ours: () => store.alertHistory('t1', { filter: {}, limit: 100, nowMs }),
    base: rawRange(start, end, 100),
  },
  {
    name: 'one day in the middle, 100',
    ours: () =>
      store.alertHistory('t1', { fromMs: middle, toMs: middle + 86_400_000, filter: {}, limit: 100, nowMs }),
    base: rawRange(middle, middle + 86_400_000, 100),
  },
  {
    name: 'critical, 100 (1 in 4 matches)',
    ours: () => store.alertHistory('t1', { filter: { severity: 'critical' }, limit: 100, nowMs }),
    base: rawRange(start, end, 400),
  },
  {
    name: 'one rule of 1,000, 100 (bounded scan: 5,000 read)',
    ours: () => store.alertHistory('t1', { filter: { ruleId: 'rule-7' }, limit: 100, nowMs }),
    base: rawRange(start, end, 5_000),
  },
  {
    name: 'text "host-42", 100 (bounded scan)',
    ours: () => store.alertHistory('t1', { filter: { text: 'host-42' }, limit: 100, nowMs }),
    base: rawRange(start, end, 5_000),
  },
  {
    name: 'export page: 10,000 rows as CSV',
    ours: async () =>
      (await store.alertHistory('t1', { filter: {}, limit: 10_000, nowMs, maxScan: 50_000 })).items
        .map(csvRow)
        .join(''),
    base: rawRange(start, end, 10_000),
  },
];

const rows: BenchRow[] = [];
for (const c of cases) {
  await c.ours(); // warm
  const ours = await time(c.ours);
  const base = await time(c.base);
  rows.push({
    figure: `alert history over ${fmt(ALERTS)} alerts: ${c.name}, p50 / p99`,
    measured: `${fmt(ours.p50, 2)} / ${fmt(ours.p99, 2)} ms`,
    baseline: `${fmt(base.p50, 2)} / ${fmt(base.p99, 2)} ms bare key-range read`,
    ratio: ratio(ours.p50, base.p50),
    goal: 'info',
    verdict: 'info',
  });
}
const heapMiB = process.memoryUsage().heapUsed / 2 ** 20;
writeReport('alert-history', {
  section: 'Alerting',
  rows,
  notes: [
    `${fmt(ALERTS)} alerts loaded in ${fmt(loadSeconds, 1)} s; heap after the queries ${fmt(heapMiB)} MiB (a page holds at most its rows).`,
  ],
});
console.log(
  markdownTable(
    ['figure', 'measured', 'baseline', 'ratio'],
    rows.map((r) => [r.figure, r.measured, r.baseline, r.ratio]),
  ),
);
db.close();
rmSync(dir, { recursive: true, force: true });
