/**
 * `GET /v1/report-files/{token}`: the link a scheduled SLA report's e-mail carries
 * (functions/report-scheduler). No bearer token: the link is the capability, made for the tenant's
 * own recipients; its HMAC (KMS VerifyMac on AWS) names tenant, file and expiry. A forged or altered
 * token, or a tenant that is no longer active, gets 404; an expired link 410; never the file. The
 * file itself: on AWS a redirect to a 5-minute presigned S3 GET made now (this function's
 * credentials are fresh), locally its bytes. Each open is in the tenant's audit log. Bounded work:
 * one MAC check, one tenant read, one store call and one presign.
 */
import { basename } from 'node:path';
import type { ReportLinks } from '#adapters/crypto/report-links';
import { NotFoundError } from '#domain/errors';
import { sourceIpOf } from '#http/auth';
import type { Route } from '#http/handler';
import type { AuditLog } from '#ports/audit-log';
import type { Clock } from '#ports/clock';
import type { ReportFiles } from '#ports/report-files';
import type { TenantStore } from '#ports/tenant-store';

export const REPORT_FILE_ROUTES = ['GET /v1/report-files/{token}'] as const;

export interface ReportFileDeps {
  readonly links: Pick<ReportLinks, 'open'>;
  readonly files: Pick<ReportFiles, 'fetch'>;
}

/** The link is a secret: no cache keeps it or the file, no Referer carries it elsewhere. */
const PRIVATE = { 'cache-control': 'no-store', 'referrer-policy': 'no-referrer' };

export function reportFileRoutes(deps: {
  reports: ReportFileDeps | undefined;
  tenants: Pick<TenantStore, 'getTenant'>;
  auditLog: AuditLog;
  clock: Clock;
}): Record<(typeof REPORT_FILE_ROUTES)[number], Route> {
  return {
    'GET /v1/report-files/{token}': async (event) => {
      if (!deps.reports) throw new NotFoundError('report files are not served here', 'token');
      const now = deps.clock.now();
      const { tenantId, key } = await deps.reports.links.open(
        event.pathParameters?.token ?? '',
        now.getTime(),
      );
      const tenant = await deps.tenants.getTenant(tenantId);
      const file = tenant?.status === 'active' ? await deps.reports.files.fetch(tenantId, key) : undefined;
      if (!file) throw new NotFoundError('no such report file', 'token');
      const sourceIp = sourceIpOf(event);
      await deps.auditLog.append({
        tenantId,
        at: now.toISOString(),
        action: 'report-file.open',
        actor: 'report-link',
        ...(sourceIp ? { sourceIp } : {}),
        target: `report-file/${key}`,
        outcome: 'success',
      });
      if (file.kind === 'redirect')
        return { statusCode: 302, headers: { location: file.url, ...PRIVATE }, body: '' };
      return {
        statusCode: 200,
        headers: {
          'content-type': 'application/pdf',
          'content-disposition': `attachment; filename="${basename(key)}"`,
          ...PRIVATE,
        },
        body: file.pdf.toString('base64'),
        isBase64Encoded: true,
      };
    },
  };
}
