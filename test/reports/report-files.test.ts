/**
 * ReportFiles contract, on the S3 store (aws-sdk-client-mock: the exact PutObject, the presigned
 * URL's host, path and expiry; KMS GenerateMac/VerifyMac answered like KMS, an HMAC under a test
 * key, a wrong MAC rejected with KMSInvalidMacException) and on its local twin (files under a
 * directory, the HMAC key in a file). Links are capabilities: a changed byte, another tenant's key
 * or an expired link opens nothing.
 */
import { createHmac } from 'node:crypto';
import { mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GenerateMacCommand, KMSClient, KMSInvalidMacException, VerifyMacCommand } from '@aws-sdk/client-kms';
import {
  DeleteObjectsCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { KmsLinkKey } from '#adapters/aws/kms-link-key';
import { REPORT_DOWNLOAD_TTL_SECONDS, S3ReportFiles } from '#adapters/aws/s3-report-files';
import { ReportLinks } from '#adapters/crypto/report-links';
import { FileLinkKey } from '#adapters/local/file-link-key';
import { LocalReportFiles } from '#adapters/local/report-files';
import { GoneError, NotFoundError } from '#domain/errors';
import { REPORT_LINK_TTL_MS, type ReportFileAccess, type ReportFiles } from '#ports/report-files';
import type { TenantDataHolder } from '#ports/tenant-data';

const API = 'https://api.eu-west-1.example.com/prod';
const PDF = Buffer.from('%PDF-1.7 a report');
const KEY = 'reports/s1/2026-03-01.pdf';

interface Harness {
  readonly files: ReportFiles & TenantDataHolder;
  readonly links: ReportLinks;
  setNow(ms: number): void;
  /** What the file the access leads to holds, checking how it is reached on this store. */
  read(access: ReportFileAccess, tenantId: string, key: string): Buffer;
}

const tokenOf = (link: string) => link.slice(`${API}/v1/report-files/`.length);

function reportFilesContract(name: string, setup: () => Harness) {
  describe(`ReportFiles contract: ${name}`, () => {
    let h: Harness;
    const start = Date.parse('2026-04-01T01:00:00Z');
    beforeEach(() => {
      h = setup();
      h.setNow(start);
    });

    it('stores the PDF and answers a link to this API that opens it', async () => {
      const link = await h.files.put('tenant-a', KEY, PDF);
      expect(link.startsWith(`${API}/v1/report-files/`)).toBe(true);
      const target = await h.links.open(tokenOf(link), start + 1000);
      expect(target).toEqual({ tenantId: 'tenant-a', key: KEY });
      const access = await h.files.fetch(target.tenantId, target.key);
      expect(access).toBeDefined();
      expect(h.read(access as ReportFileAccess, 'tenant-a', KEY)).toEqual(PDF);
    });

    it('opens nothing for a changed byte, a spliced MAC or a token it did not make (404)', async () => {
      const [a, b] = [await h.files.put('tenant-a', KEY, PDF), await h.files.put('tenant-b', KEY, PDF)];
      const [payloadA, macA] = tokenOf(a).split('.') as [string, string];
      const [payloadB] = tokenOf(b).split('.') as [string, string];
      const claims = JSON.parse(Buffer.from(payloadA, 'base64url').toString());
      const forged = [
        // Tenant B's payload under tenant A's MAC: another tenant's file.
        `${payloadB}.${macA}`,
        // The same claims naming tenant B, or a key outside A's prefix, under A's MAC.
        `${Buffer.from(JSON.stringify({ ...claims, t: 'tenant-b' })).toString('base64url')}.${macA}`,
        `${Buffer.from(JSON.stringify({ ...claims, k: '../tenant-b/x.pdf' })).toString('base64url')}.${macA}`,
        // A later expiry.
        `${Buffer.from(JSON.stringify({ ...claims, e: claims.e + 86_400 })).toString('base64url')}.${macA}`,
        // One bit of the MAC.
        `${payloadA}.${macA.slice(0, -1)}${macA.endsWith('A') ? 'B' : 'A'}`,
        'not-a-token',
        `${payloadA}.`,
        '',
      ];
      for (const token of forged) {
        const refused = await h.links.open(token, start).catch((e: unknown) => e);
        expect(refused, token).toBeInstanceOf(NotFoundError);
        expect((refused as NotFoundError).status).toBe(404);
      }
    });

    it('answers 410 for its own link once 30 days have passed, and nothing for a missing file', async () => {
      const token = tokenOf(await h.files.put('tenant-a', KEY, PDF));
      await expect(h.links.open(token, start + REPORT_LINK_TTL_MS - 1000)).resolves.toBeDefined();
      const gone = await h.links.open(token, start + REPORT_LINK_TTL_MS).catch((e: unknown) => e);
      expect(gone).toBeInstanceOf(GoneError);
      expect((gone as GoneError).status).toBe(410);
      expect(await h.files.fetch('tenant-a', 'reports/s1/1999-01-01.pdf')).toBeUndefined();
    });

    it("exports and erases one tenant's files for offboarding, and no other tenant's", async () => {
      const other = Buffer.from('%PDF-1.7 another');
      await h.files.put('tenant-a', KEY, PDF);
      await h.files.put('tenant-a', 'reports/s2/2026-04-01.pdf', other);
      await h.files.put('tenant-ab', KEY, PDF);
      const exported: unknown[] = [];
      for await (const record of h.files.exportTenant('tenant-a')) exported.push(record);
      expect(exported).toEqual([
        { key: KEY, pdf: PDF.toString('base64') },
        { key: 'reports/s2/2026-04-01.pdf', pdf: other.toString('base64') },
      ]);
      expect(await h.files.deleteTenant('tenant-a')).toBe(2);
      expect(await h.files.fetch('tenant-a', KEY)).toBeUndefined();
      expect(await h.files.fetch('tenant-ab', KEY)).toBeDefined();
      expect(await h.files.deleteTenant('tenant-a')).toBe(0);
    });

    it('refuses keys that would leave the tenant prefix', async () => {
      for (const key of ['../tenant-b/x.pdf', '/abs.pdf', 'a//b.pdf', 'a/../b.pdf', ''])
        await expect(h.files.put('tenant-a', key, PDF), key).rejects.toThrow(/not a report key/);
      await expect(h.files.put('../x', KEY, PDF)).rejects.toThrow(/not a tenant id/);
    });
  });
}

const TEST_MAC_KEY = Buffer.alloc(32, 7);
const HMAC_KEY_ARN = 'arn:aws:kms:eu-west-1:123456789012:key/hmac-1';
const BUCKET_KEY_ARN = 'arn:aws:kms:eu-west-1:123456789012:key/bucket-1';
const s3 = mockClient(S3Client);
const kms = mockClient(KMSClient);
afterAll(() => {
  s3.restore();
  kms.restore();
});

reportFilesContract('S3 + KMS (mocked clients)', () => {
  s3.reset();
  kms.reset();
  const objects = new Map<string, Buffer>();
  s3.on(PutObjectCommand).callsFake((input) => {
    objects.set(input.Key, input.Body);
    return {};
  });
  s3.on(HeadObjectCommand).callsFake((input) => {
    if (objects.has(input.Key)) return {};
    throw Object.assign(new Error('NotFound'), { name: 'NotFound' });
  });
  // One key a page, so the export and the erasure follow continuation tokens.
  s3.on(ListObjectsV2Command).callsFake((input) => {
    const keys = [...objects.keys()].filter((k) => k.startsWith(input.Prefix)).sort();
    const at = input.ContinuationToken ? keys.indexOf(input.ContinuationToken) : 0;
    const next = keys[at + 1];
    return {
      Contents: keys.slice(at, at + 1).map((Key) => ({ Key })),
      IsTruncated: next !== undefined,
      ...(next ? { NextContinuationToken: next } : {}),
    };
  });
  s3.on(GetObjectCommand).callsFake((input) => ({
    Body: { transformToByteArray: async () => new Uint8Array(objects.get(input.Key) as Buffer) },
  }));
  s3.on(DeleteObjectsCommand).callsFake((input) => {
    for (const { Key } of input.Delete.Objects) objects.delete(Key);
    return {};
  });
  const hmac = (message: Uint8Array) => createHmac('sha256', TEST_MAC_KEY).update(message).digest();
  kms.on(GenerateMacCommand).callsFake((input) => ({ Mac: hmac(input.Message), KeyId: input.KeyId }));
  kms.on(VerifyMacCommand).callsFake((input) => {
    if (Buffer.compare(hmac(input.Message), Buffer.from(input.Mac)) === 0) return { MacValid: true };
    throw new KMSInvalidMacException({ message: 'invalid MAC', $metadata: {} });
  });
  let now = 0;
  const clock = { now: () => new Date(now) };
  const links = new ReportLinks(
    new KmsLinkKey(new KMSClient({ region: 'eu-west-1' }), HMAC_KEY_ARN),
    () => API,
  );
  const client = new S3Client({
    region: 'eu-west-1',
    credentials: { accessKeyId: 'AKIAEXAMPLE', secretAccessKey: 'secret' },
  });
  return {
    files: new S3ReportFiles({
      s3: client,
      bucket: 'reports-bucket',
      kmsKeyId: BUCKET_KEY_ARN,
      links,
      clock,
    }),
    links,
    setNow: (ms) => {
      now = ms;
    },
    read: (access, tenantId, key) => {
      expect(access.kind).toBe('redirect');
      const url = new URL((access as { url: string }).url);
      expect(url.host).toBe('reports-bucket.s3.eu-west-1.amazonaws.com');
      expect(decodeURIComponent(url.pathname)).toBe(`/${tenantId}/${key}`);
      expect(url.searchParams.get('X-Amz-Expires')).toBe(String(REPORT_DOWNLOAD_TTL_SECONDS));
      expect(url.searchParams.get('X-Amz-Signature')).toMatch(/^[0-9a-f]{64}$/);
      return objects.get(`${tenantId}/${key}`) as Buffer;
    },
  };
});

describe('S3 + KMS requests', () => {
  it('puts SSE-KMS with the bucket key, and asks KMS for HMAC_SHA_256 on the link key only', async () => {
    s3.reset();
    kms.reset();
    s3.on(PutObjectCommand).resolves({});
    const hmac = (message: Uint8Array) => createHmac('sha256', TEST_MAC_KEY).update(message).digest();
    kms.on(GenerateMacCommand).callsFake((input) => ({ Mac: hmac(input.Message) }));
    kms.on(VerifyMacCommand).resolves({ MacValid: true });
    const links = new ReportLinks(
      new KmsLinkKey(new KMSClient({ region: 'eu-west-1' }), HMAC_KEY_ARN),
      () => API,
    );
    const files = new S3ReportFiles({
      s3: new S3Client({ region: 'eu-west-1' }),
      bucket: 'reports-bucket',
      kmsKeyId: BUCKET_KEY_ARN,
      links,
      clock: { now: () => new Date(Date.parse('2026-04-01T00:00:00Z')) },
    });
    const link = await files.put('tenant-a', KEY, PDF);
    expect(s3.commandCalls(PutObjectCommand).map((c) => c.args[0].input)).toEqual([
      {
        Bucket: 'reports-bucket',
        Key: `tenant-a/${KEY}`,
        Body: PDF,
        ContentType: 'application/pdf',
        ServerSideEncryption: 'aws:kms',
        SSEKMSKeyId: BUCKET_KEY_ARN,
        BucketKeyEnabled: true,
      },
    ]);
    const [payload, mac] = tokenOf(link).split('.') as [string, string];
    const signed = Buffer.from(`report-link:v1:${payload}`);
    expect(kms.commandCalls(GenerateMacCommand).map((c) => c.args[0].input)).toEqual([
      { KeyId: HMAC_KEY_ARN, MacAlgorithm: 'HMAC_SHA_256', Message: signed },
    ]);
    expect(JSON.parse(Buffer.from(payload, 'base64url').toString())).toEqual({
      t: 'tenant-a',
      k: KEY,
      e: Date.parse('2026-05-01T00:00:00Z') / 1000,
    });
    await links.open(tokenOf(link), Date.parse('2026-04-02T00:00:00Z'));
    expect(kms.commandCalls(VerifyMacCommand).map((c) => c.args[0].input)).toEqual([
      {
        KeyId: HMAC_KEY_ARN,
        MacAlgorithm: 'HMAC_SHA_256',
        Message: signed,
        Mac: Buffer.from(mac, 'base64url'),
      },
    ]);
    // A malformed token never reaches KMS.
    await expect(links.open('garbage', 0)).rejects.toBeInstanceOf(NotFoundError);
    expect(kms.commandCalls(VerifyMacCommand)).toHaveLength(1);
  });
});

reportFilesContract('local files + key file', () => {
  const dir = mkdtempSync(join(tmpdir(), 'report-files-'));
  let now = 0;
  const links = new ReportLinks(new FileLinkKey(join(dir, 'report-link.key')), () => API);
  return {
    files: new LocalReportFiles(join(dir, 'reports'), links, { now: () => new Date(now) }),
    links,
    setNow: (ms) => {
      now = ms;
    },
    read: (access, tenantId, key) => {
      expect(access.kind).toBe('content');
      expect(statSync(join(dir, 'reports', tenantId, key)).mode & 0o777).toBe(0o600);
      return (access as { pdf: Buffer }).pdf;
    },
  };
});

describe('FileLinkKey', () => {
  it('keeps its key across restarts (0600), so earlier links still open', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'link-key-'));
    const path = join(dir, 'report-link.key');
    const first = new ReportLinks(new FileLinkKey(path), () => API);
    const link = await first.link({ tenantId: 't1', key: KEY }, 0);
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(readFileSync(path)).toHaveLength(32);
    const again = new ReportLinks(new FileLinkKey(path), () => API);
    expect(await again.open(tokenOf(link), 1000)).toEqual({ tenantId: 't1', key: KEY });
    const other = new ReportLinks(new FileLinkKey(join(dir, 'other.key')), () => API);
    await expect(other.open(tokenOf(link), 1000)).rejects.toBeInstanceOf(NotFoundError);
  });
});
