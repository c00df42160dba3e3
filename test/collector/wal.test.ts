import { appendFileSync, mkdtempSync, readdirSync, rmSync, statSync, truncateSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { WriteAheadQueue } from '../../collector/wal';

const dirs: string[] = [];
const tempDir = () => {
  const dir = mkdtempSync(join(tmpdir(), 'wal-test-'));
  dirs.push(dir);
  return dir;
};
const rec = (i: number, pad = 0) => Buffer.from(JSON.stringify({ kind: 'metrics', i, pad: 'x'.repeat(pad) }));
const ids = (records: Buffer[]) => records.map((r) => (JSON.parse(String(r)) as { i: number }).i);

afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe('write-ahead queue', () => {
  it('hands records out oldest first, in batches, and forgets them once acknowledged', async () => {
    const queue = new WriteAheadQueue({ dir: tempDir() });
    await queue.append([rec(1), rec(2), rec(3)]);
    await queue.append([rec(4)]);
    expect(queue.depth).toBe(4);
    const first = queue.next(2);
    expect(first && ids(first.records)).toEqual([1, 2]);
    queue.ack(first as NonNullable<typeof first>);
    const second = queue.next(10);
    expect(second && ids(second.records)).toEqual([3, 4]);
    queue.ack(second as NonNullable<typeof second>);
    expect(queue.depth).toBe(0);
    expect(queue.next()).toBeUndefined();
    await queue.close();
  });

  it('hands the same in-flight batch (same key, same records) out again after a restart', async () => {
    const dir = tempDir();
    const queue = new WriteAheadQueue({ dir });
    await queue.append([rec(1), rec(2), rec(3)]);
    const inflight = queue.next(2);
    // no ack, no close: a crash. More records arrive after the restart.
    const reopened = new WriteAheadQueue({ dir });
    await reopened.append([rec(4)]);
    const again = reopened.next(10);
    expect(again?.key).toBe(inflight?.key);
    expect(again && ids(again.records)).toEqual([1, 2]);
    reopened.ack(again as NonNullable<typeof again>);
    const rest = reopened.next(10);
    expect(rest && ids(rest.records)).toEqual([3, 4]);
    expect(rest?.key).not.toBe(again?.key);
  });

  it('cuts a torn frame at the tail on open and keeps every whole record before it', async () => {
    const dir = tempDir();
    const queue = new WriteAheadQueue({ dir });
    await queue.append([rec(1), rec(2)]);
    const segment = join(dir, readdirSync(dir).find((f) => f.endsWith('.seg')) as string);
    const whole = statSync(segment).size;
    appendFileSync(segment, Buffer.from([40, 0, 0, 0, 1, 2, 3])); // a header and half a payload
    const reopened = new WriteAheadQueue({ dir });
    expect(reopened.depth).toBe(2);
    expect(statSync(segment).size).toBe(whole);
    await reopened.append([rec(3)]);
    const batch = reopened.next(10);
    expect(batch && ids(batch.records)).toEqual([1, 2, 3]);
    // A record whose checksum fails is not handed out either.
    truncateSync(segment, whole - 1);
    expect(new WriteAheadQueue({ dir }).depth).toBe(1);
  });

  it('drops the oldest segment at the bound, counts what was dropped, keeps the newest', async () => {
    const dropped: number[] = [];
    const queue = new WriteAheadQueue({
      dir: tempDir(),
      maxBytes: 16 * 1024,
      segmentBytes: 4096,
      onDrop: (n) => dropped.push(n),
    });
    for (let i = 0; i < 200; i++) await queue.append([rec(i, 200)]);
    expect(queue.bytes).toBeLessThanOrEqual(16 * 1024);
    const total = dropped.reduce((a, b) => a + b, 0);
    expect(total).toBeGreaterThan(0);
    expect(queue.dropped).toBe(total);
    expect(queue.depth + total).toBe(200);
    const left: number[] = [];
    for (let b = queue.next(100); b; b = queue.next(100)) {
      left.push(...ids(b.records));
      queue.ack(b);
    }
    expect(left).toEqual(Array.from({ length: 200 - total }, (_, k) => total + k));
  });

  it('keeps the order of appends made in the same tick (they share one write and fsync)', async () => {
    const dir = tempDir();
    const queue = new WriteAheadQueue({ dir });
    await Promise.all(Array.from({ length: 100 }, (_, i) => queue.append([rec(i)])));
    const batch = queue.next(1000);
    expect(batch && ids(batch.records)).toEqual(Array.from({ length: 100 }, (_, i) => i));
  });
});
