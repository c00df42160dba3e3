import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  INITIAL_STATE,
  type Observation,
  type SeriesAlertState,
  type StateInput,
  type StateMachineConfig,
  step,
  type Transition,
} from '#domain/alerting/state-machine';
import { SEVERITIES, severityRank } from '#domain/alerting/thresholds';

const observation: fc.Arbitrary<Observation> = fc.oneof(
  fc.constantFrom(...SEVERITIES).map((severity) => ({ kind: 'breach' as const, severity })),
  fc.constant({ kind: 'ok' as const }),
  fc.constant({ kind: 'no-data' as const }),
);
const input = fc.oneof(
  { weight: 9, arbitrary: observation.map((o) => ({ type: 'evaluate' as const, observation: o })) },
  { weight: 1, arbitrary: fc.constant({ type: 'acknowledge' as const }) },
);
const config: fc.Arbitrary<StateMachineConfig> = fc.record({
  triggerInterval: fc.integer({ min: 1, max: 4 }),
  clearInterval: fc.integer({ min: 1, max: 4 }),
  flap: fc.record({
    windowMs: fc.integer({ min: 5, max: 40 }).map((n) => n * 60_000),
    maxTransitions: fc.integer({ min: 2, max: 6 }),
    clearMultiplier: fc.integer({ min: 1, max: 4 }),
  }),
});

interface Run {
  inputs: StateInput[];
  states: SeriesAlertState[];
  transitions: Transition[][];
}

/** Runs inputs one minute apart from the initial state. */
function run(
  cfg: StateMachineConfig,
  raw: ({ type: 'acknowledge' } | { type: 'evaluate'; observation: Observation })[],
): Run {
  let state = INITIAL_STATE;
  const r: Run = { inputs: [], states: [], transitions: [] };
  raw.forEach((x, i) => {
    const inputAt = { ...x, at: i * 60_000 } as StateInput;
    const result = step(state, inputAt, cfg);
    state = result.state;
    r.inputs.push(inputAt);
    r.states.push(state);
    r.transitions.push([...result.transitions]);
  });
  return r;
}

const property = (check: (cfg: StateMachineConfig, r: Run) => void) =>
  fc.assert(
    fc.property(config, fc.array(input, { maxLength: 120 }), (cfg, raw) => check(cfg, run(cfg, raw))),
    { numRuns: 300 },
  );

describe('alert state machine invariants', () => {
  it('dedups: opened and cleared alternate, starting with opened (one open alert per rule × series)', () => {
    property((_, r) => {
      let open = false;
      for (const t of r.transitions.flat()) {
        if (t.type === 'opened') {
          expect(open).toBe(false);
          open = true;
        } else if (t.type === 'cleared') {
          expect(open).toBe(true);
          open = false;
        } else expect(open).toBe(true);
      }
      expect(r.states.at(-1)?.phase ?? 'ok').toBe(open ? 'open' : 'ok');
    });
  });

  it('opens only after triggerInterval consecutive breaches (no-data neither counts nor resets)', () => {
    property((cfg, r) => {
      r.transitions.forEach((ts, i) => {
        if (!ts.some((t) => t.type === 'opened')) return;
        const evaluated = r.inputs
          .slice(0, i + 1)
          .filter((x) => x.type === 'evaluate' && x.observation.kind !== 'no-data')
          .slice(-cfg.triggerInterval);
        expect(evaluated).toHaveLength(cfg.triggerInterval);
        for (const x of evaluated) expect(x.type === 'evaluate' && x.observation.kind).toBe('breach');
      });
    });
  });

  it('clears only after clearInterval consecutive oks, and clearMultiplier times that while flapping', () => {
    property((cfg, r) => {
      r.transitions.forEach((ts, i) => {
        if (!ts.some((t) => t.type === 'cleared')) return;
        const at = r.inputs[i]!.at;
        const before = i === 0 ? INITIAL_STATE : r.states[i - 1]!;
        const flapping =
          before.transitions.filter((t) => t > at - cfg.flap!.windowMs).length >= cfg.flap!.maxTransitions;
        const needed = cfg.clearInterval * (flapping ? cfg.flap!.clearMultiplier : 1);
        const evaluated = r.inputs
          .slice(0, i + 1)
          .filter((x) => x.type === 'evaluate' && x.observation.kind !== 'no-data')
          .slice(-needed);
        expect(evaluated).toHaveLength(needed);
        for (const x of evaluated) expect(x.type === 'evaluate' && x.observation.kind).toBe('ok');
      });
    });
  });

  it('open alerts carry the severity of the latest breach; escalations go up, de-escalations down', () => {
    property((_, r) => {
      r.transitions.forEach((ts, i) => {
        const x = r.inputs[i]!;
        for (const t of ts) {
          if (t.type === 'escalated') expect(severityRank(t.severity)).toBeGreaterThan(severityRank(t.from));
          if (t.type === 'deescalated') expect(severityRank(t.severity)).toBeLessThan(severityRank(t.from));
        }
        const s = r.states[i]!;
        if (s.phase === 'open' && x.type === 'evaluate' && x.observation.kind === 'breach')
          expect(s.severity).toBe(x.observation.severity);
        if (s.phase === 'ok') expect(s.severity).toBeUndefined();
      });
    });
  });

  it('acknowledges only an open, unacknowledged alert; escalation and clear reset the acknowledgement', () => {
    property((_, r) => {
      r.transitions.forEach((ts, i) => {
        const before = i === 0 ? INITIAL_STATE : r.states[i - 1]!;
        const after = r.states[i]!;
        for (const t of ts) {
          if (t.type === 'acknowledged') {
            expect(before.phase).toBe('open');
            expect(before.acknowledged).toBe(false);
          }
          if (t.type === 'escalated' || t.type === 'cleared') expect(after.acknowledged).toBe(false);
        }
        if (after.phase === 'ok') expect(after.acknowledged).toBe(false);
        if (r.inputs[i]!.type === 'acknowledge' && ts.length === 0) expect(after).toBe(before);
      });
    });
  });

  it('is pure: the same inputs give the same states and transitions', () => {
    fc.assert(
      fc.property(config, fc.array(input, { maxLength: 60 }), (cfg, raw) => {
        expect(run(cfg, raw)).toEqual(run(cfg, raw));
      }),
      { numRuns: 100 },
    );
  });

  it('flap suppression bounds a strictly alternating series to fewer opens than an unsuppressed one', () => {
    const cfg: StateMachineConfig = {
      triggerInterval: 1,
      clearInterval: 1,
      flap: { windowMs: 3_600_000, maxTransitions: 4, clearMultiplier: 3 },
    };
    const alternating = Array.from({ length: 60 }, (_, i) => ({
      type: 'evaluate' as const,
      observation:
        i % 2 === 0 ? { kind: 'breach' as const, severity: 'error' as const } : { kind: 'ok' as const },
    }));
    const opens = run(cfg, alternating)
      .transitions.flat()
      .filter((t) => t.type === 'opened').length;
    const unsuppressed = run({ ...cfg, flap: { ...cfg.flap!, clearMultiplier: 1 } }, alternating)
      .transitions.flat()
      .filter((t) => t.type === 'opened').length;
    expect(unsuppressed).toBe(30);
    // open, clear, open, clear: now flapping, so the third open is held until 3 oks in a row.
    expect(opens).toBe(3);
  });
});
