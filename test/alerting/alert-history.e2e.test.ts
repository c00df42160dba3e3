/**
 * Alert history through the API on the local platform: alerts raised by pushes on a test clock, then
 * listed by time range and filters, and exported as CSV and NDJSON page by page following the Link
 * header until the pages concatenate into the whole history.
 */
import { describe, expect, it } from 'vitest';
import { callApi } from '../support/api-call';
import { useAlertingPlatform } from './support/alerting-platform';

let now = Math.floor(Date.now() / 60_000) * 60_000 + 5_000;
const e2e = useAlertingPlatform('history-e2e', () => now);
const api = <T = Record<string, unknown>>(method: string, path: string, body?: unknown, status = 200) =>
  callApi<T>(e2e.platform, path, { token: e2e.adminToken, method, body, status });

interface HistoryAlert {
  alertId: string;
  resource: string;
  severity: string;
  status: string;
  openedAt: string;
}
const history = (query: string) =>
  api<{ alerts: HistoryAlert[]; cursor?: string; scanned: number }>('GET', `/v1/alerts/history?${query}`);

/** host-0 … host-11, a minute apart: every third critical, the rest warning; the first eight cleared. */
const opened: { host: string; at: number; severity: string }[] = [];

describe('alert history (local platform)', () => {
  it('records every alert a rule raises and clears', async () => {
    await api(
      'POST',
      '/v1/alert-rules',
      {
        name: 'CPU busy',
        metric: 'cpu_busy',
        threshold: '> 60 80 90',
        windowSeconds: 60,
        triggerInterval: 1,
        clearInterval: 1,
      },
      201,
    );
    for (let i = 0; i < 12; i++) {
      now += 61_000;
      const severity = i % 3 === 0 ? 'critical' : 'warning';
      await e2e.ingestCpuBusy(`host-${i}`, severity === 'critical' ? 95 : 70);
      opened.push({ host: `host-${i}`, at: now, severity });
    }
    now += 61_000;
    for (let i = 0; i < 8; i++) await e2e.ingestCpuBusy(`host-${i}`, 10);
    const all = await history('limit=100');
    expect(all.alerts.map((a) => a.resource)).toEqual(opened.map((o) => o.host).reverse());
    expect(all.alerts.filter((a) => a.status === 'cleared')).toHaveLength(8);
  });

  it('filters by opening time, severity, state, resource and text, and pages with a cursor', async () => {
    const from = opened[3]!.at;
    const to = opened[7]!.at;
    expect((await history(`from=${from}&to=${to}`)).alerts.map((a) => a.resource)).toEqual([
      'host-6',
      'host-5',
      'host-4',
      'host-3',
    ]);
    expect(
      (await history(`from=${new Date(from).toISOString()}&to=${new Date(to).toISOString()}`)).alerts,
    ).toHaveLength(4);
    expect((await history('severity=critical')).alerts.map((a) => a.resource)).toEqual([
      'host-9',
      'host-6',
      'host-3',
      'host-0',
    ]);
    expect((await history('state=open')).alerts.map((a) => a.resource)).toEqual([
      'host-11',
      'host-10',
      'host-9',
      'host-8',
    ]);
    expect((await history('resource=host-10')).alerts).toHaveLength(1);
    expect((await history('text=HOST-1')).alerts.map((a) => a.resource)).toEqual([
      'host-11',
      'host-10',
      'host-1',
    ]);
    const first = await history('limit=5');
    expect(first.alerts).toHaveLength(5);
    const second = await history(`limit=10&cursor=${first.cursor}`);
    expect(second.alerts.map((a) => a.resource)).toEqual([
      'host-6',
      'host-5',
      'host-4',
      'host-3',
      'host-2',
      'host-1',
      'host-0',
    ]);
    expect(second.cursor).toBeUndefined();
  });

  it('refuses bad parameters with a 422 naming the field', async () => {
    for (const [query, field] of [
      ['limit=0', 'limit'],
      ['limit=1001', 'limit'],
      ['from=yesterday', 'from'],
      ['from=2000&to=1000', 'to'],
      ['severity=fatal', 'severity'],
      ['sort=asc', ''],
    ] as const) {
      const refused = await api<{ error: { field?: string } }>(
        'GET',
        `/v1/alerts/history?${query}`,
        undefined,
        422,
      );
      if (field) expect(refused.error.field, query).toBe(field);
    }
  });

  it('exports CSV a page at a time: the Link header leads on, the header row comes once', async () => {
    let path: string | undefined = '/v1/alerts/history/export?format=csv&limit=5';
    const pages: string[] = [];
    while (path) {
      const response = await e2e.platform.request(path, { token: e2e.adminToken });
      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toContain('text/csv');
      pages.push(await response.text());
      path = /^<([^>]+)>; rel="next"$/.exec(response.headers.get('link') ?? '')?.[1];
    }
    expect(pages).toHaveLength(3);
    const lines = pages.join('').trimEnd().split('\r\n');
    expect(lines[0]?.startsWith('alertId,openedAt,clearedAt,status,severity')).toBe(true);
    expect(lines.slice(1).map((l) => l.split(',')[4])).toEqual(opened.map((o) => o.severity).reverse());
    expect(lines.filter((l) => l.startsWith('alertId,'))).toHaveLength(1);
  });

  it('exports NDJSON with the filters applied, and audits each export', async () => {
    const response = await e2e.platform.request('/v1/alerts/history/export?severity=critical', {
      token: e2e.adminToken,
    });
    expect(response.headers.get('content-type')).toBe('application/x-ndjson');
    const rows = (await response.text())
      .trimEnd()
      .split('\n')
      .map((l) => JSON.parse(l) as HistoryAlert);
    expect(rows.map((r) => r.resource)).toEqual(['host-9', 'host-6', 'host-3', 'host-0']);
    expect(response.headers.get('link')).toBeNull();
    const audit = await api<{ items: { action: string }[] }>('GET', '/v1/audit-events?limit=100');
    expect(audit.items.filter((e) => e.action === 'alert-history.export').length).toBeGreaterThanOrEqual(4);
  });

  it('reports availability with an after-the-fact downtime correction excluded, as JSON and PDF', async () => {
    const from = opened[0]!.at - 60_000;
    const to = now + 60_000;
    const body = {
      title: 'November',
      from,
      to,
      stepSeconds: 60,
      resources: ['host-0', 'host-9', 'host-1'],
      availability: { kind: 'alerts', severity: 'critical' },
    };
    type Report = {
      resources: { resource: string; availability: number; downSeconds: number }[];
      allOkAvailability: number;
    };
    const before = await api<Report>('POST', '/v1/reports/sla', body);
    const byName = (r: Report) => Object.fromEntries(r.resources.map((x) => [x.resource, x]));
    // host-0 was critical from its push until the clears; host-1 only warning: always available.
    expect(byName(before)['host-0']?.availability).toBeLessThan(100);
    expect(byName(before)['host-1']?.availability).toBe(100);
    expect(byName(before)['host-9']?.downSeconds).toBeGreaterThan(0);
    const correction = await api<{ downtimeId: string }>(
      'POST',
      '/v1/downtimes',
      {
        name: 'host-0 was being replaced',
        resources: ['host-0'],
        startsAt: from,
        endsAt: to,
        reason: 'hardware swap, agreed with the customer',
      },
      201,
    );
    const after = await api<Report & { excluded: { downtimeId: string; reason: string }[] }>(
      'POST',
      '/v1/reports/sla',
      body,
    );
    expect(byName(after)['host-0']?.availability).toBeNull();
    expect(after.excluded).toEqual([
      expect.objectContaining({
        downtimeId: correction.downtimeId,
        reason: 'hardware swap, agreed with the customer',
      }),
    ]);
    expect(after.allOkAvailability).toBeGreaterThan(before.allOkAvailability);
    const pdf = await e2e.platform.request('/v1/reports/sla', {
      method: 'POST',
      token: e2e.adminToken,
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ ...body, format: 'pdf' }),
    });
    expect(pdf.status).toBe(200);
    expect(pdf.headers.get('content-type')).toBe('application/pdf');
    expect(
      Buffer.from(await pdf.arrayBuffer())
        .subarray(0, 5)
        .toString(),
    ).toBe('%PDF-');
    const refused = await api<{ error: { field: string } }>(
      'POST',
      '/v1/reports/sla',
      { ...body, to: from - 1 },
      422,
    );
    expect(refused.error.field).toBe('to');
  });
});
