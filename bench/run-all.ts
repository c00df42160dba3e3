/**
 * `npm run bench`: runs every benchmark (each `bench:*` npm script, then every bench/*.ts no script
 * names), each in its own process and bounded in time, collects their reports (bench/results/*.json,
 * see bench/lib/results.ts), prints ONE table and writes it between the markers at the top of
 * BENCHMARKS.md. Sections other benchmarks write further down BENCHMARKS.md are left as they are.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { basename, join } from 'node:path';
import { type BenchReport, type BenchRow, markdownTable, RESULTS_DIR } from './lib/results';

const PER_SCRIPT_TIMEOUT_MS = Number(process.env.BENCH_SCRIPT_TIMEOUT_MS ?? 600_000);
const START = '<!-- bench:table:start -->';
const END = '<!-- bench:table:end -->';
const SECTION_ORDER = [
  'Ingest decode',
  'Remote write throughput',
  'Lambda bundles',
  'Timestream cost model',
  'Metric store cost',
  'Alerting',
];

interface Job {
  readonly name: string;
  readonly command: string;
  readonly args: readonly string[];
}

function jobs(): Job[] {
  const pkg = JSON.parse(readFileSync('package.json', 'utf8')) as { scripts?: Record<string, string> };
  const scripts = Object.entries(pkg.scripts ?? {}).filter(([name]) => name.startsWith('bench:'));
  const named = scripts.map(([, command]) => command).join(' ');
  const list: Job[] = scripts.map(([name]) => ({ name, command: 'npm', args: ['run', '--silent', name] }));
  // Scratch files (*.scratch.ts) are someone's experiment, not a benchmark.
  const files = readdirSync('bench').filter(
    (f) => f.endsWith('.ts') && !f.endsWith('.scratch.ts') && f !== 'run-all.ts',
  );
  for (const file of files.sort()) {
    if (named.includes(`bench/${file}`)) continue;
    list.push({
      name: `bench/${file}`,
      command: process.execPath,
      args: ['--import', 'tsx', `bench/${file}`],
    });
  }
  return list;
}

interface JobRun {
  readonly status: number | null;
  readonly error?: Error;
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * Runs one job in its own process group and, past the time bound, kills the whole group: an npm
 * script's grandchildren (the node process doing the work) must not outlive the bound.
 */
function runBounded(job: Job): Promise<JobRun> {
  return new Promise((resolve) => {
    const child = spawn(job.command, job.args, {
      env: { ...process.env, BENCH_RESULTS_DIR: RESULTS_DIR },
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => {
      stdout += String(chunk);
    });
    child.stderr.on('data', (chunk) => {
      stderr = (stderr + String(chunk)).slice(-100_000);
    });
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      if (child.pid !== undefined) process.kill(-child.pid, 'SIGKILL');
    }, PER_SCRIPT_TIMEOUT_MS);
    child.once('close', (status) => {
      clearTimeout(timer);
      const error = timedOut ? new Error(`timed out after ${PER_SCRIPT_TIMEOUT_MS / 1000} s`) : undefined;
      resolve({ status, stdout, stderr, ...(error ? { error } : {}) });
    });
  });
}

/** A script that wrote no JSON report but printed a markdown table: its rows, kept verbatim. */
function rowsFromMarkdown(stdout: string): BenchRow[] {
  const lines = stdout.split('\n').filter((l) => /^\s*\|.*\|\s*$/.test(l) && !/^\s*\|[\s:|-]+\|\s*$/.test(l));
  return lines.slice(1).map((line) => {
    const cells = line
      .trim()
      .slice(1, -1)
      .split('|')
      .map((c) => c.trim());
    return {
      figure: cells[0] ?? '',
      measured: cells.slice(1).join(' · '),
      baseline: '(see section)',
      ratio: '—',
      goal: '—',
      verdict: 'info' as const,
    };
  });
}

function machine(): string {
  const cpu = cpus()[0]?.model.trim() ?? 'unknown CPU';
  return `${cpus().length} × ${cpu}, ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}, ${process.platform}/${process.arch}`;
}

async function main() {
  const reports = new Map<string, BenchReport>();
  const failures: string[] = [];
  // `--render`: rebuild the table from the reports already in bench/results (after a fuzz or load run).
  const renderOnly = process.argv.includes('--render');
  if (renderOnly)
    for (const file of readdirSync(RESULTS_DIR).filter((f) => f.endsWith('.json'))) {
      const report = JSON.parse(readFileSync(join(RESULTS_DIR, file), 'utf8')) as BenchReport;
      reports.set(report.section ?? basename(file, '.json'), report);
    }
  for (const job of renderOnly ? [] : jobs()) {
    const started = Date.now();
    console.error(`▶ ${job.name}`);
    const run = await runBounded(job);
    process.stderr.write(run.stdout ?? '');
    const fresh = existsSync(RESULTS_DIR)
      ? readdirSync(RESULTS_DIR).filter(
          (f) => f.endsWith('.json') && statSync(join(RESULTS_DIR, f)).mtimeMs >= started - 1000,
        )
      : [];
    for (const file of fresh) {
      const report = JSON.parse(readFileSync(join(RESULTS_DIR, file), 'utf8')) as BenchReport;
      reports.set(report.section ?? basename(file, '.json'), report);
    }
    if (run.status !== 0 || run.error) {
      const why = run.error
        ? String(run.error.message)
        : ((run.stderr ?? '').split('\n').find((l) => /error/i.test(l)) ?? `exit ${run.status}`);
      failures.push(`${job.name}: ${why.slice(0, 300)}`);
      console.error(`✗ ${job.name}: ${why.slice(0, 300)}`);
    } else if (fresh.length === 0) {
      const rows = rowsFromMarkdown(run.stdout ?? '');
      if (rows.length > 0) reports.set(job.name, { section: job.name, rows });
      else failures.push(`${job.name}: finished without a report`);
    }
  }

  const sections = [...reports.values()].sort(
    (a, b) => rank(a.section) - rank(b.section) || a.section.localeCompare(b.section),
  );
  const table = markdownTable(
    ['Section', 'Figure', 'Measured', 'Baseline (same run)', 'Ratio', 'Goal', 'Verdict'],
    sections.flatMap((s) =>
      s.rows.map((r) => [s.section, r.figure, r.measured, r.baseline, r.ratio, r.goal, r.verdict]),
    ),
  );
  const notes = sections.flatMap((s) => (s.notes ?? []).map((n) => `- ${s.section}: ${n}`));
  const block = [
    START,
    '## Benchmark table (`npm run bench`)',
    '',
    renderOnly
      ? `Rendered ${new Date().toISOString()} from the reports of the last run in bench/results (${reportTimes()}), on ${machine()}. Every ratio compares figures measured in the same run.`
      : `Measured ${new Date().toISOString()} on ${machine()}. Every ratio compares figures measured in the same run.`,
    '',
    table,
    '',
    ...(failures.length > 0 ? ['Benchmarks that did not report:', ...failures.map((f) => `- ${f}`), ''] : []),
    ...latestFuzzAndLoad(),
    '<details><summary>How each figure was measured</summary>',
    '',
    ...notes,
    '',
    '</details>',
    END,
  ].join('\n');

  console.log(table);
  if (failures.length > 0) console.log(`\nDid not report:\n${failures.map((f) => `- ${f}`).join('\n')}`);
  writeBenchmarksMd(block);
  console.log('\nBENCHMARKS.md updated.');
}

/** `npm run fuzz` and `npm run load` are long runs of their own; their latest results, dated. */
function latestFuzzAndLoad(): string[] {
  const lines: string[] = [];
  const read = (name: string) => {
    const file = join(RESULTS_DIR, name, 'report.json');
    return existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>) : undefined;
  };
  const fuzz = read('fuzz');
  if (fuzz)
    lines.push(
      `- \`npm run fuzz\` (${fuzz.at}): ${Number(fuzz.total).toLocaleString('en-US')} inputs in ${Math.round(Number(fuzz.seconds))} s across every decoder and the API bodies, ${fuzz.crashes} crashes/5xx, verdict: ${fuzz.verdict}.`,
    );
  const load = read('load');
  if (load) lines.push(`- \`npm run load\` (${load.at}): ${(load.summary as string[]).join('; ')}.`);
  return lines.length > 0 ? ['Latest long runs (not part of this run):', '', ...lines, ''] : [];
}

/** Oldest and newest report file times, for a rendered table. */
function reportTimes(): string {
  const times = readdirSync(RESULTS_DIR)
    .filter((f) => f.endsWith('.json'))
    .map((f) => statSync(join(RESULTS_DIR, f)).mtime.toISOString())
    .sort();
  return `files written ${times[0]} to ${times[times.length - 1]}`;
}

function rank(section: string): number {
  const i = SECTION_ORDER.findIndex((s) => section.startsWith(s));
  return i === -1 ? SECTION_ORDER.length : i;
}

/** Replaces the table block, keeping every other section of the file as others wrote it. */
function writeBenchmarksMd(block: string): void {
  const file = 'BENCHMARKS.md';
  const current = existsSync(file) ? readFileSync(file, 'utf8') : '# Benchmarks\n';
  const start = current.indexOf(START);
  const end = current.indexOf(END);
  let next: string;
  if (start !== -1 && end > start) next = current.slice(0, start) + block + current.slice(end + END.length);
  else {
    const heading = /^# .*\n/m.exec(current);
    const at = heading ? heading.index + heading[0].length : 0;
    next = `${current.slice(0, at)}\n${block}\n${current.slice(at)}`;
  }
  writeFileSync(file, next);
  // The repository lints Markdown too: pad the tables as Biome's formatter wants them.
  spawnSync(join('node_modules', '.bin', 'biome'), ['format', '--write', file], { stdio: 'ignore' });
}

await main();
