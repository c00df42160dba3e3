import { randomUUID } from 'node:crypto';
import { mkdirSync, readdirSync } from 'node:fs';
import { open, readdir, readFile, rename, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import {
  acceptsData,
  TenantNotActiveError,
  type TenantStatusSource,
  tenantDataStatus,
} from '#adapters/tenancy/tenant-status';
import { UnavailableError } from '#domain/errors';
import type { RejectedSample, Sample } from '#domain/metrics';
import { jsonSampleValue, sampleJsonReplacer, sampleJsonReviver } from '#domain/special-values';
import { createObservability, type Observability } from '#http/handler';
import type { MetricStore } from '#ports/metric-store';
import { METRIC } from '#ports/operational-metrics';
import type { ReplayReport, SpilledBatch, SpillQueue } from '#ports/spill-queue';
import type { TenantDataHolder } from '#ports/tenant-data';

const BATCH_SUFFIX = '.batch.json';
const DEAD_DIR = 'dead';

/**
 * The local spill: one file per parked batch in a directory under DATA_DIR. A batch is written to a
 * temporary name, fsynced, renamed into place and the directory fsynced before `park` resolves, so a
 * kill -9 (or power loss) after the acknowledgement never loses it, and a half-written file is never
 * taken for a batch. `drain` replays files oldest first and deletes each once the store holds it.
 *
 * Parked batches are tenant data: offboarding archives and deletes a tenant's (TenantDataHolder), and
 * a drain writes only an active tenant's, so nothing parked brings erased data back.
 */
export class SpillDirectory implements SpillQueue, TenantDataHolder {
  readonly dataName = 'spill';
  private draining: Promise<ReplayReport> | undefined;

  constructor(readonly directory: string) {
    mkdirSync(join(directory, DEAD_DIR), { recursive: true, mode: 0o700 });
  }

  async park(batch: SpilledBatch): Promise<void> {
    const name = `${String(batch.spilledAtMs).padStart(15, '0')}-${randomUUID()}${BATCH_SUFFIX}`;
    const temporary = join(this.directory, `.${name}.tmp`);
    const file = await open(temporary, 'wx', 0o600);
    try {
      await file.writeFile(JSON.stringify({ v: 1, ...batch }, sampleJsonReplacer));
      await file.sync();
    } finally {
      await file.close();
    }
    await rename(temporary, join(this.directory, name));
    await this.syncDirectory();
  }

  /** Parked batches waiting for replay. */
  async pending(): Promise<string[]> {
    return (await readdir(this.directory)).filter((n) => n.endsWith(BATCH_SUFFIX)).sort();
  }

  /** The samples of the tenant's parked batches (an offboarding archive's `spill` section). */
  async *exportTenant(tenantId: string): AsyncIterable<unknown> {
    for (const { batch } of await this.batchesOf(tenantId))
      for (const s of batch.samples) yield { ...s, ...jsonSampleValue(s.value, s.stale === true) };
  }

  /**
   * Deletes the tenant's parked batches; returns how many samples they held. A replay running now
   * finishes first, so a batch it is writing lands before the metric store's own erasure (offboarding
   * deletes this holder's data before the store's) and later replays see the tenant suspended.
   */
  async deleteTenant(tenantId: string): Promise<number> {
    await this.settled();
    let removed = 0;
    for (const { name, batch } of await this.batchesOf(tenantId))
      if (await removeIfPresent(join(this.directory, name))) removed += batch.samples.length;
    if (removed > 0) await this.syncDirectory();
    return removed;
  }

  /**
   * Failover (functions/admin/failover.ts): parks the tenant's batches on `to` (the new home's spill,
   * which replays them into its store) and deletes them here once parked. Returns the batches moved.
   */
  async moveTenant(tenantId: string, to: SpillQueue): Promise<number> {
    await this.settled();
    let moved = 0;
    for (const { name, batch } of await this.batchesOf(tenantId)) {
      await to.park(batch);
      if (await removeIfPresent(join(this.directory, name))) moved += 1;
    }
    if (moved > 0) await this.syncDirectory();
    return moved;
  }

  /** `moveTenant` for each tenant (failover's SpillSource): batches moved per tenant. */
  async moveTenants(tenantIds: readonly string[], to: SpillQueue): Promise<Map<string, number>> {
    const moved = new Map<string, number>();
    for (const tenantId of tenantIds) moved.set(tenantId, await this.moveTenant(tenantId, to));
    return moved;
  }

  /** Unreadable batches name no tenant: they stay under `dead/` for an operator to inspect. */
  get erasureLimitation(): string | undefined {
    const dead = readdirSync(join(this.directory, DEAD_DIR)).length;
    return dead > 0
      ? `${dead} unreadable spill file(s) under ${join(this.directory, DEAD_DIR)} name no tenant and were not examined; delete them by hand if they may hold this tenant's points`
      : undefined;
  }

  /**
   * Replays parked batches into `store`, oldest first, stopping at the first outage. The tenant is read
   * afresh for each batch (a point read of the local tenant store): an offboarded or unknown tenant's
   * batch is deleted unwritten; an offboarding one's is left for that offboarding to archive and
   * delete. Overlapping calls share one run. Re-writing a batch that was written before a crash is
   * idempotent.
   */
  drain(
    store: MetricStore,
    tenants: TenantStatusSource,
    log: (message: string, details: object) => void = () => {},
    settle?: RefusalSettler,
  ): Promise<ReplayReport> {
    this.draining ??= this.drainOnce(store, tenants, log, settle).finally(() => {
      this.draining = undefined;
    });
    return this.draining;
  }

  /** Resolves when no replay is running (before closing the store under it). */
  async settled(): Promise<void> {
    await this.draining?.catch(() => undefined);
  }

  private async drainOnce(
    store: MetricStore,
    tenants: TenantStatusSource,
    log: (message: string, details: object) => void,
    settle: RefusalSettler | undefined,
  ): Promise<ReplayReport> {
    const names = await this.pending();
    let replayed = 0;
    let rejectedSamples = 0;
    let deadLettered = 0;
    let dropped = 0;
    let held = 0;
    for (let i = 0; i < names.length; i++) {
      const name = names[i] as string;
      const path = join(this.directory, name);
      let batch: SpilledBatch;
      try {
        batch = decodeBatch(await readFile(path, 'utf8'));
      } catch (error) {
        if (isMissingFile(error)) continue; // deleted meanwhile (offboarding purged its tenant)
        await rename(path, join(this.directory, DEAD_DIR, name));
        deadLettered++;
        log('spilled batch unreadable; moved to dead letters', { name, error: String(error) });
        continue;
      }
      const drop = async (tenantStatus: string) => {
        await removeIfPresent(path);
        dropped++;
        log('spilled batch dropped: its tenant no longer accepts data', {
          name,
          tenantId: batch.tenantId,
          tenantStatus,
          samples: batch.samples.length,
          spilledAtMs: batch.spilledAtMs,
        });
      };
      const tenantStatus = await tenantDataStatus(tenants, batch.tenantId);
      if (tenantStatus === 'offboarding') {
        held++; // left for the tenant's offboarding, which archives and then deletes it
        continue;
      }
      if (!acceptsData(tenantStatus)) {
        await drop(tenantStatus);
        continue;
      }
      try {
        const result = await store.write(batch.tenantId, batch.samples);
        if (result.rejected.length > 0) {
          rejectedSamples += result.rejected.length;
          log('store refused spilled samples on replay', { name, rejected: result.rejected.slice(0, 10) });
          // Parked again or dead-lettered as the replay Lambda does; if that fails the file stays.
          await settle?.(name, batch, result.rejected);
        }
      } catch (error) {
        if (error instanceof TenantNotActiveError) {
          await drop(error.tenantStatus);
          continue;
        }
        if (error instanceof UnavailableError) {
          if (replayed + dropped > 0) await this.syncDirectory();
          return { replayed, rejectedSamples, remaining: held + names.length - i, deadLettered, dropped };
        }
        throw error;
      }
      await removeIfPresent(path);
      replayed++;
    }
    if (replayed + dropped > 0) await this.syncDirectory();
    return { replayed, rejectedSamples, remaining: held, deadLettered, dropped };
  }

  /** The tenant's parked batches that can be read, oldest first. */
  private async batchesOf(tenantId: string): Promise<{ name: string; batch: SpilledBatch }[]> {
    const found: { name: string; batch: SpilledBatch }[] = [];
    for (const name of await this.pending()) {
      let batch: SpilledBatch;
      try {
        batch = decodeBatch(await readFile(join(this.directory, name), 'utf8'));
      } catch {
        continue; // replayed meanwhile, or unreadable (a drain moves it to dead letters)
      }
      if (batch.tenantId === tenantId) found.push({ name, batch });
    }
    return found;
  }

  private async syncDirectory(): Promise<void> {
    const dir = await open(this.directory, 'r');
    try {
      await dir.sync();
    } finally {
      await dir.close();
    }
  }
}

const isMissingFile = (error: unknown): boolean => (error as NodeJS.ErrnoException)?.code === 'ENOENT';

/** Deletes a file; false when it was already gone (a drain and an offboarding purge may race). */
async function removeIfPresent(path: string): Promise<boolean> {
  try {
    await unlink(path);
    return true;
  } catch (error) {
    if (isMissingFile(error)) return false;
    throw error;
  }
}

function decodeBatch(text: string): SpilledBatch {
  const raw = JSON.parse(text, sampleJsonReviver) as {
    v?: unknown;
    tenantId?: unknown;
    samples?: unknown;
    spilledAtMs?: unknown;
    replays?: unknown;
  };
  if (raw.v !== 1 || typeof raw.tenantId !== 'string' || !Array.isArray(raw.samples))
    throw new Error('not a spilled batch');
  return {
    tenantId: raw.tenantId,
    samples: raw.samples as Sample[],
    spilledAtMs: Number(raw.spilledAtMs),
    ...(typeof raw.replays === 'number' ? { replays: raw.replays } : {}),
  };
}

/** What to do with samples the store refused one by one (functions/replay refusalSettler). */
export type RefusalSettler = (
  ref: string,
  batch: SpilledBatch,
  rejected: readonly RejectedSample[],
) => Promise<void>;

/**
 * Drains the spill every `intervalMs` until stopped (the local stand-in for the replay Lambda): logs
 * through the `replay` service's logger and emits the replay function's dropped-batch metric.
 */
export function startSpillReplay(
  spill: SpillDirectory,
  store: MetricStore,
  tenants: TenantStatusSource,
  intervalMs: number,
  observability: Pick<Observability, 'logger' | 'metrics'> = createObservability('replay'),
  settle?: RefusalSettler,
): { stop(): Promise<void> } {
  const { logger, metrics } = observability;
  const log = (message: string, details: object) => logger.warn(message, { ...details });
  let lastDepth = 0;
  const tick = () =>
    spill
      .drain(store, tenants, log, settle)
      .then(async (report) => {
        if (report.dropped > 0)
          metrics.addMetric(METRIC.spillReplayDroppedBatches, MetricUnit.Count, report.dropped);
        // The depth while anything is parked, and the 0 that ends it: an idle spill stays quiet.
        const depth = (await spill.pending()).length;
        const reportDepth = depth > 0 || lastDepth > 0;
        lastDepth = depth;
        if (reportDepth) metrics.addMetric(METRIC.spillQueueDepth, MetricUnit.Count, depth);
        if (report.dropped > 0 || reportDepth) metrics.publishStoredMetrics();
      })
      .catch((error: unknown) => log('spill replay failed', { error: String(error) }));
  const timer = setInterval(tick, intervalMs);
  timer.unref();
  void tick();
  return {
    stop: async () => {
      clearInterval(timer);
      await spill.settled();
    },
  };
}
