import { awsTenantStore, providerTokenHashFromSecret } from '../../shared/adapters/aws/wiring';
import { createObservability } from '../../shared/http/handler';
import { systemClock } from '../../shared/ports/clock';
import { createAdminHandler } from './app';

export const handler = createAdminHandler({
  tenants: awsTenantStore(),
  providerTokenHash: providerTokenHashFromSecret(),
  clock: systemClock,
  observability: createObservability('admin'),
});
