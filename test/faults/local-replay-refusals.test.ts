/**
 * The local spill replay settles refusals as the replay Lambda does (#22 item 7): a sample the store
 * refuses for now is parked again with its replay count and written on a later pass; one refused for
 * good becomes a dead letter with its reason; nothing is only counted.
 */
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { SpillDirectory } from '#adapters/local/spill-directory';
import { SqliteDeadLetters } from '#adapters/local/sqlite-dead-letters';
import type { RejectedSample, Sample } from '#domain/metrics';
import type { MetricStore } from '#ports/metric-store';
import { refusalSettler } from '../../functions/replay/app';

const sample = (value: number): Sample => ({
  metric: 'cpu',
  dimensions: { host: 'h1' },
  timestampMs: 1_000 + value,
  value,
});

it('parks again what the store refused for now and dead-letters what it refused for good', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'local-replay-'));
  const spill = new SpillDirectory(join(dir, 'spill'));
  const deadLetters = new SqliteDeadLetters(join(dir, 'dl.sqlite'));
  const written: Sample[] = [];
  let pass = 0;
  const store: MetricStore = {
    write: async (_tenant, samples) => {
      pass++;
      // First pass: sample 1 refused for now, sample 2 for good; later passes take everything.
      const rejected: RejectedSample[] =
        pass === 1
          ? [
              { index: 1, reason: 'table is being created', retryable: true },
              { index: 2, reason: 'timestamp outside the ingestion window' },
            ]
          : [];
      samples.forEach((s, i) => {
        if (!rejected.some((r) => r.index === i)) written.push(s);
      });
      return { accepted: samples.length - rejected.length, rejected };
    },
    query: async () => [],
  };
  const tenants = { getTenant: async () => ({ status: 'active' as const }) };
  const settle = refusalSettler({ spill, deadLetters, now: () => 5_000, maxReplays: 5 });
  await spill.park({ tenantId: 't1', samples: [sample(0), sample(1), sample(2)], spilledAtMs: 1_000 });

  await spill.drain(store, tenants as never, () => {}, settle);
  const parked = readdirSync(join(dir, 'spill')).filter((n) => n.endsWith('.json'));
  expect(parked).toHaveLength(1);
  expect(JSON.parse(readFileSync(join(dir, 'spill', parked[0]!), 'utf8'))).toMatchObject({
    replays: 1,
    samples: [{ value: 1 }],
  });
  const letters = await deadLetters.list('t1', 10);
  expect(letters).toHaveLength(1);
  expect(letters[0]).toMatchObject({
    source: 'spill-replay',
    reason: 'timestamp outside the ingestion window',
  });

  await spill.drain(store, tenants as never, () => {}, settle);
  expect(written.map((s) => s.value).sort()).toEqual([0, 1]);
  expect(await spill.pending()).toEqual([]);
  deadLetters.close();
});
