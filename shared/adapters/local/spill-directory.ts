import { randomUUID } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { open, readdir, readFile, rename, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { UnavailableError } from '../../domain/errors';
import type { Sample } from '../../domain/metrics';
import type { MetricStore } from '../../ports/metric-store';
import type { ReplayReport, SpilledBatch, SpillQueue } from '../spilling-metric-store';

const BATCH_SUFFIX = '.batch.json';
const DEAD_DIR = 'dead';

/**
 * The local spill: one file per parked batch in a directory under DATA_DIR. A batch is written to a
 * temporary name, fsynced, renamed into place and the directory fsynced before `park` resolves, so a
 * kill -9 (or power loss) after the acknowledgement never loses it, and a half-written file is never
 * taken for a batch. `drain` replays files oldest first and deletes each once the store holds it.
 */
export class SpillDirectory implements SpillQueue {
  private draining: Promise<ReplayReport> | undefined;

  constructor(readonly directory: string) {
    mkdirSync(join(directory, DEAD_DIR), { recursive: true, mode: 0o700 });
  }

  async park(batch: SpilledBatch): Promise<void> {
    const name = `${String(batch.spilledAtMs).padStart(15, '0')}-${randomUUID()}${BATCH_SUFFIX}`;
    const temporary = join(this.directory, `.${name}.tmp`);
    const file = await open(temporary, 'wx', 0o600);
    try {
      await file.writeFile(JSON.stringify({ v: 1, ...batch }));
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

  /**
   * Replays parked batches into `store`, oldest first, stopping at the first outage. Overlapping
   * calls share one run. Re-writing a batch that was written before a crash is idempotent.
   */
  drain(
    store: MetricStore,
    log: (message: string, details: object) => void = () => {},
  ): Promise<ReplayReport> {
    this.draining ??= this.drainOnce(store, log).finally(() => {
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
    log: (message: string, details: object) => void,
  ): Promise<ReplayReport> {
    const names = await this.pending();
    let replayed = 0;
    let rejectedSamples = 0;
    let deadLettered = 0;
    for (let i = 0; i < names.length; i++) {
      const name = names[i] as string;
      const path = join(this.directory, name);
      let batch: SpilledBatch;
      try {
        batch = decodeBatch(await readFile(path, 'utf8'));
      } catch (error) {
        await rename(path, join(this.directory, DEAD_DIR, name));
        deadLettered++;
        log('spilled batch unreadable; moved to dead letters', { name, error: String(error) });
        continue;
      }
      try {
        const result = await store.write(batch.tenantId, batch.samples);
        if (result.rejected.length > 0) {
          rejectedSamples += result.rejected.length;
          log('store refused spilled samples on replay', { name, rejected: result.rejected.slice(0, 10) });
        }
      } catch (error) {
        if (error instanceof UnavailableError) {
          return { replayed, rejectedSamples, remaining: names.length - i, deadLettered };
        }
        throw error;
      }
      await unlink(path);
      replayed++;
    }
    if (replayed > 0) await this.syncDirectory();
    return { replayed, rejectedSamples, remaining: 0, deadLettered };
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

function decodeBatch(text: string): SpilledBatch {
  const raw = JSON.parse(text) as {
    v?: unknown;
    tenantId?: unknown;
    samples?: unknown;
    spilledAtMs?: unknown;
  };
  if (raw.v !== 1 || typeof raw.tenantId !== 'string' || !Array.isArray(raw.samples))
    throw new Error('not a spilled batch');
  return { tenantId: raw.tenantId, samples: raw.samples as Sample[], spilledAtMs: Number(raw.spilledAtMs) };
}

/** Drains the spill every `intervalMs` until stopped (the local stand-in for the replay Lambda). */
export function startSpillReplay(
  spill: SpillDirectory,
  store: MetricStore,
  intervalMs: number,
  log: (message: string, details: object) => void = (message, details) => console.warn(message, details),
): { stop(): Promise<void> } {
  const tick = () =>
    spill.drain(store, log).catch((error: unknown) => log('spill replay failed', { error: String(error) }));
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
