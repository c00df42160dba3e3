/**
 * Offboarding as a job across regions (functions/offboarding/job.ts): each region's part exports and
 * erases only its own stores into its own archive, the coordinator also the global ones, the part
 * that completes the set destroys the key once; a duplicate delivery never exports twice; the export
 * streams in constant memory; the admin API queues one part per region on each region's SQS queue.
 */
import { createHash } from 'node:crypto';
import { DatabaseSync } from 'node:sqlite';
import { gunzipSync } from 'node:zlib';
import type { S3Client } from '@aws-sdk/client-s3';
import {
  ListSubscriptionsByTopicCommand,
  SNSClient,
  SubscribeCommand,
  UnsubscribeCommand,
} from '@aws-sdk/client-sns';
import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { mockClient } from 'aws-sdk-client-mock';
import { describe, expect, it } from 'vitest';
import { S3ArchiveStore } from '#adapters/aws/s3-archive-store';
import { SnsEmailSubscriptions } from '#adapters/aws/sns-email-subscriptions';
import { queueUrlIn, SqsOffboardingQueue } from '#adapters/aws/sqs-offboarding-queue';
import { ItemAlertStore, type ItemKey } from '#adapters/items/alert-store-items';
import { SqliteItemTable } from '#adapters/local/sqlite-alert-store';
import { SqliteTenantStore } from '#adapters/local/sqlite-tenant-store';
import type { EscalationChain } from '#domain/alerting/escalation';
import { issueCredential } from '#domain/credentials';
import { UnavailableError } from '#domain/errors';
import type { ArchiveSink, ArchiveStore } from '#ports/archive-store';
import type { AuditEvent } from '#ports/audit-log';
import type { KeyService } from '#ports/key-service';
import type { OffboardingMessage } from '#ports/offboarding-queue';
import type { TenantDataHolder } from '#ports/tenant-data';
import { emailRecipients } from '../../functions/alerts/email-recipients';
import { offboardingMessageSchema } from '../../functions/offboarding/app';
import {
  type OffboardingWorkerDeps,
  runOffboardingPart,
  startOffboarding,
} from '../../functions/offboarding/job';

const tenantId = 'b'.repeat(32);
const clock = { now: () => new Date('2026-12-06T12:00:00Z') };

/** A store of one region holding `n` records of the tenant until erased. */
function memoryHolder(dataName: string, n: number): TenantDataHolder & { deletes: number } {
  let left = n;
  return {
    dataName,
    deletes: 0,
    async *exportTenant() {
      for (let i = 0; i < left; i++) yield { dataName, i };
    },
    async deleteTenant() {
      this.deletes++;
      const removed = left;
      left = 0;
      return removed;
    },
  };
}

/** An archive store keeping each archive's bytes (one per region: a region's export stays there). */
function memoryArchives(region: string): ArchiveStore & { files: Map<string, Buffer> } {
  const files = new Map<string, Buffer>();
  return {
    files,
    async open(archiveId): Promise<ArchiveSink> {
      const chunks: Buffer[] = [];
      return {
        write: async (c) => void chunks.push(c),
        close: async () => {
          files.set(archiveId, Buffer.concat(chunks));
          return { location: `s3://archives-${region}/${archiveId}` };
        },
        abort: async () => {},
      };
    },
    download: async () => undefined,
  };
}

async function setup(regions: readonly string[]) {
  const tenants = new SqliteTenantStore(':memory:');
  await tenants.createTenant(
    { tenantId, name: 'leaving', status: 'active', createdAt: '2026-01-01T00:00:00.000Z', keyRef: 'key-1' },
    issueCredential('tenant', tenantId, new Date(), { role: 'admin', name: 'admin' }).record,
  );
  const events: AuditEvent[] = [];
  const audit = { append: async (e: AuditEvent) => void events.push(e) };
  const destroyed: string[] = [];
  const keys = {
    destroyTenantKey: async (_t: string, keyRef: string) => {
      destroyed.push(keyRef);
      return { keyRef, outcome: 'scheduled-deletion', effectiveAt: '2026-12-13T12:00:00.000Z' };
    },
  } as unknown as KeyService;
  const global = memoryHolder('metadata', 3);
  const workers = new Map<string, OffboardingWorkerDeps & { archives: ReturnType<typeof memoryArchives> }>();
  for (const region of regions)
    workers.set(region, {
      region,
      tenants,
      audit,
      clock,
      keys,
      archives: memoryArchives(region),
      global: [global],
      regional: [memoryHolder('metrics', region === 'eu-west-2' ? 5 : 2)],
    });
  const queued: OffboardingMessage[] = [];
  const job = await startOffboarding(
    {
      tenants,
      audit,
      clock,
      region: regions[0]!,
      regions,
      queue: { enqueue: async (m) => void queued.push(m) },
    },
    tenantId,
  );
  return { tenants, events, destroyed, global, workers, queued, job };
}

describe('offboarding job across regions', () => {
  it('erases every region, each into its own archive; the last part destroys the key once; the proof lists each region', async () => {
    const { tenants, events, destroyed, global, workers, queued, job } = await setup([
      'us-west-2',
      'eu-west-2',
    ]);
    expect(queued.map((m) => m.region)).toEqual(['us-west-2', 'eu-west-2']);
    expect((await tenants.getTenant(tenantId))!.status).toBe('offboarding');

    // eu-west-2 first: its part is recorded, the job waits for the coordinator.
    const afterEu = await runOffboardingPart(workers.get('eu-west-2')!, queued[1]!);
    expect(afterEu!.state).toBe('running');
    expect(destroyed).toEqual([]);
    const final = await runOffboardingPart(workers.get('us-west-2')!, queued[0]!);
    expect(final!.state).toBe('succeeded');
    expect(destroyed).toEqual(['key-1']);

    const eu = final!.parts['eu-west-2']!;
    const us = final!.parts['us-west-2']!;
    // Global stores only in the coordinator's part; each region's metrics in its own.
    expect(eu.archive.records).toEqual({ metrics: 5 });
    expect(us.archive.records).toEqual({ metadata: 3, metrics: 2 });
    expect(eu.removed).toEqual({ metrics: 5 });
    expect(eu.remaining).toEqual({ metrics: 0 });
    expect(us.remaining).toEqual({ metadata: 0, metrics: 0 });
    expect(global.deletes).toBe(1);
    expect(eu.archive.location).toBe(`s3://archives-eu-west-2/${job.jobId}-eu-west-2`);
    // The checksum computed while writing is the archive's.
    const euBytes = workers.get('eu-west-2')!.archives.files.get(`${job.jobId}-eu-west-2`)!;
    expect(createHash('sha256').update(euBytes).digest('hex')).toBe(eu.archive.sha256);
    expect(euBytes.length).toBe(eu.archive.bytes);
    const lines = gunzipSync(euBytes)
      .toString('utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(lines[0]).toMatchObject({ archive: 'tenant-offboarding', tenantId, region: 'eu-west-2' });
    expect(lines).toHaveLength(6);

    const tombstone = (await tenants.getTenant(tenantId))!;
    expect(tombstone).toMatchObject({ status: 'offboarded', name: '[offboarded]' });
    expect(tombstone.keyRef).toBeUndefined();
    expect(tombstone.offboarding!.key).toMatchObject({ outcome: 'scheduled-deletion' });
    expect(
      events.map(
        (e) =>
          `${e.action}${(e.after as { region?: string }).region ? `@${(e.after as { region: string }).region}` : ''}`,
      ),
    ).toEqual([
      'tenant.offboard.suspend',
      'tenant.offboard.requested',
      'tenant.offboard.export@eu-west-2',
      'tenant.offboard.delete@eu-west-2',
      'tenant.offboard.verify@eu-west-2',
      'tenant.offboard.export@us-west-2',
      'tenant.offboard.delete@us-west-2',
      'tenant.offboard.verify@us-west-2',
      'tenant.offboard.destroy-key',
      'tenant.offboard.tombstone',
    ]);
    // A late duplicate of a part changes nothing.
    await runOffboardingPart(workers.get('eu-west-2')!, queued[1]!);
    expect(destroyed).toEqual(['key-1']);
  });

  it('erases the home region only (plus the coordinator) when the tenant has one', async () => {
    const tenants = new SqliteTenantStore(':memory:');
    await tenants.createTenant(
      {
        tenantId,
        name: 'eu',
        status: 'active',
        createdAt: '2026-01-01T00:00:00.000Z',
        region: 'eu-west-2',
      } as never,
      issueCredential('tenant', tenantId, new Date(), { role: 'admin', name: 'admin' }).record,
    );
    const queued: OffboardingMessage[] = [];
    const job = await startOffboarding(
      {
        tenants,
        audit: { append: async () => {} },
        clock,
        region: 'us-west-2',
        regions: ['us-west-2', 'us-east-1', 'eu-west-2'],
        queue: { enqueue: async (m) => void queued.push(m) },
      },
      tenantId,
    );
    expect(job.regions).toEqual(['us-west-2', 'eu-west-2']);
    expect(queued.map((m) => m.region)).toEqual(['us-west-2', 'eu-west-2']);
  });

  it('parts racing in two regions finish once: one key destruction, one tombstone', async () => {
    const { destroyed, workers, queued } = await setup(['us-west-2', 'eu-west-2', 'ap-southeast-2']);
    const results = await Promise.all(queued.map((m) => runOffboardingPart(workers.get(m.region)!, m)));
    expect(destroyed).toEqual(['key-1']);
    expect(results.filter((j) => j?.state === 'succeeded' && j.finishedAt)).not.toHaveLength(0);
  });

  it('a duplicate delivery while the part runs waits (UnavailableError): the archive is written once', async () => {
    const { workers, queued } = await setup(['us-west-2']);
    const worker = workers.get('us-west-2')!;
    const [first, second] = await Promise.allSettled([
      runOffboardingPart(worker, queued[0]!),
      runOffboardingPart(worker, queued[0]!),
    ]);
    const outcomes = [first, second].map((r) => r.status);
    expect(outcomes.sort()).toEqual(['fulfilled', 'rejected']);
    const rejected = [first, second].find((r) => r.status === 'rejected') as PromiseRejectedResult;
    expect(rejected.reason).toBeInstanceOf(UnavailableError);
    expect(worker.archives.files.size).toBe(1);
    // Delivered again later, it finds the part done.
    expect((await runOffboardingPart(worker, queued[0]!))!.state).toBe('succeeded');
  });

  it('erases a store with late writes again after its window: queued with a delay, early runs re-queue, recorded on the part', async () => {
    const { tenants, events, workers, queued } = await setup(['eu-west-2']);
    let nowMs = Date.parse('2026-12-06T12:00:00Z');
    const logs = { ...memoryHolder('logs', 4), lateWritesSeconds: 450 };
    const late: { message: OffboardingMessage; delaySeconds: number | undefined }[] = [];
    const worker: OffboardingWorkerDeps = {
      ...workers.get('eu-west-2')!,
      clock: { now: () => new Date(nowMs) },
      regional: [memoryHolder('metrics', 2), logs],
      queue: {
        enqueue: async (message, options) => void late.push({ message, delaySeconds: options?.delaySeconds }),
      },
    };
    const job = await runOffboardingPart(worker, queued[0]!);
    expect(job!.state).toBe('succeeded');
    expect(job!.parts['eu-west-2']!.removed).toEqual({ metadata: 3, metrics: 2, logs: 4 });
    const lateMessage = { tenantId, jobId: job!.jobId, region: 'eu-west-2', pass: 'late-erasure' as const };
    expect(late).toEqual([{ message: lateMessage, delaySeconds: 450 }]);

    // Lines still in the delivery buffer land after the erasure.
    const landed = 3;
    logs.deleteTenant = async function () {
      this.deletes++;
      return landed;
    };
    // Delivered early (200 s after the part): it queues itself for the 250 s left and erases nothing.
    nowMs += 200_000;
    await runOffboardingPart(worker, lateMessage);
    expect(late[1]).toEqual({ message: lateMessage, delaySeconds: 250 });
    expect(logs.deletes).toBe(1);
    // On time: the prefix is erased again; what it removed is on the part and in the audit log.
    nowMs += 250_000;
    const after = await runOffboardingPart(worker, lateMessage);
    expect(logs.deletes).toBe(2);
    expect(after!.parts['eu-west-2']!.lateErasure).toEqual({
      at: new Date(nowMs).toISOString(),
      removed: { logs: 3 },
    });
    expect(events.at(-1)).toMatchObject({
      action: 'tenant.offboard.delete-late',
      after: { region: 'eu-west-2', removed: { logs: 3 } },
    });
    expect((await tenants.getTenant(tenantId))!.offboarding!.parts['eu-west-2']!.lateErasure).toBeDefined();
    // A duplicate late pass, and a re-delivered part, change nothing and queue nothing.
    await runOffboardingPart(worker, lateMessage);
    await runOffboardingPart(worker, queued[0]!);
    expect(logs.deletes).toBe(2);
    expect(late).toHaveLength(2);
  });

  it('the worker reads a late-erasure message and refuses any other pass', () => {
    const message = { tenantId, jobId: `${tenantId}-1764241200000`, region: 'eu-west-2' };
    expect(offboardingMessageSchema.parse({ ...message, pass: 'late-erasure' }).pass).toBe('late-erasure');
    expect(offboardingMessageSchema.safeParse({ ...message, pass: 'again' }).success).toBe(false);
  });

  it('fails the part (SQS retries it) when a store has late writes and the worker has no queue', async () => {
    const { workers, queued } = await setup(['eu-west-2']);
    const worker: OffboardingWorkerDeps = {
      ...workers.get('eu-west-2')!,
      regional: [{ ...memoryHolder('logs', 1), lateWritesSeconds: 60 }],
    };
    await expect(runOffboardingPart(worker, queued[0]!)).rejects.toThrow(/no queue for the late erasure/);
  });

  it('queues each part on its own region’s SQS queue (same account and name, no cross-region outputs)', async () => {
    const sqs = mockClient(SQSClient);
    sqs.on(SendMessageCommand).resolves({});
    const own = 'https://sqs.us-west-2.amazonaws.com/123456789012/obs-platform-offboarding';
    expect(queueUrlIn(own, 'eu-west-2')).toBe(
      'https://sqs.eu-west-2.amazonaws.com/123456789012/obs-platform-offboarding',
    );
    const clients = new Map<string, SQSClient>();
    const queue = new SqsOffboardingQueue(own, (region) => {
      if (!clients.has(region)) clients.set(region, new SQSClient({ region }));
      return clients.get(region)!;
    });
    const jobId = `${tenantId}-1764241200000`;
    await queue.enqueue({ tenantId, jobId, region: 'us-west-2' });
    await queue.enqueue({ tenantId, jobId, region: 'eu-west-2' });
    await queue.enqueue(
      { tenantId, jobId, region: 'us-west-2', pass: 'late-erasure' },
      { delaySeconds: 450 },
    );
    await expect(
      queue.enqueue({ tenantId, jobId, region: 'us-west-2' }, { delaySeconds: 901 }),
    ).rejects.toThrow(/0 to 900/);
    const calls = sqs.commandCalls(SendMessageCommand);
    expect(calls.map((c) => c.args[0].input)).toEqual([
      { QueueUrl: own, MessageBody: JSON.stringify({ tenantId, jobId, region: 'us-west-2' }) },
      {
        QueueUrl: 'https://sqs.eu-west-2.amazonaws.com/123456789012/obs-platform-offboarding',
        MessageBody: JSON.stringify({ tenantId, jobId, region: 'eu-west-2' }),
      },
      {
        QueueUrl: own,
        MessageBody: JSON.stringify({ tenantId, jobId, region: 'us-west-2', pass: 'late-erasure' }),
        DelaySeconds: 450,
      },
    ]);
    // Each message went through the client of its region.
    expect(await Promise.all([...clients.values()].map((c) => c.config.region()))).toEqual([
      'us-west-2',
      'eu-west-2',
    ]);
    sqs.restore();
  });
});

describe('offboarding export memory', () => {
  it('streams 1,000,000 points through the S3 multipart sink with bounded heap growth (measured, not timed)', async () => {
    const points = 1_000_000;
    const metrics: TenantDataHolder = {
      dataName: 'metrics',
      async *exportTenant() {
        for (let i = 0; i < points; i++)
          yield {
            metric: 'cpu_utilisation_percent',
            labels: { host: `host-${i % 997}`, region: 'eu-west-2', collector: 'c-1' },
            timestamp: 1_764_000_000_000 + i * 15_000,
            value: (i * 7919) % 10_007,
          };
      },
      deleteTenant: async () => points,
    };
    // An S3 client that keeps nothing (a mock's call history would hold every part's body).
    let uploaded = 0;
    const parts: number[] = [];
    const s3 = {
      send: async (command: { constructor: { name: string }; input: { Body?: Buffer } }) => {
        if (command.constructor.name === 'CreateMultipartUploadCommand') return { UploadId: 'u' };
        if (command.constructor.name === 'UploadPartCommand') {
          uploaded += command.input.Body!.length;
          parts.push(command.input.Body!.length);
          return { ETag: `"${parts.length}"` };
        }
        return {};
      },
    } as unknown as S3Client;
    const { tenants, workers, queued } = await setup(['eu-west-2']);
    const worker = {
      ...workers.get('eu-west-2')!,
      archives: new S3ArchiveStore(s3, 'archives-eu-west-2'),
      regional: [metrics],
      global: [],
    };
    let peak = 0;
    const baseline = process.memoryUsage().heapUsed;
    const sampler = setInterval(() => {
      peak = Math.max(peak, process.memoryUsage().heapUsed - baseline);
    }, 5);
    const job = await runOffboardingPart(worker, queued[0]!);
    clearInterval(sampler);
    const part = job!.parts['eu-west-2']!;
    expect(part.archive.records).toEqual({ metrics: points });
    expect(uploaded).toBe(part.archive.bytes);
    for (const size of parts.slice(0, -1)) expect(size).toBeGreaterThanOrEqual(5 * 1024 * 1024);
    // ~150 bytes a JSON line: the export is ~150 MB of text; holding it (as before) needs more than that.
    const peakMiB = peak / 1024 / 1024;
    console.info(
      `offboarding export of ${points} points: ${part.archive.bytes} gzipped bytes in ${parts.length} parts, heap growth peak ${peakMiB.toFixed(1)} MiB`,
    );
    expect(peakMiB).toBeLessThan(64);
    expect((await tenants.getTenant(tenantId))!.status).toBe('offboarded');
  }, 60_000);
});

describe('offboarding releases the tenant’s e-mail subscriptions', () => {
  const topicArn = 'arn:aws:sns:us-west-2:111111111111:alert-email';
  const arnOf = (address: string) => `${topicArn}:${address.split('@')[0]}`;
  const otherTenant = 'c'.repeat(32);

  /** A real alert store (SQLite item table), the SNS adapter on a mocked client listing `addresses`. */
  function platform(addresses: readonly string[]) {
    const db = new DatabaseSync(':memory:');
    const table = new SqliteItemTable(db);
    const store = new ItemAlertStore(table);
    const sns = mockClient(SNSClient);
    sns.on(SubscribeCommand).resolves({});
    sns.on(UnsubscribeCommand).resolves({});
    sns.on(ListSubscriptionsByTopicCommand).resolves({
      Subscriptions: addresses.map((a) => ({
        Protocol: 'email',
        Endpoint: a,
        SubscriptionArn: arnOf(a),
        TopicArn: topicArn,
      })),
    });
    const subscriptions = new SnsEmailSubscriptions(new SNSClient({}), topicArn);
    const recipients = emailRecipients({
      subscriptions,
      store,
      tenants: { listEntities: async () => ({ items: [] }) },
      noticeChannels: undefined,
    });
    /** Every reference item (forward or reverse) that names the tenant. */
    const referencesOf = (tenant: string) =>
      db
        .prepare(
          "SELECT pk, sk FROM alert_items WHERE (pk LIKE 'EMAILREF#%' OR sk LIKE 'EMAILREF#%') AND (pk = ? OR sk = ?)",
        )
        .all(`TENANT#${tenant}`, `TENANT#${tenant}`) as unknown as ItemKey[];
    return { table, store, sns, subscriptions, recipients, referencesOf };
  }

  const chainNaming = (tenant: string, address: string): EscalationChain => ({
    tenantId: tenant,
    chainId: 'on-call',
    name: 'on-call',
    stages: [{ recipients: [{ type: 'email', address }] }],
    stageIntervalSeconds: 300,
    createdAt: '2026-01-01T00:00:00.000Z',
    updatedAt: '2026-01-01T00:00:00.000Z',
  });

  /** Starts the tenant's offboarding; `run` runs (and re-runs, as SQS would redeliver) its one part. */
  async function offboarding(
    store: ItemAlertStore,
    subscriptions: SnsEmailSubscriptions,
    named: readonly string[] = [],
  ) {
    const { workers, queued, events } = await setup(['us-west-2']);
    const worker = workers.get('us-west-2')!;
    const deps = {
      ...worker,
      global: [...worker.global, store],
      emailRecipients: { references: store, subscriptions, named: async () => named },
      claimLeaseMs: 0,
    };
    return { run: async () => (await runOffboardingPart(deps, queued[0]!))!, events };
  }

  it('unsubscribes the chain and notice-channel addresses; the schedule address another tenant names stays', async () => {
    const chainAddress = 'chain@leaving.example';
    const noticeAddress = 'notices@leaving.example';
    const scheduleAddress = 'reports@shared.example';
    const { store, sns, subscriptions, recipients, referencesOf } = platform([
      chainAddress,
      noticeAddress,
      scheduleAddress,
    ]);
    // Named the way the alerts API names them: a reference per tenant, then the subscription.
    await recipients.saveNaming(tenantId, [chainAddress], () =>
      store.putChain(chainNaming(tenantId, chainAddress)),
    );
    await recipients.saveNaming(tenantId, [noticeAddress], async () => undefined);
    await recipients.saveNaming(tenantId, [scheduleAddress], async () => undefined);
    await recipients.saveNaming(otherTenant, [scheduleAddress], async () => undefined);
    expect(sns.commandCalls(SubscribeCommand)).toHaveLength(4);
    expect(sns.commandCalls(UnsubscribeCommand)).toHaveLength(0);

    const { run, events } = await offboarding(store, subscriptions);
    const job = await run();

    expect(job.state).toBe('succeeded');
    expect(sns.commandCalls(UnsubscribeCommand).map((c) => c.args[0].input)).toEqual([
      { SubscriptionArn: arnOf(chainAddress) },
      { SubscriptionArn: arnOf(noticeAddress) },
    ]);
    expect(referencesOf(tenantId)).toEqual([]);
    // The other tenant's reference holds the shared subscription.
    expect(referencesOf(otherTenant)).toHaveLength(2);
    expect(await store.releaseEmailRecipient(otherTenant, scheduleAddress)).toBe(true);
    // The erasure record says how many subscriptions went.
    const deleted = events.find((e) => e.action === 'tenant.offboard.delete')!;
    expect((deleted.after as { removed: Record<string, number> }).removed.emailSubscriptions).toBe(2);
  });

  it('finds references from before the reverse items through chains and what else the tenant names, and retries an unsubscribe that failed', async () => {
    const chainAddress = 'legacy-chain@leaving.example';
    const noticeAddress = 'legacy-notices@leaving.example';
    const { table, store, sns, subscriptions, referencesOf } = platform([chainAddress, noticeAddress]);
    await store.putChain(chainNaming(tenantId, chainAddress));
    // References as written before reverse items: the forward items alone.
    await store.referenceEmailRecipient(tenantId, chainAddress);
    await store.referenceEmailRecipient(tenantId, noticeAddress);
    const reverse = referencesOf(tenantId).filter((r) => r.pk === `TENANT#${tenantId}`);
    expect(reverse).toHaveLength(2);
    await table.write([], reverse);
    sns.on(UnsubscribeCommand).rejectsOnce(new Error('throttled')).resolves({});

    // The notice channel's address reaches the worker as one the tenant still names.
    const { run } = await offboarding(store, subscriptions, [noticeAddress]);
    await expect(run()).rejects.toThrow(/throttled/);
    // The redelivered part still finds the chain's address and unsubscribes both.
    expect((await run()).state).toBe('succeeded');
    expect(sns.commandCalls(UnsubscribeCommand).map((c) => c.args[0].input)).toEqual([
      { SubscriptionArn: arnOf(chainAddress) },
      { SubscriptionArn: arnOf(chainAddress) },
      { SubscriptionArn: arnOf(noticeAddress) },
    ]);
    expect(referencesOf(tenantId)).toEqual([]);
  });
});
