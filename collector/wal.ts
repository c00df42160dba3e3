/**
 * The collector's write-ahead queue: records (any kind: metrics now, syslog later) appended to
 * fsync'd segment files, read back oldest first in batches, acknowledged by moving a persisted
 * cursor. It survives kill -9: a torn frame at the tail is cut off on open, the cursor file is
 * replaced atomically, and a batch handed out before a crash is handed out again with the same key
 * and the same records (the in-flight range is persisted before the batch leaves), so the platform's
 * idempotency keys dedupe a resend. Bounded: past maxBytes the oldest segment is dropped and its
 * unsent records counted.
 */

import { randomUUID } from 'node:crypto';
import {
  closeSync,
  fsyncSync,
  ftruncateSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  readSync,
  renameSync,
  statSync,
  unlinkSync,
  writeSync,
} from 'node:fs';
import { join } from 'node:path';

const FRAME_HEADER = 8; // u32 length, u32 crc32
const SEGMENT_SUFFIX = '.seg';

export interface WalOptions {
  readonly dir: string;
  /** The bound on the queue's bytes on disk; past it the oldest segment is dropped. */
  readonly maxBytes?: number;
  /** A segment is sealed and a new one begun past this size. */
  readonly segmentBytes?: number;
  /** Told whenever records are dropped at the bound. */
  readonly onDrop?: (records: number) => void;
}

export interface WalBatch {
  /** Stable across restarts for the same records: segment, start and end offsets. */
  readonly key: string;
  readonly records: Buffer[];
  readonly segment: number;
  readonly start: number;
  readonly end: number;
}

interface Cursor {
  /** This queue directory's own id: batch keys stay unique if the directory is ever recreated. */
  id: string;
  segment: number;
  offset: number;
  inflight?: { segment: number; start: number; end: number };
  dropped: number;
}

interface Segment {
  readonly seq: number;
  bytes: number;
  records: number;
}

const CRC_TABLE = (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
})();

export function crc32(bytes: Uint8Array): number {
  let crc = 0xffffffff;
  for (let i = 0; i < bytes.length; i++)
    crc = (CRC_TABLE[(crc ^ (bytes[i] as number)) & 0xff] as number) ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}

function frame(record: Buffer): Buffer {
  const out = Buffer.allocUnsafe(FRAME_HEADER + record.length);
  out.writeUInt32LE(record.length, 0);
  out.writeUInt32LE(crc32(record), 4);
  record.copy(out, FRAME_HEADER);
  return out;
}

/** Whole, intact frames of a buffer read from `base`: each record and the offset after it. */
function* frames(bytes: Buffer): Generator<{ record: Buffer; end: number }> {
  let at = 0;
  while (at + FRAME_HEADER <= bytes.length) {
    const length = bytes.readUInt32LE(at);
    const end = at + FRAME_HEADER + length;
    if (end > bytes.length) return;
    const record = bytes.subarray(at + FRAME_HEADER, end);
    if (crc32(record) !== bytes.readUInt32LE(at + 4)) return;
    yield { record, end };
    at = end;
  }
}

export class WriteAheadQueue {
  readonly #dir: string;
  readonly #maxBytes: number;
  readonly #segmentBytes: number;
  readonly #onDrop: (records: number) => void;
  readonly #segments: Segment[] = [];
  #cursor: Cursor;
  /** Records before the cursor in the cursor's segment (already sent). */
  #sent = 0;
  #fd: number | undefined;
  #pending: Buffer[] = [];
  #waiters: Array<{ resolve: () => void; reject: (e: unknown) => void }> = [];
  #flushScheduled = false;
  #appendListeners = new Set<() => void>();

  constructor(options: WalOptions) {
    this.#dir = options.dir;
    this.#maxBytes = options.maxBytes ?? 256 * 1024 * 1024;
    this.#segmentBytes = Math.min(
      options.segmentBytes ?? 4 * 1024 * 1024,
      Math.max(4096, this.#maxBytes / 4),
    );
    this.#onDrop = options.onDrop ?? (() => undefined);
    mkdirSync(this.#dir, { recursive: true, mode: 0o700 });
    this.#cursor = this.#readCursor();
    this.#recover();
  }

  /** Records not yet acknowledged (including an in-flight batch). */
  get depth(): number {
    let n = 0;
    for (const s of this.#segments) if (s.seq >= this.#cursor.segment) n += s.records;
    return n - this.#sent;
  }

  get bytes(): number {
    return this.#segments.reduce((sum, s) => sum + s.bytes, 0);
  }

  /** Records dropped at the bound since this queue directory was created. */
  get dropped(): number {
    return this.#cursor.dropped;
  }

  /**
   * Appends records; resolves once they are on disk (fsync'd). Appends in the same tick share one
   * write and one fsync.
   */
  append(records: readonly Buffer[]): Promise<void> {
    for (const r of records) this.#pending.push(frame(r));
    const done = new Promise<void>((resolve, reject) => this.#waiters.push({ resolve, reject }));
    if (!this.#flushScheduled) {
      this.#flushScheduled = true;
      setImmediate(() => this.#flush());
    }
    return done;
  }

  /** Called after each durable append (the sender wakes up on it). */
  onAppend(listener: () => void): () => void {
    this.#appendListeners.add(listener);
    return () => this.#appendListeners.delete(listener);
  }

  /**
   * The oldest unacknowledged records, at most maxRecords / about maxBytes, never crossing a segment.
   * The same batch (same key, same records) comes back until it is acknowledged, across restarts.
   */
  next(maxRecords = 500, maxBytes = 1024 * 1024): WalBatch | undefined {
    const inflight = this.#cursor.inflight;
    if (inflight && this.#segments.some((s) => s.seq === inflight.segment)) {
      const records = [
        ...frames(this.#read(inflight.segment, inflight.start, inflight.end - inflight.start)),
      ].map((f) => f.record);
      return { key: this.#key(inflight.segment, inflight.start, inflight.end), records, ...inflight };
    }
    for (;;) {
      const segment = this.#segments.find((s) => s.seq === this.#cursor.segment) ?? this.#segments[0];
      if (!segment) return undefined;
      if (segment.seq !== this.#cursor.segment) {
        this.#cursor = {
          segment: segment.seq,
          offset: 0,
          dropped: this.#cursor.dropped,
          id: this.#cursor.id,
        };
        this.#sent = 0;
      }
      const start = this.#cursor.offset;
      if (start >= segment.bytes) {
        if (segment === this.#segments.at(-1)) return undefined; // the open segment, all sent
        this.#retire(segment);
        continue;
      }
      const bytes = this.#read(segment.seq, start, Math.min(segment.bytes - start, maxBytes));
      const records: Buffer[] = [];
      let end = start;
      for (const f of frames(bytes)) {
        records.push(Buffer.from(f.record));
        end = start + f.end;
        if (records.length >= maxRecords) break;
      }
      if (records.length === 0) {
        // One record larger than maxBytes: read it whole.
        const length = this.#read(segment.seq, start, FRAME_HEADER).readUInt32LE(0);
        const whole = [...frames(this.#read(segment.seq, start, FRAME_HEADER + length))];
        if (!whole[0]) throw new Error(`queue segment ${segment.seq} is corrupt at ${start}`);
        records.push(Buffer.from(whole[0].record));
        end = start + whole[0].end;
      }
      this.#cursor = { ...this.#cursor, inflight: { segment: segment.seq, start, end } };
      this.#writeCursor();
      return { key: this.#key(segment.seq, start, end), records, segment: segment.seq, start, end };
    }
  }

  /** The batch reached the platform (or was refused for good): it is not handed out again. */
  ack(batch: WalBatch): void {
    const inflight = this.#cursor.inflight;
    if (!inflight || inflight.segment !== batch.segment || inflight.start !== batch.start) return;
    this.#cursor = {
      segment: batch.segment,
      offset: batch.end,
      dropped: this.#cursor.dropped,
      id: this.#cursor.id,
    };
    this.#sent += batch.records.length;
    this.#writeCursor();
    const segment = this.#segments.find((s) => s.seq === batch.segment);
    if (segment && segment !== this.#segments.at(-1) && batch.end >= segment.bytes) this.#retire(segment);
  }

  /** Writes what is pending and closes the open segment. */
  async close(): Promise<void> {
    if (this.#pending.length > 0) this.#flush();
    if (this.#fd !== undefined) closeSync(this.#fd);
    this.#fd = undefined;
  }

  #flush(): void {
    this.#flushScheduled = false;
    const pending = this.#pending;
    const waiters = this.#waiters;
    this.#pending = [];
    this.#waiters = [];
    if (pending.length === 0) {
      for (const w of waiters) w.resolve();
      return;
    }
    try {
      let open = this.#openSegment();
      let chunk: Buffer[] = [];
      let chunkBytes = 0;
      const writeChunk = () => {
        if (chunk.length === 0) return;
        const bytes = Buffer.concat(chunk);
        writeSync(this.#fd as number, bytes, 0, bytes.length, open.bytes);
        fsyncSync(this.#fd as number);
        open.bytes += bytes.length;
        open.records += chunk.length;
        chunk = [];
        chunkBytes = 0;
      };
      for (const f of pending) {
        if (open.bytes + chunkBytes > 0 && open.bytes + chunkBytes + f.length > this.#segmentBytes) {
          writeChunk();
          open = this.#roll();
        }
        chunk.push(f);
        chunkBytes += f.length;
      }
      writeChunk();
      this.#enforceBound();
      for (const w of waiters) w.resolve();
    } catch (error) {
      for (const w of waiters) w.reject(error);
      return;
    }
    for (const listener of this.#appendListeners) listener();
  }

  #openSegment(): Segment {
    const last = this.#segments.at(-1);
    if (last && this.#fd !== undefined) return last;
    if (last && last.bytes < this.#segmentBytes) {
      this.#fd = openSync(this.#path(last.seq), 'r+');
      return last;
    }
    return this.#roll();
  }

  #roll(): Segment {
    if (this.#fd !== undefined) closeSync(this.#fd);
    const seq = (this.#segments.at(-1)?.seq ?? this.#cursor.segment - 1) + 1;
    this.#fd = openSync(this.#path(seq), 'wx', 0o600);
    this.#fsyncDir();
    const segment = { seq, bytes: 0, records: 0 };
    this.#segments.push(segment);
    return segment;
  }

  #enforceBound(): void {
    let dropped = 0;
    while (this.bytes > this.#maxBytes && this.#segments.length > 1) {
      const oldest = this.#segments[0] as Segment;
      if (oldest.seq === this.#cursor.segment) dropped += oldest.records - this.#sent;
      else if (oldest.seq > this.#cursor.segment) dropped += oldest.records;
      this.#retire(oldest);
    }
    if (dropped > 0) {
      this.#cursor = { ...this.#cursor, dropped: this.#cursor.dropped + dropped };
      this.#writeCursor();
      this.#onDrop(dropped);
    }
  }

  /** Removes a segment; a cursor inside it moves to the start of the next. */
  #retire(segment: Segment): void {
    this.#segments.splice(this.#segments.indexOf(segment), 1);
    if (this.#cursor.segment <= segment.seq) {
      const next = this.#segments[0]?.seq ?? segment.seq + 1;
      this.#cursor = { segment: next, offset: 0, dropped: this.#cursor.dropped, id: this.#cursor.id };
      this.#sent = 0;
      this.#writeCursor();
    }
    unlinkSync(this.#path(segment.seq));
  }

  #recover(): void {
    const seqs = readdirSync(this.#dir)
      .filter((f) => f.endsWith(SEGMENT_SUFFIX))
      .map((f) => Number(f.slice(0, -SEGMENT_SUFFIX.length)))
      .filter((n) => Number.isSafeInteger(n))
      .sort((a, b) => a - b);
    for (const seq of seqs) {
      if (seq < this.#cursor.segment) {
        unlinkSync(this.#path(seq)); // fully sent before a crash, not yet removed
        continue;
      }
      const bytes = readFileSync(this.#path(seq));
      let end = 0;
      let records = 0;
      for (const f of frames(bytes)) {
        end = f.end;
        records++;
      }
      if (end < bytes.length) {
        // A torn write from a crash: nothing after it was acknowledged to anyone.
        const fd = openSync(this.#path(seq), 'r+');
        ftruncateSync(fd, end);
        fsyncSync(fd);
        closeSync(fd);
      }
      this.#segments.push({ seq, bytes: end, records });
    }
    const current = this.#segments.find((s) => s.seq === this.#cursor.segment);
    if (current && this.#cursor.offset > 0) {
      for (const _ of frames(this.#read(current.seq, 0, this.#cursor.offset))) this.#sent++;
    }
  }

  #read(seq: number, position: number, length: number): Buffer {
    const fd = openSync(this.#path(seq), 'r');
    try {
      const out = Buffer.allocUnsafe(length);
      let read = 0;
      while (read < length) {
        const n = readSync(fd, out, read, length - read, position + read);
        if (n === 0) break;
        read += n;
      }
      return out.subarray(0, read);
    } finally {
      closeSync(fd);
    }
  }

  #readCursor(): Cursor {
    try {
      const parsed = JSON.parse(readFileSync(join(this.#dir, 'cursor.json'), 'utf8')) as Cursor;
      if (Number.isSafeInteger(parsed.segment) && Number.isSafeInteger(parsed.offset) && parsed.id)
        return parsed;
    } catch {
      // first start (a cursor is only ever replaced whole, by rename)
    }
    const cursor = { id: randomUUID().replaceAll('-', ''), segment: 0, offset: 0, dropped: 0 };
    this.#cursor = cursor;
    this.#writeCursor();
    return cursor;
  }

  #writeCursor(): void {
    const tmp = join(this.#dir, 'cursor.json.tmp');
    const fd = openSync(tmp, 'w', 0o600);
    writeSync(fd, JSON.stringify(this.#cursor));
    fsyncSync(fd);
    closeSync(fd);
    renameSync(tmp, join(this.#dir, 'cursor.json'));
  }

  #fsyncDir(): void {
    const fd = openSync(this.#dir, 'r');
    try {
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  }

  #key(segment: number, start: number, end: number): string {
    return `${this.#cursor.id}-${segment}-${start}-${end}`;
  }

  #path(seq: number): string {
    return join(this.#dir, `${String(seq).padStart(12, '0')}${SEGMENT_SUFFIX}`);
  }
}

/** Bytes a directory's segments take (for reports). */
export function queueBytesOnDisk(dir: string): number {
  return readdirSync(dir)
    .filter((f) => f.endsWith(SEGMENT_SUFFIX))
    .reduce((sum, f) => sum + statSync(join(dir, f)).size, 0);
}
