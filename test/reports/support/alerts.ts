import { type Alert, alertIdTimePrefix } from '#domain/alerting/alert';

/** A critical alert on `resource` that was open from `openedMs` to `clearedMs` (SLA fixtures). */
export const clearedCriticalAlert = (
  tenantId: string,
  resource: string,
  openedMs: number,
  clearedMs: number,
): Alert =>
  ({
    tenantId,
    alertId: `${alertIdTimePrefix(openedMs)}a1`,
    ruleId: 'r1',
    ruleName: 'down',
    seriesKey: 'k',
    metric: 'up',
    dimensions: {},
    resource,
    cause: 'threshold',
    status: 'cleared',
    severity: 'critical',
    openedAt: new Date(openedMs).toISOString(),
    updatedAt: new Date(clearedMs).toISOString(),
    clearedAt: new Date(clearedMs).toISOString(),
    history: [],
  }) as unknown as Alert;
