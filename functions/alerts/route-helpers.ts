import type { Principal } from '#http/auth';
import type { HttpEvent } from '#http/types';

/** app.ts's audit of one change, as the route modules call it: the images before and after. */
export type AuditChange = (
  event: HttpEvent,
  principal: Principal,
  action: string,
  target: string,
  before?: unknown,
  after?: unknown,
) => Promise<void>;
