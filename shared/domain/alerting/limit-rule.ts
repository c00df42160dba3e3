/**
 * The built-in tenant-limit alert: the ingest guard's usage check (at most once a minute per tenant)
 * is evaluated like any rule, one series per limit (`tenant_limit_usage{limit=<name>}` = used / limit),
 * warning at LIMIT_WARNING_RATIO. So it dedups (one open alert per limit while usage stays at or above
 * 80 %), clears when usage falls below, and notifies the tenant's escalation chain, like other alerts.
 */
import { LIMIT_WARNING_RATIO } from '../guardrails/limits';
import type { LimitUsage } from '../guardrails/usage';
import type { Series } from '../query';
import type { EscalationChain } from './escalation';
import type { AlertRule } from './rule';

/** Not a possible id of an API-created rule (those are 24 hex digits). */
export const TENANT_LIMITS_RULE_ID = 'builtin-tenant-limits';
export const TENANT_LIMIT_METRIC = 'tenant_limit_usage';

export function tenantLimitsRule(tenantId: string, escalationChainId: string | undefined): AlertRule {
  return {
    tenantId,
    ruleId: TENANT_LIMITS_RULE_ID,
    name: `Tenant limit at ${Math.round(LIMIT_WARNING_RATIO * 100)} %`,
    enabled: true,
    selector: { metric: TENANT_LIMIT_METRIC, filters: {} },
    windowSeconds: 60,
    aggregation: 'max',
    threshold: { operator: '>=', warning: LIMIT_WARNING_RATIO },
    triggerInterval: 1,
    clearInterval: 1,
    ...(escalationChainId ? { escalationChainId } : {}),
    createdAt: '1970-01-01T00:00:00.000Z',
    updatedAt: '1970-01-01T00:00:00.000Z',
  };
}

/** The tenant's oldest escalation chain is the one its limit alerts go to. */
export const limitAlertChain = (chains: readonly EscalationChain[]): EscalationChain | undefined =>
  [...chains].sort((a, b) => a.createdAt.localeCompare(b.createdAt) || a.chainId.localeCompare(b.chainId))[0];

export const limitUsageSeries = (usage: readonly LimitUsage[], nowMs: number): Series[] =>
  usage.map((u) => ({
    metric: TENANT_LIMIT_METRIC,
    dimensions: { limit: u.limit },
    points: [[nowMs, u.ratio]],
  }));
