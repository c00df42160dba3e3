/**
 * One contract for the metric-metadata stores, run against the SQLite twin and the DynamoDB adapter
 * on DynamoDB Local: latest entry wins per metric, lists in name order with a metric filter and a
 * limit, tenants apart, and offboarding exports then erases a tenant's entries and nothing else.
 */
import { describe, expect, it } from 'vitest';
import type { MetricMetadataEntry, MetricMetadataStore } from '#ports/metric-metadata';
import type { TenantDataHolder } from '#ports/tenant-data';

let tenantSeq = 0;
const tenant = () => `t${Date.now().toString(36)}${tenantSeq++}`;

const counter: MetricMetadataEntry = {
  metric: 'http_requests_total',
  type: 'counter',
  help: 'Requests served.',
  unit: '',
};
const histogram: MetricMetadataEntry = {
  metric: 'http_latency_seconds',
  type: 'histogram',
  help: 'Latency, with "quotes" and ünïcode.',
  unit: 'seconds',
};
const gauge: MetricMetadataEntry = { metric: 'a_temperature', type: 'gauge', help: '', unit: 'celsius' };

export function metricMetadataContract(
  name: string,
  open: () => Promise<MetricMetadataStore & TenantDataHolder>,
) {
  describe(`metric metadata store: ${name}`, () => {
    it('lists what was recorded in metric-name order, one entry per metric, the latest winning', async () => {
      const store = await open();
      const t = tenant();
      await store.record(t, [counter, histogram]);
      await store.record(t, [gauge, { ...counter, help: 'Requests served, all codes.' }]);
      expect(await store.list(t)).toEqual([
        gauge,
        histogram,
        { ...counter, help: 'Requests served, all codes.' },
      ]);
    });

    it('keeps the last of one metric named twice in one call', async () => {
      const store = await open();
      const t = tenant();
      await store.record(t, [counter, { ...counter, type: 'gauge' }]);
      expect(await store.list(t)).toEqual([{ ...counter, type: 'gauge' }]);
    });

    it('filters by metric (exact name, not prefix) and limits the count', async () => {
      const store = await open();
      const t = tenant();
      await store.record(t, [counter, histogram, gauge, { ...counter, metric: 'http_requests_total_x' }]);
      expect(await store.list(t, { metric: 'http_requests_total' })).toEqual([counter]);
      expect(await store.list(t, { metric: 'nope' })).toEqual([]);
      expect(await store.list(t, { limit: 2 })).toEqual([gauge, histogram]);
      expect(await store.list(t, { limit: 0 })).toEqual([]);
    });

    it('keeps tenants apart', async () => {
      const store = await open();
      const [t1, t2] = [tenant(), tenant()];
      await store.record(t1, [counter]);
      await store.record(t2, [gauge]);
      expect(await store.list(t1)).toEqual([counter]);
      expect(await store.list(t2)).toEqual([gauge]);
    });

    it('records nothing for an empty call', async () => {
      const store = await open();
      const t = tenant();
      await store.record(t, []);
      expect(await store.list(t)).toEqual([]);
    });

    it('exports a tenant for offboarding, then erases it and only it', async () => {
      const store = await open();
      const [t, other] = [tenant(), tenant()];
      await store.record(t, [counter, histogram]);
      await store.record(other, [gauge]);
      expect(store.dataName).toBe('metric-metadata');
      const exported: unknown[] = [];
      for await (const item of store.exportTenant(t)) exported.push(item);
      expect(exported).toHaveLength(2);
      expect(exported).toEqual(
        expect.arrayContaining([expect.objectContaining(counter), expect.objectContaining(histogram)]),
      );
      expect(await store.deleteTenant(t)).toBe(2);
      expect(await store.list(t)).toEqual([]);
      const after: unknown[] = [];
      for await (const item of store.exportTenant(t)) after.push(item);
      expect(after).toEqual([]);
      expect(await store.list(other)).toEqual([gauge]);
    });

    it('holds 200 metrics of 6 KB, listing them all (DynamoDB: 8 batches, 2 query pages)', async () => {
      const store = await open();
      const t = tenant();
      const many = Array.from({ length: 200 }, (_, i) => ({
        ...histogram,
        metric: `m_${String(i).padStart(3, '0')}`,
        help: 'h'.repeat(6000),
      }));
      await store.record(t, many);
      expect((await store.list(t)).map((e) => e.metric)).toEqual(many.map((e) => e.metric));
      expect(await store.list(t, { limit: 150 })).toHaveLength(150);
    });
  });
}
