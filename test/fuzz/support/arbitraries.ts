/** fast-check arbitraries for the API's JSON bodies: valid ones, mutated valid ones, and junk. */
import fc from 'fast-check';

const epochS = () => Math.floor(Date.now() / 1000);

/** Strings that tend to break parsers and validators. */
export const nastyString = fc.oneof(
  fc.string(),
  fc.string({ unit: 'grapheme', maxLength: 40 }),
  fc.constantFrom(
    '',
    ' ',
    'NaN',
    'Infinity',
    '-0',
    '1e309',
    '__proto__',
    'constructor',
    'tenant_id',
    'time',
    '\u0000',
    '\ud800',
    'a'.repeat(300),
    '../../etc/passwd',
    "'; DROP TABLE points; --",
    '{"$ne":null}',
  ),
);

export const nastyValue: fc.Arbitrary<unknown> = fc.oneof(
  nastyString,
  fc.double(),
  fc.integer(),
  fc.bigInt().map(String),
  fc.boolean(),
  fc.constant(null),
  fc.constant([]),
  fc.constant({}),
  fc.jsonValue({ maxDepth: 3 }),
);

/** A valid native push payload (what a collector sends). */
export const validNativePayload = fc
  .record({
    host: fc.stringMatching(/^[a-z][a-z0-9-]{0,20}$/),
    dataSource: fc.stringMatching(/^[A-Za-z][A-Za-z0-9_]{0,20}$/),
    instances: fc.array(
      fc.record({
        name: fc.stringMatching(/^[a-z][a-z0-9_]{0,10}$/),
        dataPoints: fc.array(
          fc.record({
            name: fc.stringMatching(/^[a-z][a-z0-9_]{0,10}$/),
            values: fc.array(
              fc.tuple(
                fc.integer({ min: 0, max: 3600 }),
                fc.oneof(fc.double({ noNaN: true, noDefaultInfinity: true }), fc.integer().map(String)),
              ),
              { minLength: 1, maxLength: 4 },
            ),
          }),
          { minLength: 1, maxLength: 4 },
        ),
      }),
      { minLength: 1, maxLength: 3 },
    ),
  })
  .map(({ host, dataSource, instances }) => {
    const now = epochS();
    return {
      resourceName: host,
      resourceIds: { 'system.hostname': host },
      dataSource,
      instances: instances.map((i) => ({
        instanceName: i.name,
        dataPoints: i.dataPoints.map((d) => ({
          dataPointName: d.name,
          values: Object.fromEntries(d.values.map(([ago, v]) => [String(now - ago), v])),
        })),
      })),
    };
  });

/** Replaces one value somewhere inside `root` (path chosen by `pick`) with `replacement`. */
function mutateAt(root: unknown, pick: number, replacement: unknown, remove: boolean): unknown {
  const clone = structuredClone(root) as Record<string, unknown>;
  const slots: { parent: Record<string, unknown> | unknown[]; key: string | number }[] = [];
  const walk = (node: unknown) => {
    if (Array.isArray(node))
      node.forEach((child, i) => {
        slots.push({ parent: node, key: i });
        walk(child);
      });
    else if (node && typeof node === 'object')
      for (const [key, child] of Object.entries(node)) {
        slots.push({ parent: node as Record<string, unknown>, key });
        walk(child);
      }
  };
  walk(clone);
  if (slots.length === 0) return replacement;
  const slot = slots[pick % slots.length]!;
  if (remove) {
    if (Array.isArray(slot.parent)) slot.parent.splice(slot.key as number, 1);
    else delete slot.parent[slot.key as string];
  } else (slot.parent as Record<string | number, unknown>)[slot.key] = replacement;
  return clone;
}

/** A valid body with one field replaced by something nasty, removed, or an extra field added. */
export const mutated = <T>(valid: fc.Arbitrary<T>) =>
  fc
    .tuple(
      valid,
      fc.nat(),
      nastyValue,
      fc.boolean(),
      fc.option(fc.tuple(nastyString, nastyValue), { nil: undefined }),
    )
    .map(([body, pick, replacement, remove, extra]) => {
      const next = mutateAt(body, pick, replacement, remove);
      if (extra && next && typeof next === 'object' && !Array.isArray(next))
        (next as Record<string, unknown>)[extra[0]] = extra[1];
      return next;
    });

/** Any body at all: valid, mutated, arbitrary JSON, or text that is not JSON. */
export const anyJsonBody = <T>(valid: fc.Arbitrary<T>): fc.Arbitrary<string> =>
  fc.oneof(
    valid.map((v) => JSON.stringify(v)),
    mutated(valid).map((v) => JSON.stringify(v) ?? 'null'),
    fc.jsonValue().map((v) => JSON.stringify(v)),
    fc.string(),
    valid.chain((v) =>
      fc.nat({ max: JSON.stringify(v).length }).map((cut) => JSON.stringify(v).slice(0, cut)),
    ),
  );

export const contentType = fc.oneof(
  fc.constant('application/json'),
  fc.constant('application/json; charset=utf-8'),
  fc.constantFrom('text/plain', 'application/x-protobuf', '', 'application/json;;', 'APPLICATION/JSON'),
  fc.string({ maxLength: 30 }),
);

/** Query parameters of GET /v1/metrics/query: plausible ones and junk. */
export const queryParameters = fc
  .record(
    {
      metric: fc.oneof(fc.constantFrom('busy', 'dp0', 'node_metric_1'), nastyString),
      from: fc.oneof(
        fc.integer({ min: -1e15, max: 1e15 }).map(String),
        fc.date({ noInvalidDate: true }).map((d) => d.toISOString()),
        nastyString,
      ),
      to: fc.oneof(
        fc.integer({ min: -1e15, max: 1e15 }).map(String),
        fc.date({ noInvalidDate: true }).map((d) => d.toISOString()),
        nastyString,
      ),
      step: fc.oneof(fc.integer({ min: -10, max: 1e9 }).map(String), nastyString),
      agg: fc.oneof(fc.constantFrom('avg', 'min', 'max', 'sum', 'count', 'p95'), nastyString),
    },
    { requiredKeys: [] },
  )
  .chain((base) =>
    fc
      .dictionary(nastyString, nastyString, { maxKeys: 4 })
      .map((extra) => ({ ...extra, ...base }) as Record<string, string>),
  );
