/**
 * The alert state machine of one rule × series: pure, deterministic, no clock of its own.
 *
 *   ok ──(triggerInterval consecutive breaches)──▶ open(severity) ──(clearInterval consecutive oks)──▶ ok
 *                                                  │  ▲ severity follows the latest breach: escalated /
 *                                                  └──┘ de-escalated; acknowledge marks it seen
 *
 * - Dedup: the state *is* the one alert of its rule × series, so a second `opened` cannot happen
 *   before a `cleared`.
 * - Escalation to a worse severity drops the acknowledgement (a worse problem needs a fresh look);
 *   de-escalation keeps it.
 * - Flap suppression: open/clear transitions are remembered for `flap.windowMs`; once there are
 *   `flap.maxTransitions` of them the series is flapping and a clear needs `clearMultiplier` times the
 *   clear interval, so a flapping series stays one open alert instead of a storm of open/clear pairs.
 * - No data, and data no threshold can judge (NaN), hold the state as it is (the evaluator turns no data into a breach when a rule asks for
 *   no-data alerting).
 */
import { type Severity, severityRank } from './thresholds';

export type Observation =
  | { readonly kind: 'breach'; readonly severity: Severity; readonly value?: number }
  | { readonly kind: 'ok'; readonly value?: number }
  | { readonly kind: 'no-data' }
  /** Data no threshold can judge (NaN): holds the state like no data, though the series is not silent. */
  | { readonly kind: 'undecided' };

export type StateInput =
  | { readonly type: 'evaluate'; readonly at: number; readonly observation: Observation }
  | { readonly type: 'acknowledge'; readonly at: number };

export interface FlapConfig {
  readonly windowMs: number;
  readonly maxTransitions: number;
  readonly clearMultiplier: number;
}

export interface StateMachineConfig {
  /** Consecutive breaching evaluations before an alert opens (≥ 1). */
  readonly triggerInterval: number;
  /** Consecutive non-breaching evaluations before it clears (≥ 1). */
  readonly clearInterval: number;
  readonly flap?: FlapConfig;
}

export const DEFAULT_FLAP: FlapConfig = { windowMs: 3_600_000, maxTransitions: 4, clearMultiplier: 3 };

export interface SeriesAlertState {
  readonly phase: 'ok' | 'open';
  /** Set while open. */
  readonly severity?: Severity;
  readonly breachStreak: number;
  readonly clearStreak: number;
  readonly openedAt?: number;
  readonly acknowledged: boolean;
  /** Times of recent open/clear transitions (within the flap window). */
  readonly transitions: readonly number[];
  readonly lastValue?: number;
  readonly lastEvaluatedAt?: number;
}

export const INITIAL_STATE: SeriesAlertState = {
  phase: 'ok',
  breachStreak: 0,
  clearStreak: 0,
  acknowledged: false,
  transitions: [],
};

export type Transition =
  | { readonly type: 'opened'; readonly at: number; readonly severity: Severity }
  | {
      readonly type: 'escalated' | 'deescalated';
      readonly at: number;
      readonly from: Severity;
      readonly severity: Severity;
    }
  | { readonly type: 'cleared'; readonly at: number; readonly severity: Severity }
  | { readonly type: 'acknowledged'; readonly at: number; readonly severity: Severity };

export interface StepResult {
  readonly state: SeriesAlertState;
  readonly transitions: readonly Transition[];
}

export const isFlapping = (state: SeriesAlertState, at: number, flap: FlapConfig = DEFAULT_FLAP): boolean =>
  state.transitions.filter((t) => t > at - flap.windowMs).length >= flap.maxTransitions;

export function step(state: SeriesAlertState, input: StateInput, config: StateMachineConfig): StepResult {
  const flap = config.flap ?? DEFAULT_FLAP;
  const at = input.at;
  if (input.type === 'acknowledge') {
    if (state.phase !== 'open' || state.acknowledged) return { state, transitions: [] };
    return {
      state: { ...state, acknowledged: true },
      transitions: [{ type: 'acknowledged', at, severity: state.severity as Severity }],
    };
  }
  const { observation } = input;
  if (observation.kind === 'no-data' || observation.kind === 'undecided')
    return { state: { ...state, lastEvaluatedAt: at }, transitions: [] };
  const recent = state.transitions.filter((t) => t > at - flap.windowMs);
  const base = {
    ...state,
    transitions: recent,
    lastEvaluatedAt: at,
    ...(observation.value === undefined ? {} : { lastValue: observation.value }),
  };

  if (state.phase === 'ok') {
    if (observation.kind === 'ok')
      return { state: { ...base, breachStreak: 0, clearStreak: 0 }, transitions: [] };
    const breachStreak = state.breachStreak + 1;
    if (breachStreak < Math.max(1, config.triggerInterval))
      return { state: { ...base, breachStreak }, transitions: [] };
    return {
      state: {
        ...base,
        phase: 'open',
        severity: observation.severity,
        breachStreak,
        clearStreak: 0,
        openedAt: at,
        acknowledged: false,
        transitions: [...recent, at],
      },
      transitions: [{ type: 'opened', at, severity: observation.severity }],
    };
  }

  const current = state.severity as Severity;
  if (observation.kind === 'breach') {
    const next = observation.severity;
    const rankChange = severityRank(next) - severityRank(current);
    if (rankChange === 0)
      return { state: { ...base, breachStreak: state.breachStreak + 1, clearStreak: 0 }, transitions: [] };
    return {
      state: {
        ...base,
        severity: next,
        breachStreak: state.breachStreak + 1,
        clearStreak: 0,
        acknowledged: rankChange > 0 ? false : state.acknowledged,
      },
      transitions: [
        { type: rankChange > 0 ? 'escalated' : 'deescalated', at, from: current, severity: next },
      ],
    };
  }
  const clearStreak = state.clearStreak + 1;
  const needed =
    Math.max(1, config.clearInterval) * (recent.length >= flap.maxTransitions ? flap.clearMultiplier : 1);
  if (clearStreak < needed) return { state: { ...base, clearStreak }, transitions: [] };
  return {
    state: {
      phase: 'ok',
      breachStreak: 0,
      clearStreak: 0,
      acknowledged: false,
      transitions: [...recent, at],
      lastEvaluatedAt: at,
      ...(observation.value === undefined ? {} : { lastValue: observation.value }),
    },
    transitions: [{ type: 'cleared', at, severity: current }],
  };
}
