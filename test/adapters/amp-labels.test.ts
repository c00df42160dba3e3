import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  dimensionNameToLabel,
  dimensionsFromLabels,
  metricNameToPrometheus,
  nameFromPrometheus,
  promqlString,
  seriesLabels,
  TENANT_LABEL,
  tenantSelector,
} from '#adapters/aws/amp-labels';
import { dimensionsProblem, metricNameProblem } from '#domain/metrics';

/** Names the domain accepts (shared/domain/metrics.ts), the only ones that reach a store. */
const metricName = fc
  .stringMatching(/^[A-Za-z_][A-Za-z0-9_.:/-]{0,40}$/)
  .filter((n) => metricNameProblem(n) === undefined);
const dimensionName = fc
  .stringMatching(/^[A-Za-z_][A-Za-z0-9_.-]{0,40}$/)
  .filter((n) => dimensionsProblem({ [n]: 'v' }) === undefined);

describe('AMP name escaping', () => {
  it('round-trips every metric name the domain accepts, into a classic Prometheus metric name', () => {
    fc.assert(
      fc.property(metricName, (name) => {
        const escaped = metricNameToPrometheus(name);
        expect(escaped).toMatch(/^[a-zA-Z_:][a-zA-Z0-9_:]*$/);
        expect(nameFromPrometheus(escaped)).toBe(name);
      }),
      { numRuns: 2_000 },
    );
  });

  it('round-trips every dimension name, into a classic label name that is never reserved nor the tenant label', () => {
    fc.assert(
      fc.property(
        fc.oneof(dimensionName, fc.constantFrom('tenant_id', '__name__', '__x', 'U__a', 'U__')),
        (name) => {
          const label = dimensionNameToLabel(name);
          expect(label).toMatch(/^[a-zA-Z_][a-zA-Z0-9_]*$/);
          expect(label.startsWith('__')).toBe(false);
          expect(label).not.toBe(TENANT_LABEL);
          expect(nameFromPrometheus(label)).toBe(name);
        },
      ),
      { numRuns: 2_000 },
    );
  });

  it('maps distinct names to distinct labels (no two dimensions collide)', () => {
    fc.assert(
      fc.property(dimensionName, dimensionName, (a, b) => {
        if (a !== b) expect(dimensionNameToLabel(a)).not.toBe(dimensionNameToLabel(b));
      }),
      { numRuns: 2_000 },
    );
  });

  it('keeps plain names as they are and escapes the rest readably', () => {
    expect(metricNameToPrometheus('node_cpu_seconds_total')).toBe('node_cpu_seconds_total');
    expect(metricNameToPrometheus('http.server.duration')).toBe('U__http_2e_server_2e_duration');
    expect(dimensionNameToLabel('service.name')).toBe('U__service_2e_name');
    expect(dimensionNameToLabel('tenant_id')).toBe('U__tenant__id');
    expect(dimensionNameToLabel('__name__')).toBe('U______name____');
  });

  it('builds sorted label sets with the tenant label from the argument only, and reads them back', () => {
    const labels = seriesLabels('acme', 'http.requests', { tenant_id: 'evil', zone: 'a' });
    expect(labels).toEqual([
      { name: 'U__tenant__id', value: 'evil' },
      { name: '__name__', value: 'U__http_2e_requests' },
      { name: 'tenant_id', value: 'acme' },
      { name: 'zone', value: 'a' },
    ]);
    expect(dimensionsFromLabels(Object.fromEntries(labels.map((l) => [l.name, l.value])))).toEqual({
      tenant_id: 'evil',
      zone: 'a',
    });
  });

  it('quotes PromQL strings so no value can end its matcher', () => {
    expect(promqlString('a"b\\c\nd')).toBe('"a\\"b\\\\c\\nd"');
    expect(tenantSelector('t"1', 'cpu', { b: '2', a: '1' })).toBe(
      '{tenant_id="t\\"1",__name__="cpu",a="1",b="2"}',
    );
  });
});
