import { type ChildProcess, spawn } from 'node:child_process';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { lastHourOf, nativeBusySeries, nativePayload } from '../support/native-payload';
import { bodyOf, startTestPlatform, type TestPlatform, tempDataDir } from '../support/platform';

const json = { 'content-type': 'application/json' };

describe('walking skeleton on the local platform', () => {
  let platform: TestPlatform;
  let tenantA: { tenantId: string; adminToken: string };
  let ingestKeyA: string;
  const nowS = Math.floor(Date.now() / 1000);

  beforeAll(async () => {
    platform = await startTestPlatform();
    tenantA = await platform.createTenant('acme');
    ingestKeyA = (await platform.createCollector(tenantA.adminToken)).ingestKey;
  });
  afterAll(async () => {
    await platform?.destroy();
  });

  const ingest = (body: unknown, init: { token?: string; headers?: Record<string, string> } = {}) =>
    platform.request('/v1/ingest', {
      method: 'POST',
      token: init.token ?? ingestKeyA,
      headers: { ...json, ...init.headers },
      body: typeof body === 'string' || body instanceof Uint8Array ? (body as string) : JSON.stringify(body),
    });
  const query = (token: string, params: Record<string, string>) =>
    platform.request(`/v1/metrics/query?${new URLSearchParams(params)}`, { token });

  it('ingests a native payload and queries back exactly what was sent', async () => {
    const response = await ingest(nativePayload(nowS));
    expect(response.status).toBe(202);
    expect(await bodyOf(response)).toEqual({ accepted: 3, rejected: [] });

    const answer = await query(tenantA.adminToken, {
      metric: 'busy',
      from: String((nowS - 3600) * 1000),
      to: new Date((nowS + 60) * 1000).toISOString(),
    });
    expect(answer.status).toBe(200);
    expect(await bodyOf(answer)).toEqual({ series: [nativeBusySeries(nowS)] });
  });

  it('accepts a gzip-encoded body', async () => {
    const body = gzipSync(JSON.stringify(nativePayload(nowS, { dataSource: 'Gzipped' })));
    const response = await platform.request('/v1/ingest', {
      method: 'POST',
      token: ingestKeyA,
      headers: { ...json, 'content-encoding': 'gzip' },
      body,
    });
    expect(response.status).toBe(202);
    const answer = await query(tenantA.adminToken, {
      metric: 'idle',
      from: String((nowS - 60) * 1000),
      to: String((nowS + 60) * 1000),
      datasource: 'Gzipped',
    });
    expect((await bodyOf(answer)).series[0].points).toEqual([[nowS * 1000, 87.5]]);
  });

  it('aggregates with step and agg', async () => {
    const answer = await query(tenantA.adminToken, {
      metric: 'busy',
      ...lastHourOf(nowS),
      step: '60',
      agg: 'count',
      datasource: 'LinuxCPU',
    });
    // The two points are 60 s apart, so they always fall in two consecutive one-minute buckets.
    const minute = (s: number) => Math.floor(s / 60) * 60_000;
    expect((await bodyOf(answer)).series[0].points).toEqual([
      [minute(nowS - 60), 1],
      [minute(nowS), 1],
    ]);
  });

  it('shows a second tenant none of the first tenant’s data', async () => {
    const tenantB = await platform.createTenant('globex');
    const answer = await query(tenantB.adminToken, {
      metric: 'busy',
      ...lastHourOf(nowS),
    });
    expect(await bodyOf(answer)).toEqual({ series: [] });
  });

  describe('refuses bad input with a 4xx JSON error naming the problem, never a 500', () => {
    const cases: [string, () => Promise<Response>, number, string][] = [
      ['no credential', () => ingest(nativePayload(nowS), { token: 'nope' }), 401, 'authorization'],
      [
        'a tenant token on ingest',
        () => ingest(nativePayload(nowS), { token: tenantA.adminToken }),
        403,
        'authorization',
      ],
      ['malformed JSON', () => ingest('{"resourceName":'), 400, 'body'],
      [
        'a non-JSON content type',
        () => ingest('x', { headers: { 'content-type': 'text/plain' } }),
        415,
        'content-type',
      ],
      [
        'an unknown content encoding',
        () => ingest('x', { headers: { 'content-encoding': 'br' } }),
        415,
        'content-encoding',
      ],
      [
        'a body over 1 MiB',
        () => ingest(nativePayload(nowS, { resourceDescription: 'x'.repeat(1024 * 1024) })),
        413,
        'body',
      ],
      [
        'a gzip body inflating past 1 MiB',
        () =>
          platform.request('/v1/ingest', {
            method: 'POST',
            token: ingestKeyA,
            headers: { ...json, 'content-encoding': 'gzip' },
            body: gzipSync(Buffer.alloc(5 * 1024 * 1024, 32)),
          }),
        413,
        'body',
      ],
      [
        'too many instances',
        () =>
          ingest(
            nativePayload(nowS, {
              instances: Array.from({ length: 101 }, (_, i) => ({
                instanceName: `i${i}`,
                dataPoints: [{ dataPointName: 'x', values: { [nowS]: 1 } }],
              })),
            }),
          ),
        422,
        'instances',
      ],
      ['a bad name', () => ingest(nativePayload(nowS, { dataSource: 'bad\u0000name' })), 422, 'dataSource'],
      [
        'a name too long',
        () => ingest(nativePayload(nowS, { resourceName: 'r'.repeat(300) })),
        422,
        'resourceName',
      ],
      [
        'a timestamp too old',
        () =>
          ingest(
            nativePayload(nowS, {
              instances: [
                { instanceName: 'i', dataPoints: [{ dataPointName: 'x', values: { [nowS - 90_000]: 1 } }] },
              ],
            }),
          ),
        422,
        `instances[0].dataPoints[0].values.${nowS - 90_000}`,
      ],
      [
        'a timestamp in the future',
        () =>
          ingest(
            nativePayload(nowS, {
              instances: [
                { instanceName: 'i', dataPoints: [{ dataPointName: 'x', values: { [nowS + 3600]: 1 } }] },
              ],
            }),
          ),
        422,
        `instances[0].dataPoints[0].values.${nowS + 3600}`,
      ],
      [
        'a non-numeric value',
        () =>
          ingest(
            nativePayload(nowS, {
              instances: [
                { instanceName: 'i', dataPoints: [{ dataPointName: 'x', values: { [nowS]: '12abc' } }] },
              ],
            }),
          ),
        422,
        `instances[0].dataPoints[0].values.${nowS}`,
      ],
      ['a query without metric', () => query(tenantA.adminToken, { from: '0', to: '1' }), 422, 'metric'],
    ];
    it.each(cases)('%s', async (_name, send, status, field) => {
      const response = await send();
      expect(response.status).toBe(status);
      expect(response.headers.get('content-type')).toMatch(/application\/json/);
      const body = await bodyOf(response);
      expect(body.error.field).toBe(field);
      expect(typeof body.error.message).toBe('string');
    });

    it('stores nothing from a refused payload', async () => {
      const payload = nativePayload(nowS, { dataSource: 'Refused' });
      (payload.instances[0]!.dataPoints[1]!.values as Record<string, unknown>)[nowS] = '12abc';
      expect((await ingest(payload)).status).toBe(422);
      const answer = await query(tenantA.adminToken, {
        metric: 'busy',
        ...lastHourOf(nowS),
        datasource: 'Refused',
      });
      expect(await bodyOf(answer)).toEqual({ series: [] });
    });
  });
});

describe('npm start', () => {
  let child: ChildProcess | undefined;
  /**
   * Signals npm's whole process group: npm does not pass a signal on to the script it runs, so
   * killing npm alone left the platform (tsx, node) running on the data dir the next start reuses.
   */
  const signalGroup = (signal: NodeJS.Signals) => {
    if (child?.pid === undefined || child.exitCode !== null) return;
    try {
      process.kill(-child.pid, signal);
    } catch {
      // already gone
    }
  };
  afterAll(() => signalGroup('SIGKILL'));

  /** Starts `npm start` and resolves with its URL and printed token once the banner is out. */
  async function start(
    dataDir: string,
    extraEnv: Record<string, string> = {},
  ): Promise<{ url: string; token: string | undefined; banner: string }> {
    const { PROVIDER_ADMIN_TOKEN: _ignored, ...inherited } = process.env;
    const env = { ...inherited, PORT: '0', DATA_DIR: dataDir, ...extraEnv };
    child = spawn('npm', ['start', '--silent'], { env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    let banner = '';
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no banner within 30 s:\n${banner}`)), 30_000);
      const onData = (chunk: Buffer) => {
        banner += chunk;
        const url = /listening on\s+(\S+)/.exec(banner)?.[1];
        const token = /provider token\s+(obs_provider_\S+)/.exec(banner)?.[1];
        if (url && /provider token/.test(banner)) {
          clearTimeout(timer);
          resolve({ url, token, banner });
        }
      };
      child?.stdout?.on('data', onData);
      child?.stderr?.on('data', onData);
      child?.once('exit', (code) => reject(new Error(`npm start exited with ${code}:\n${banner}`)));
    });
  }
  async function stop(): Promise<void> {
    const exited = new Promise((r) => child?.once('exit', r));
    signalGroup('SIGTERM');
    await exited;
  }

  it('prints a banner with URL, data dir and a generated token, and keeps data across a restart', async () => {
    const dataDir = tempDataDir('obs-start-');
    const first = await start(dataDir);
    expect(first.banner).toContain(dataDir);
    expect(first.banner).toMatch(/generated/);
    expect(first.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);

    const post = (url: string, path: string, token: string, body: unknown) =>
      fetch(`${url}${path}`, {
        method: 'POST',
        headers: { ...json, authorization: `Bearer ${token}` },
        body: JSON.stringify(body),
      });
    const providerToken = first.token as string;
    expect(providerToken).toMatch(/^obs_provider_/);
    const tenant = await bodyOf(await post(first.url, '/admin/v1/tenants', providerToken, { name: 'acme' }));
    const collector = await bodyOf(await post(first.url, '/v1/collectors', tenant.adminToken, { name: 'c' }));
    const nowS = Math.floor(Date.now() / 1000);
    expect((await post(first.url, '/v1/ingest', collector.ingestKey, nativePayload(nowS))).status).toBe(202);
    await stop();

    // The token is shown once, when generated: a restart says where it is, not what it is.
    const second = await start(dataDir);
    expect(second.banner).not.toContain(providerToken);
    expect(second.banner).toContain(`${dataDir}/provider-admin-token`);
    expect(second.banner).not.toMatch(/generated/);
    expect((await post(second.url, '/admin/v1/tenants', providerToken, { name: 'again' })).status).toBe(201);
    const answer = await fetch(
      `${second.url}/v1/metrics/query?metric=idle&from=${(nowS - 60) * 1000}&to=${(nowS + 60) * 1000}`,
      { headers: { authorization: `Bearer ${tenant.adminToken}` } },
    );
    expect((await bodyOf(answer)).series[0].points).toEqual([[nowS * 1000, 87.5]]);
    await stop();

    // A token from PROVIDER_ADMIN_TOKEN is the operator's own: never printed.
    const fromEnv = 'obs_provider_from-the-environment-0123456789abcdefghijklmnopqr';
    const third = await start(tempDataDir('obs-start-env-'), { PROVIDER_ADMIN_TOKEN: fromEnv });
    expect(third.banner).not.toContain(fromEnv);
    expect(third.banner).toContain('PROVIDER_ADMIN_TOKEN');
    await stop();
  }, 90_000);
});
