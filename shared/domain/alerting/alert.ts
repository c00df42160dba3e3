/** The record of one alert (one open-to-clear episode of one rule × series), kept as history. */
import type { Dimensions } from '../metrics';
import type { Transition } from './state-machine';
import type { Severity } from './thresholds';

export type AlertCause = 'threshold' | 'dynamic' | 'no-data';

export interface AlertEscalation {
  readonly chainId: string;
  readonly stageCount: number;
  /** The next stage to notify; equal to the chain's length when all stages were notified. */
  readonly nextStage: number;
  /** Epoch ms when the next stage is due. */
  readonly nextAt: number;
  /** Stages already notified (their recipients get the clear). */
  readonly notifiedStages: readonly number[];
}

export interface Alert {
  readonly tenantId: string;
  readonly alertId: string;
  readonly ruleId: string;
  readonly ruleName: string;
  readonly seriesKey: string;
  readonly metric: string;
  readonly dimensions: Dimensions;
  readonly resource?: string;
  readonly cause: AlertCause;
  readonly status: 'open' | 'cleared';
  readonly severity: Severity;
  readonly value?: number;
  /** ISO-8601. */
  readonly openedAt: string;
  readonly updatedAt: string;
  readonly clearedAt?: string;
  readonly acknowledgedAt?: string;
  readonly acknowledgedBy?: string;
  readonly incidentId?: string;
  /** The alert on a resource this one depends on, which explains it; dependent alerts are not notified. */
  readonly dependentOn?: string;
  /** The downtime active when it opened; notifications suppressed, history kept. */
  readonly suppressedBy?: string;
  readonly escalation?: AlertEscalation;
  readonly history: readonly Transition[];
}

/** Alerts whose notifications go out: not in downtime and not explained by a dependency. */
export const isNotifiable = (alert: Pick<Alert, 'suppressedBy' | 'dependentOn'>): boolean =>
  alert.suppressedBy === undefined && alert.dependentOn === undefined;

/** An incident: the alerts of one resource that opened close together. */
export interface Incident {
  readonly tenantId: string;
  readonly incidentId: string;
  readonly resource: string;
  readonly openedAt: string;
  /** Epoch ms of the latest alert that joined. */
  readonly lastAlertAt: number;
  readonly alertIds: readonly string[];
}
