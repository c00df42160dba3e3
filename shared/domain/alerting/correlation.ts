/**
 * Correlation, two ways:
 * - Dependencies: when a resource this alert's resource depends on is unreachable (it has an open
 *   critical or no-data alert), this alert is a symptom: marked `dependentOn` that alert, not notified.
 * - Incidents: alerts on the same resource that open within `windowMs` of the incident's latest alert
 *   join it; otherwise a new incident starts.
 */
import { type Alert, type Incident, resourceKeyOf } from './alert';

export const INCIDENT_WINDOW_MS = 10 * 60_000;

export const isUnreachableSignal = (alert: Alert): boolean =>
  alert.status === 'open' && (alert.severity === 'critical' || alert.cause === 'no-data');

/**
 * The alert that explains this one: an unreachable-signal alert open on one of the resources it depends
 * on (transitively: dependenciesOf already returns the closure the caller wants to look at).
 */
export function explainingAlert(
  dependencies: readonly string[],
  openAlertsOnDependencies: readonly Alert[],
): Alert | undefined {
  const deps = new Set(dependencies);
  return openAlertsOnDependencies.find((a) => {
    const resource = resourceKeyOf(a);
    return resource !== undefined && deps.has(resource) && isUnreachableSignal(a);
  });
}

/** The incident an alert joins (updated) or a new one. */
export function joinIncident(
  latest: Incident | undefined,
  alert: Pick<Alert, 'tenantId' | 'alertId' | 'openedAt'> & { resource: string },
  newIncidentId: () => string,
  windowMs = INCIDENT_WINDOW_MS,
): Incident {
  const at = Date.parse(alert.openedAt);
  if (
    latest &&
    latest.resource === alert.resource &&
    at - latest.lastAlertAt <= windowMs &&
    at >= latest.lastAlertAt - windowMs
  )
    return {
      ...latest,
      lastAlertAt: Math.max(at, latest.lastAlertAt),
      alertIds: [...latest.alertIds, alert.alertId],
    };
  return {
    tenantId: alert.tenantId,
    incidentId: newIncidentId(),
    resource: alert.resource,
    openedAt: alert.openedAt,
    lastAlertAt: at,
    alertIds: [alert.alertId],
  };
}
