import { afterEach, describe, expect, it } from 'vitest';
import { AmpMetricStore } from '#adapters/aws/amp-metric-store';
import { TimestreamMetricStore } from '#adapters/aws/timestream-metric-store';
import { ENV, regionMetricStore } from '#adapters/aws/wiring';

const saved = { ...process.env };
afterEach(() => {
  for (const name of [
    ENV.metricStore,
    ENV.ampWorkspaceUrl,
    ENV.ampRetentionDays,
    ENV.timestreamDatabase,
    ENV.timestreamMagneticRetentionDays,
    ENV.tableName,
  ]) {
    if (saved[name] === undefined) delete process.env[name];
    else process.env[name] = saved[name];
  }
});

describe('regionMetricStore', () => {
  it('builds the AMP store from METRIC_STORE=amp and AMP_WORKSPACE_URL', () => {
    process.env[ENV.metricStore] = 'amp';
    process.env[ENV.ampWorkspaceUrl] = 'https://aps-workspaces.eu-west-2.amazonaws.com/workspaces/ws-1';
    expect(regionMetricStore()).toBeInstanceOf(AmpMetricStore);
    expect((regionMetricStore() as AmpMetricStore).retentionDays).toBe(150);
    process.env[ENV.ampRetentionDays] = '30';
    expect((regionMetricStore() as AmpMetricStore).retentionDays).toBe(30);
  });

  it('fails fast when the AMP workspace URL is missing or not an AMP URL', () => {
    process.env[ENV.metricStore] = 'amp';
    delete process.env[ENV.ampWorkspaceUrl];
    expect(() => regionMetricStore()).toThrow(/AMP_WORKSPACE_URL is required/);
    process.env[ENV.ampWorkspaceUrl] = 'https://example.com/workspaces/ws-1';
    expect(() => regionMetricStore()).toThrow(/not an AMP workspace URL/);
  });

  it('builds Timestream by default and refuses an unknown store kind', () => {
    delete process.env[ENV.metricStore];
    process.env[ENV.timestreamDatabase] = 'db';
    process.env[ENV.tableName] = 'metadata';
    delete process.env[ENV.timestreamMagneticRetentionDays];
    // The retention each tenant table is created with is required, not guessed.
    expect(() => regionMetricStore()).toThrow(/TIMESTREAM_MAGNETIC_RETENTION_DAYS is required/);
    process.env[ENV.timestreamMagneticRetentionDays] = 'forever';
    expect(() => regionMetricStore()).toThrow(/whole number of days/);
    process.env[ENV.timestreamMagneticRetentionDays] = '400';
    // The tenant table: no tenant's table is created unless the tenant is active.
    delete process.env[ENV.tableName];
    expect(() => regionMetricStore()).toThrow(/TABLE_NAME is required/);
    process.env[ENV.tableName] = 'metadata';
    expect(regionMetricStore()).toBeInstanceOf(TimestreamMetricStore);
    process.env[ENV.metricStore] = 'influx';
    expect(() => regionMetricStore()).toThrow(/METRIC_STORE must be timestream or amp/);
  });
});
