/** The fuzz loop of `npm run fuzz` (test/fuzz/fuzz-run.ts runs it in a watched worker). */
import fc from 'fast-check';
import protobuf from 'protobufjs';
import { SqliteMetricStore } from '#adapters/local/sqlite-metric-store';
import { DomainError } from '#domain/errors';
import { otlpToBatch } from '#domain/ingest/otlp-metrics';
import { remoteWriteBatchFrom, remoteWriteToBatch } from '#domain/ingest/remote-write';
import { decodeNativeLogs } from '#domain/logs/native-format';
import { LIMITS } from '#domain/metrics';
import { nativePayloadToSamples } from '#domain/native-format';
import { decodeOtlpJson } from '#protocols/otlp/decode-json';
import { decodeOtlpLogsJson, decodeOtlpLogsProtobuf } from '#protocols/otlp/decode-logs';
import { decodeOtlpProtobuf } from '#protocols/otlp/decode-protobuf';
import { OTLP_METRICS_DESCRIPTOR, OTLP_TYPES } from '#protocols/otlp/schema';
import {
  decodeRemoteWriteBody,
  encodeWriteRequest,
  REMOTE_WRITE_HEADERS,
} from '#protocols/prometheus/remote-write';
import { REMOTE_WRITE_V2_HEADERS, readRemoteWriteV2Body } from '#protocols/prometheus/remote-write-v2';
import { snappyCompress } from '#protocols/snappy';
import { typicalNative, typicalOtlpJson, typicalRemoteWriteSeries } from '../../../bench/lib/payloads';
import { inProcessPlatform } from '../../faults/support/in-process';
import { encodeOtlpLogsProtobuf, otlpLogsJson, typicalOtlpLogs } from '../../logs/support/otlp-logs';
import { integerHistogram } from '../../protocols/support/histogram-fixtures';
import { encodeRequestV2, type SeriesV2 } from '../../protocols/support/native-histograms';
import { mutated, nastyValue, queryParameters } from './arbitraries';
import { invoke } from './http-event';

type Outcome = 'accepted' | 'refused';
interface Counts {
  inputs: number;
  accepted: number;
  refused: number;
  crashes: number;
}

/** xorshift32: fast, seeded, reproducible. */
function rng(seed: number) {
  let x = seed | 0 || 1;
  return (n: number) => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) % n;
  };
}

const INTERESTING = [
  0x00, 0x01, 0x7f, 0x80, 0xff, 0x22, 0x5c, 0x7b, 0x7d, 0x5b, 0x5d, 0x2c, 0x3a, 0x30, 0x2d, 0x65,
];

function mutateBytes(
  input: Uint8Array,
  corpus: readonly Uint8Array[],
  random: (n: number) => number,
): Uint8Array {
  let bytes: Uint8Array = Uint8Array.from(input);
  const rounds = 1 + random(4);
  for (let r = 0; r < rounds; r++) {
    const at = bytes.length === 0 ? 0 : random(bytes.length);
    switch (random(8)) {
      case 0:
        if (bytes.length) bytes[at] = (bytes[at] as number) ^ (1 << random(8));
        break;
      case 1:
        if (bytes.length) bytes[at] = INTERESTING[random(INTERESTING.length)] as number;
        break;
      case 2: {
        const insert = Uint8Array.from({ length: 1 + random(8) }, () => random(256));
        bytes = concat(bytes.subarray(0, at), insert, bytes.subarray(at));
        break;
      }
      case 3:
        bytes = concat(bytes.subarray(0, at), bytes.subarray(Math.min(bytes.length, at + 1 + random(16))));
        break;
      case 4: {
        const end = Math.min(bytes.length, at + 1 + random(64));
        bytes = concat(bytes.subarray(0, end), bytes.subarray(at, end), bytes.subarray(end));
        break;
      }
      case 5: {
        const other = corpus[random(corpus.length)] as Uint8Array;
        const from = random(other.length + 1);
        bytes = concat(bytes.subarray(0, at), other.subarray(from, from + random(128)));
        break;
      }
      case 6:
        bytes = bytes.subarray(0, at);
        break;
      default:
        if (bytes.length > 4) {
          // A length-ish varint in protobuf, a digit run in JSON: make it huge.
          bytes[at] = 0xff;
          if (at + 1 < bytes.length) bytes[at + 1] = 0xff;
        }
    }
  }
  return bytes;
}

function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let offset = 0;
  for (const p of parts) {
    out.set(p, offset);
    offset += p.length;
  }
  return out;
}

const text = new TextEncoder();
const utf8 = new TextDecoder();

export async function runFuzzer(
  options: { seed: number; target: number; maxSeconds: number; currentInput?: SharedArrayBuffer },
  report: (progress: unknown) => void,
): Promise<void> {
  process.env.POWERTOOLS_METRICS_DISABLED = 'true';
  process.env.POWERTOOLS_LOG_LEVEL = 'SILENT';
  const random = rng(options.seed);
  const nowMs = Date.now();
  const nowS = Math.floor(nowMs / 1000);

  const otlpType = protobuf.Root.fromJSON(OTLP_METRICS_DESCRIPTOR).lookupType(OTLP_TYPES.request);
  const nativeCorpus = [0, 1, 2].map((i) =>
    text.encode(JSON.stringify(typicalNative(nowS - i * 60, `h${i}`, i))),
  );
  const otlpJsonCorpus = [0, 1].map((i) =>
    text.encode(JSON.stringify(typicalOtlpJson(nowMs - i * 1000, `s${i}`, i))),
  );
  const otlpProtoCorpus = [0, 1].map((i) =>
    otlpType.encode(otlpType.fromObject(typicalOtlpJson(nowMs - i * 1000, `s${i}`, i))).finish(),
  );
  // A native histogram (integer deltas, two spans, a negative bucket) for the 1.0 and 2.0 corpora.
  const histogram = integerHistogram(nowMs, 1);
  const histogramLabels = [
    { name: '__name__', value: 'request_seconds' },
    { name: 'job', value: 'api' },
  ];
  const rwCorpus = [5, 20, 50].map((series, i) =>
    encodeWriteRequest({
      timeseries: [
        ...typicalRemoteWriteSeries(nowMs - i * 1000, { series, seed: i }),
        { labels: histogramLabels, samples: [], histograms: [histogram], exemplarCount: 1 },
      ],
    }),
  );
  const rw2Corpus = [5, 20, 50].map((series, i) =>
    encodeRequestV2([
      ...typicalRemoteWriteSeries(nowMs - i * 1000, { series, seed: i }).map(
        (t): SeriesV2 => ({
          labels: [...t.labels],
          samples: [...t.samples],
          histograms: [],
          exemplars: [{ labels: [{ name: 'trace_id', value: 'abc' }], value: 1, timestamp: nowMs }],
          metadata: { type: 2, help: 'A gauge.', unit: 'bytes' },
          createdTimestamp: nowMs - 3600_000,
        }),
      ),
      {
        labels: histogramLabels,
        samples: [],
        histograms: [histogram, { ...histogram, float: true, schema: -53, customValues: [0.1, 1, 10] }],
        exemplars: [],
        metadata: { type: 3, help: 'Latency.', unit: 'seconds' },
        createdTimestamp: 0,
      },
    ]),
  );

  const logsRequests = [0, 1].map((i) => typicalOtlpLogs(nowMs - i * 1000, `h${i}`, 3 + i));
  const otlpLogsJsonCorpus = logsRequests.map((r) => text.encode(JSON.stringify(otlpLogsJson(r))));
  const otlpLogsProtoCorpus = logsRequests.map(encodeOtlpLogsProtobuf);
  const nativeLogsCorpus = [
    text.encode(
      JSON.stringify([
        {
          message: 'link down',
          timestamp: nowMs,
          severity: 'error',
          resourceIds: { 'system.hostname': 'sw1' },
        },
        {
          msg: 'ok',
          timestamp: '2026-12-06T12:00:00Z',
          '_lm.resourceId': { id: 1 },
          attributes: { a: true },
        },
      ]),
    ),
  ];
  const metrics = new SqliteMetricStore(':memory:');
  const platform = inProcessPlatform({ ingest: metrics, query: metrics });
  const keys = await platform.onboard();
  const structured = fc.sample(mutated(fc.constant(typicalNative(nowS))), {
    seed: options.seed,
    numRuns: 2000,
  });
  const queries = fc.sample(queryParameters, { seed: options.seed, numRuns: 2000 });
  const names = fc.sample(mutated(fc.constant({ name: 'acme' })), { seed: options.seed, numRuns: 2000 });
  const junk = fc.sample(nastyValue, { seed: options.seed, numRuns: 2000 });

  const counts: Record<string, Counts> = {};
  const crashes: { target: string; error: string; input: string }[] = [];
  let slowest = { target: '', ms: 0 };
  let current = '';

  const shared = options.currentInput;
  /** Leaves the input where the supervisor can read it if this one hangs. */
  const remember = (input: Uint8Array) => {
    if (!shared) return;
    const length = Math.min(input.length, shared.byteLength - 4);
    new Uint8Array(shared, 4, length).set(input.subarray(0, length));
    new Int32Array(shared, 0, 1)[0] = length;
  };
  const decoderOutcome = (input: Uint8Array, fn: () => unknown): Outcome => {
    remember(input);
    try {
      fn();
      return 'accepted';
    } catch (error) {
      if (error instanceof DomainError && error.status < 500) return 'refused';
      if (error instanceof SyntaxError) return 'refused'; // JSON.parse: readJson answers 400
      throw error;
    }
  };
  const handlerOutcome = (status: number, body: string, input?: Uint8Array): Outcome => {
    if (status >= 500)
      throw Object.assign(new Error(`handler answered ${status}: ${body.slice(0, 200)}`), { input });
    return status < 400 ? 'accepted' : 'refused';
  };

  type Target = {
    name: string;
    run: (
      i: number,
    ) => Promise<{ outcome: Outcome; input: Uint8Array }> | { outcome: Outcome; input: Uint8Array };
  };
  const pick = <T>(list: readonly T[]) => list[random(list.length)] as T;
  const targets: Target[] = [
    {
      name: 'decoder: native logs JSON',
      run: () => {
        const input = mutateBytes(pick(nativeLogsCorpus), nativeLogsCorpus, random);
        return {
          input,
          outcome: decoderOutcome(input, () => decodeNativeLogs(JSON.parse(utf8.decode(input)), nowMs)),
        };
      },
    },
    {
      name: 'decoder: OTLP logs JSON',
      run: () => {
        const input = mutateBytes(pick(otlpLogsJsonCorpus), otlpLogsJsonCorpus, random);
        return {
          input,
          outcome: decoderOutcome(input, () => decodeOtlpLogsJson(JSON.parse(utf8.decode(input)), nowMs)),
        };
      },
    },
    {
      name: 'decoder: OTLP logs protobuf',
      run: () => {
        const input = mutateBytes(pick(otlpLogsProtoCorpus), otlpLogsProtoCorpus, random);
        return { input, outcome: decoderOutcome(input, () => decodeOtlpLogsProtobuf(input, nowMs)) };
      },
    },
    {
      name: 'decoder: native JSON',
      run: (i) => {
        const input =
          i % 10 === 0
            ? text.encode(JSON.stringify(pick(structured)))
            : mutateBytes(pick(nativeCorpus), nativeCorpus, random);
        return {
          input,
          outcome: decoderOutcome(input, () => nativePayloadToSamples(JSON.parse(utf8.decode(input)), nowMs)),
        };
      },
    },
    {
      name: 'decoder: OTLP/JSON',
      run: () => {
        const input = mutateBytes(pick(otlpJsonCorpus), otlpJsonCorpus, random);
        return {
          input,
          outcome: decoderOutcome(input, () =>
            otlpToBatch(decodeOtlpJson(JSON.parse(utf8.decode(input))), nowMs),
          ),
        };
      },
    },
    {
      name: 'decoder: OTLP/protobuf',
      run: () => {
        const input = mutateBytes(pick(otlpProtoCorpus), otlpProtoCorpus, random);
        return { input, outcome: decoderOutcome(input, () => otlpToBatch(decodeOtlpProtobuf(input), nowMs)) };
      },
    },
    {
      name: 'decoder: remote write (snappy+protobuf)',
      run: (i) => {
        // Mostly mutate the protobuf under valid snappy framing, sometimes the framing itself.
        const input =
          i % 5 === 0
            ? mutateBytes(snappyCompress(pick(rwCorpus)), rwCorpus, random)
            : snappyCompress(mutateBytes(pick(rwCorpus), rwCorpus, random));
        return {
          input,
          outcome: decoderOutcome(input, () =>
            remoteWriteToBatch(decodeRemoteWriteBody(input, LIMITS.maxBodyBytes), nowMs),
          ),
        };
      },
    },
    {
      name: 'decoder: remote write 2.0 (snappy+protobuf)',
      run: (i) => {
        const input =
          i % 5 === 0
            ? mutateBytes(snappyCompress(pick(rw2Corpus)), rw2Corpus, random)
            : snappyCompress(mutateBytes(pick(rw2Corpus), rw2Corpus, random));
        return {
          input,
          outcome: decoderOutcome(input, () =>
            remoteWriteBatchFrom((sink) => readRemoteWriteV2Body(input, LIMITS.maxBodyBytes, sink), nowMs),
          ),
        };
      },
    },
    {
      name: 'handler: ingest (all three routes, remote write 1.0 and 2.0)',
      run: async (i) => {
        const route = i % 3;
        const v2 = route === 2 && random(2) === 0;
        const corpus = route === 0 ? nativeCorpus : route === 1 ? otlpJsonCorpus : v2 ? rw2Corpus : rwCorpus;
        const raw = mutateBytes(pick(corpus), corpus, random);
        const input = route === 2 && random(2) === 0 ? snappyCompress(raw) : raw;
        remember(input);
        const resource = route === 0 ? '/v1/ingest' : route === 1 ? '/v1/metrics' : '/api/v1/write';
        const headers: Record<string, string> =
          route === 2
            ? { ...(v2 ? REMOTE_WRITE_V2_HEADERS : REMOTE_WRITE_HEADERS) }
            : { 'content-type': pick(['application/json', 'application/x-protobuf', 'text/plain', '']) };
        const result = await invoke(platform.handlers.ingest, {
          method: 'POST',
          resource,
          token: keys.ingestKey,
          headers,
          body: Buffer.from(input),
        });
        return { input, outcome: handlerOutcome(result.statusCode, result.body, input) };
      },
    },
    {
      name: 'handler: API JSON bodies and query parameters',
      run: async (i) => {
        const kind = i % 3;
        if (kind === 2) {
          const query = pick(queries);
          const result = await invoke(platform.handlers.api, {
            method: 'GET',
            resource: '/v1/metrics/query',
            token: keys.adminToken,
            query,
          });
          return {
            input: text.encode(JSON.stringify(query)),
            outcome: handlerOutcome(result.statusCode, result.body),
          };
        }
        const body =
          random(2) === 0 ? (JSON.stringify(pick(names)) ?? 'null') : (JSON.stringify(pick(junk)) ?? '');
        const result =
          kind === 0
            ? await invoke(platform.handlers.admin, {
                method: 'POST',
                resource: '/admin/v1/tenants',
                token: 'fault-provider-token',
                headers: { 'content-type': 'application/json' },
                body,
              })
            : await invoke(platform.handlers.api, {
                method: 'POST',
                resource: '/v1/collectors',
                token: keys.adminToken,
                headers: { 'content-type': 'application/json' },
                body,
              });
        return { input: text.encode(body), outcome: handlerOutcome(result.statusCode, result.body) };
      },
    },
  ];
  // Decoders are cheap and get most inputs; each handler (Powertools, middy, SQLite) about one in 17.
  // Built from the names, so a target added to the list is scheduled (a fixed index list once left
  // the remote write 2.0 decoder and both handlers out after the log decoders were added).
  const decoders = targets.flatMap((t, i) => (t.name.startsWith('decoder:') ? [i] : []));
  const handlers = targets.flatMap((t, i) => (t.name.startsWith('decoder:') ? [] : [i]));
  const schedule = handlers.flatMap((h) => [...decoders, ...decoders, h]);

  const started = Date.now();
  let total = 0;
  let lastReport = 0;
  for (let i = 0; total < options.target && Date.now() - started < options.maxSeconds * 1000; i++) {
    const target = targets[schedule[i % schedule.length] as number] as Target;
    current = `${target.name} (input #${i})`;
    const entry = counts[target.name] ?? { inputs: 0, accepted: 0, refused: 0, crashes: 0 };
    counts[target.name] = entry;
    const t0 = performance.now();
    let input: Uint8Array = new Uint8Array();
    try {
      const result = await target.run(i);
      input = result.input;
      entry[result.outcome]++;
    } catch (error) {
      entry.crashes++;
      if (crashes.length < 10)
        crashes.push({
          target: target.name,
          error: String((error as Error)?.stack ?? error)
            .split('\n')
            .slice(0, 3)
            .join(' | '),
          input: Buffer.from((error as { input?: Uint8Array }).input ?? input).toString('base64'),
        });
    }
    const ms = performance.now() - t0;
    if (ms > slowest.ms) slowest = { target: target.name, ms };
    entry.inputs++;
    total++;
    // Heartbeat for the watchdog, by time: a slow machine must not look like a hang.
    if (performance.now() - lastReport > 250) {
      lastReport = performance.now();
      report({ type: 'progress', counts, current, crashes, slowest });
    }
  }
  metrics.close();
  report({ type: 'done', counts, current, crashes, slowest });
}
