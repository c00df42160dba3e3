/**
 * Logs (issue #19): ingest decode MB/s per core against a bare JSON.parse of the same payload (goal
 * ≤ 2×), and search latency on the local store (SQLite FTS5) over LOG_BENCH_LINES lines (default
 * 10 M, appended through the store in transactions of BATCH records for at most
 * LOG_BENCH_BUILD_SECONDS, default 1,800 s; the size reached is reported). LOG_BENCH_DB names a file
 * that keeps the built store between runs (a run finds its lines there and searches at once).
 * Single-threaded: per core.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { SqliteLogStore } from '#adapters/local/sqlite-log-store';
import { decodeNativeLogs } from '#domain/logs/native-format';
import { parseLogQuery } from '#domain/logs/query';
import { type LogRecord, logRecordBytes } from '#domain/logs/record';
import { decodeOtlpLogsProtobuf } from '#protocols/otlp/decode-logs';
import { encodeOtlpLogsProtobuf, otlpLogsJson } from '../test/logs/support/otlp-logs';
import { type BenchRow, fmt, ratio, writeReport } from './lib/results';

const LINES = Number(process.env.LOG_BENCH_LINES ?? 10_000_000);
const BUILD_SECONDS = Number(process.env.LOG_BENCH_BUILD_SECONDS ?? 1800);
const KEPT_DB = process.env.LOG_BENCH_DB;
const BATCH = 50_000;
const NOW = Date.UTC(2026, 11, 6, 12);
const HOSTS = 200;

const WORDS = [
  'interface',
  'up',
  'down',
  'link',
  'bgp',
  'peer',
  'session',
  'established',
  'config',
  'saved',
  'user',
  'login',
  'fan',
  'temperature',
  'ok',
  'poll',
];

function line(i: number): LogRecord {
  const rare = i % 10_000 === 0;
  return {
    timestampMs: NOW - 86_400_000 + Math.floor((i * 86_400_000) / LINES),
    severity: i % 50 === 0 ? 'error' : 'info',
    severityNumber: i % 50 === 0 ? 17 : 9,
    message: rare
      ? `interface ge-0/0/${i % 48} link down carrier lost code_${i}`
      : `${WORDS[i % 16]} ${WORDS[(i * 7) % 16]} ${WORDS[(i * 13) % 16]} seq ${i} on port ${i % 48}`,
    resource: { 'system.hostname': `sw${i % HOSTS}` },
    attributes: { facility: i % 3 === 0 ? 'daemon' : 'kern' },
  };
}

/** Best of `runs` timings of fn, in ms. */
function best(runs: number, fn: () => unknown): number {
  let bestMs = Number.POSITIVE_INFINITY;
  for (let r = 0; r < runs; r++) {
    const t = performance.now();
    fn();
    bestMs = Math.min(bestMs, performance.now() - t);
  }
  return bestMs;
}

/**
 * Best timings of `a` and `b` over `runs` rounds, run alternately: a load change on the shared machine
 * (other processes come and go) hits both sides of a ratio alike.
 */
function bestOfPairs(runs: number, a: () => unknown, b: () => unknown): [number, number] {
  let bestA = Number.POSITIVE_INFINITY;
  let bestB = Number.POSITIVE_INFINITY;
  for (let r = 0; r < runs; r++) {
    let t = performance.now();
    a();
    bestA = Math.min(bestA, performance.now() - t);
    t = performance.now();
    b();
    bestB = Math.min(bestB, performance.now() - t);
  }
  return [bestA, bestB];
}

const rows: BenchRow[] = [];
const notes: string[] = [];

// ---- ingest decode ----
const records = Array.from({ length: 20_000 }, (_, i) => line(i * 37));
const nativeText = JSON.stringify(
  records.map((r) => ({
    message: r.message,
    timestamp: r.timestampMs,
    severity: r.severity,
    resourceIds: r.resource,
    attributes: r.attributes,
  })),
);
const mb = Buffer.byteLength(nativeText) / 1e6;
const [parseMs, nativeMs] = bestOfPairs(
  40,
  () => JSON.parse(nativeText),
  () => {
    const decoded = decodeNativeLogs(JSON.parse(nativeText), NOW);
    let bytes = 0;
    for (const r of decoded.records) bytes += logRecordBytes(r);
    return bytes;
  },
);
rows.push({
  figure: `native logs: JSON.parse + decode + limits, ${fmt(mb, 1)} MB (${fmt(records.length)} records)`,
  measured: `${fmt(mb / (nativeMs / 1000), 1)} MB/s`,
  baseline: `JSON.parse ${fmt(mb / (parseMs / 1000), 1)} MB/s`,
  ratio: ratio(nativeMs, parseMs),
  goal: '≤ 2× the time of JSON.parse',
  verdict: nativeMs <= 2 * parseMs ? 'met' : 'missed',
});
const otlp = {
  resource: { 'host.name': 'sw1', 'service.name': 'router' },
  logs: records.map((r) => ({
    timeMs: r.timestampMs,
    severityNumber: r.severityNumber,
    body: r.message,
    attributes: r.attributes,
  })),
};
const proto = encodeOtlpLogsProtobuf(otlp);
const otlpJsonText = JSON.stringify(otlpLogsJson(otlp));
const [otlpJsonParseMs, protoMs] = bestOfPairs(
  40,
  () => JSON.parse(otlpJsonText),
  () => decodeOtlpLogsProtobuf(proto, NOW),
);
rows.push({
  figure: `OTLP logs protobuf decode, ${fmt(proto.length / 1e6, 1)} MB (same records)`,
  measured: `${fmt(proto.length / 1e6 / (protoMs / 1000), 1)} MB/s`,
  baseline: `JSON.parse of its OTLP/JSON form ${fmt(otlpJsonText.length / 1e6 / (otlpJsonParseMs / 1000), 1)} MB/s (${fmt(otlpJsonText.length / 1e6, 1)} MB)`,
  ratio: ratio(protoMs, otlpJsonParseMs),
  goal: '≤ 2× the time of JSON.parse',
  verdict: protoMs <= 2 * otlpJsonParseMs ? 'met' : 'missed',
});

// ---- search over the local store ----
/** Lines a kept store already holds for this LINES (the build's marker table), 0 when none. */
function keptLines(path: string): number {
  if (!existsSync(path)) return 0;
  const db = new DatabaseSync(path);
  try {
    db.exec('CREATE TABLE IF NOT EXISTS bench_build (lines INTEGER NOT NULL, built INTEGER NOT NULL)');
    const row = db.prepare('SELECT built FROM bench_build WHERE lines = ?').get(LINES);
    return row ? Number(row['built']) : 0;
  } finally {
    db.close();
  }
}

function markBuilt(path: string, built: number): void {
  const db = new DatabaseSync(path);
  db.exec('CREATE TABLE IF NOT EXISTS bench_build (lines INTEGER NOT NULL, built INTEGER NOT NULL)');
  db.prepare('DELETE FROM bench_build').run();
  db.prepare('INSERT INTO bench_build (lines, built) VALUES (?, ?)').run(LINES, built);
  db.close();
}

const dir = mkdtempSync(join(tmpdir(), 'logs-bench-'));
try {
  const dbPath = KEPT_DB ?? join(dir, 'logs.sqlite');
  // A kept store is reused only when it was built to the end for this LINES; else built afresh.
  const reused = KEPT_DB ? keptLines(KEPT_DB) : 0;
  if (KEPT_DB && reused < LINES)
    for (const f of ['', '-wal', '-shm']) rmSync(`${KEPT_DB}${f}`, { force: true });
  const store = new SqliteLogStore(dbPath);
  let built = reused >= LINES ? reused : 0;
  if (built === 0) {
    const buildStart = performance.now();
    while (built < LINES && performance.now() - buildStart < BUILD_SECONDS * 1000) {
      const batch: LogRecord[] = [];
      for (let i = built; i < Math.min(LINES, built + BATCH); i++) batch.push(line(i));
      await store.append('bench', batch);
      built += batch.length;
    }
    const buildS = (performance.now() - buildStart) / 1000;
    notes.push(
      `Search: ${fmt(built)} lines over 24 h in one tenant, appended through the store at ${fmt(built / buildS)} lines/s (transactions of ${fmt(BATCH)}, ${fmt(buildS, 0)} s)${built < LINES ? `; the build stopped at the ${BUILD_SECONDS} s bound before ${fmt(LINES)}` : ''}.`,
    );
    if (KEPT_DB && built >= LINES) markBuilt(KEPT_DB, built);
  } else
    notes.push(`Search: ${fmt(built)} lines over 24 h in one tenant, built by an earlier run (${KEPT_DB}).`);
  const day = { fromMs: NOW - 86_400_000, toMs: NOW, limit: 100, maxScan: 100_000 };
  const searches: [string, string][] = [
    ['rare phrase ("link down", 1 line in 10,000)', '"link down"'],
    ['common word (1 line in 3), newest 100', 'interface'],
    ['severity + word', 'severity:error bgp'],
    ['resource filter (post-filter, bounded scan)', 'resource.system.hostname:sw7'],
    ['no match (scans the index only)', 'nonexistentword'],
  ];
  for (const [name, q] of searches) {
    const query = parseLogQuery(q);
    const ms = best(5, () => store.search('bench', { ...day, query }));
    rows.push({
      figure: `log search over ${fmt(built / 1e6, 1)} M lines: ${name}`,
      measured: `${fmt(ms, 1)} ms`,
      baseline: '—',
      ratio: '—',
      goal: 'informational',
      verdict: 'info',
    });
  }
  const histQuery = parseLogQuery('severity:error');
  const histMs = best(3, () =>
    store.histogram('bench', {
      fromMs: day.fromMs,
      toMs: day.toMs,
      intervalMs: 60_000,
      query: histQuery,
      maxScan: 100_000,
    }),
  );
  rows.push({
    figure: `log histogram over ${fmt(built / 1e6, 1)} M lines: severity:error per minute, 24 h (≤ 100,000 scanned)`,
    measured: `${fmt(histMs, 1)} ms`,
    baseline: '—',
    ratio: '—',
    goal: 'informational',
    verdict: 'info',
  });
  store.close();
} finally {
  rmSync(dir, { recursive: true, force: true });
}

writeReport('logs', { section: 'Logs', rows, notes });
for (const r of rows)
  console.log(`${r.figure}: ${r.measured} (baseline ${r.baseline}, ${r.ratio}) ${r.verdict}`);
for (const n of notes) console.log(n);
