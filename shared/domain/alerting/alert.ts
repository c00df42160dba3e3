/** The record of one alert (one open-to-clear episode of one rule × series), kept as history. */
import type { Dimensions } from '../metrics';
import type { AlertRouting } from './routing';
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
  /**
   * Which run of the chain this is: the index in the alert's history of the transition that started it
   * (0: opened; an escalation to a worse severity starts a new run). Notification event ids derive from
   * it, so every evaluator that sends a stage of this run sends the same event.
   */
  readonly sequence?: number;
  /** Set when an escalation started this run: the severity and value it escalated from. */
  readonly escalatedFrom?: { readonly severity: Severity; readonly value?: number };
}

/** A chain run that an escalation replaced: its notified recipients still get the clear. */
export interface EarlierEscalation {
  readonly chainId: string;
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
  /** The series' resource value (the rule's resource dimension), as the collector named it. */
  readonly resource?: string;
  /** The API resource the series is linked to (resource-identity.ts), and its name. */
  readonly resourceId?: string;
  readonly resourceName?: string;
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
  /** Chain runs replaced by escalations, whose notified recipients get the clear too. */
  readonly earlierEscalations?: readonly EarlierEscalation[];
  /** How its notifications were routed (absent on alerts from before routing rules). */
  readonly routing?: AlertRouting;
  readonly history: readonly Transition[];
}

/**
 * The first characters of an alert id opened at `ms`: its opening time in base 36, 9 digits (good past
 * the year 5000), so ids sort by opening time and a time range is a key range.
 */
export const alertIdTimePrefix = (ms: number): string =>
  Math.max(0, Math.floor(ms)).toString(36).padStart(9, '0');

/** Alerts whose notifications go out: not in downtime and not explained by a dependency. */
export const isNotifiable = (alert: Pick<Alert, 'suppressedBy' | 'dependentOn'>): boolean =>
  alert.suppressedBy === undefined && alert.dependentOn === undefined;

/**
 * The key correlation uses for an alert's resource: the linked API resource's id, else the series'
 * resource value (open alerts by resource, dependencies, incidents).
 */
export const resourceKeyOf = (alert: Pick<Alert, 'resource' | 'resourceId'>): string | undefined =>
  alert.resourceId ?? alert.resource;

/** The names a downtime's `resources` may list to cover an alert: its resource id, name, or value. */
export const resourceNamesOf = (alert: Pick<Alert, 'resource' | 'resourceId' | 'resourceName'>): string[] =>
  [alert.resourceId, alert.resourceName, alert.resource].filter((n): n is string => n !== undefined);

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
