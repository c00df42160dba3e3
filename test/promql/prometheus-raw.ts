/**
 * Raw samples out of a real Prometheus, stale markers included, for feeding the engine the very data
 * Prometheus answers from: remote read (`/api/v1/read`, SAMPLES response). A ReadResponse's
 * QueryResult has the same wire shape as a remote-write WriteRequest (timeseries in field 1, labels and
 * samples as in remote write), so the platform's own decoder reads it, stale flags and all. Also a
 * scrape target whose series come, go and fail, so Prometheus writes stale markers.
 */
import { createServer, type Server } from 'node:http';
import type { RawSeries } from '#ports/series-source';
import { decodeWriteRequest } from '#protocols/prometheus/remote-write';
import { snappyCompress, snappyDecompress } from '#protocols/snappy';

function varint(n: number): number[] {
  const out: number[] = [];
  let v = BigInt(n);
  while (v >= 0x80n) {
    out.push(Number((v & 0x7fn) | 0x80n));
    v >>= 7n;
  }
  out.push(Number(v));
  return out;
}

function field(no: number, bytes: number[]): number[] {
  return [...varint((no << 3) | 2), ...varint(bytes.length), ...bytes];
}

/** A ReadRequest for `{__name__=~".+"}` over [startMs, endMs], samples response. */
function readRequest(startMs: number, endMs: number): Uint8Array {
  const utf8 = (s: string) => [...new TextEncoder().encode(s)];
  // LabelMatcher: type (RE = 2) = 1, name = 2, value = 3.
  const matcher = [...varint((1 << 3) | 0), 2, ...field(2, utf8('__name__')), ...field(3, utf8('.+'))];
  // Query: start_timestamp_ms = 1, end_timestamp_ms = 2, matchers = 3.
  const query = [
    ...varint((1 << 3) | 0),
    ...varint(startMs),
    ...varint((2 << 3) | 0),
    ...varint(endMs),
    ...field(3, matcher),
  ];
  // ReadRequest: queries = 1, accepted_response_types = 2 (SAMPLES = 0).
  return Uint8Array.from([...field(1, query), ...varint((2 << 3) | 0), 0]);
}

/** The length-delimited field-1 submessages of a protobuf message. */
function submessages(bytes: Uint8Array): Uint8Array[] {
  const out: Uint8Array[] = [];
  let i = 0;
  const readVarint = () => {
    let result = 0;
    let shift = 0;
    for (;;) {
      const b = bytes[i++]!;
      result += (b & 0x7f) * 2 ** shift;
      if (b < 0x80) return result;
      shift += 7;
    }
  };
  while (i < bytes.length) {
    const tag = readVarint();
    if ((tag & 7) !== 2) throw new Error(`unexpected wire type in ReadResponse: ${tag & 7}`);
    const len = readVarint();
    if (tag >> 3 === 1) out.push(bytes.subarray(i, i + len));
    i += len;
  }
  return out;
}

/** Every series Prometheus holds in [startMs, endMs], with its stale markers flagged. */
export async function remoteReadAll(url: string, startMs: number, endMs: number): Promise<RawSeries[]> {
  const response = await fetch(`${url}/api/v1/read`, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-protobuf',
      'content-encoding': 'snappy',
      'x-prometheus-remote-read-version': '0.1.0',
    },
    body: snappyCompress(readRequest(startMs, endMs)),
  });
  if (!response.ok) throw new Error(`remote read: ${response.status} ${await response.text()}`);
  const body = snappyDecompress(new Uint8Array(await response.arrayBuffer()), 512 * 1024 * 1024);
  const series: RawSeries[] = [];
  for (const result of submessages(body)) {
    for (const ts of decodeWriteRequest(result).timeseries) {
      series.push({
        labels: Object.fromEntries(ts.labels.map((l) => [l.name, l.value])),
        timestampsMs: ts.samples.map((s) => s.timestamp),
        values: ts.samples.map((s) => s.value),
        stale: Uint8Array.from(ts.samples, (s) => (s.stale ? 1 : 0)),
      });
    }
  }
  return series;
}

export interface FlappingTarget {
  /** host:port */
  readonly address: string;
  close(): Promise<void>;
}

/**
 * An exposition endpoint whose series change with time since start, so Prometheus writes stale
 * markers: `flappy_gauge{n="1"|"2"}` and a counter `flappy_total`; n="2" disappears at 25 s, the whole
 * target fails (503) from 40 s to 50 s, then everything comes back with the counter reset.
 */
export async function startFlappingTarget(): Promise<FlappingTarget> {
  const started = Date.now();
  let scrapes = 0;
  let scrapesSinceOutage = 0;
  const server: Server = createServer((req, res) => {
    const t = (Date.now() - started) / 1000;
    if (req.url !== '/metrics' || (t >= 40 && t < 50)) {
      res.statusCode = 503;
      res.end();
      return;
    }
    scrapes++;
    if (t >= 50) scrapesSinceOutage++;
    const lines = ['# TYPE flappy_gauge gauge', `flappy_gauge{n="1"} ${scrapes % 7}`];
    if (t < 25 || t >= 50) lines.push(`flappy_gauge{n="2"} ${(scrapes * 1.5) % 11}`);
    lines.push(
      '# TYPE flappy_total counter',
      `flappy_total ${t < 50 ? scrapes * 3 : scrapesSinceOutage * 2}`,
    );
    res.setHeader('content-type', 'text/plain; version=0.0.4');
    res.end(`${lines.join('\n')}\n`);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const { port } = server.address() as { port: number };
  return {
    address: `127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((r) => {
        server.close(() => r());
        server.closeAllConnections();
      }),
  };
}
