/**
 * GET /v1/report-files/{token} on the local platform over HTTP: the link a scheduled report's e-mail
 * carries opens the PDF without a bearer token (no-store, audited in the tenant's log); an altered
 * token, another tenant's file, an expired link or an offboarded tenant's link never does. On the AWS
 * adapters (S3 and KMS mocked) the same route answers a 302 to a 5-minute presigned GET.
 */

import { createHmac } from 'node:crypto';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { GenerateMacCommand, KMSClient, VerifyMacCommand } from '@aws-sdk/client-kms';
import { HeadObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import type { APIGatewayProxyEvent } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KmsLinkKey } from '#adapters/aws/kms-link-key';
import { S3ReportFiles } from '#adapters/aws/s3-report-files';
import { ReportLinks } from '#adapters/crypto/report-links';
import type { AuditEvent } from '#ports/audit-log';
import { REPORT_LINK_TTL_MS } from '#ports/report-files';
import { reportFileRoutes } from '../../functions/alerts/report-file-routes';
import { startTestPlatform, type TestPlatform } from '../support/platform';

const PDF = Buffer.from('%PDF-1.7 the March report');
let now = Date.parse('2026-04-01T01:00:00Z');
let platform: TestPlatform;

beforeAll(async () => {
  platform = await startTestPlatform({ clock: { now: () => new Date(now) } });
});
afterAll(async () => {
  await platform?.destroy();
});

const pathOf = (link: string) => new URL(link).pathname;

describe('report links (local platform, HTTP)', () => {
  it("opens the tenant's PDF by its link alone, and records the opening in the tenant's audit log", async () => {
    const tenant = await platform.createTenant('links-a');
    const link = await platform.reports.files.put(tenant.tenantId, 'reports/s1/2026-03-01.pdf', PDF);
    expect(link.startsWith(`${platform.url}/v1/report-files/`)).toBe(true);
    const r = await platform.request(pathOf(link));
    expect(r.status).toBe(200);
    expect(r.headers.get('content-type')).toBe('application/pdf');
    expect(r.headers.get('cache-control')).toBe('no-store');
    expect(r.headers.get('referrer-policy')).toBe('no-referrer');
    expect(r.headers.get('content-disposition')).toBe('attachment; filename="2026-03-01.pdf"');
    expect(Buffer.from(await r.arrayBuffer())).toEqual(PDF);
    const audit = await platform.request('/v1/audit-events?action=report-file.open', {
      token: tenant.adminToken,
    });
    const events = ((await audit.json()) as { items?: { action: string; target?: string }[] }).items ?? [];
    expect(events.filter((e) => e.action === 'report-file.open').map((e) => e.target)).toEqual([
      'report-file/reports/s1/2026-03-01.pdf',
    ]);
  });

  it('answers 404 with a JSON error for an altered token or one naming another tenant, never the file', async () => {
    const a = await platform.createTenant('links-b');
    const b = await platform.createTenant('links-c');
    const linkA = await platform.reports.files.put(a.tenantId, 'reports/s1/x.pdf', PDF);
    const [payloadA, macA] = pathOf(linkA).split('/').pop()!.split('.') as [string, string];
    const claims = JSON.parse(Buffer.from(payloadA, 'base64url').toString());
    const toB = Buffer.from(JSON.stringify({ ...claims, t: b.tenantId })).toString('base64url');
    for (const token of [
      `${toB}.${macA}`,
      `${payloadA}.${macA.slice(0, 10)}${macA[10] === 'x' ? 'y' : 'x'}${macA.slice(11)}`,
      'x'.repeat(300),
    ]) {
      const r = await platform.request(`/v1/report-files/${token}`);
      expect(r.status, token).toBe(404);
      expect(r.headers.get('content-type')).toContain('application/json');
      const body = (await r.json()) as { error: { code: string; field: string } };
      expect(body.error).toMatchObject({ code: 'not_found', field: 'token' });
    }
  });

  it('answers 410 once the link is 30 days old, and 404 once the tenant is offboarded', async () => {
    const tenant = await platform.createTenant('links-d');
    const link = await platform.reports.files.put(tenant.tenantId, 'reports/s2/2026-03-01.pdf', PDF);
    now += REPORT_LINK_TTL_MS;
    const expired = await platform.request(pathOf(link));
    expect(expired.status).toBe(410);
    expect(((await expired.json()) as { error: { code: string } }).error.code).toBe('gone');
    now -= REPORT_LINK_TTL_MS;
    expect((await platform.request(pathOf(link))).status).toBe(200);
    await platform.offboard(tenant.tenantId);
    const after = await platform.request(pathOf(link));
    expect(after.status).toBe(404);
    expect(Buffer.from(await after.arrayBuffer()).includes(PDF)).toBe(false);
    // Offboarding erased the tenant's PDFs with its other data (and left other tenants' alone).
    expect(existsSync(join(platform.dataDir, 'reports', tenant.tenantId))).toBe(false);
    expect(readdirSync(join(platform.dataDir, 'reports')).length).toBeGreaterThan(0);
  });
});

describe('report links on the AWS adapters (S3 and KMS mocked)', () => {
  it('redirects to a presigned S3 GET valid 5 minutes, no-store, and audits the opening', async () => {
    const s3 = mockClient(S3Client);
    const kms = mockClient(KMSClient);
    try {
      const hmac = (m: Uint8Array) => createHmac('sha256', Buffer.alloc(32, 9)).update(m).digest();
      kms.on(GenerateMacCommand).callsFake((input) => ({ Mac: hmac(input.Message) }));
      kms.on(VerifyMacCommand).callsFake((input) => ({
        MacValid: Buffer.compare(hmac(input.Message), Buffer.from(input.Mac)) === 0,
      }));
      s3.on(PutObjectCommand).resolves({});
      s3.on(HeadObjectCommand).resolves({});
      const at = Date.parse('2026-04-01T01:00:00Z');
      const clock = { now: () => new Date(at) };
      const links = new ReportLinks(
        new KmsLinkKey(new KMSClient({ region: 'eu-west-1' }), 'arn:aws:kms:eu-west-1:1:key/l'),
        () => 'https://api.example.com/prod',
      );
      const files = new S3ReportFiles({
        s3: new S3Client({ region: 'eu-west-1', credentials: { accessKeyId: 'AKID', secretAccessKey: 's' } }),
        bucket: 'reports-bucket',
        kmsKeyId: 'arn:aws:kms:eu-west-1:1:key/b',
        links,
        clock,
      });
      const audited: AuditEvent[] = [];
      const route = reportFileRoutes({
        reports: { links, files },
        tenants: {
          getTenant: async (tenantId) => ({ tenantId, name: 'Acme', status: 'active', createdAt: '' }),
        },
        auditLog: { append: async (e: AuditEvent) => void audited.push(e) } as never,
        clock,
      })['GET /v1/report-files/{token}'];
      const link = await files.put('acme', 'reports/s1/2026-03-01.pdf', PDF);
      const token = link.split('/').pop() as string;
      const answer = await route({
        pathParameters: { token },
        requestContext: { identity: { sourceIp: '198.51.100.7' } },
      } as unknown as APIGatewayProxyEvent);
      expect(answer.statusCode).toBe(302);
      expect(answer.headers).toMatchObject({ 'cache-control': 'no-store', 'referrer-policy': 'no-referrer' });
      const location = new URL(String(answer.headers?.location));
      expect(location.host).toBe('reports-bucket.s3.eu-west-1.amazonaws.com');
      expect(location.pathname).toBe('/acme/reports/s1/2026-03-01.pdf');
      expect(location.searchParams.get('X-Amz-Expires')).toBe('300');
      expect(audited).toMatchObject([
        { tenantId: 'acme', action: 'report-file.open', actor: 'report-link', sourceIp: '198.51.100.7' },
      ]);
      expect(s3.commandCalls(HeadObjectCommand).map((c) => c.args[0].input)).toEqual([
        { Bucket: 'reports-bucket', Key: 'acme/reports/s1/2026-03-01.pdf' },
      ]);
    } finally {
      s3.restore();
      kms.restore();
    }
  });
});
