/**
 * `npm run backfill:email-refs`: one-time (idempotent) backfill of the email-recipient reference
 * items in a region's metadata table (RUNBOOK "Email subscriptions shared across tenants"). Needs
 * TABLE_NAME and the region's AWS credentials (AWS_REGION, a role that may query and put items).
 */
import { awsAlertStore } from '#adapters/aws/eventbridge-alert-wiring';
import { awsTenantStore } from '#adapters/aws/wiring';
import { backfillEmailReferences } from '../functions/alerts/backfill-email-refs';

const result = await backfillEmailReferences({
  tenants: awsTenantStore(),
  store: awsAlertStore(),
  log: (message, fields) => console.log(message, JSON.stringify(fields)),
});
console.log(
  `backfilled: ${result.references} email reference(s) over ${result.chains} chain(s) of ${result.tenants} tenant(s)`,
);
