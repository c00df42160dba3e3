/**
 * `npm run smoke -- --url <API URL> --provider-token <token>` (a deployed stage: its API Gateway URL
 * or custom domain, the provider token from its secret) or `npm run smoke -- --local` (`npm start` on
 * PORT, default 8080, token from PROVIDER_ADMIN_TOKEN or DATA_DIR/provider-admin-token). Exercises the
 * live platform end to end as a customer would: onboard a throw-away tenant, a collector and its
 * config (home region and endpoints), push native JSON and Prometheus remote write, query both back,
 * raise an alert that pages a webhook, acknowledge it, clear it, then offboard the tenant (always, also after a
 * failure). Prints a pass/fail table; exits 1 when any step fails. RUNBOOK "Smoke test".
 *
 * The webhook: `--local` starts a receiver on 127.0.0.1 (the platform needs WEBHOOKS_ALLOW_LOOPBACK=
 * true); against a deployed stage pass `--webhook-url https://…` (a receiver you watch), else the
 * step checks the alert opened but cannot see the page arrive.
 */
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { encodeRemoteWriteBody, REMOTE_WRITE_HEADERS } from '#protocols/prometheus/remote-write';

export interface SmokeOptions {
  /** The API's base URL (no trailing slash needed). */
  readonly url: string;
  readonly providerToken: string;
  /** A webhook the platform can reach; with `receiver`, the page is awaited there. */
  readonly webhookUrl?: string;
  /** Pages received at `webhookUrl` (the local receiver). */
  readonly receiver?: { readonly received: readonly unknown[] };
  /** How long to wait for asynchronous outcomes (the page, the offboarding job). */
  readonly waitMs?: number;
  /**
   * How long to wait for the alert to clear (default 3 min, at least `waitMs`): the evaluator clears
   * on its next one-minute period, on AWS a scheduled pass.
   */
  readonly clearWaitMs?: number;
  /** The clock the pushed points are stamped with (tests run the platform and this on a fast clock). */
  readonly now?: () => number;
}

export interface SmokeStep {
  readonly step: string;
  readonly ok: boolean;
  readonly detail: string;
}

const METRIC_NATIVE = 'smoke_busy';
const METRIC_REMOTE = 'smoke_remote_write';

class StepFailed extends Error {}

/** Runs every step; never throws: a failure is a failed row (and later steps that needed it are skipped). */
export async function runSmoke(options: SmokeOptions): Promise<SmokeStep[]> {
  const base = options.url.replace(/\/+$/, '');
  const now = options.now ?? Date.now;
  const waitMs = options.waitMs ?? 30_000;
  const steps: SmokeStep[] = [];
  const call = async (
    path: string,
    init: {
      method?: string;
      token?: string;
      json?: unknown;
      body?: Uint8Array;
      headers?: Record<string, string>;
    },
    expected: readonly number[],
  ): Promise<Record<string, unknown>> => {
    const response = await fetch(`${base}${path}`, {
      method: init.method ?? 'GET',
      headers: {
        ...(init.token ? { authorization: `Bearer ${init.token}` } : {}),
        ...(init.json !== undefined ? { 'content-type': 'application/json' } : {}),
        ...init.headers,
      },
      ...(init.json !== undefined ? { body: JSON.stringify(init.json) } : {}),
      ...(init.body ? { body: init.body } : {}),
    });
    const text = await response.text();
    if (!expected.includes(response.status))
      throw new StepFailed(`${init.method ?? 'GET'} ${path}: ${response.status} ${text.slice(0, 200)}`);
    return text ? (JSON.parse(text) as Record<string, unknown>) : {};
  };
  let skipRest = false;
  const step = async (name: string, run: () => Promise<string>): Promise<boolean> => {
    if (skipRest) {
      steps.push({ step: name, ok: false, detail: 'skipped: an earlier step failed' });
      return false;
    }
    try {
      steps.push({ step: name, ok: true, detail: await run() });
      return true;
    } catch (error) {
      steps.push({ step: name, ok: false, detail: (error as Error).message });
      skipRest = true;
      return false;
    }
  };
  const until = async <T>(
    what: string,
    probe: () => Promise<T | undefined>,
    within = waitMs,
    everyMs = 250,
  ): Promise<T> => {
    const deadline = Date.now() + within;
    for (;;) {
      const found = await probe();
      if (found !== undefined) return found;
      if (Date.now() > deadline) throw new StepFailed(`${what}: not within ${within} ms`);
      await new Promise((resolve) => setTimeout(resolve, everyMs));
    }
  };

  const nowS = Math.floor(now() / 1000);
  const window = `from=${(nowS - 3600) * 1000}&to=${(nowS + 60) * 1000}`;
  let tenantId: string | undefined;
  let adminToken = '';
  let ingestKey = '';
  let alertId = '';
  /** Points of the smoke metric on the smoke host, through the native JSON API. */
  const pushNative = (values: Record<number, number>) =>
    call(
      '/v1/ingest',
      {
        method: 'POST',
        token: ingestKey,
        json: {
          resourceName: 'smoke-host',
          resourceIds: { 'system.hostname': 'smoke-host' },
          dataSource: 'Smoke',
          instances: [{ instanceName: 'i0', dataPoints: [{ dataPointName: METRIC_NATIVE, values }] }],
        },
      },
      [200, 202, 204],
    );

  await step('onboard a test tenant', async () => {
    const tenant = await call(
      '/admin/v1/tenants',
      { method: 'POST', token: options.providerToken, json: { name: `smoke-${nowS}` } },
      [201],
    );
    tenantId = String(tenant.tenantId);
    adminToken = String(tenant.adminToken);
    return `tenant ${tenantId}${tenant.region ? ` homed in ${tenant.region}` : ''}`;
  });
  await step('create a collector and its key', async () => {
    const collector = await call(
      '/v1/collectors',
      { method: 'POST', token: adminToken, json: { name: 'smoke' } },
      [201],
    );
    ingestKey = String(collector.ingestKey);
    return `collector ${collector.collectorId}`;
  });
  await step('read the collector config (home region, endpoints)', async () => {
    const config = await call('/v1/collector/config', { token: ingestKey }, [200]);
    const endpoints = config.endpoints as { ingest?: string } | undefined;
    return `region ${config.region ?? 'not set'}, ingest endpoint ${endpoints?.ingest ?? 'not configured'}`;
  });
  await step('push native JSON', async () => {
    await pushNative({ [nowS - 60]: 10, [nowS]: 12.5 });
    return '2 points';
  });
  await step('push Prometheus remote write', async () => {
    const body = encodeRemoteWriteBody({
      timeseries: [
        {
          labels: [
            { name: '__name__', value: METRIC_REMOTE },
            { name: 'job', value: 'smoke' },
          ],
          samples: [{ value: 42, timestamp: nowS * 1000, stale: false }],
        },
      ],
    });
    await call(
      '/api/v1/write',
      { method: 'POST', token: ingestKey, body, headers: { ...REMOTE_WRITE_HEADERS } },
      [200, 204],
    );
    return '1 sample';
  });
  await step('query the native points back', async () => {
    const points = await until('the native points', async () => {
      const answer = await call(
        `/v1/metrics/query?metric=${METRIC_NATIVE}&${window}`,
        { token: adminToken },
        [200],
      );
      const found = JSON.stringify(answer).includes('12.5') ? answer : undefined;
      return found;
    });
    return `${JSON.stringify(points).length} bytes, 12.5 found`;
  });
  await step('query the remote-write sample back (PromQL)', async () => {
    await until('the remote-write sample', async () => {
      const answer = await call(
        `/api/v1/query?query=${METRIC_REMOTE}&time=${nowS}`,
        { token: adminToken },
        [200],
      );
      return JSON.stringify(answer).includes('"42"') ? answer : undefined;
    });
    return `${METRIC_REMOTE} = 42`;
  });
  await step('raise an alert that pages a webhook', async () => {
    const pagesBefore = options.receiver?.received.length ?? 0;
    const chain = options.webhookUrl
      ? await call(
          '/v1/escalation-chains',
          {
            method: 'POST',
            token: adminToken,
            json: {
              name: 'smoke',
              stages: [{ recipients: [{ type: 'webhook', address: options.webhookUrl }] }],
            },
          },
          [201],
        )
      : undefined;
    await call(
      '/v1/alert-rules',
      {
        method: 'POST',
        token: adminToken,
        json: {
          name: 'smoke test alert',
          metric: METRIC_NATIVE,
          threshold: '> 50',
          windowSeconds: 60,
          triggerInterval: 1,
          clearInterval: 1,
          ...(chain ? { escalationChainId: chain.chainId } : {}),
        },
      },
      [201],
    );
    await pushNative({ [Math.floor(now() / 1000)]: 99 });
    alertId = await until('an open alert', async () => {
      const open = await call('/v1/alerts?status=open', { token: adminToken }, [200]);
      const alerts = (open.alerts ?? []) as { alertId: string }[];
      return alerts[0]?.alertId;
    });
    if (!options.receiver) return `alert ${alertId} open${chain ? '; page not observable from here' : ''}`;
    await until('the webhook page', async () =>
      options.receiver!.received.length > pagesBefore ? true : undefined,
    );
    return `alert ${alertId} open, webhook paged`;
  });
  await step('acknowledge the alert', async () => {
    await call(`/v1/alerts/${alertId}/ack`, { method: 'POST', token: adminToken, json: {} }, [200]);
    return `alert ${alertId} acknowledged`;
  });
  await step('clear the alert (a healthy value)', async () => {
    const pagesBefore = options.receiver?.received.length ?? 0;
    await until(
      'the alert cleared',
      async () => {
        // A healthy point now and then, until the evaluator's next period sees only healthy ones.
        await pushNative({ [Math.floor(now() / 1000)]: 5 });
        const alert = await call(`/v1/alerts/${alertId}`, { token: adminToken }, [200]);
        return alert.status === 'cleared' ? true : undefined;
      },
      options.clearWaitMs ?? Math.max(waitMs, 180_000),
      2_000,
    );
    if (!options.receiver) return `alert ${alertId} cleared`;
    await until('the clear notification', async () =>
      options.receiver!.received.length > pagesBefore ? true : undefined,
    );
    return `alert ${alertId} cleared, webhook told`;
  });

  // Clean-up runs whatever failed before: a smoke test leaves no tenant behind.
  skipRest = false;
  if (tenantId) {
    const id = tenantId;
    await step('offboard the test tenant (every region)', async () => {
      const job = await call(
        `/admin/v1/tenants/${id}/offboard`,
        { method: 'POST', token: options.providerToken },
        [202],
      );
      const done = await until('the offboarding job', async () => {
        const status = await call(String(job.statusPath), { token: options.providerToken }, [200]);
        return status.state === 'succeeded' ? status : undefined;
      });
      const regions = (done.regions as { region: string }[]).map((r) => r.region);
      return `job ${job.jobId} done: erased in ${regions.join(', ')}`;
    });
  }
  return steps;
}

export function renderTable(steps: readonly SmokeStep[]): string {
  const width = Math.max(...steps.map((s) => s.step.length), 4);
  const lines = steps.map((s) => `${s.ok ? 'PASS' : 'FAIL'}  ${s.step.padEnd(width)}  ${s.detail}`);
  const failed = steps.filter((s) => !s.ok).length;
  return [
    ...lines,
    failed === 0 ? `all ${steps.length} steps passed` : `${failed} of ${steps.length} steps failed`,
  ].join('\n');
}

/** A webhook receiver on 127.0.0.1 (for `--local`): records every POST body. */
export async function startWebhookReceiver(): Promise<{
  url: string;
  received: unknown[];
  close: () => Promise<void>;
}> {
  const received: unknown[] = [];
  const server: Server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => {
      body += chunk.toString('utf8');
    });
    req.on('end', () => {
      received.push(body);
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/smoke-hook`,
    received,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

const USAGE =
  'usage: npm run smoke -- (--url <API URL> --provider-token <token> [--webhook-url <https URL>] | --local [--port <n>])';

/** The CLI: returns the exit code. */
export async function smokeMain(
  argv: readonly string[],
  print: (line: string) => void = console.log,
  /** Tests only: the clock the pushed points are stamped with. */
  clock: Pick<SmokeOptions, 'now'> = {},
): Promise<number> {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      url: { type: 'string' },
      'provider-token': { type: 'string' },
      'webhook-url': { type: 'string' },
      local: { type: 'boolean' },
      port: { type: 'string' },
      'wait-ms': { type: 'string' },
    },
    strict: true,
  });
  if (values.local === (values.url !== undefined)) throw new Error(USAGE);
  const waitMs = values['wait-ms'] ? Number(values['wait-ms']) : undefined;
  if (values.local) {
    const url = `http://127.0.0.1:${values.port ?? process.env.PORT ?? 8080}`;
    const providerToken =
      values['provider-token'] ??
      (process.env.PROVIDER_ADMIN_TOKEN ||
        readFileSync(join(process.env.DATA_DIR ?? '.data', 'provider-admin-token'), 'utf8').trim());
    const receiver = await startWebhookReceiver();
    try {
      const steps = await runSmoke({
        url,
        providerToken,
        webhookUrl: receiver.url,
        receiver,
        ...(waitMs ? { waitMs } : {}),
        ...clock,
      });
      print(renderTable(steps));
      return steps.every((s) => s.ok) ? 0 : 1;
    } finally {
      await receiver.close();
    }
  }
  const providerToken = values['provider-token'] ?? process.env.PROVIDER_ADMIN_TOKEN;
  if (!providerToken) throw new Error(`--provider-token (or PROVIDER_ADMIN_TOKEN) is required\n${USAGE}`);
  const steps = await runSmoke({
    url: values.url as string,
    providerToken,
    ...(values['webhook-url'] ? { webhookUrl: values['webhook-url'] } : {}),
    ...(waitMs ? { waitMs } : {}),
    ...clock,
  });
  print(renderTable(steps));
  return steps.every((s) => s.ok) ? 0 : 1;
}

if (process.argv[1]?.endsWith('smoke.ts')) {
  smokeMain(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (error: Error) => {
      console.error(error.message);
      process.exitCode = 1;
    },
  );
}
