/**
 * Scheduled reports' files and links as the functions build them (the CDK construct sets the
 * variables with the matching grants): the scheduler puts files and makes links, the alerts function
 * opens links, the offboarding worker exports and erases a tenant's files. The S3 client is loaded on
 * first use, not at every cold start.
 */
import { KMSClient } from '@aws-sdk/client-kms';
import { ReportLinks } from '#adapters/crypto/report-links';
import { endpointsOf } from '#domain/region';
import { systemClock } from '#ports/clock';
import type { ReportFiles } from '#ports/report-files';
import type { TenantDataHolder } from '#ports/tenant-data';
import { KmsLinkKey } from './kms-link-key';
import type { S3ReportFiles } from './s3-report-files';
import { awsRegionSettings, requiredEnv } from './wiring';

/** Set by infra/constructs/report-scheduler.ts with the matching grants. */
export const REPORT_ENV = {
  /** The reports bucket. */
  bucket: 'REPORT_BUCKET',
  /** The bucket's KMS key (SSE-KMS on every put). */
  bucketKeyArn: 'REPORT_BUCKET_KEY_ARN',
  /** The KMS HMAC key (HMAC_256) that signs report links. */
  linkKeyArn: 'REPORT_LINK_KEY_ARN',
} as const;

/** Whether this function was given the reports bucket. */
export const reportFilesConfigured = (): boolean => Boolean(process.env[REPORT_ENV.bucket]);

function lazyS3ReportFiles(links: ReportLinks | undefined): () => Promise<S3ReportFiles> {
  const bucket = requiredEnv(REPORT_ENV.bucket);
  const kmsKeyId = requiredEnv(REPORT_ENV.bucketKeyArn);
  let loaded: Promise<S3ReportFiles> | undefined;
  return () =>
    (loaded ??= Promise.all([import('@aws-sdk/client-s3'), import('./s3-report-files')]).then(
      ([{ S3Client }, { S3ReportFiles }]) =>
        new S3ReportFiles({
          s3: new S3Client({}),
          bucket,
          kmsKeyId,
          clock: systemClock,
          ...(links ? { links } : {}),
        }),
    ));
}

export function awsReportFiles(): { files: ReportFiles; links: ReportLinks } {
  const settings = awsRegionSettings();
  const links = new ReportLinks(new KmsLinkKey(new KMSClient({}), requiredEnv(REPORT_ENV.linkKeyArn)), () => {
    // This region's API: links lead to the tenant's home, where its file is.
    const api = endpointsOf(settings.region, settings)?.api;
    if (!api) throw new Error(`no API endpoint is known for ${settings.region} (REGION_ENDPOINTS)`);
    return api;
  });
  const load = lazyS3ReportFiles(links);
  return {
    links,
    files: {
      put: async (tenantId, key, pdf) => (await load()).put(tenantId, key, pdf),
      fetch: async (tenantId, key) => (await load()).fetch(tenantId, key),
    },
  };
}

/** The tenant's report files as offboarding exports and erases them (no links made). */
export function awsReportFileData(): TenantDataHolder {
  const load = lazyS3ReportFiles(undefined);
  return {
    dataName: 'reports',
    // A scheduler run that listed the tenant while it was active can still put a PDF (its 15-minute timeout).
    lateWritesSeconds: 900,
    exportTenant: async function* (tenantId) {
      yield* (await load()).exportTenant(tenantId);
    },
    deleteTenant: async (tenantId) => (await load()).deleteTenant(tenantId),
  };
}
