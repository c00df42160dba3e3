/**
 * `npm run failover -- --tenant <id> --to <region>` or `-- --region <failed> --to <region>`: moves
 * tenants' home region (RUNBOOK "Region failover"; functions/admin/failover.ts).
 *
 * Where the metadata is: `--metadata-dir <dir>` for a local platform (its DATA_DIR, or the directory
 * two local regions share), else the global table named by TABLE_NAME (AWS credentials of an
 * operator, AWS_REGION a surviving replica's region). `--spill-from <dir> --spill-to <dir>` (local)
 * moves the tenants' parked batches from the failed region's spill to the new home's;
 * `--spill-queue-from <url> --spill-queue-to <url>` does so on AWS (the regions' IngestSpill queues:
 * the failed one read from here, its tenants' batches parked on the new home's, then deleted). `--default-home`
 * (else DEFAULT_HOME_REGION, else us-west-2): where tenants without a recorded home live.
 */
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import type { AuditLog } from '#ports/audit-log';
import { systemClock } from '#ports/clock';
import type { TenantStore } from '#ports/tenant-store';
import {
  type FailoverDeps,
  type FailoverReceipt,
  failoverRegion,
  failoverTenant,
} from '../functions/admin/failover';

const USAGE =
  'usage: npm run failover -- (--tenant <id> | --region <failed>) --to <region> [--metadata-dir <dir>] [--spill-from <dir> --spill-to <dir> | --spill-queue-from <url> --spill-queue-to <url>] [--default-home <region>] [--actor <name>]';

export async function runFailover(argv: readonly string[]): Promise<FailoverReceipt[]> {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      tenant: { type: 'string' },
      region: { type: 'string' },
      to: { type: 'string' },
      'metadata-dir': { type: 'string' },
      'spill-from': { type: 'string' },
      'spill-to': { type: 'string' },
      'spill-queue-from': { type: 'string' },
      'spill-queue-to': { type: 'string' },
      'default-home': { type: 'string' },
      actor: { type: 'string' },
    },
    strict: true,
  });
  if (!values.to || (values.tenant === undefined) === (values.region === undefined)) throw new Error(USAGE);
  if ((values['spill-from'] === undefined) !== (values['spill-to'] === undefined))
    throw new Error('--spill-from and --spill-to go together');
  if ((values['spill-queue-from'] === undefined) !== (values['spill-queue-to'] === undefined))
    throw new Error('--spill-queue-from and --spill-queue-to go together');
  if (values['spill-from'] && values['spill-queue-from'])
    throw new Error('either the local spill directories or the SQS spill queues, not both');
  const { tenants, audit, close } = await metadata(values['metadata-dir']);
  try {
    const spill =
      values['spill-from'] && values['spill-to']
        ? await spillDirs(values['spill-from'], values['spill-to'])
        : values['spill-queue-from'] && values['spill-queue-to']
          ? await spillQueues(values['spill-queue-from'], values['spill-queue-to'])
          : undefined;
    const deps: FailoverDeps = {
      tenants,
      audit,
      clock: systemClock,
      region: { defaultHomeRegion: values['default-home'] ?? process.env.DEFAULT_HOME_REGION ?? 'us-west-2' },
      actor: `operator:${values.actor ?? process.env.USER ?? 'unknown'}`,
      ...(spill ? { spill } : {}),
    };
    return values.tenant
      ? [await failoverTenant(deps, values.tenant, values.to)]
      : await failoverRegion(deps, values.region as string, values.to);
  } finally {
    close();
  }
}

async function metadata(
  dir: string | undefined,
): Promise<{ tenants: TenantStore; audit: AuditLog; close: () => void }> {
  if (dir) {
    const [{ SqliteTenantStore }, { SqliteAuditLog }] = await Promise.all([
      import('#adapters/local/sqlite-tenant-store'),
      import('#adapters/local/sqlite-audit-log'),
    ]);
    const tenants = new SqliteTenantStore(join(dir, 'tenants.sqlite'));
    const audit = new SqliteAuditLog(join(dir, 'audit.sqlite'));
    const close = () => {
      tenants.close();
      audit.close();
    };
    return { tenants, audit, close };
  }
  // The global table through a surviving replica (no authentication cache: an operator's tool).
  const [{ awsAuditLog, documentClient, ENV, requiredEnv }, { DynamoDbTenantStore }] = await Promise.all([
    import('#adapters/aws/wiring'),
    import('#adapters/aws/dynamodb-tenant-store'),
  ]);
  const tenants = new DynamoDbTenantStore(documentClient(), requiredEnv(ENV.tableName));
  return { tenants, audit: awsAuditLog(), close: () => undefined };
}

async function spillDirs(from: string, to: string) {
  const { SpillDirectory } = await import('#adapters/local/spill-directory');
  return { from: new SpillDirectory(from), to: new SpillDirectory(to) };
}

/** The failed region's spill queue read with a client of its own region; the new home's written likewise. */
async function spillQueues(from: string, to: string) {
  const [{ SQSClient }, { SqsSpillQueue, SqsSpillSource, queueRegionOf }] = await Promise.all([
    import('@aws-sdk/client-sqs'),
    import('#adapters/aws/spill-sqs-queue'),
  ]);
  return {
    from: new SqsSpillSource(new SQSClient({ region: queueRegionOf(from) }), from),
    to: new SqsSpillQueue(new SQSClient({ region: queueRegionOf(to) }), to),
  };
}

if (process.argv[1]?.endsWith('failover.ts')) {
  runFailover(process.argv.slice(2)).then(
    (receipts) => {
      for (const r of receipts)
        console.log(
          `${r.tenantId}: ${r.moved ? `moved ${r.from} → ${r.to}` : `already in ${r.to}`}, config version ${r.configVersion}` +
            (r.spilledBatchesMoved === undefined
              ? ', spill not read'
              : `, ${r.spilledBatchesMoved} parked batch(es) moved`),
        );
      if (receipts.length === 0) console.log('no tenant to move');
    },
    (error: Error) => {
      console.error(error.message);
      process.exit(1);
    },
  );
}
