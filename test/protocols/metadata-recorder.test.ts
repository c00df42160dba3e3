import { describe, expect, it } from 'vitest';
import type { MetricMetadataEntry } from '#domain/metric-metadata';
import { metadataRecorder } from '#ingest/metadata-recorder';
import type { MetricMetadataStore } from '#ports/metric-metadata';

const entry: MetricMetadataEntry = { metric: 'up', type: 'gauge', help: 'Up.', unit: '' };

function recordingStore() {
  const calls: [string, MetricMetadataEntry[]][] = [];
  let failNext = false;
  const store: MetricMetadataStore = {
    record: async (tenantId, entries) => {
      if (failNext) {
        failNext = false;
        throw new Error('store down');
      }
      calls.push([tenantId, [...entries]]);
    },
    list: async () => [],
  };
  return { store, calls, failOnce: () => (failNext = true) };
}

describe('metadata recorder', () => {
  it('writes an entry once per tenant, again only when it changes', async () => {
    const { store, calls } = recordingStore();
    const record = metadataRecorder(store, () => {});
    await record('t1', [entry]);
    await record('t1', [entry]);
    await record('t2', [entry]);
    await record('t1', [
      { ...entry, help: 'Up or not.' },
      { ...entry, metric: 'down' },
    ]);
    await record('t1', []);
    expect(calls).toEqual([
      ['t1', [entry]],
      ['t2', [entry]],
      [
        't1',
        [
          { ...entry, help: 'Up or not.' },
          { ...entry, metric: 'down' },
        ],
      ],
    ]);
  });

  it('never throws: a failed write is reported and retried with the next request', async () => {
    const { store, calls, failOnce } = recordingStore();
    const errors: unknown[] = [];
    const record = metadataRecorder(store, (error) => errors.push(error));
    failOnce();
    await record('t1', [entry]);
    expect(errors).toHaveLength(1);
    await record('t1', [entry]);
    expect(calls).toEqual([['t1', [entry]]]);
  });
});
