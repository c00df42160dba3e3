/**
 * The fast path of nativePayloadToSamples must answer exactly as the zod reference does: the same
 * samples for a valid payload, the same UnprocessableError (message, field) for any other. Valid
 * payloads are generated, then each rule is broken one at a time.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { RESERVED_DIMENSION_NAMES } from '#domain/metrics';
import {
  NATIVE_LIMITS,
  nativePayloadToSamples,
  nativePayloadToSamplesFast,
  nativePayloadToSamplesReference,
} from '#domain/native-format';

type Json = Record<string, unknown>;
type Outcome =
  | { readonly samples: string }
  | { readonly error: string; readonly message: string; readonly field: unknown };

/** Samples as JSON text, so that key order and -0 vs 0 are compared too. */
function outcome(map: (body: unknown, nowMs: number) => unknown, body: unknown, nowMs: number): Outcome {
  try {
    return { samples: JSON.stringify(map(body, nowMs)) };
  } catch (error) {
    const e = error as Error & { field?: unknown };
    return { error: e.constructor.name, message: e.message, field: e.field };
  }
}

const BASE_MS = Date.UTC(2026, 5, 1, 12);
const DAY_S = 86_400;
const SKEW_S = 900;

const name = fc.stringMatching(/^[A-Za-z0-9_][A-Za-z0-9_.:\-/ ]{0,20}[A-Za-z0-9_.:\-/]$/);
const metricName = fc.stringMatching(/^[A-Za-z_][A-Za-z0-9_.:/-]{0,20}$/);
const propertyKey = fc
  .stringMatching(/^[A-Za-z][A-Za-z0-9_.-]{0,20}$/)
  .filter(
    (k) =>
      !RESERVED_DIMENSION_NAMES.has(k) &&
      k !== 'datasource' &&
      k !== 'instance' &&
      !k.startsWith('ts_') &&
      !k.startsWith('measure_value'),
  );
const propertyValue = fc.string({ minLength: 1, maxLength: 30 });
const propertyMap = (min: number, max: number) =>
  fc.dictionary(propertyKey, propertyValue, { minKeys: min, maxKeys: max });

const numericString = fc.oneof(
  fc.double({ noNaN: true, noDefaultInfinity: true }).map(String),
  fc.integer().map((n) => ` ${n} `),
  fc.stringMatching(/^[-+]?(\d{1,5}\.?\d{0,4}|\.\d{1,4})([eE][-+]?\d{1,2})?$/),
);
/** NaN and ±Inf as the native format spells them (JSON numbers cannot). */
const specialString = fc.constantFrom('NaN', '+Inf', '-Inf', 'Inf', 'Infinity', '-Infinity', 'nan', ' -inf ');
const value = fc.oneof(
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  fc.integer(),
  numericString,
  specialString,
);

/** A payload every rule accepts at nowMs; its epoch keys reach both edges of the accepted window. */
const validPayload = (nowMs: number) => {
  const earliestS = Math.ceil(nowMs / 1000 - DAY_S);
  const latestS = Math.floor(nowMs / 1000 + SKEW_S);
  const epochKey = fc
    .oneof(fc.constantFrom(earliestS, latestS), fc.integer({ min: earliestS, max: latestS }))
    .map(String);
  const dataPoint = fc.record(
    {
      dataPointName: metricName,
      dataPointDescription: fc.string({ maxLength: 20 }),
      dataPointType: fc.constantFrom('GAUGE', 'COUNTER', 'DERIVE'),
      dataPointAggregationType: fc.constantFrom('none', 'avg', 'sum', 'min', 'max', 'percentile'),
      values: fc.dictionary(epochKey, value, { minKeys: 1, maxKeys: 4 }),
    },
    { requiredKeys: ['dataPointName', 'values'] },
  );
  const instance = fc.record(
    {
      instanceName: name,
      instanceDisplayName: fc.string({ maxLength: 20 }),
      instanceProperties: propertyMap(0, 3),
      dataPoints: fc.array(dataPoint, { minLength: 1, maxLength: 3 }),
    },
    { requiredKeys: ['instanceName', 'dataPoints'] },
  );
  return fc.record(
    {
      resourceName: name,
      resourceDescription: fc.string({ maxLength: 20 }),
      resourceIds: propertyMap(1, 3),
      resourceProperties: propertyMap(0, 3),
      dataSource: name,
      dataSourceDisplayName: fc.string({ maxLength: 20 }),
      dataSourceGroup: fc.string({ maxLength: 20 }),
      instances: fc.array(instance, { minLength: 1, maxLength: 3 }),
    },
    { requiredKeys: ['resourceName', 'resourceIds', 'dataSource', 'instances'] },
  );
};

/** Values of every JSON type but the one a field wants, and some that JSON cannot carry. */
const wrongValue = fc.constantFrom<unknown>(
  null,
  true,
  0,
  -1.5,
  '',
  ' ',
  'x',
  [],
  [1],
  {},
  { a: 1 },
  Number.NaN,
  Number.POSITIVE_INFINITY,
  undefined,
);

const manyKeys = (n: number, key: (i: number) => string, v: (i: number) => unknown) =>
  Object.fromEntries(Array.from({ length: n }, (_, i) => [key(i), v(i)]));

/** Names that break one rule of name(what) or of metricNameProblem. */
const badName = fc.constantFrom(
  '',
  ' lead',
  'trail ',
  'a'.repeat(NATIVE_LIMITS.nameMaxLength),
  'a'.repeat(NATIVE_LIMITS.nameMaxLength + 1),
  'bad*char',
  'tab\tname',
  'ünïcode',
  '1starts-with-digit',
  'has space',
  '-dash',
  'a/b:c.d-e_f',
);

const badPropertyKey = fc.constantFrom(
  '1digit',
  'has space',
  'k'.repeat(60),
  'k'.repeat(61),
  '',
  '__proto__',
  'tenant_id',
  'ts_x',
  'measure_value',
  'measure_value_x',
  'datasource',
  'instance',
  'dollar$',
  'time',
  'value',
  'measure_name',
);

/** Values at the edge of the rules (some accepted, like the special strings): both paths must agree. */
const badValue = fc.constantFrom<unknown>(
  'NaN',
  'Infinity',
  '-Infinity',
  '1e400',
  '-1e400',
  '12abc',
  '',
  '   ',
  '0x10',
  '1_000',
  '١٢',
  ' 12 ',
  '\u00a012\u00a0',
  '.5',
  '5.',
  '+.5e-3',
  `${'1'.repeat(64)}`,
  ` ${'1'.repeat(64)}`,
  Number.NaN,
  Number.POSITIVE_INFINITY,
  Number.MAX_VALUE,
  -0,
  '-0',
  null,
  true,
  {},
  [1],
);

/** Epoch keys on and around the edges of the accepted window, and keys that are not epoch seconds. */
const badEpochKey = (nowMs: number) => {
  const earliestS = Math.ceil((nowMs - DAY_S * 1000) / 1000);
  const latestS = Math.floor((nowMs + SKEW_S * 1000) / 1000);
  return fc.constantFrom(
    String(earliestS),
    String(earliestS - 1),
    String(latestS),
    String(latestS + 1),
    `0${Math.floor(nowMs / 1000)}`,
    '0',
    '00',
    '-1',
    '1.5',
    'abc',
    ' 1780315200',
    '123456789012',
    '99999999999',
    '',
    '__proto__',
  );
};

type Mutation = (p: Json, pick: <T>(xs: readonly T[]) => T) => void;

const at = (p: Json, pick: <T>(xs: readonly T[]) => T) => {
  const instance = pick(p.instances as Json[]);
  const dataPoint = pick(instance.dataPoints as Json[]);
  return { instance, dataPoint };
};

/** One rule broken at a time, each given what to break it with. */
function mutations(nowMs: number): fc.Arbitrary<Mutation> {
  const levels = ['top', 'instance', 'dataPoint'] as const;
  const fieldsOf = {
    top: [
      'resourceName',
      'resourceDescription',
      'resourceIds',
      'resourceProperties',
      'dataSource',
      'dataSourceDisplayName',
      'dataSourceGroup',
      'instances',
    ],
    instance: ['instanceName', 'instanceDisplayName', 'instanceProperties', 'dataPoints'],
    dataPoint: [
      'dataPointName',
      'dataPointDescription',
      'dataPointType',
      'dataPointAggregationType',
      'values',
    ],
  } as const;
  const target = (p: Json, level: (typeof levels)[number], pick: <T>(xs: readonly T[]) => T): Json => {
    if (level === 'top') return p;
    const { instance, dataPoint } = at(p, pick);
    return level === 'instance' ? instance : dataPoint;
  };
  return fc.oneof(
    // a field of the wrong type, missing, or an unknown field
    fc.tuple(fc.constantFrom(...levels), wrongValue).map(
      ([level, v]): Mutation =>
        (p, pick) => {
          const o = target(p, level, pick);
          o[pick(fieldsOf[level])] = v;
        },
    ),
    fc.constantFrom(...levels).map(
      (level): Mutation =>
        (p, pick) => {
          delete target(p, level, pick)[pick(fieldsOf[level])];
        },
    ),
    fc
      .tuple(
        fc.constantFrom(...levels),
        fc.constantFrom('extra', 'tenantId', 'values ', '__proto__', 'constructor'),
      )
      .map(
        ([level, key]): Mutation =>
          (p, pick) => {
            Object.defineProperty(target(p, level, pick), key, {
              value: 'x',
              enumerable: true,
              writable: true,
              configurable: true,
            });
          },
      ),
    // names
    fc.tuple(fc.constantFrom('resourceName', 'dataSource', 'instanceName', 'dataPointName'), badName).map(
      ([field, bad]): Mutation =>
        (p, pick) => {
          const { instance, dataPoint } = at(p, pick);
          const o = field === 'instanceName' ? instance : field === 'dataPointName' ? dataPoint : p;
          o[field] = bad;
        },
    ),
    // free-text lengths at and over their limits
    fc
      .tuple(
        fc.constantFrom(
          ['resourceDescription', 1024],
          ['dataSourceDisplayName', 255],
          ['dataSourceGroup', 255],
          ['instanceDisplayName', 255],
          ['dataPointDescription', 1024],
        ) as fc.Arbitrary<[string, number]>,
        fc.constantFrom(0, 1),
      )
      .map(
        ([[field, max], over]): Mutation =>
          (p, pick) => {
            const { instance, dataPoint } = at(p, pick);
            const o =
              field === 'instanceDisplayName' ? instance : field === 'dataPointDescription' ? dataPoint : p;
            o[field] = 'd'.repeat(max + over);
          },
      ),
    // enums
    fc
      .tuple(
        fc.constantFrom('dataPointType', 'dataPointAggregationType'),
        fc.constantFrom('gauge', 'median', '', 'GAUGE '),
      )
      .map(
        ([field, bad]): Mutation =>
          (p, pick) => {
            at(p, pick).dataPoint[field] = bad;
          },
      ),
    // property maps: keys, values, counts
    fc
      .tuple(
        fc.constantFrom('resourceIds', 'resourceProperties', 'instanceProperties'),
        badPropertyKey,
        fc.constantFrom('v', '', 1, null),
      )
      .map(
        ([field, key, v]): Mutation =>
          (p, pick) => {
            const o = field === 'instanceProperties' ? at(p, pick).instance : p;
            const map = { ...((o[field] as Json | undefined) ?? {}) };
            Object.defineProperty(map, key, {
              value: v,
              enumerable: true,
              writable: true,
              configurable: true,
            });
            o[field] = map;
          },
      ),
    fc
      .tuple(
        fc.constantFrom(
          ['resourceIds', NATIVE_LIMITS.maxResourceIds],
          ['resourceProperties', NATIVE_LIMITS.maxProperties],
          ['instanceProperties', NATIVE_LIMITS.maxProperties],
        ) as fc.Arbitrary<[string, number]>,
        fc.constantFrom(-1, 0, 1),
        fc.constantFrom(1, 1024, 1025),
      )
      .map(
        ([[field, max], delta, valueLength]): Mutation =>
          (p, pick) => {
            const o = field === 'instanceProperties' ? at(p, pick).instance : p;
            o[field] = manyKeys(
              max + delta,
              (i) => `k${i}`,
              () => 'v'.repeat(valueLength),
            );
          },
      ),
    fc.constant<Mutation>((p) => {
      p.resourceIds = {};
    }),
    // array lengths
    fc.constantFrom(0, NATIVE_LIMITS.maxInstances, NATIVE_LIMITS.maxInstances + 1).map(
      (n): Mutation =>
        (p) => {
          const first = (p.instances as Json[])[0];
          p.instances = Array.from({ length: n }, (_, i) => ({ ...first, instanceName: `i${i}` }));
        },
    ),
    fc
      .constantFrom(0, NATIVE_LIMITS.maxDataPointsPerInstance, NATIVE_LIMITS.maxDataPointsPerInstance + 1)
      .map(
        (n): Mutation =>
          (p, pick) => {
            const { instance, dataPoint } = at(p, pick);
            instance.dataPoints = Array.from({ length: n }, () => dataPoint);
          },
      ),
    fc.constantFrom(0, NATIVE_LIMITS.maxValuesPerDataPoint, NATIVE_LIMITS.maxValuesPerDataPoint + 1).map(
      (n): Mutation =>
        (p, pick) => {
          const nowS = Math.floor(nowMs / 1000);
          at(p, pick).dataPoint.values = manyKeys(
            n,
            (i) => String(nowS - i),
            (i) => i,
          );
        },
    ),
    // values: keys and numbers
    badEpochKey(nowMs).map(
      (key): Mutation =>
        (p, pick) => {
          const { dataPoint } = at(p, pick);
          const values = { ...(dataPoint.values as Json) };
          Object.defineProperty(values, key, {
            value: 1,
            enumerable: true,
            writable: true,
            configurable: true,
          });
          dataPoint.values = values;
        },
    ),
    badValue.map(
      (v): Mutation =>
        (p, pick) => {
          const { dataPoint } = at(p, pick);
          const values = { ...(dataPoint.values as Json) };
          values[pick(Object.keys(values))] = v;
          dataPoint.values = values;
        },
    ),
    // dimension sets a store cannot hold
    fc.constantFrom(1024, 2000).map(
      (length): Mutation =>
        (p) => {
          p.resourceIds = manyKeys(
            NATIVE_LIMITS.maxResourceIds,
            (i) => `id${i}`,
            () => 'v'.repeat(length),
          );
        },
    ),
    // whatever JSON, anywhere one level down
    fc.tuple(fc.constantFrom(...levels), fc.jsonValue({ maxDepth: 2 })).map(
      ([level, v]): Mutation =>
        (p, pick) => {
          target(p, level, pick)[pick(fieldsOf[level])] = v;
        },
    ),
  );
}

/** A random pick driven by fast-check (so that failures shrink and replay). */
const picker = (seeds: readonly number[]) => {
  let i = 0;
  return <T>(xs: readonly T[]): T => xs[(seeds[i++ % seeds.length] as number) % xs.length] as T;
};

/** Now on a whole second too, where the window's edges are whole epoch seconds. */
const nowMsArb = fc.oneof(
  fc.constant(BASE_MS),
  fc.integer({ min: 0, max: 999 }).map((ms) => BASE_MS + ms),
);

describe('nativePayloadToSamples fast path', () => {
  it('maps every valid payload itself, to the samples the zod reference gives', () => {
    fc.assert(
      fc.property(
        nowMsArb.chain((nowMs) => fc.tuple(fc.constant(nowMs), validPayload(nowMs))),
        ([nowMs, payload]) => {
          const body = JSON.parse(JSON.stringify(payload));
          const reference = outcome(nativePayloadToSamplesReference, body, nowMs);
          expect(reference).toHaveProperty('samples');
          expect(nativePayloadToSamplesFast(body, nowMs)).toBeDefined();
          expect(outcome(nativePayloadToSamples, body, nowMs)).toEqual(reference);
        },
      ),
      { numRuns: 500 },
    );
  });

  it('answers as the reference does when one rule is broken: same samples, or same error, message and field', () => {
    let refused = 0;
    let runs = 0;
    fc.assert(
      fc.property(
        nowMsArb.chain((nowMs) =>
          fc.tuple(
            fc.constant(nowMs),
            validPayload(nowMs),
            mutations(nowMs),
            fc.array(fc.nat(), { minLength: 4, maxLength: 4 }),
            fc.boolean(),
          ),
        ),
        ([nowMs, payload, mutate, seeds, throughJson]) => {
          let body = JSON.parse(JSON.stringify(payload)) as Json;
          mutate(body, picker(seeds));
          // Through JSON text as the handler gets it (a "__proto__" key stays an own key); without it,
          // NaN, Infinity and undefined survive.
          if (throughJson) body = JSON.parse(JSON.stringify(body));
          const reference = outcome(nativePayloadToSamplesReference, body, nowMs);
          runs++;
          if ('error' in reference) refused++;
          expect(outcome(nativePayloadToSamples, body, nowMs)).toEqual(reference);
          // A payload the reference accepts (one at a limit, say) is mapped by the fast path itself,
          // but for the two oddities it leaves to the reference: a __proto__ key, a zero-padded epoch.
          if ('samples' in reference && !/"(__proto__|0\d+)"/.test(JSON.stringify(body)))
            expect(nativePayloadToSamplesFast(body, nowMs)).toBeDefined();
        },
      ),
      { numRuns: 3000 },
    );
    // The mutations must mostly break a rule, or the property proves little about refusals.
    expect(refused / runs).toBeGreaterThan(0.6);
  });

  it('agrees with the reference on a __proto__ key in JSON text, which zod drops', () => {
    const nowMs = BASE_MS;
    const nowS = nowMs / 1000;
    const text = `{"resourceName":"r","resourceIds":{"__proto__":"x","host":"h"},"dataSource":"ds","instances":[{"instanceName":"i","dataPoints":[{"dataPointName":"m","values":{"${nowS}":1}}]}]}`;
    const body = JSON.parse(text);
    expect(outcome(nativePayloadToSamples, body, nowMs)).toEqual(
      outcome(nativePayloadToSamplesReference, body, nowMs),
    );
  });

  it('agrees with the reference on a symbol key in a record, which only a body built in code can have', () => {
    const nowMs = BASE_MS;
    const nowS = nowMs / 1000;
    const payload = (resourceIds: Json, values: Json) => ({
      resourceName: 'r',
      resourceIds,
      dataSource: 'ds',
      instances: [{ instanceName: 'i', dataPoints: [{ dataPointName: 'm', values }] }],
    });
    for (const body of [
      payload({ host: 'h', [Symbol('s')]: 'x' }, { [nowS]: 1 }),
      payload({ host: 'h' }, { [nowS]: 1, [Symbol('s')]: 2 }),
    ]) {
      const reference = outcome(nativePayloadToSamplesReference, body, nowMs);
      expect(reference).toHaveProperty('error', 'UnprocessableError');
      expect(outcome(nativePayloadToSamples, body, nowMs)).toEqual(reference);
    }
  });

  it('reads a zero-padded epoch key as its own value, not the value of the unpadded key', () => {
    const nowMs = BASE_MS;
    const nowS = nowMs / 1000;
    const body = {
      resourceName: 'r',
      resourceIds: { host: 'h' },
      dataSource: 'ds',
      instances: [
        { instanceName: 'i', dataPoints: [{ dataPointName: 'm', values: { [`0${nowS}`]: 1, [nowS]: 2 } }] },
      ],
    };
    const reference = outcome(nativePayloadToSamplesReference, body, nowMs);
    expect(reference).toEqual({
      samples: JSON.stringify([
        {
          metric: 'm',
          dimensions: { host: 'h', datasource: 'ds', instance: 'i' },
          timestampMs: nowMs,
          value: 2,
        },
        {
          metric: 'm',
          dimensions: { host: 'h', datasource: 'ds', instance: 'i' },
          timestampMs: nowMs,
          value: 1,
        },
      ]),
    });
    expect(outcome(nativePayloadToSamples, body, nowMs)).toEqual(reference);
  });

  it('is taken for the payload shape bench:ingest measures', () => {
    const nowS = BASE_MS / 1000;
    const body = {
      resourceName: 'web-01',
      resourceIds: { 'system.hostname': 'web-01' },
      resourceProperties: { env: 'prod' },
      dataSource: 'LinuxCPU',
      instances: Array.from({ length: 10 }, (_, i) => ({
        instanceName: `cpu${i}`,
        dataPoints: Array.from({ length: 10 }, (_, d) => ({
          dataPointName: `dp${d}`,
          dataPointType: 'GAUGE',
          values: Object.fromEntries(Array.from({ length: 10 }, (_, v) => [nowS - v * 60, i + d + v / 10])),
        })),
      })),
    };
    const fast = nativePayloadToSamplesFast(body, BASE_MS);
    expect(fast).toHaveLength(1000);
    expect(fast).toEqual(nativePayloadToSamplesReference(body, BASE_MS));
  });
});
