/**
 * The guard reuses one Powertools single-metric emitter for every per-tenant metric. That is only
 * right if each addMetric publishes its own EMF document and leaves no dimension behind for the next:
 * checked here against the real Powertools Metrics, printing to stdout as in Lambda.
 */
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createObservability } from '#http/handler';

let saved: string | undefined;
beforeEach(() => {
  saved = process.env.POWERTOOLS_METRICS_DISABLED;
  delete process.env.POWERTOOLS_METRICS_DISABLED;
});
afterEach(() => {
  if (saved === undefined) delete process.env.POWERTOOLS_METRICS_DISABLED;
  else process.env.POWERTOOLS_METRICS_DISABLED = saved;
  vi.restoreAllMocks();
});

describe('a reused Powertools single-metric emitter', () => {
  it('publishes one EMF document per metric, each with only its own dimensions', () => {
    const lines: string[] = [];
    vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
      lines.push(String(chunk));
      return true;
    });
    const emitter = new Metrics({ namespace: 'Test', serviceName: 'ingest' }).singleMetric();
    emitter.addDimensions({ tenant: 'a' });
    emitter.addMetric('SamplesAccepted', MetricUnit.Count, 5);
    emitter.addDimensions({ tenant: 'b', reason: 'max-series' });
    emitter.addMetric('SamplesDiscarded', MetricUnit.Count, 2);
    const docs = lines.filter((l) => l.includes('_aws')).map((l) => JSON.parse(l));
    expect(docs).toHaveLength(2);
    expect(docs[0]).toMatchObject({ tenant: 'a', SamplesAccepted: 5 });
    expect(docs[0]).not.toHaveProperty('SamplesDiscarded');
    expect(docs[1]).toMatchObject({ tenant: 'b', reason: 'max-series', SamplesDiscarded: 2 });
    expect(docs[1]).not.toHaveProperty('SamplesAccepted');
    const dimensionSets = (doc: { _aws: { CloudWatchMetrics: { Dimensions: string[][] }[] } }) =>
      doc._aws.CloudWatchMetrics[0]?.Dimensions;
    expect(dimensionSets(docs[0])?.flat()).not.toContain('reason');
    expect(dimensionSets(docs[1])?.flat()).toEqual(expect.arrayContaining(['tenant', 'reason']));
  });
});

describe('createObservability metrics warnings', () => {
  it('says nothing about an empty flush, and still warns about a bad dimension', () => {
    const warned: string[] = [];
    vi.spyOn(console, 'warn').mockImplementation((...args: unknown[]) => {
      warned.push(String(args[0]));
    });
    const { metrics } = createObservability('api');
    metrics.publishStoredMetrics(); // a read route: no metrics
    expect(warned).toEqual([]);
    metrics.addDimension('tenant', '');
    expect(warned).toEqual([expect.stringContaining("doesn't meet the requirements")]);
  });
});
