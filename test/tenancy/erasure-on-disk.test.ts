/**
 * Erasure that erases on disk: right after a successful offboarding, and again after a clean stop,
 * no file under the local platform's data directory (the export archive aside: it is the tenant's
 * copy, handed to the provider) holds the tenant's distinctive names or the raw bytes of its metric
 * values, in the SQLite files nor in their write-ahead logs.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { callApi } from '../support/api-call';
import { startTestPlatform, tempDataDir } from '../support/platform';

function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (name === 'exports') return [];
    return statSync(path).isDirectory() ? filesUnder(path) : [path];
  });
}

const VALUE = 271828.1828459045;
const float64 = (value: number, littleEndian: boolean) => {
  const bytes = Buffer.alloc(8);
  if (littleEndian) bytes.writeDoubleLE(value);
  else bytes.writeDoubleBE(value);
  return bytes;
};
const NEEDLES = [
  Buffer.from('zebracorn-tenant-7f3a'),
  Buffer.from('quokka-router-19c2'),
  Buffer.from('wombat_metric_5d1e'),
  float64(VALUE, true),
  float64(VALUE, false),
];

function traces(dataDir: string): string[] {
  const found: string[] = [];
  for (const file of filesUnder(dataDir)) {
    const content = readFileSync(file);
    for (const needle of NEEDLES)
      if (content.includes(needle)) found.push(`${file}: ${needle.toString('hex')}`);
  }
  return found;
}

describe('local erasure', () => {
  it('leaves no trace of the tenant in any data file after offboarding, nor after a clean stop', async () => {
    const dataDir = tempDataDir('erasure-');
    const platform = await startTestPlatform({ dataDir });
    const { tenantId, adminToken } = await platform.createTenant('zebracorn-tenant-7f3a');
    await callApi(platform, '/v1/resources', {
      token: adminToken,
      method: 'POST',
      body: { type: 'device', name: 'quokka-router-19c2', address: 'h1' },
      status: 201,
    });
    const { ingestKey } = await platform.createCollector(adminToken);
    const nowS = Math.floor(Date.now() / 1000);
    const ingest = await platform.request('/v1/ingest', {
      method: 'POST',
      token: ingestKey,
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        resourceName: 'quokka-router-19c2',
        resourceIds: { 'system.hostname': 'quokka-router-19c2' },
        dataSource: 'cpu',
        instances: [
          {
            instanceName: 'i',
            dataPoints: [
              {
                dataPointName: 'wombat_metric_5d1e',
                values: Object.fromEntries(Array.from({ length: 20 }, (_, i) => [nowS - 60 * i, VALUE])),
              },
            ],
          },
        ],
      }),
    });
    expect(ingest.status, await ingest.text()).toBe(202);
    expect(traces(dataDir).length).toBeGreaterThan(0);

    const job = await platform.offboard(tenantId);
    expect(job.state).toBe('succeeded');
    const { remaining } = job.regions[0]!;
    // The metadata keeps one record, the tombstone (ids only).
    expect(Object.entries(remaining).filter(([name, n]) => n !== 0 && name !== 'metadata')).toEqual([]);
    expect(traces(dataDir)).toEqual([]);
    await platform.close();
    expect(traces(dataDir)).toEqual([]);
  }, 60_000);
});
