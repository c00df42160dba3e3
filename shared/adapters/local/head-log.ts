import { closeSync, ftruncateSync, openSync, readFileSync, writeSync } from 'node:fs';
import { crc32 } from 'node:zlib';
import type { Dimensions } from '#domain/metrics';
import { isStaleMarkerAt, plainValue, writeStaleMarker } from '#domain/special-values';

/**
 * The local metric store's write-ahead log: what the in-memory head holds and SQLite does not yet.
 * Each record is `[u32 length][u32 crc32][payload]`; a record declares a series once
 * (ref → tenant, metric, dimensions) and then points reference it by number, 20 bytes a point, so a
 * 500-series remote write is one ~10 KB write(2). Written before the write is acknowledged: a killed
 * process loses nothing it answered (the page cache outlives the process); a torn tail left by a
 * kill mid-write is detected by its checksum and cut off on replay.
 */
export interface LoggedSeries {
  readonly ref: number;
  readonly tenantId: string;
  readonly metric: string;
  readonly dimensions: Dimensions;
}

export interface LoggedPoint {
  readonly ref: number;
  readonly timestampMs: number;
  readonly value: number;
  /** A Prometheus stale marker (logged as its exact bits). */
  readonly stale: boolean;
}

/** The points of one write: `refs[i]` is the series of `samples[i]`. */
export interface LoggedPoints {
  readonly refs: readonly number[];
  readonly samples: readonly {
    readonly timestampMs: number;
    readonly value: number;
    readonly stale?: true;
  }[];
}

const HEADER_BYTES = 8;
const SERIES_RECORD = 1;
const POINTS_RECORD = 2;
const POINT_BYTES = 20;

export class HeadLog {
  private readonly fd: number;
  /** Reused for every append (the write is synchronous): a fresh 10 KB buffer per write was garbage. */
  private scratch = Buffer.alloc(0);
  private view = new DataView(this.scratch.buffer);

  constructor(readonly path: string) {
    // O_APPEND: every write lands at the end, also after a truncate.
    this.fd = openSync(path, 'a+');
  }

  /** One write(2) holding the series declarations and the points of one store write. */
  append(series: readonly LoggedSeries[], { refs, samples }: LoggedPoints): void {
    const encodedSeries = series.map((s) =>
      Buffer.from(JSON.stringify([s.ref, s.tenantId, s.metric, s.dimensions]), 'utf8'),
    );
    let size = 0;
    for (const body of encodedSeries) size += HEADER_BYTES + 1 + body.length;
    if (samples.length > 0) size += HEADER_BYTES + 1 + 4 + samples.length * POINT_BYTES;
    const buffer = this.buffer(size);
    const view = this.view;
    let offset = 0;
    for (const body of encodedSeries) {
      const start = offset;
      offset += HEADER_BYTES;
      buffer[offset++] = SERIES_RECORD;
      offset += body.copy(buffer, offset);
      seal(buffer, start, offset);
    }
    if (samples.length > 0) {
      const start = offset;
      offset += HEADER_BYTES;
      buffer[offset++] = POINTS_RECORD;
      view.setUint32(offset, samples.length, true);
      offset += 4;
      for (let i = 0; i < samples.length; i++) {
        const sample = samples[i] as LoggedPoints['samples'][number];
        view.setUint32(offset, refs[i] as number, true);
        view.setFloat64(offset + 4, sample.timestampMs, true);
        // Values bit for bit (NaN, ±Inf, -0); a stale marker as its own NaN bits.
        if (sample.stale) writeStaleMarker(view, offset + 12, true);
        else view.setFloat64(offset + 12, plainValue(sample.value), true);
        offset += POINT_BYTES;
      }
      seal(buffer, start, offset);
    }
    let written = 0;
    while (written < size) written += writeSync(this.fd, buffer, written, size - written);
  }

  private buffer(size: number): Buffer {
    if (this.scratch.length < size) {
      this.scratch = Buffer.alloc(Math.max(size, this.scratch.length * 2, 16 * 1024));
      this.view = new DataView(this.scratch.buffer, this.scratch.byteOffset, this.scratch.byteLength);
    }
    return this.scratch;
  }

  /**
   * Reads every intact record in order; stops at the first torn or corrupt one and cuts the file
   * there (only an unacknowledged write can be torn: acknowledged ones were written whole).
   */
  replay(onSeries: (series: LoggedSeries) => void, onPoint: (point: LoggedPoint) => void): void {
    const data = readFileSync(this.path);
    let offset = 0;
    while (offset + HEADER_BYTES < data.length) {
      const length = data.readUInt32LE(offset);
      const end = offset + HEADER_BYTES + length;
      if (length === 0 || end > data.length) break;
      const payload = data.subarray(offset + HEADER_BYTES, end);
      if (crc32(payload) !== data.readUInt32LE(offset + 4)) break;
      if (payload[0] === SERIES_RECORD) {
        const [ref, tenantId, metric, dimensions] = JSON.parse(payload.toString('utf8', 1)) as [
          number,
          string,
          string,
          Dimensions,
        ];
        onSeries({ ref, tenantId, metric, dimensions });
      } else if (payload[0] === POINTS_RECORD) {
        const count = payload.readUInt32LE(1);
        const view = new DataView(payload.buffer, payload.byteOffset, payload.byteLength);
        for (let i = 0, at = 5; i < count; i++, at += POINT_BYTES)
          onPoint({
            ref: payload.readUInt32LE(at),
            timestampMs: payload.readDoubleLE(at + 4),
            value: payload.readDoubleLE(at + 12),
            stale: isStaleMarkerAt(view, at + 12, true),
          });
      } else break;
      offset = end;
    }
    if (offset < data.length) ftruncateSync(this.fd, offset);
  }

  /** Empties the log once SQLite holds everything it recorded. */
  truncate(): void {
    ftruncateSync(this.fd, 0);
  }

  close(): void {
    closeSync(this.fd);
  }
}

function seal(buffer: Buffer, start: number, end: number): void {
  const payload = buffer.subarray(start + HEADER_BYTES, end);
  buffer.writeUInt32LE(payload.length, start);
  buffer.writeUInt32LE(crc32(payload), start + 4);
}
