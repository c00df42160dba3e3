/**
 * `npm run smoke -- --local` against the real local platform (issue #17): every step passes on a
 * working platform and leaves no tenant behind; a wrong provider token fails the run (exit 1) and
 * says where.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { renderTable, runSmoke, smokeMain, startWebhookReceiver } from '../../scripts/smoke';
import { startTestPlatform, type TestPlatform } from '../support/platform';

let platform: TestPlatform;
let receiver: Awaited<ReturnType<typeof startWebhookReceiver>>;
/**
 * The platform and the smoke's points on a clock 30× real time, so the evaluator's next one-minute
 * period (when the alert clears) comes within seconds; the evaluator passes every 250 ms.
 */
const started = Date.now();
const now = () => started + (Date.now() - started) * 30;
beforeAll(async () => {
  platform = await startTestPlatform({
    clock: { now: () => new Date(now()) },
    alerting: { tickIntervalMs: 250, webhook: { allowLoopback: true } },
  });
  receiver = await startWebhookReceiver();
});
afterAll(async () => {
  await receiver?.close();
  await platform?.destroy();
});

describe('npm run smoke', () => {
  it('--local passes every step end to end and offboards its tenant', async () => {
    const printed: string[] = [];
    const port = new URL(platform.url).port;
    const code = await smokeMain(
      ['--local', '--port', port, '--provider-token', platform.providerAdminToken, '--wait-ms', '8000'],
      (line) => void printed.push(line),
      { now },
    );
    const table = printed.join('\n');
    expect(code, table).toBe(0);
    expect(table).toMatch(/all 11 steps passed$/);
    const rows = table.split('\n').slice(0, -1);
    expect(rows.map((r) => r.slice(0, 4))).toEqual(Array(11).fill('PASS'));
    for (const step of [
      'onboard a test tenant',
      'read the collector config (home region, endpoints)',
      'push native JSON',
      'push Prometheus remote write',
      'query the native points back',
      'query the remote-write sample back (PromQL)',
      'raise an alert that pages a webhook',
      'acknowledge the alert',
      'clear the alert (a healthy value)',
      'offboard the test tenant (every region)',
    ])
      expect(table).toContain(step);
    expect(table).toMatch(/raise an alert that pages a webhook +alert \S+ open, webhook paged/);
    expect(table).toMatch(/clear the alert \(a healthy value\) +alert \S+ cleared, webhook told/);
    expect(table).toMatch(/offboard the test tenant \(every region\) +job \S+ done: erased in us-west-2/);
    const tenantId = /tenant ([0-9a-f]{32})/.exec(table)![1]!;
    const tenant = await platform.request(`/admin/v1/tenants/${tenantId}`, {
      token: platform.providerAdminToken,
    });
    expect(((await tenant.json()) as { status: string }).status).toBe('offboarded');
  }, 60_000);

  it('runs against any URL with a receiver the caller watches', async () => {
    const steps = await runSmoke({
      url: platform.url,
      providerToken: platform.providerAdminToken,
      webhookUrl: receiver.url,
      receiver,
      waitMs: 8_000,
      now,
    });
    expect(
      steps.filter((s) => !s.ok),
      renderTable(steps),
    ).toEqual([]);
    expect(receiver.received.length).toBeGreaterThan(0);
  }, 60_000);

  it('exits 1 with a failing row when the platform refuses it', async () => {
    const printed: string[] = [];
    const code = await smokeMain(
      ['--url', platform.url, '--provider-token', 'not-the-token', '--wait-ms', '2000'],
      (line) => void printed.push(line),
    );
    expect(code).toBe(1);
    expect(printed.join('\n')).toMatch(/FAIL {2}onboard a test tenant +POST \/admin\/v1\/tenants: 401/);
    expect(printed.join('\n')).toMatch(/skipped: an earlier step failed/);
  });
});
