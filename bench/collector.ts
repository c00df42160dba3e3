/**
 * `npx tsx bench/collector.ts`: the collector's speed and footprint (issue #18, part 8).
 *
 * A. The disk queue: 200,000 datapoints (polls of 10 datapoints each, appended 50 polls at a time
 *    as concurrent pollers would) appended fsync'd, read back and acknowledged; datapoints/s against
 *    the goal of 10,000/s.
 * B. SNMP: one poll of a 1,000-interface agent (net-snmp's own agent, in a child process, serving
 *    ifTable and ifXTable) by the collector's poller, against `snmpbulkwalk` (Net-SNMP's C tool)
 *    walking the same columns of the same agent in the same run.
 * C. RSS of the built collector idling (no resources, host polling on) for 10 s against a stub
 *    platform, against the goal of 80 MB.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { buildCollector } from '../collector/build';
import { writeIdentity } from '../collector/identity';
import { SnmpPoller } from '../collector/pollers/snmp';
import { WriteAheadQueue } from '../collector/wal';
import { freeUdpPort } from '../test/collector/support/snmpd';
import { freePort } from '../test/support/free-port';
import { type BenchRow, fmt, markdownTable, ratio, writeReport } from './lib/results';

const root = mkdtempSync(join(tmpdir(), 'bench-collector-'));
const rows: BenchRow[] = [];
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function queueThroughput(): Promise<number> {
  const queue = new WriteAheadQueue({ dir: join(root, 'queue'), maxBytes: 1024 * 1024 * 1024 });
  const nowS = Math.floor(Date.now() / 1000);
  const poll = (i: number) =>
    Buffer.from(
      JSON.stringify({
        kind: 'metrics',
        payload: {
          resourceName: `host-${i % 50}`,
          resourceIds: { 'system.hostname': `host-${i % 50}` },
          dataSource: 'Bench',
          instances: [
            {
              instanceName: 'i',
              dataPoints: Array.from({ length: 10 }, (_, d) => ({
                dataPointName: `dp${d}`,
                values: { [nowS]: i + d },
              })),
            },
          ],
        },
      }),
    );
  const polls = 20_000;
  const started = performance.now();
  let consumed = 0;
  const producer = (async () => {
    for (let i = 0; i < polls; i += 50) {
      await Promise.all(Array.from({ length: 50 }, (_, k) => queue.append([poll(i + k)])));
    }
  })();
  while (consumed < polls) {
    const batch = queue.next(500);
    if (!batch) {
      await new Promise((r) => setImmediate(r));
      continue;
    }
    for (const r of batch.records) JSON.parse(String(r));
    queue.ack(batch);
    consumed += batch.records.length;
  }
  await producer;
  const seconds = (performance.now() - started) / 1000;
  await queue.close();
  return (polls * 10) / seconds;
}

/** An SNMP agent with `rows` interfaces, in its own process (so the poller does not share its loop). */
async function startAgent(port: number, rows: number): Promise<ChildProcess> {
  const script = `
    const snmp = require('net-snmp');
    const agent = snmp.createAgent({ port: ${port}, address: '127.0.0.1' }, () => {});
    agent.getAuthorizer().addCommunity('bench');
    const mib = agent.getMib();
    const col = (number, name, type) => ({ number, name, type, maxAccess: snmp.MaxAccess['read-only'] });
    const T = snmp.ObjectType;
    mib.registerProvider({ name: 'sysUpTime', type: snmp.MibProviderType.Scalar, oid: '1.3.6.1.2.1.1.3', scalarType: T.TimeTicks, maxAccess: snmp.MaxAccess['read-only'] });
    mib.setScalarValue('sysUpTime', 12345);
    mib.registerProvider({ name: 'ifTable', type: snmp.MibProviderType.Table, oid: '1.3.6.1.2.1.2.2.1', maxAccess: snmp.MaxAccess['not-accessible'],
      tableColumns: [col(1,'ifIndex',T.Integer), col(2,'ifDescr',T.OctetString), col(5,'ifSpeed',T.Gauge), col(8,'ifOperStatus',T.Integer),
        col(10,'ifInOctets',T.Counter), col(14,'ifInErrors',T.Counter), col(16,'ifOutOctets',T.Counter), col(20,'ifOutErrors',T.Counter)],
      tableIndex: [{ columnName: 'ifIndex' }] });
    mib.registerProvider({ name: 'ifXTable', type: snmp.MibProviderType.Table, oid: '1.3.6.1.2.1.31.1.1.1', maxAccess: snmp.MaxAccess['not-accessible'],
      tableColumns: [col(1,'ifName',T.OctetString), col(6,'ifHCInOctets',T.Counter64), col(10,'ifHCOutOctets',T.Counter64), col(15,'ifHighSpeed',T.Gauge)],
      tableAugments: 'ifTable' });
    for (let i = 1; i <= ${rows}; i++) {
      mib.addTableRow('ifTable', [i, 'port' + i, 1000000000, 1, i * 10, 0, i * 20, 0]);
      mib.addTableRow('ifXTable', [i, 'Gi0/' + i, Buffer.from('00000000000003e8', 'hex'), Buffer.from('00000000000007d0', 'hex'), 1000]);
    }
    process.stdout.write('ready\\n');
  `;
  const child = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
  await new Promise<void>((resolve, reject) => {
    child.stdout?.once('data', () => resolve());
    child.once('exit', (code) => reject(new Error(`SNMP agent exited with ${code}`)));
  });
  return child;
}

async function snmpPoll(): Promise<{ ours: number; walk: number; interfaces: number }> {
  const port = await freeUdpPort();
  const agent = await startAgent(port, 1000);
  try {
    const poller = new SnmpPoller();
    const target = {
      address: '127.0.0.1',
      port,
      credentials: { version: '2c' as const, community: 'bench' },
      timeoutMs: 5000,
    };
    await poller.poll(
      { resourceName: 'warm', resourceIds: { 'system.hostname': 'warm' } },
      target,
      Date.now(),
    );
    const times: number[] = [];
    let interfaces = 0;
    for (let i = 0; i < 3; i++) {
      const started = performance.now();
      const result = await poller.poll(
        { resourceName: 'sw', resourceIds: { 'system.hostname': 'sw' } },
        target,
        Date.now(),
      );
      times.push(performance.now() - started);
      interfaces = result.interfaces;
    }
    const walks: number[] = [];
    const columns = ['2', '5', '8', '10', '14', '16', '20'].map((c) => `1.3.6.1.2.1.2.2.1.${c}`);
    const xcolumns = ['1', '6', '10', '15'].map((c) => `1.3.6.1.2.1.31.1.1.1.${c}`);
    for (let i = 0; i < 3; i++) {
      const started = performance.now();
      for (const oid of [...columns, ...xcolumns]) {
        execFileSync('snmpbulkwalk', ['-v2c', '-c', 'bench', '-Cr50', '-On', `127.0.0.1:${port}`, oid], {
          stdio: ['ignore', 'ignore', 'inherit'],
        });
      }
      walks.push(performance.now() - started);
    }
    return { ours: Math.min(...times), walk: Math.min(...walks), interfaces };
  } finally {
    agent.kill('SIGKILL');
  }
}

async function idleRss(): Promise<number> {
  const stub = createServer((req, res) => {
    req.resume();
    if (req.url === '/v1/collector/config') {
      res.writeHead(200, { 'content-type': 'application/json', etag: '"1"' }).end(
        JSON.stringify({
          configVersion: '1',
          collector: { collectorId: 'c', name: 'bench' },
          resources: [],
        }),
      );
      return;
    }
    res.writeHead(200, { 'content-type': 'application/json' }).end('{"accepted":0,"rejected":[]}');
  });
  await new Promise<void>((r) => stub.listen(0, '127.0.0.1', () => r()));
  const url = `http://127.0.0.1:${(stub.address() as AddressInfo).port}`;
  const bundle = await buildCollector(join(root, 'collector.cjs'));
  const stateDir = join(root, 'state');
  writeIdentity(stateDir, { url, key: 'obs_ingest_bench', collectorId: 'c', name: 'bench' });
  const child = spawn(process.execPath, [bundle, 'run', '--state-dir', stateDir, '--host-interval', '1'], {
    stdio: 'ignore',
  });
  try {
    await sleep(10_000);
    const status = readFileSync(`/proc/${child.pid}/status`, 'utf8');
    const kb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1]);
    return kb * 1024;
  } finally {
    child.kill('SIGKILL');
    stub.close();
  }
}

try {
  await freePort(); // fail early on a machine without loopback
  const dps = await queueThroughput();
  rows.push({
    figure: 'disk queue: datapoints/s appended (fsync), read back and acknowledged',
    measured: `${fmt(dps)}/s`,
    baseline: 'goal 10,000/s',
    ratio: ratio(dps, 10_000),
    goal: '≥ 1×',
    verdict: dps >= 10_000 ? 'met' : 'missed',
  });
  const snmp = await snmpPoll();
  rows.push({
    figure: `SNMP poll of ${fmt(snmp.interfaces)} interface rows (ifTable + ifXTable, v2c)`,
    measured: `${fmt(snmp.ours)} ms`,
    baseline: `snmpbulkwalk of the same columns: ${fmt(snmp.walk)} ms`,
    ratio: ratio(snmp.ours, snmp.walk),
    goal: 'well within a 60 s poll interval',
    verdict: snmp.ours < 60_000 && snmp.interfaces === 1000 ? 'met' : 'missed',
  });
  const rss = await idleRss();
  rows.push({
    figure: 'RSS of an idle collector (built bundle, host polling every 1 s, 10 s)',
    measured: `${fmt(rss / 1024 / 1024, 1)} MB`,
    baseline: 'goal 80 MB',
    ratio: ratio(rss, 80 * 1024 * 1024),
    goal: '≤ 1×',
    verdict: rss <= 80 * 1024 * 1024 ? 'met' : 'missed',
  });
} finally {
  rmSync(root, { recursive: true, force: true });
}

writeReport('collector', {
  section: 'Collector',
  rows,
  notes: [
    'Queue: 20,000 polls of 10 datapoints, appended 50 at a time (one fsync per group), drained in batches of 500.',
    'SNMP: net-snmp agent in a child process on loopback; best of 3 after a warm-up poll; the baseline walks the same 11 columns with max-repetitions 50.',
  ],
});
console.log(
  markdownTable(
    ['figure', 'measured', 'baseline', 'ratio', 'goal', 'verdict'],
    rows.map((r) => [r.figure, r.measured, r.baseline, r.ratio, r.goal, r.verdict]),
  ),
);
