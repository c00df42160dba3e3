/**
 * EventBridge event-pattern matching, for the local bus. Follows the EventBridge user guide:
 * - a pattern mirrors the event's structure; fields it leaves out match anything;
 * - a leaf is an array of alternatives (OR); several fields must all match (AND);
 * - when the event's value is an array, the leaf matches if any element matches;
 * - alternatives: exact JSON values (strings case-sensitive, numbers, true/false/null), `prefix`,
 *   `suffix`, `equals-ignore-case` (also inside prefix/suffix), `anything-but` (value, list, or
 *   prefix/suffix), `numeric` (up to two comparisons), `exists` (leaf fields only: an object in the
 *   event counts as absent), `cidr` (IPv4), `wildcard`, and `$or` over sub-patterns.
 * Anything else in a pattern is rejected when the rule is added, as EventBridge does.
 */

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

const isLeafValue = (v: unknown) => v === null || ['string', 'number', 'boolean'].includes(typeof v);

function compareNumeric(value: number, op: string, bound: number): boolean {
  switch (op) {
    case '=':
      return value === bound;
    case '<':
      return value < bound;
    case '<=':
      return value <= bound;
    case '>':
      return value > bound;
    case '>=':
      return value >= bound;
    default:
      throw new Error(`unknown numeric operator ${op}`);
  }
}

function ipv4(value: string): number | undefined {
  const parts = value.split('.');
  if (parts.length !== 4) return undefined;
  let n = 0;
  for (const p of parts) {
    if (!/^\d{1,3}$/.test(p) || Number(p) > 255) return undefined;
    n = n * 256 + Number(p);
  }
  return n;
}

function stringTest(spec: unknown, value: string, kind: 'prefix' | 'suffix'): boolean {
  const check = (needle: string, hay: string) =>
    kind === 'prefix' ? hay.startsWith(needle) : hay.endsWith(needle);
  if (typeof spec === 'string') return check(spec, value);
  if (isObject(spec) && typeof spec['equals-ignore-case'] === 'string')
    return check(spec['equals-ignore-case'].toLowerCase(), value.toLowerCase());
  throw new Error(`invalid ${kind} matcher`);
}

function wildcard(pattern: string, value: string): boolean {
  const re = new RegExp(
    `^${pattern
      .split('*')
      .map((s) => s.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
      .join('.*')}$`,
    's',
  );
  return re.test(value);
}

/** Whether one matcher (one element of a leaf array) accepts one event value. */
function matchOne(matcher: unknown, value: unknown): boolean {
  if (!isObject(matcher)) return matcher === value;
  const [kind, ...rest] = Object.keys(matcher);
  if (rest.length > 0 || kind === undefined) throw new Error('a content filter has exactly one operator');
  const spec = matcher[kind];
  switch (kind) {
    case 'prefix':
      return typeof value === 'string' && stringTest(spec, value, 'prefix');
    case 'suffix':
      return typeof value === 'string' && stringTest(spec, value, 'suffix');
    case 'equals-ignore-case':
      return (
        typeof value === 'string' && typeof spec === 'string' && value.toLowerCase() === spec.toLowerCase()
      );
    case 'wildcard':
      return typeof value === 'string' && typeof spec === 'string' && wildcard(spec, value);
    case 'anything-but': {
      if (!isLeafValue(value)) return false;
      if (Array.isArray(spec)) return !spec.includes(value as Json);
      if (isObject(spec)) {
        if ('prefix' in spec)
          return typeof value === 'string' && !stringTest(spec['prefix'], value, 'prefix');
        if ('suffix' in spec)
          return typeof value === 'string' && !stringTest(spec['suffix'], value, 'suffix');
        if ('equals-ignore-case' in spec) {
          const list = ([] as unknown[]).concat(spec['equals-ignore-case']);
          return (
            typeof value === 'string' && !list.some((s) => String(s).toLowerCase() === value.toLowerCase())
          );
        }
        if ('wildcard' in spec)
          return typeof value === 'string' && !wildcard(String(spec['wildcard']), value);
        throw new Error('invalid anything-but matcher');
      }
      return value !== spec;
    }
    case 'numeric': {
      if (!Array.isArray(spec) || spec.length === 0 || spec.length % 2 !== 0 || spec.length > 4)
        throw new Error('numeric takes one or two [operator, number] pairs');
      if (typeof value !== 'number') return false;
      for (let i = 0; i < spec.length; i += 2)
        if (!compareNumeric(value, String(spec[i]), Number(spec[i + 1]))) return false;
      return true;
    }
    case 'cidr': {
      const [net, bitsRaw] = String(spec).split('/');
      const base = ipv4(net ?? '');
      const bits = Number(bitsRaw);
      const ip = typeof value === 'string' ? ipv4(value) : undefined;
      if (base === undefined || !(bits >= 0 && bits <= 32)) throw new Error('invalid cidr');
      if (ip === undefined) return false;
      const mask = bits === 0 ? 0 : (0xffffffff << (32 - bits)) >>> 0;
      return (ip & mask) >>> 0 === (base & mask) >>> 0;
    }
    case 'exists':
      // handled by matchLeaf (it depends on presence, not on a value)
      return false;
    default:
      throw new Error(`unsupported content filter "${kind}"`);
  }
}

function matchLeaf(alternatives: unknown[], present: boolean, value: unknown): boolean {
  const leafPresent = present && !isObject(value);
  return alternatives.some((m) => {
    if (isObject(m) && 'exists' in m) return m['exists'] === leafPresent;
    if (!leafPresent) return false;
    if (Array.isArray(value)) return value.some((v) => matchOne(m, v));
    return matchOne(m, value);
  });
}

export function matchesPattern(pattern: unknown, event: unknown): boolean {
  if (!isObject(pattern)) throw new Error('an event pattern is a JSON object');
  const target = isObject(event) ? event : {};
  for (const [key, sub] of Object.entries(pattern)) {
    if (key === '$or') {
      if (!Array.isArray(sub) || sub.length < 2) throw new Error('$or takes an array of patterns');
      if (!sub.some((p) => matchesPattern(p, target))) return false;
      continue;
    }
    const present = Object.hasOwn(target, key);
    const value = target[key];
    if (Array.isArray(sub)) {
      if (!matchLeaf(sub, present, value)) return false;
    } else if (isObject(sub)) {
      if (!matchesPattern(sub, isObject(value) ? value : {})) return false;
    } else throw new Error(`pattern field "${key}" must be an array or an object`);
  }
  return true;
}

/** Throws for a pattern EventBridge would refuse (bad operator, bad shape). */
export function validatePattern(pattern: unknown): void {
  // Matching against an empty and a rich event exercises every matcher's validation.
  matchesPattern(pattern, {});
  const walk = (p: unknown): void => {
    if (!isObject(p)) return;
    for (const [k, v] of Object.entries(p)) {
      if (k === '$or' && Array.isArray(v)) v.forEach(walk);
      else if (Array.isArray(v)) {
        for (const m of v) if (isObject(m) && !('exists' in m)) matchOne(m, '');
      } else walk(v);
    }
  };
  walk(pattern);
}
