/**
 * The alert engine: evaluates rules against the metric store, runs each rule × series through the
 * state machine, records alerts (history), correlates them, and publishes what changed on the bus.
 * One implementation for the scheduled evaluator (AWS: EventBridge Scheduler every minute; local: a
 * timer), evaluation on ingest, and acknowledgement from the API.
 *
 * Evaluation periods: a rule × series counts one evaluation per period (a minute by default), however
 * often it is evaluated: a later evaluation in the same period replaces the earlier one, unless the
 * earlier one already made a transition. So the trigger interval means "N minutes of breaching" whether
 * fresh data arrives through ingest, the schedule, or both.
 *
 * Bounded work: a tick evaluates at most `maxRulesPerTick` rules (continuing where the last tick
 * stopped), `maxSeriesPerRule` series per rule, `maxBaselineLoadsPerTick` history loads for dynamic
 * thresholds (baselines are cached for an hour), and `maxEscalationsPerTick` escalation stages.
 *
 * Transactional outbox: every event is written to the store's outbox before the bus is tried and
 * removed once the bus accepted it. When the bus fails, the evaluation still succeeds and the events
 * wait; each scheduled pass first drains the outbox (oldest first, `maxOutboxEventsPerTick`, stopping
 * when the bus fails outright). The bus answers per event: one it refuses for good (a poison event) is
 * dead-lettered and leaves the outbox, so it never holds the later events of any tenant. Events carry a stable `eventId`, so one published twice (the bus took it
 * but the removal failed, or a partly failed batch is resent whole) is deduplicated by consumers.
 */
import { randomBytes } from 'node:crypto';
import type { Alert, AlertCause, EarlierEscalation } from '#domain/alerting/alert';
import { alertIdTimePrefix, isNotifiable, resourceKeyOf, resourceNamesOf } from '#domain/alerting/alert';
import { type Baseline, dynamicSeverity, historyMs, learnBaseline } from '#domain/alerting/baseline';
import { explainingAlert, joinIncident } from '#domain/alerting/correlation';
import { activeDowntime, type Downtime, downtimeTargetOf } from '#domain/alerting/downtime';
import {
  afterStageNotified,
  dueStage,
  type EscalationChain,
  notifiedChains,
  startEscalation,
} from '#domain/alerting/escalation';
import {
  type AlertBusEvent,
  type AlertStateChangedDetail,
  alertSummaryOf,
  DETAIL_TYPE,
  withEventId,
} from '#domain/alerting/events';
import { exprSeries, exprSeverity, isExprRule } from '#domain/alerting/expr-rule';
import { limitAlertChain, limitUsageSeries, tenantLimitsRule } from '#domain/alerting/limit-rule';
import { isLogRule, LOG_RULE_LIMITS, logRuleQuery, logRuleSeries } from '#domain/alerting/log-rule';
import { type AlertRoute, type AlertRouting, routingOf } from '#domain/alerting/routing';
import { type AlertRule, type LogRuleSpec, resourceOf } from '#domain/alerting/rule';
import {
  INITIAL_STATE,
  type Observation,
  type SeriesAlertState,
  type StateMachineConfig,
  step,
  type Transition,
} from '#domain/alerting/state-machine';
import {
  judgeableValues,
  maxSeverity,
  type Severity,
  severityRank,
  staticSeverity,
} from '#domain/alerting/thresholds';
import { ConflictError, NotFoundError } from '#domain/errors';
import type { LimitUsage } from '#domain/guardrails/usage';
import { type Dimensions, type Sample, seriesKey } from '#domain/metrics';
import { aggregate, matchesFilters, type Series } from '#domain/query';
import type { LinkedResource } from '#domain/resource-identity';
import type { AlertStore, OutboxEntry, StoredSeriesState } from '#ports/alert-store';
import type { Clock } from '#ports/clock';
import type { DeadLetterStore } from '#ports/dead-letter-store';
import type { AlertBus, PublishOutcome } from '#ports/event-bus';
import type { LogStore } from '#ports/log-store';
import type { MetricStore } from '#ports/metric-store';
import type { ResourceDirectory } from '#ports/resource-directory';
import type { ResourceTopology } from '#ports/resource-topology';
import type { RuleExpressions } from '#ports/rule-expressions';

export interface EngineLimits {
  readonly maxRulesPerTick: number;
  readonly maxSeriesPerRule: number;
  readonly maxBaselineLoadsPerTick: number;
  readonly maxEscalationsPerTick: number;
  readonly evaluationPeriodMs: number;
  /** How long a tenant's rule list is cached for on-ingest evaluation. */
  readonly ruleCacheMs: number;
  readonly baselineTtlMs: number;
  /** Re-reads and re-evaluations of a rule × series whose state another evaluator wrote meanwhile. */
  readonly maxStateConflictRetries: number;
  /** Outbox events a scheduled pass publishes before evaluating. */
  readonly maxOutboxEventsPerTick: number;
}

export const DEFAULT_LIMITS: EngineLimits = {
  maxRulesPerTick: 2000,
  maxSeriesPerRule: 10_000,
  maxBaselineLoadsPerTick: 100,
  maxEscalationsPerTick: 500,
  evaluationPeriodMs: 60_000,
  ruleCacheMs: 10_000,
  baselineTtlMs: 3_600_000,
  maxStateConflictRetries: 5,
  maxOutboxEventsPerTick: 500,
};
/** Outbox events per bus call while draining (EventBridge's PutEvents batch). */
const DRAIN_BATCH = 10;

export interface EngineDeps {
  readonly store: AlertStore;
  readonly metrics: MetricStore;
  readonly bus: AlertBus;
  readonly topology: ResourceTopology;
  /**
   * Links series to API resources by the identities collectors name them by (resource-identity.ts);
   * without it an alert's resource is its series' resource value alone.
   */
  readonly resources?: ResourceDirectory;
  /** Evaluates PromQL rules' expressions (expr-rule.ts); without it those rules are skipped and logged. */
  readonly expressions?: RuleExpressions;
  /** Where log rules count their lines (log-rule.ts); without it those rules are skipped and logged. */
  readonly logs?: Pick<LogStore, 'search'>;
  readonly clock: Clock;
  readonly limits?: Partial<EngineLimits>;
  readonly log?: (message: string, fields: Record<string, unknown>) => void;
  /**
   * Events left in the outbox after a publish or drain failed (0 after a drain that emptied it): the
   * AWS wiring emits it as the AlertEventsPending metric.
   */
  readonly onEventsPending?: (count: number) => void;
  /**
   * Whether a tenant is homed in this evaluator's region (adapters/tenancy/tenant-region.ts): rules
   * and escalations of tenants homed elsewhere are left to their home region. Absent: every tenant.
   */
  readonly owns?: (tenantId: string) => Promise<boolean>;
  /**
   * Where events the bus refuses for good (malformed, too large) are set aside, so one poison event
   * never holds the outbox; without it they stay in the outbox. The AWS wiring emits
   * `onEventsDeadLettered` as the AlertEventsDeadLettered metric (alarmed).
   */
  readonly deadLetters?: DeadLetterStore;
  readonly onEventsDeadLettered?: (count: number) => void;
}

export interface TickReport {
  readonly rules: number;
  readonly seriesEvaluated: number;
  readonly events: number;
  readonly escalations: number;
  /** False when rules remain for the next tick. */
  readonly complete: boolean;
  /** Events from earlier failed publishes that this pass got onto the bus. */
  readonly outboxPublished: number;
}

/** Time-ordered alert ids: a reverse query lists the newest first. */
export const newAlertId = (nowMs: number): string =>
  `${alertIdTimePrefix(nowMs)}${randomBytes(8).toString('hex')}`;
const newId = () => randomBytes(16).toString('hex');

/** What one evaluation of a rule × series observed. */
interface Evaluation {
  readonly dimensions: Dimensions;
  readonly observation: Observation;
  readonly cause: AlertCause;
  readonly lastSeenAt: number;
}

/** The state an evaluation writes, and the transitions to record once that write wins. */
interface Plan {
  readonly evaluation: Evaluation;
  readonly next: StoredSeriesState;
  readonly transitions: readonly Transition[];
  readonly openedIds: readonly string[];
  readonly previousAlertId?: string | undefined;
}

interface RulePass {
  readonly now: number;
  readonly events: AlertBusEvent[];
  downtimes?: Downtime[];
  seriesEvaluated: number;
  baselineLoads: number;
}

export class AlertEngine {
  private readonly limits: EngineLimits;
  private cursor: string | undefined;
  private readonly ruleCache = new Map<string, { at: number; value: Promise<AlertRule[]> }>();
  private readonly routeCache = new Map<string, { at: number; value: Promise<AlertRoute[]> }>();
  private readonly baselines = new Map<string, { at: number; baseline: Baseline }>();
  private readonly locks = new Map<string, Promise<unknown>>();

  constructor(private readonly deps: EngineDeps) {
    this.limits = { ...DEFAULT_LIMITS, ...deps.limits };
  }

  /** One scheduled pass: a bounded page of rules, then due escalation stages. */
  async tick(): Promise<TickReport> {
    const outboxPublished = await this.drainOutbox();
    const now = this.deps.clock.now().getTime();
    const page = await this.deps.store.listEnabledRules({
      limit: this.limits.maxRulesPerTick,
      ...(this.cursor ? { cursor: this.cursor } : {}),
    });
    this.cursor = page.cursor;
    const pass: RulePass = { now, events: [], seriesEvaluated: 0, baselineLoads: 0 };
    const groups = new Map<string, AlertRule[]>();
    for (const rule of page.items) {
      if (!(await this.owns(rule.tenantId))) continue;
      // PromQL rules group by their expression (held in selector.metric), apart from metric rules;
      // a log rule is its own group (one count per rule).
      const key = isLogRule(rule)
        ? `log\u0000${rule.tenantId}\u0000${rule.ruleId}`
        : `${isExprRule(rule) ? 'expr' : 'metric'}\u0000${rule.tenantId}\u0000${rule.selector.metric}`;
      groups.set(key, [...(groups.get(key) ?? []), rule]);
    }
    for (const rules of groups.values()) {
      const first = rules[0] as AlertRule;
      const windowMs = Math.max(...rules.map((r) => r.windowSeconds)) * 1000;
      // One query per tenant × metric (or expression); each rule filters the answer in memory.
      const series = isExprRule(first)
        ? await this.evaluateExpr(first, now)
        : isLogRule(first)
          ? await this.countLogLines(first, now)
          : await this.deps.metrics.query(first.tenantId, {
              metric: first.selector.metric,
              fromMs: now - windowMs,
              toMs: now,
              aggregation: 'avg',
              filters: rules.length === 1 ? first.selector.filters : {},
            });
      // An expression the engine refused (a limit, the store): its rules hold their states this pass.
      if (!series) continue;
      const downtimes = await this.deps.store.listDowntimes(first.tenantId);
      for (const rule of rules) {
        pass.downtimes = downtimes;
        await this.withRuleLock(rule, () => this.evaluateRule(rule, series, pass, 'tick'));
        // The stores answer synchronously (SQLite) or fast: yield between rules so a long pass never
        // holds up ingest requests (and their on-ingest evaluation) in the same process.
        await new Promise<void>((resolve) => setImmediate(resolve));
      }
    }
    const ruleEvents = pass.events.length;
    await this.publish(pass.events);
    const escalations = await this.processEscalations(now);
    return {
      rules: page.items.length,
      seriesEvaluated: pass.seriesEvaluated,
      events: ruleEvents + escalations,
      escalations,
      complete: page.cursor === undefined,
      outboxPublished,
    };
  }

  /** Evaluation on ingest: the rules of this tenant that watch the series just written. */
  async onIngest(tenantId: string, samples: readonly Sample[]): Promise<void> {
    if (samples.length === 0) return;
    // PromQL and log rules are evaluated on the schedule only, as Prometheus evaluates its rule groups.
    const rules = (await this.rulesOf(tenantId)).filter((r) => r.enabled && !isExprRule(r) && !isLogRule(r));
    if (rules.length === 0) return;
    const now = this.deps.clock.now().getTime();
    // Group what was written by metric: one store query per metric, narrowed by the dimensions all
    // written series of that metric share (a native payload: its resource and datasource).
    const written = new Map<string, Map<string, Dimensions>>();
    for (const s of samples) {
      let series = written.get(s.metric);
      if (!series) {
        series = new Map();
        written.set(s.metric, series);
      }
      series.set(seriesKey(s.metric, s.dimensions), s.dimensions);
    }
    const rulesByMetric = new Map<string, AlertRule[]>();
    for (const r of rules)
      rulesByMetric.set(r.selector.metric, [...(rulesByMetric.get(r.selector.metric) ?? []), r]);
    const byRule = new Map<AlertRule, Series[]>();
    for (const [metric, series] of written) {
      const candidates = rulesByMetric.get(metric);
      if (!candidates) continue;
      const watched = [...series].filter(([, d]) =>
        candidates.some((r) => matchesFilters(d, r.selector.filters)),
      );
      if (watched.length === 0) continue;
      const windowMs = Math.max(...candidates.map((r) => r.windowSeconds)) * 1000;
      const found = await this.deps.metrics.query(tenantId, {
        metric,
        fromMs: now - windowMs,
        toMs: now,
        aggregation: 'avg',
        filters: commonDimensions(watched.map(([, d]) => d)),
      });
      const wanted = new Set(watched.map(([key]) => key));
      const exact = found.filter((s) => wanted.has(seriesKey(metric, s.dimensions)));
      for (const rule of candidates) {
        const matching = exact.filter((s) => matchesFilters(s.dimensions, rule.selector.filters));
        if (matching.length > 0) byRule.set(rule, matching);
      }
    }
    if (byRule.size === 0) return;
    const pass: RulePass = { now, events: [], seriesEvaluated: 0, baselineLoads: 0 };
    pass.downtimes = await this.deps.store.listDowntimes(tenantId);
    for (const [rule, series] of byRule)
      await this.withRuleLock(rule, () => this.evaluateRule(rule, series, pass, 'ingest'));
    await this.publish(pass.events);
    // A chain run that started just now is due now: send its first stage without waiting for the tick.
    if (startsChainRun(pass.events)) await this.processEscalations(now);
  }

  /**
   * The built-in tenant-limit alert (limit-rule.ts): the guard's usage of every limit, evaluated as
   * one series per limit, so a warning is deduplicated, notified through the tenant's chain, and
   * cleared like any alert.
   */
  async onLimitUsage(tenantId: string, usage: readonly LimitUsage[]): Promise<void> {
    if (usage.length === 0) return;
    const now = this.deps.clock.now().getTime();
    const chain = limitAlertChain(await this.deps.store.listChains(tenantId));
    await this.evaluateBuiltIn(tenantLimitsRule(tenantId, chain?.chainId), limitUsageSeries(usage, now));
  }

  /**
   * A built-in rule (tenant limits, collector down) over series the platform computed itself rather
   * than read from the metric store: one evaluation of each, with downtimes, routing, publishing and
   * the first escalation stage as for any rule.
   */
  async evaluateBuiltIn(rule: AlertRule, series: Series[]): Promise<void> {
    const now = this.deps.clock.now().getTime();
    const pass: RulePass = { now, events: [], seriesEvaluated: 0, baselineLoads: 0 };
    pass.downtimes = await this.deps.store.listDowntimes(rule.tenantId);
    await this.withRuleLock(rule, () => this.evaluateRule(rule, series, pass, 'ingest'));
    await this.publish(pass.events);
    if (startsChainRun(pass.events)) await this.processEscalations(now);
  }

  /** Whether this evaluator handles the tenant (its home region). */
  ownsTenant(tenantId: string): Promise<boolean> {
    return this.owns(tenantId);
  }

  /** Marks an open alert acknowledged: stops its escalation chain. Idempotent. */
  async acknowledge(tenantId: string, alertId: string, by: string): Promise<Alert> {
    const alert = await this.deps.store.getAlert(tenantId, alertId);
    if (!alert) throw new NotFoundError(`no alert ${alertId}`, 'alertId');
    if (alert.acknowledgedAt) return alert;
    if (alert.status !== 'open') throw new ConflictError('only an open alert can be acknowledged', 'alertId');
    const rule = await this.deps.store.getRule(tenantId, alert.ruleId);
    const now = this.deps.clock.now().getTime();
    return this.withLock(`${tenantId}\u0000${alert.ruleId}`, async () => {
      const transition: Transition = { type: 'acknowledged', at: now, severity: alert.severity };
      // Another evaluator may write the state between our read and write: re-read and re-apply.
      for (let attempt = 0; rule && attempt <= this.limits.maxStateConflictRetries; attempt++) {
        const states = await this.deps.store.getSeriesStates(tenantId, alert.ruleId);
        const stored = states.get(alert.seriesKey);
        if (!stored) break;
        const result = step(stored.state, { type: 'acknowledge', at: now }, machineConfig(rule));
        const refused = await this.deps.store.putSeriesStates(tenantId, alert.ruleId, [
          { ...stored, state: result.state },
        ]);
        if (refused.length === 0) break;
      }
      const updated: Alert = {
        ...alert,
        acknowledgedAt: new Date(now).toISOString(),
        acknowledgedBy: by,
        updatedAt: new Date(now).toISOString(),
        history: [...alert.history, transition],
      };
      await this.deps.store.putAlert(updated);
      await this.publish([stateChangedEvent(updated, transition)]);
      return updated;
    });
  }

  /** Sends every escalation stage that is due. Returns how many were sent. */
  async processEscalations(now: number): Promise<number> {
    const due = await this.deps.store.dueEscalations(now, this.limits.maxEscalationsPerTick);
    const queued: OutboxEntry[] = [];
    const chains = new Map<string, EscalationChain | undefined>();
    const downtimes = new Map<string, Downtime[]>();
    for (const alert of due) {
      const escalation = alert.escalation;
      if (!escalation || !(await this.owns(alert.tenantId))) continue;
      const chainKey = `${alert.tenantId}\u0000${escalation.chainId}`;
      if (!chains.has(chainKey))
        chains.set(chainKey, await this.deps.store.getChain(alert.tenantId, escalation.chainId));
      const chain = chains.get(chainKey);
      if (!chain) {
        await this.deps.store.advanceEscalation(
          { ...alert, escalation: { ...escalation, nextStage: escalation.stageCount } },
          alert,
        );
        continue;
      }
      if (!downtimes.has(alert.tenantId))
        downtimes.set(alert.tenantId, await this.deps.store.listDowntimes(alert.tenantId));
      // The resource's groups and collector as they are now (a downtime on either covers it, as at
      // opening): LogicMonitor's SDT silences an open alert's notifications too.
      const linked =
        alert.resourceId && this.deps.resources
          ? (await this.deps.resources.indexOf(alert.tenantId)).get(alert.resourceId)
          : undefined;
      const inDowntime = activeDowntime(
        downtimes.get(alert.tenantId) ?? [],
        downtimeTargetOf(alert.ruleId, resourceNamesOf(alert), alert.dimensions, linked),
        now,
      );
      if (inDowntime) {
        // Maintenance started after the alert opened: hold the chain until the window ends; the stage
        // that was due is sent then if the alert is still open and unacknowledged (LM notifies an
        // alert still active when its SDT ends), the later ones at the chain's interval after it.
        await this.deps.store.advanceEscalation(
          { ...alert, escalation: { ...escalation, nextAt: inDowntime.windowEndsAt } },
          alert,
        );
        continue;
      }
      const stage = dueStage(alert, chain, now);
      if (stage === undefined) continue;
      const notification = withEventId({
        detailType: DETAIL_TYPE.notificationRequested,
        detail: {
          ...alertSummaryOf(alert, true),
          kind: 'alert',
          chainId: chain.chainId,
          stage,
          ...(escalation.sequence === undefined ? {} : { sequence: escalation.sequence }),
          ...(escalation.escalatedFrom
            ? {
                previousSeverity: escalation.escalatedFrom.severity,
                ...(escalation.escalatedFrom.value === undefined
                  ? {}
                  : { previousValue: escalation.escalatedFrom.value }),
              }
            : {}),
          at: new Date(now).toISOString(),
        },
      });
      // The step is a conditional write on the alert as read: of evaluators racing (or acting on a
      // stale index read), one advances the stage and only that one sends its notification. The
      // notification enters the outbox in that same write: a crash right after it loses nothing (the
      // next pass's drain sends it).
      const advanced = await this.deps.store.advanceEscalation(
        { ...alert, escalation: afterStageNotified(escalation, stage, chain, now) },
        alert,
        { events: [notification], nowMs: now },
      );
      if (advanced) queued.push(...advanced);
    }
    await this.sendQueued(queued);
    return queued.length;
  }

  private async ownedOnly(entries: readonly OutboxEntry[]): Promise<OutboxEntry[]> {
    const owned = await Promise.all(entries.map((e) => this.owns(e.tenantId)));
    return entries.filter((_, i) => owned[i]);
  }

  /** Whether this evaluator evaluates and escalates the tenant: only its home region's does. */
  private owns(tenantId: string): Promise<boolean> {
    return this.deps.owns ? this.deps.owns(tenantId) : Promise.resolve(true);
  }

  /** Forget a tenant's cached rules and routes (the API calls this after a change). */
  invalidateRules(tenantId: string): void {
    this.ruleCache.delete(tenantId);
    this.routeCache.delete(tenantId);
  }

  private routesOf(tenantId: string): Promise<AlertRoute[]> {
    return this.cachedPerTenant(this.routeCache, tenantId, () => this.deps.store.listRoutes(tenantId));
  }

  /** A tenant's list, read at most once per `ruleCacheMs` (a failed read is not kept). */
  private cachedPerTenant<T>(
    cache: Map<string, { at: number; value: Promise<T> }>,
    tenantId: string,
    read: () => Promise<T>,
  ): Promise<T> {
    const now = Date.now();
    const cached = cache.get(tenantId);
    if (cached && now - cached.at < this.limits.ruleCacheMs) return cached.value;
    const value = read();
    cache.set(tenantId, { at: now, value });
    value.catch(() => cache.delete(tenantId));
    return value;
  }

  /** The API resource a series is linked to; an ambiguous link is left unlinked (and logged), never guessed. */
  private async linkOf(
    tenantId: string,
    dimensions: Dimensions,
    resourceValue: string | undefined,
  ): Promise<LinkedResource | undefined> {
    if (!this.deps.resources) return undefined;
    const link = (await this.deps.resources.indexOf(tenantId)).linkSeries(dimensions, resourceValue);
    if (link.kind === 'ambiguous')
      this.deps.log?.('series matches more than one resource; alert left unlinked', {
        tenantId,
        field: link.field,
        resourceIds: link.resourceIds,
      });
    return link.kind === 'linked' ? link.resource : undefined;
  }

  /** Where an alert of this severity goes now: the rule's own chain, else the first matching route. */
  private async routingFor(
    rule: AlertRule,
    alert: Pick<Alert, 'severity' | 'ruleId' | 'metric' | 'dimensions' | 'resource' | 'resourceId'>,
    linked?: LinkedResource,
  ): Promise<AlertRouting> {
    if (rule.escalationChainId) return routingOf(rule, [], alert);
    const routes = await this.routesOf(rule.tenantId);
    if (routes.length === 0) return { by: 'unrouted' };
    const resource =
      linked ??
      (alert.resourceId && this.deps.resources
        ? (await this.deps.resources.indexOf(rule.tenantId)).get(alert.resourceId)
        : undefined);
    return routingOf(rule, routes, { ...alert, linked: resource });
  }

  /** The chain an alert's notifications start on, if it is notified and routed to one that exists. */
  private async chainFor(tenantId: string, routing: AlertRouting, notifiable: boolean) {
    if (!notifiable || routing.by === 'unrouted') return undefined;
    return this.deps.store.getChain(tenantId, routing.chainId);
  }

  private rulesOf(tenantId: string): Promise<AlertRule[]> {
    return this.cachedPerTenant(this.ruleCache, tenantId, () => this.deps.store.listRules(tenantId));
  }

  /**
   * Evaluates one rule's series. State writes are conditional on the version read (another Lambda may
   * evaluate the same rule × series at the same time: on ingest and on schedule). Alert records and
   * events follow only a state write that won; a refused series is re-read and re-evaluated against
   * the winner's state (whose period bookkeeping makes the repeat neither lose nor duplicate a
   * transition), up to `maxStateConflictRetries` times.
   */
  private async evaluateRule(
    rule: AlertRule,
    series: readonly Series[],
    pass: RulePass,
    mode: 'tick' | 'ingest',
  ) {
    const { now } = pass;
    const windowStart = now - rule.windowSeconds * 1000;
    let states = await this.deps.store.getSeriesStates(rule.tenantId, rule.ruleId);
    /** What to evaluate per series key, given its current stored state. */
    const pending = new Map<string, (stored: StoredSeriesState | undefined) => Evaluation | undefined>();
    let count = 0;
    for (const s of series) {
      if (!matchesFilters(s.dimensions, rule.selector.filters)) continue;
      const key = keyOf(rule.selector.metric, s);
      if (pending.has(key)) continue;
      const values: number[] = [];
      let lastSeen = 0;
      for (const [t, v] of s.points) {
        if (t > lastSeen) lastSeen = t;
        if (t >= windowStart && t <= now) values.push(v);
      }
      if (values.length === 0) continue;
      if (++count > this.limits.maxSeriesPerRule) break;
      pass.seriesEvaluated++;
      const judged = judgeableValues(values, rule.aggregation);
      // Only NaN in the window (or +Inf and -Inf averaged): nothing to judge, the state holds.
      const value = judged.length > 0 ? aggregate(judged, rule.aggregation) : Number.NaN;
      // Static-only rules judge synchronously: no await per series on the hot path.
      const { severity, cause } = Number.isNaN(value)
        ? { severity: undefined, cause: 'threshold' as const }
        : isExprRule(rule)
          ? { severity: exprSeverity(rule, value), cause: 'threshold' as const }
          : rule.dynamic
            ? await this.judge(rule, key, s.dimensions, value, pass)
            : {
                severity: rule.threshold ? staticSeverity(value, rule.threshold) : undefined,
                cause: 'threshold' as const,
              };
      // ±Inf breaches or clears, but is not kept as the value: DynamoDB and JSON cannot hold it.
      const shown = Number.isFinite(value) ? { value } : {};
      const observation: Observation = Number.isNaN(value)
        ? { kind: 'undecided' }
        : severity
          ? { kind: 'breach', severity, ...shown }
          : { kind: 'ok', ...shown };
      pending.set(key, (stored) => ({
        dimensions: s.dimensions,
        observation,
        cause,
        lastSeenAt: Math.max(lastSeen, stored?.lastSeenAt ?? 0),
      }));
    }
    if (mode === 'tick' && (isExprRule(rule) || isLogRule(rule))) {
      // A series gone from the expression's result is healthy (Prometheus resolves its alert); so is
      // a log rule's group without matching lines in the window.
      const gone = (stored: StoredSeriesState | undefined): Evaluation | undefined =>
        stored && {
          dimensions: stored.dimensions,
          observation: { kind: 'ok' },
          cause: 'threshold',
          lastSeenAt: stored.lastSeenAt,
        };
      for (const key of states.keys()) if (!pending.has(key)) pending.set(key, gone);
    } else if (mode === 'tick') {
      const noData = (stored: StoredSeriesState | undefined): Evaluation | undefined => {
        if (!stored) return undefined;
        const silentFor = now - stored.lastSeenAt;
        return {
          dimensions: stored.dimensions,
          observation:
            rule.noData && silentFor >= rule.noData.afterSeconds * 1000
              ? { kind: 'breach', severity: rule.noData.severity }
              : { kind: 'no-data' },
          cause: 'no-data',
          lastSeenAt: stored.lastSeenAt,
        };
      };
      for (const key of states.keys()) if (!pending.has(key)) pending.set(key, noData);
    }
    for (let attempt = 0; pending.size > 0; attempt++) {
      const plans: Plan[] = [];
      for (const [key, evaluationOf] of pending) {
        const stored = states.get(key);
        const evaluation = evaluationOf(stored);
        if (!evaluation) continue;
        const plan = this.plan(rule, key, stored, evaluation, pass);
        if (worthStoring(rule, stored, plan.next)) plans.push(plan);
      }
      const refused = new Set(
        await this.deps.store.putSeriesStates(
          rule.tenantId,
          rule.ruleId,
          plans.map((p) => p.next),
        ),
      );
      for (const plan of plans)
        if (!refused.has(plan.next.seriesKey)) await this.recordPlan(rule, plan, pass);
      if (refused.size === 0) return;
      if (attempt >= this.limits.maxStateConflictRetries) {
        this.deps.log?.('gave up on series states that kept changing under this evaluation', {
          ruleId: rule.ruleId,
          series: refused.size,
        });
        return;
      }
      for (const key of pending.keys()) if (!refused.has(key)) pending.delete(key);
      states = await this.deps.store.getSeriesStates(rule.tenantId, rule.ruleId);
    }
  }

  /**
   * A PromQL rule's expression at `now`, as the rule's series; undefined (logged, with the limit it
   * hit) when it cannot be evaluated, so one rule's expensive expression never fails the pass.
   */
  private async evaluateExpr(rule: AlertRule & { expr: string }, now: number): Promise<Series[] | undefined> {
    if (!this.deps.expressions) {
      this.deps.log?.('no PromQL evaluator wired; PromQL rule skipped', { ruleId: rule.ruleId });
      return undefined;
    }
    try {
      return exprSeries(rule, await this.deps.expressions.instant(rule.tenantId, rule.expr, now), now);
    } catch (error) {
      this.deps.log?.('PromQL rule expression refused; its alerts hold their state', {
        tenantId: rule.tenantId,
        ruleId: rule.ruleId,
        ...(error instanceof Error && 'limit' in error ? { limit: error.limit } : {}),
        error: messageOf(error),
      });
      return undefined;
    }
  }

  /**
   * A log rule's counts per group at `now` (log-rule.ts), at most LOG_RULE_LIMITS.maxLines lines
   * read; undefined (logged) when there is no log store or it failed, so its alerts hold their state.
   * A count cut short by the bound leaves the groups it did not reach undecided (their state holds).
   */
  private async countLogLines(
    rule: AlertRule & { log: LogRuleSpec },
    now: number,
  ): Promise<Series[] | undefined> {
    if (!this.deps.logs) {
      this.deps.log?.('no log store wired; log rule skipped', { ruleId: rule.ruleId });
      return undefined;
    }
    try {
      const page = await this.deps.logs.search(rule.tenantId, {
        fromMs: now - rule.windowSeconds * 1000,
        toMs: now + 1,
        query: logRuleQuery(rule),
        limit: LOG_RULE_LIMITS.maxLines,
        maxScan: LOG_RULE_LIMITS.maxLines,
      });
      const counted = logRuleSeries(rule, page.records, page.nextCursor === undefined, now);
      if (counted.complete) return counted.series;
      this.deps.log?.('log rule reached its line bound; unreached groups hold their state', {
        tenantId: rule.tenantId,
        ruleId: rule.ruleId,
        limit: LOG_RULE_LIMITS.maxLines,
      });
      const seen = new Set(counted.series.map((s) => keyOf(rule.selector.metric, s)));
      const undecided: Series[] = [];
      for (const [key, state] of await this.deps.store.getSeriesStates(rule.tenantId, rule.ruleId))
        if (!seen.has(key))
          undecided.push({
            metric: rule.selector.metric,
            dimensions: state.dimensions,
            points: [[now, Number.NaN]],
          });
      return [...counted.series, ...undecided];
    } catch (error) {
      this.deps.log?.('log rule count failed; its alerts hold their state', {
        tenantId: rule.tenantId,
        ruleId: rule.ruleId,
        error: messageOf(error),
      });
      return undefined;
    }
  }

  private async judge(
    rule: AlertRule,
    key: string,
    dimensions: Dimensions,
    value: number,
    pass: RulePass,
  ): Promise<{ severity: Severity | undefined; cause: AlertCause }> {
    const fixed = rule.threshold ? staticSeverity(value, rule.threshold) : undefined;
    let learned: Severity | undefined;
    if (rule.dynamic) {
      const baseline = await this.baselineFor(rule, key, dimensions, pass);
      if (baseline) learned = dynamicSeverity(baseline, pass.now, value);
    }
    const severity = maxSeverity(fixed, learned);
    const cause: AlertCause =
      learned && severityRank(learned) > severityRank(fixed) ? 'dynamic' : 'threshold';
    return { severity, cause };
  }

  private async baselineFor(rule: AlertRule, key: string, dimensions: Dimensions, pass: RulePass) {
    const dynamic = rule.dynamic;
    if (!dynamic) return undefined;
    const cacheKey = `${rule.tenantId}\u0000${rule.ruleId}\u0000${key}`;
    const cached = this.baselines.get(cacheKey);
    if (cached && pass.now - cached.at < this.limits.baselineTtlMs) return cached.baseline;
    if (pass.baselineLoads >= this.limits.maxBaselineLoadsPerTick) return cached?.baseline;
    pass.baselineLoads++;
    const history = await this.deps.metrics.query(rule.tenantId, {
      metric: rule.selector.metric,
      fromMs: pass.now - historyMs(dynamic),
      // Leave out the window being judged, so an ongoing anomaly does not teach the baseline.
      toMs: pass.now - rule.windowSeconds * 1000,
      stepSeconds: 300,
      aggregation: 'avg',
      filters: dimensions,
    });
    const points = history.find((s) => seriesKey(rule.selector.metric, s.dimensions) === key)?.points ?? [];
    const baseline = learnBaseline(points, dynamic);
    if (this.baselines.size > 100_000) this.baselines.delete(this.baselines.keys().next().value as string);
    this.baselines.set(cacheKey, { at: pass.now, baseline });
    return baseline;
  }

  /** One evaluation of one rule × series through the state machine: the state to write, no side effects. */
  private plan(
    rule: AlertRule,
    key: string,
    stored: StoredSeriesState | undefined,
    evaluation: Evaluation,
    pass: RulePass,
  ): Plan {
    const { dimensions, observation, lastSeenAt } = evaluation;
    const period = Math.floor(pass.now / this.limits.evaluationPeriodMs);
    const samePeriod = stored?.period === period && stored.periodBase !== undefined;
    if (samePeriod && stored.periodTransition)
      return { evaluation, transitions: [], openedIds: [], next: { ...stored, lastSeenAt } };
    const base: SeriesAlertState = samePeriod
      ? (stored.periodBase as SeriesAlertState)
      : (stored?.state ?? INITIAL_STATE);
    const result = step(base, { type: 'evaluate', at: pass.now, observation }, configOf(rule));
    let openAlertId = stored?.openAlertId;
    const openedIds: string[] = [];
    for (const t of result.transitions) {
      if (t.type === 'opened') {
        openAlertId = newAlertId(pass.now);
        openedIds.push(openAlertId);
      } else if (t.type === 'cleared') openAlertId = undefined;
    }
    return {
      evaluation,
      transitions: result.transitions,
      openedIds,
      previousAlertId: stored?.openAlertId,
      next: {
        seriesKey: key,
        metric: rule.selector.metric,
        dimensions,
        state: result.state,
        periodBase: base,
        period,
        periodTransition: result.transitions.length > 0,
        ...(openAlertId ? { openAlertId } : {}),
        lastSeenAt,
        ...(stored?.version === undefined ? {} : { version: stored.version }),
      },
    };
  }

  /** After the state write won: the alert records and events of the plan's transitions. */
  private async recordPlan(rule: AlertRule, plan: Plan, pass: RulePass) {
    const { dimensions, observation, cause } = plan.evaluation;
    let openAlertId = plan.previousAlertId;
    let opened = 0;
    for (const t of plan.transitions) {
      const id = t.type === 'opened' ? plan.openedIds[opened++] : undefined;
      openAlertId = await this.record(
        rule,
        plan.next.seriesKey,
        dimensions,
        id ?? openAlertId,
        t,
        observation,
        cause,
        pass,
      );
    }
  }

  /** Writes the alert record for a transition and queues its events; returns the open alert id. */
  private async record(
    rule: AlertRule,
    key: string,
    dimensions: Dimensions,
    openAlertId: string | undefined,
    transition: Transition,
    observation: Observation,
    cause: AlertCause,
    pass: RulePass,
  ): Promise<string | undefined> {
    const { store } = this.deps;
    const nowIso = new Date(pass.now).toISOString();
    const value = observation.kind === 'breach' || observation.kind === 'ok' ? observation.value : undefined;
    if (transition.type === 'opened') {
      // The id was chosen with the state write that claimed this transition.
      const alertId = openAlertId ?? newAlertId(pass.now);
      const resource = resourceOf(rule, dimensions);
      const linked = await this.linkOf(rule.tenantId, dimensions, resource);
      const resourceFields = {
        ...(resource ? { resource } : {}),
        ...(linked ? { resourceId: linked.resourceId, resourceName: linked.name } : {}),
      };
      const downtime = activeDowntime(
        pass.downtimes ?? [],
        downtimeTargetOf(rule.ruleId, resourceNamesOf(resourceFields), dimensions, linked),
        pass.now,
      );
      // Correlation keys on the linked resource's id (dependencies are declared between API
      // resources), else on the series' resource value.
      const correlationKey = resourceKeyOf(resourceFields);
      let dependentOn: string | undefined;
      let incidentId: string | undefined;
      if (correlationKey) {
        const dependencies = await this.deps.topology.dependenciesOf(rule.tenantId, correlationKey);
        if (dependencies.length > 0)
          dependentOn = explainingAlert(
            dependencies,
            await store.openAlertsOnResources(rule.tenantId, dependencies),
          )?.alertId;
        const incident = joinIncident(
          await store.latestIncident(rule.tenantId, correlationKey),
          { tenantId: rule.tenantId, alertId, openedAt: nowIso, resource: correlationKey },
          newId,
        );
        await store.putIncident(incident);
        incidentId = incident.incidentId;
      }
      const routed = {
        severity: transition.severity,
        ruleId: rule.ruleId,
        metric: rule.selector.metric,
        dimensions,
        ...resourceFields,
      };
      const routing = await this.routingFor(rule, routed, linked);
      const chain = await this.chainFor(rule.tenantId, routing, !downtime && !dependentOn);
      const alert: Alert = {
        tenantId: rule.tenantId,
        alertId,
        ruleId: rule.ruleId,
        ruleName: rule.name,
        seriesKey: key,
        metric: rule.selector.metric,
        dimensions,
        ...resourceFields,
        cause,
        status: 'open',
        severity: transition.severity,
        ...(value === undefined ? {} : { value }),
        openedAt: nowIso,
        updatedAt: nowIso,
        ...(incidentId ? { incidentId } : {}),
        ...(dependentOn ? { dependentOn } : {}),
        ...(downtime ? { suppressedBy: downtime.downtimeId } : {}),
        routing,
        ...(chain ? { escalation: startEscalation(chain, pass.now) } : {}),
        history: [transition],
      };
      await store.putAlert(alert);
      pass.events.push(stateChangedEvent(alert, transition));
      return alertId;
    }
    const alert = openAlertId ? await store.getAlert(rule.tenantId, openAlertId) : undefined;
    if (!alert) {
      this.deps.log?.('transition for an alert that is not on record', {
        ruleId: rule.ruleId,
        transition: transition.type,
      });
      return transition.type === 'cleared' ? undefined : openAlertId;
    }
    if (transition.type === 'cleared') {
      const cleared: Alert = {
        ...alert,
        status: 'cleared',
        clearedAt: nowIso,
        updatedAt: nowIso,
        ...(value === undefined ? {} : { value }),
        history: [...alert.history, transition],
      };
      await store.putAlert(cleared);
      pass.events.push(stateChangedEvent(cleared, transition));
      // Everyone who heard of it hears of the clear: this chain run's and earlier runs' recipients.
      for (const notified of notifiedChains(alert))
        pass.events.push({
          detailType: DETAIL_TYPE.notificationRequested,
          detail: {
            ...alertSummaryOf(cleared, true),
            kind: 'clear',
            ...notified,
            sequence: alert.history.length,
            at: nowIso,
          },
        });
      return undefined;
    }
    if (transition.type === 'escalated') {
      await this.escalate(rule, alert, transition, value, pass);
      return openAlertId;
    }
    if (transition.type === 'deescalated') {
      const changed: Alert = {
        ...alert,
        severity: transition.severity,
        updatedAt: nowIso,
        ...(value === undefined ? {} : { value }),
        history: [...alert.history, transition],
      };
      await store.putAlert(changed);
      pass.events.push(stateChangedEvent(changed, transition));
      // The chain run goes on; its recipients hear of the improvement only where the chain asks.
      if (isNotifiable(alert))
        for (const notified of notifiedChains(alert)) {
          const chain = await store.getChain(rule.tenantId, notified.chainId);
          if (!chain?.notifyOnDeescalation) continue;
          pass.events.push({
            detailType: DETAIL_TYPE.notificationRequested,
            detail: {
              ...alertSummaryOf(changed, true),
              kind: 'deescalated',
              ...notified,
              sequence: alert.history.length,
              previousSeverity: transition.from,
              ...(alert.value === undefined ? {} : { previousValue: alert.value }),
              at: nowIso,
            },
          });
        }
    }
    return openAlertId;
  }

  /**
   * An escalation to a worse severity is routed as a new alert of that severity would be, and starts
   * that route's chain from its first stage (processEscalations sends it), saying what it escalated
   * from. The acknowledgement is dropped (a worse problem needs a fresh look); the recipients the
   * replaced run notified are kept for the clear.
   */
  private async escalate(
    rule: AlertRule,
    alert: Alert,
    transition: Extract<Transition, { from: Severity }>,
    value: number | undefined,
    pass: RulePass,
  ) {
    const { acknowledgedAt: _a, acknowledgedBy: _b, escalation, earlierEscalations, ...rest } = alert;
    const routing = await this.routingFor(rule, { ...alert, severity: transition.severity });
    const chain = await this.chainFor(rule.tenantId, routing, isNotifiable(alert));
    const earlier: EarlierEscalation[] = [...(earlierEscalations ?? [])];
    if (escalation && escalation.notifiedStages.length > 0)
      earlier.push({ chainId: escalation.chainId, notifiedStages: escalation.notifiedStages });
    const sequence = alert.history.length;
    const changed: Alert = {
      ...rest,
      severity: transition.severity,
      updatedAt: new Date(pass.now).toISOString(),
      ...(value === undefined ? {} : { value }),
      routing,
      ...(earlier.length > 0 ? { earlierEscalations: earlier } : {}),
      ...(chain
        ? {
            escalation: startEscalation(chain, pass.now, {
              sequence,
              escalatedFrom: {
                severity: transition.from,
                ...(alert.value === undefined ? {} : { value: alert.value }),
              },
            }),
          }
        : {}),
      history: [...alert.history, transition],
    };
    await this.deps.store.putAlert(changed);
    pass.events.push(stateChangedEvent(changed, transition));
  }

  /**
   * Publishes events that older passes left in the outbox: oldest first, at most
   * `maxOutboxEventsPerTick`. Each event is settled on its own (`settle`): a poison event is
   * dead-lettered and the drain goes on with the later ones, of every tenant. It stops when the bus
   * fails outright or refuses a whole batch for now (the rest wait for the next pass). Never throws:
   * the evaluation that follows matters more. Returns how many were published.
   *
   * The outbox is in the global table: only the events of tenants homed in this region are drained
   * here (`owns`), so two regions never both publish one tenant's event; the others wait for their
   * home region's pass (after a failover, the new home's).
   */
  async drainOutbox(): Promise<number> {
    let published = 0;
    let kept = 0;
    let pending: OutboxEntry[];
    try {
      pending = await this.ownedOnly(await this.deps.store.pendingEvents(this.limits.maxOutboxEventsPerTick));
    } catch (error) {
      this.deps.log?.('could not read the alert event outbox', { error: messageOf(error) });
      return 0;
    }
    for (let i = 0; i < pending.length; i += DRAIN_BATCH) {
      const batch = pending.slice(i, i + DRAIN_BATCH);
      let outcomes: PublishOutcome[];
      try {
        outcomes = await this.deps.bus.publish(batch.map((e) => e.event));
      } catch (error) {
        this.deps.log?.('alert event bus still failing; outbox events wait for the next pass', {
          pending: kept + pending.length - i,
          error: messageOf(error),
        });
        this.deps.onEventsPending?.(kept + pending.length - i);
        return published;
      }
      const settled = await this.settle(batch, outcomes);
      published += settled.accepted;
      kept += settled.kept;
      if (settled.kept === batch.length) {
        this.deps.log?.('alert event bus refuses events for now; outbox events wait for the next pass', {
          pending: kept + pending.length - i - batch.length,
          error: firstError(outcomes),
        });
        this.deps.onEventsPending?.(kept + pending.length - i - batch.length);
        return published;
      }
    }
    if (published > 0) this.deps.log?.('published alert events from the outbox', { events: published });
    this.deps.onEventsPending?.(kept);
    return published;
  }

  /** Outbox first, then the bus: a bus failure leaves the events queued and does not fail the caller. */
  private async publish(events: AlertBusEvent[]) {
    if (events.length === 0) return;
    const identified = events.map(withEventId);
    let entries: OutboxEntry[];
    try {
      entries = await this.deps.store.enqueueEvents(identified, this.deps.clock.now().getTime());
    } catch (error) {
      // Without the outbox the bus is the only chance: publish directly and let a failure surface.
      this.deps.log?.('could not enqueue alert events; publishing without the outbox', {
        events: identified.length,
        error: messageOf(error),
      });
      await this.publishWithoutOutbox(identified);
      return;
    }
    await this.sendQueued(entries);
  }

  /** The bus for events already in the outbox: what it accepts leaves the outbox, the rest waits. */
  private async sendQueued(entries: readonly OutboxEntry[]) {
    if (entries.length === 0) return;
    let outcomes: PublishOutcome[];
    try {
      outcomes = await this.deps.bus.publish(entries.map((e) => e.event));
    } catch (error) {
      this.deps.log?.('alert event bus failed; events kept in the outbox for the next pass', {
        events: entries.length,
        error: messageOf(error),
      });
      this.deps.onEventsPending?.(entries.length);
      return;
    }
    const { kept } = await this.settle(entries, outcomes);
    if (kept > 0) {
      this.deps.log?.('alert event bus refused events for now; kept in the outbox for the next pass', {
        events: kept,
        error: firstError(outcomes),
      });
      this.deps.onEventsPending?.(kept);
    }
  }

  /**
   * Applies the bus's answer per outbox entry: accepted ones leave the outbox; permanently refused
   * ones are dead-lettered, then leave it (kept when there is no dead-letter store or it fails, so
   * nothing is lost); ones refused for now stay.
   */
  private async settle(entries: readonly OutboxEntry[], outcomes: readonly PublishOutcome[]) {
    const done: OutboxEntry[] = [];
    const poison: { entry: OutboxEntry; error: string }[] = [];
    entries.forEach((entry, i) => {
      const outcome = outcomes[i] ?? { status: 'retryable', error: 'no outcome' };
      if (outcome.status === 'accepted') done.push(entry);
      else if (outcome.status === 'permanent') poison.push({ entry, error: outcome.error });
    });
    const accepted = done.length;
    if (
      poison.length > 0 &&
      (await this.deadLetter(poison.map((p) => ({ event: p.entry.event, error: p.error }))))
    )
      done.push(...poison.map((p) => p.entry));
    if (done.length > 0) await this.removePublished(done);
    return { accepted, kept: entries.length - done.length };
  }

  /** The bus without the outbox: dead-letters poison events, throws when any other is not accepted. */
  private async publishWithoutOutbox(events: readonly AlertBusEvent[]) {
    const outcomes = await this.deps.bus.publish(events);
    const poison = events.flatMap((event, i) => {
      const outcome = outcomes[i];
      return outcome?.status === 'permanent' ? [{ event, error: outcome.error }] : [];
    });
    const stored = poison.length === 0 || (await this.deadLetter(poison));
    const refused = outcomes.filter((o) => o.status === 'retryable' || (o.status === 'permanent' && !stored));
    if (refused.length > 0)
      throw new Error(`the alert bus refused ${refused.length} event(s): ${firstError(refused)}`);
  }

  /** Sets poison events aside for an operator; false when they could not be stored (keep them). */
  private async deadLetter(poison: readonly { event: AlertBusEvent; error: string }[]): Promise<boolean> {
    const fields = {
      events: poison.length,
      eventIds: poison.map((p) => p.event.detail.eventId),
      error: poison[0]?.error,
    };
    if (!this.deps.deadLetters) {
      this.deps.log?.('alert bus refused events for good and no dead-letter store is set: kept', fields);
      return false;
    }
    const atMs = this.deps.clock.now().getTime();
    try {
      await this.deps.deadLetters.put(
        poison.map((p) => ({
          source: 'alert-event' as const,
          tenantId: p.event.detail.tenantId,
          reason: p.error,
          payload: p.event,
          atMs,
        })),
      );
    } catch (error) {
      this.deps.log?.('could not dead-letter refused alert events; kept in the outbox', {
        ...fields,
        storeError: messageOf(error),
      });
      return false;
    }
    this.deps.log?.('alert bus refused events for good; dead-lettered', fields);
    this.deps.onEventsDeadLettered?.(poison.length);
    return true;
  }

  /** A removal that fails only means the events are published again later (consumers dedupe by id). */
  private async removePublished(entries: readonly OutboxEntry[]) {
    try {
      await this.deps.store.removeEvents(entries);
    } catch (error) {
      this.deps.log?.('could not remove published alert events from the outbox', {
        events: entries.length,
        error: messageOf(error),
      });
    }
  }

  private withRuleLock<T>(rule: AlertRule, work: () => Promise<T>): Promise<T> {
    return this.withLock(`${rule.tenantId}\u0000${rule.ruleId}`, work);
  }

  /** Serialises work on one rule within this process (a tick and an ingest must not interleave). */
  private async withLock<T>(key: string, work: () => Promise<T>): Promise<T> {
    const previous = this.locks.get(key) ?? Promise.resolve();
    const run = previous.catch(() => undefined).then(work);
    this.locks.set(key, run);
    try {
      return await run;
    } finally {
      if (this.locks.get(key) === run) this.locks.delete(key);
    }
  }
}

/**
 * Whether a state must be written. A healthy series whose state did not change materially (the usual
 * case: ok, no streak) is not rewritten every evaluation; re-evaluating it from the stored state gives
 * the same result. Rules with no-data alerting keep `lastSeenAt` fresh to within a quarter of their
 * silence threshold, so no-data is never raised early for lack of a write.
 */
export function worthStoring(
  rule: AlertRule,
  stored: StoredSeriesState | undefined,
  next: StoredSeriesState,
): boolean {
  const a = stored?.state ?? INITIAL_STATE;
  const b = next.state;
  const material =
    a.phase !== b.phase ||
    a.severity !== b.severity ||
    a.breachStreak !== b.breachStreak ||
    a.clearStreak !== b.clearStreak ||
    a.acknowledged !== b.acknowledged ||
    a.transitions.length !== b.transitions.length ||
    a.transitions.at(-1) !== b.transitions.at(-1) ||
    stored?.openAlertId !== next.openAlertId ||
    (stored?.periodTransition === true && stored.period === next.period);
  if (material) return true;
  if (!rule.noData) return false;
  return !stored || next.lastSeenAt - stored.lastSeenAt >= (rule.noData.afterSeconds * 1000) / 4;
}

const configs = new WeakMap<AlertRule, StateMachineConfig>();
const configOf = (rule: AlertRule): StateMachineConfig => {
  let config = configs.get(rule);
  if (!config) {
    config = machineConfig(rule);
    configs.set(rule, config);
  }
  return config;
};

const seriesKeys = new WeakMap<Series, string>();
/** The series key, computed once per series object (many rules look at the same series in a pass). */
function keyOf(metric: string, series: Series): string {
  let key = seriesKeys.get(series);
  if (key === undefined) {
    key = seriesKey(metric, series.dimensions);
    seriesKeys.set(series, key);
  }
  return key;
}

/** The dimension pairs every one of the given sets has. */
export function commonDimensions(sets: readonly Dimensions[]): Record<string, string> {
  const [first, ...rest] = sets;
  const common: Record<string, string> = {};
  for (const [name, value] of Object.entries(first ?? {}))
    if (rest.every((d) => d[name] === value)) common[name] = value;
  return common;
}

export function machineConfig(rule: AlertRule): StateMachineConfig {
  return {
    triggerInterval: rule.triggerInterval,
    clearInterval: rule.clearInterval,
    ...(rule.flap ? { flap: rule.flap } : {}),
  };
}

/** Whether a transition among the events starts a chain run (an opening or an escalation). */
const startsChainRun = (events: readonly AlertBusEvent[]): boolean =>
  events.some(
    (e) =>
      e.detailType === DETAIL_TYPE.stateChanged &&
      ((e.detail as AlertStateChangedDetail).transition === 'opened' ||
        (e.detail as AlertStateChangedDetail).transition === 'escalated'),
  );

const messageOf = (error: unknown) => (error instanceof Error ? error.message : String(error));

function stateChangedEvent(alert: Alert, transition: Transition): AlertBusEvent {
  return {
    detailType: DETAIL_TYPE.stateChanged,
    detail: {
      ...alertSummaryOf(alert, isNotifiable(alert)),
      transition: transition.type,
      ...('from' in transition ? { previousSeverity: transition.from } : {}),
      at: new Date(transition.at).toISOString(),
    },
  };
}
const firstError = (outcomes: readonly PublishOutcome[]) =>
  outcomes.flatMap((o) => (o.status === 'accepted' ? [] : [o.error]))[0];
