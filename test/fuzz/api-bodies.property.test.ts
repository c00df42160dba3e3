import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { SqliteMetricStore } from '#adapters/local/sqlite-metric-store';
import type { HttpHandler, HttpResult } from '#http/types';
import { inProcessPlatform } from '../faults/support/in-process';
import { anyJsonBody, contentType, queryParameters, validNativePayload } from './support/arbitraries';
import { invoke } from './support/http-event';

/**
 * The API's JSON bodies under fast-check: whatever a client sends, the answer is a 2xx or a 4xx with
 * the error shape `{error: {code, message}}` — never a 500, never a crash or a hang.
 */
const metrics = new SqliteMetricStore(':memory:');
const platform = inProcessPlatform({ ingest: metrics, query: metrics });
let keys: { adminToken: string; ingestKey: string };

beforeAll(async () => {
  keys = await platform.onboard();
});

function expectClientOutcome(result: HttpResult): void {
  expect(result.statusCode, result.body).toBeLessThan(500);
  if (result.statusCode >= 400) {
    const body = JSON.parse(result.body) as { error?: { code?: unknown; message?: unknown } };
    expect(typeof body.error?.code).toBe('string');
    expect(typeof body.error?.message).toBe('string');
  }
}

const RUNS = { numRuns: 300 };

describe('POST /v1/ingest (native push format)', () => {
  it('answers 202 for every valid payload and stores what it acknowledged', async () => {
    await fc.assert(
      fc.asyncProperty(validNativePayload, async (payload) => {
        const result = await invoke(platform.handlers.ingest, {
          method: 'POST',
          resource: '/v1/ingest',
          token: keys.ingestKey,
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify(payload),
        });
        expect(result.statusCode, result.body).toBe(202);
        const expected = payload.instances.reduce(
          (n, i) => n + i.dataPoints.reduce((m, d) => m + Object.keys(d.values).length, 0),
          0,
        );
        expect(JSON.parse(result.body)).toEqual({ accepted: expected, rejected: [] });
      }),
      { numRuns: 100 },
    );
  });

  it('never answers 5xx to any body, content type or encoding', async () => {
    await fc.assert(
      fc.asyncProperty(
        anyJsonBody(validNativePayload),
        contentType,
        fc.boolean(),
        async (body, type, gzip) => {
          const headers: Record<string, string> = { 'content-type': type };
          if (gzip) headers['content-encoding'] = 'gzip';
          expectClientOutcome(
            await invoke(platform.handlers.ingest, {
              method: 'POST',
              resource: '/v1/ingest',
              token: keys.ingestKey,
              headers,
              body,
            }),
          );
        },
      ),
      RUNS,
    );
  });
});

describe('POST /admin/v1/tenants and POST /v1/collectors', () => {
  const validName = fc.record({ name: fc.stringMatching(/^[A-Za-z][A-Za-z0-9 _-]{0,30}$/) });

  /** Any body and content type POSTed to `resource` of `handler` as `token`: never a 5xx. */
  const postsNeverFail = (handler: HttpHandler, resource: string, token: string) =>
    fc.assert(
      fc.asyncProperty(anyJsonBody(validName), contentType, async (body, type) => {
        expectClientOutcome(
          await invoke(handler, { method: 'POST', resource, token, headers: { 'content-type': type }, body }),
        );
      }),
      RUNS,
    );

  it('never answers 5xx to any tenant-creation body', async () => {
    await postsNeverFail(platform.handlers.admin, '/admin/v1/tenants', 'fault-provider-token');
  });

  it('never answers 5xx to any collector-creation body', async () => {
    await postsNeverFail(platform.handlers.api, '/v1/collectors', keys.adminToken);
  });
});

describe('GET /v1/metrics/query', () => {
  it('never answers 5xx to any query parameters', async () => {
    await fc.assert(
      fc.asyncProperty(queryParameters, async (query) => {
        expectClientOutcome(
          await invoke(platform.handlers.api, {
            method: 'GET',
            resource: '/v1/metrics/query',
            token: keys.adminToken,
            query,
          }),
        );
      }),
      RUNS,
    );
  });
});
