/**
 * What goes through the write-ahead queue. Every record names its kind; the sender hands each kind
 * to its own delivery (metrics → POST /v1/ingest). Another record source (the syslog receiver) pushes
 * its records through a RecordSink and registers a Delivery for its kind.
 */
import type { NativePayload } from '#domain/native-format';

export interface MetricsRecord {
  readonly kind: 'metrics';
  readonly payload: NativePayload;
}

/** Any record: `kind` picks the delivery; the rest is the kind's own. */
export interface QueuedRecord {
  readonly kind: string;
  readonly [field: string]: unknown;
}

/** Where pollers and other sources put records: resolved once they are durable on disk. */
export interface RecordSink {
  push(records: readonly QueuedRecord[]): Promise<void>;
}

/** One HTTP request a delivery wants sent; `idempotencyKey` is filled in by the sender. */
export interface OutgoingRequest {
  readonly path: string;
  readonly body: unknown;
  /** How many records (datapoint values, log lines) it carries, for counts. */
  readonly items: number;
}

/** Turns a batch of one kind's records into requests, deterministically (same records, same bodies). */
export type Delivery = (records: readonly QueuedRecord[]) => OutgoingRequest[];

const MAX_INSTANCES = 100;
const MAX_VALUES = 1000;
const MAX_BODY_CHARS = 512 * 1024;

/** Metrics records merged per resource and datasource, within the native format's limits. */
export const metricsDelivery: Delivery = (records) => {
  const groups = new Map<string, { payload: NativePayload; chars: number; values: number }[]>();
  for (const record of records) {
    const payload = (record as unknown as MetricsRecord).payload;
    const key = JSON.stringify([
      payload.resourceName,
      payload.resourceIds,
      payload.resourceProperties ?? {},
      payload.dataSource,
    ]);
    const chunks = groups.get(key) ?? [];
    groups.set(key, chunks);
    const chars = JSON.stringify(payload).length;
    const values = payload.instances.reduce(
      (n, i) => n + i.dataPoints.reduce((m, d) => m + Object.keys(d.values).length, 0),
      0,
    );
    const last = chunks.at(-1);
    const fits =
      last &&
      last.chars + chars <= MAX_BODY_CHARS &&
      mergedInstanceCount(last.payload, payload) <= MAX_INSTANCES &&
      maxValuesAfterMerge(last.payload, payload) <= MAX_VALUES;
    if (last && fits) {
      last.payload = mergePayloads(last.payload, payload);
      last.chars += chars;
      last.values += values;
    } else {
      chunks.push({ payload, chars, values });
    }
  }
  return [...groups.values()].flat().map((c) => ({ path: '/v1/ingest', body: c.payload, items: c.values }));
};

function mergedInstanceCount(a: NativePayload, b: NativePayload): number {
  const names = new Set(a.instances.map((i) => i.instanceName));
  for (const i of b.instances) names.add(i.instanceName);
  return names.size;
}

function maxValuesAfterMerge(a: NativePayload, b: NativePayload): number {
  const counts = new Map<string, number>();
  for (const p of [a, b])
    for (const i of p.instances)
      for (const d of i.dataPoints) {
        const k = `${i.instanceName}\u0000${d.dataPointName}`;
        counts.set(k, (counts.get(k) ?? 0) + Object.keys(d.values).length);
      }
  return Math.max(0, ...counts.values());
}

function mergePayloads(a: NativePayload, b: NativePayload): NativePayload {
  const instances = a.instances.map((i) => ({ ...i, dataPoints: i.dataPoints.map((d) => ({ ...d })) }));
  for (const incoming of b.instances) {
    const existing = instances.find((i) => i.instanceName === incoming.instanceName);
    if (!existing) {
      instances.push({ ...incoming, dataPoints: incoming.dataPoints.map((d) => ({ ...d })) });
      continue;
    }
    for (const d of incoming.dataPoints) {
      const same = existing.dataPoints.find((x) => x.dataPointName === d.dataPointName);
      if (same) Object.assign(same, { values: { ...same.values, ...d.values } });
      else existing.dataPoints.push({ ...d });
    }
  }
  return { ...a, instances };
}
