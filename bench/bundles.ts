/**
 * Lambda bundles: each functions/<name>/handler.ts bundled with the very settings PlatformFunction
 * gives NodejsFunction (infra/bundling.ts: esbuild, node22, CJS, minified, source map, the packages
 * of the runtime dependencies layer external), then module init time measured in fresh Node
 * processes with Lambda-like environment variables and NODE_OPTIONS, the external packages loaded
 * from node_modules (what the layer is copied from). Goal:
 * ≤ 300 KB and ≤ 150 ms per function. Where a bundle misses, the packages that weigh most and the
 * time spent loading the external AWS SDK are reported, so the culprit is named, not guessed.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { build, type Metafile } from 'esbuild';
import { EXTERNAL_MODULES, LAMBDA_BUNDLING, LAMBDA_NODE_OPTIONS } from '../infra/bundling';
import { type BenchRow, fmt, ratio, writeReport } from './lib/results';

const BUDGET_BYTES = 300 * 1024;
const BUDGET_INIT_MS = 150;
const INIT_RUNS = 5;
const OUT_DIR = resolve('bench/results/bundles');

/** Every env var the handlers read at module scope, with placeholder values (no call leaves the box). */
const LAMBDA_ENV: Record<string, string> = {
  AWS_REGION: 'us-west-2',
  AWS_DEFAULT_REGION: 'us-west-2',
  AWS_ACCESS_KEY_ID: 'AKIDEXAMPLE',
  AWS_SECRET_ACCESS_KEY: 'bench',
  AWS_LAMBDA_FUNCTION_NAME: 'bench',
  AWS_LAMBDA_FUNCTION_MEMORY_SIZE: '512',
  AWS_EXECUTION_ENV: 'AWS_Lambda_nodejs22.x',
  POWERTOOLS_SERVICE_NAME: 'bench',
  POWERTOOLS_LOG_LEVEL: 'INFO',
  TABLE_NAME: 'bench-table',
  TIMESTREAM_DATABASE: 'bench',
  TIMESTREAM_MAGNETIC_RETENTION_DAYS: '400',
  PROVIDER_TOKEN_SECRET_ARN: 'arn:aws:secretsmanager:us-west-2:123456789012:secret:bench',
  DATA_KEY_ARN: 'arn:aws:kms:us-west-2:123456789012:key/bench',
  METRIC_STORE: 'timestream',
  AMP_WORKSPACE_URL: 'https://aps-workspaces.us-west-2.amazonaws.com/workspaces/ws-bench',
  SPILL_QUEUE_URL: 'https://sqs.us-west-2.amazonaws.com/123456789012/spill',
  EVENT_BUS_NAME: 'bench',
  ALERT_TOPIC_ARN: 'arn:aws:sns:us-west-2:123456789012:bench',
};

/**
 * Measures `require(bundle)` in a fresh process; also the time spent inside the external (layer)
 * packages it loads at init, the AWS SDK among them.
 */
const INIT_PROBE = `
const Module = require('node:module');
let sdkMs = 0, depth = 0;
const load = Module._load;
Module._load = function (request, ...rest) {
  const outer = depth === 0 && ${JSON.stringify(EXTERNAL_MODULES)}.some((p) => p.endsWith('/*') ? request.startsWith(p.slice(0, -1)) : request === p || request.startsWith(p + '/'));
  if (outer) depth++;
  const t = performance.now();
  try { return load.call(this, request, ...rest); }
  finally { if (outer) { depth--; sdkMs += performance.now() - t; } }
};
const t0 = performance.now();
require(process.argv[2]);
const total = performance.now() - t0;
process.stdout.write(JSON.stringify({ total, sdkMs }));
`;

function packageOf(path: string): string {
  const match = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(path);
  return match ? (match[1] as string) : '(platform code)';
}

function heaviestPackages(metafile: Metafile, output: string, top = 4): string {
  const bytes = new Map<string, number>();
  for (const [path, input] of Object.entries(metafile.outputs[output]?.inputs ?? {}))
    bytes.set(packageOf(path), (bytes.get(packageOf(path)) ?? 0) + input.bytesInOutput);
  return [...bytes.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, top)
    .map(([name, n]) => `${name} ${fmt(n / 1024)} KB`)
    .join(', ');
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;

async function main() {
  rmSync(OUT_DIR, { recursive: true, force: true });
  mkdirSync(OUT_DIR, { recursive: true });
  const probe = join(OUT_DIR, 'init-probe.cjs');
  writeFileSync(probe, INIT_PROBE);
  // As in the Lambda zip: index.js is CommonJS (the repository's package.json says "module").
  writeFileSync(join(OUT_DIR, 'package.json'), '{"type":"commonjs"}\n');
  const names = readdirSync('functions').filter((n) => existsSync(join('functions', n, 'handler.ts')));
  const rows: BenchRow[] = [];
  const notes: string[] = [];
  const packagesSeen = new Set<string>(['@aws-lambda-powertools/tracer', 'aws-xray-sdk-core']);
  for (const name of names.sort()) {
    const outfile = join(OUT_DIR, name, 'index.js');
    let result: Awaited<ReturnType<typeof build>>;
    try {
      result = await build({
        entryPoints: [join('functions', name, 'handler.ts')],
        outfile,
        bundle: true,
        platform: 'node',
        target: LAMBDA_BUNDLING.target,
        format: 'cjs',
        minify: LAMBDA_BUNDLING.minify,
        sourcemap: LAMBDA_BUNDLING.sourceMap,
        sourcesContent: LAMBDA_BUNDLING.sourcesContent,
        external: [...LAMBDA_BUNDLING.externalModules],
        metafile: true,
        logLevel: 'silent',
      });
    } catch (error) {
      rows.push({
        figure: `bundle ${name}`,
        measured: 'does not build',
        baseline: '300 KB',
        ratio: '—',
        goal: '≤ 300 KB',
        verdict: 'missed',
      });
      notes.push(`${name}: ${String(error).split('\n')[0]}`);
      continue;
    }
    const size = statSync(outfile).size;
    const runs: { total: number; sdkMs: number }[] = [];
    let initError: string | undefined;
    const env: Record<string, string> = {
      ...process.env,
      ...LAMBDA_ENV,
      NODE_OPTIONS: LAMBDA_NODE_OPTIONS,
    } as Record<string, string>;
    for (let i = 0; i < INIT_RUNS && !initError; i++) {
      try {
        const out = execFileSync(process.execPath, [probe, resolve(outfile)], {
          env,
          timeout: 20_000,
          stdio: ['ignore', 'pipe', 'pipe'],
        });
        runs.push(JSON.parse(String(out)));
      } catch (error) {
        const stderr = String((error as { stderr?: Buffer }).stderr ?? error);
        // A handler that needs one more configuration variable gets a placeholder (Lambda has it).
        const missing = /environment variable (\w+) is required/.exec(stderr)?.[1];
        if (missing && !(missing in env) && i < INIT_RUNS) {
          env[missing] = `placeholder-${missing.toLowerCase()}`;
          i--;
          continue;
        }
        initError = stderr.split('\n').find((l) => /^\w*Error\b/.test(l)) ?? stderr.slice(0, 200);
      }
    }
    const metafile = result.metafile as Metafile;
    const heavy = heaviestPackages(
      metafile,
      Object.keys(metafile.outputs).find((o) => o.endsWith('.js')) as string,
    );
    rows.push({
      figure: `bundle ${name}: size (layer packages external)`,
      measured: `${fmt(size / 1024)} KB`,
      baseline: '300 KB',
      ratio: ratio(size, BUDGET_BYTES),
      goal: '≤ 300 KB',
      verdict: size <= BUDGET_BYTES ? 'met' : 'missed',
    });
    if (initError) {
      rows.push({
        figure: `bundle ${name}: module init`,
        measured: 'fails',
        baseline: '150 ms',
        ratio: '—',
        goal: '≤ 150 ms',
        verdict: 'missed',
      });
      notes.push(`${name} init: ${initError}`);
    } else {
      const total = median(runs.map((r) => r.total));
      const sdk = median(runs.map((r) => r.sdkMs));
      rows.push({
        figure: `bundle ${name}: module init (median of ${INIT_RUNS})`,
        measured: `${fmt(total)} ms (layer packages ${fmt(sdk)} ms)`,
        baseline: '150 ms',
        ratio: ratio(total, BUDGET_INIT_MS),
        goal: '≤ 150 ms',
        verdict: total <= BUDGET_INIT_MS ? 'met' : 'missed',
      });
    }
    notes.push(`${name}: heaviest in bundle: ${heavy}`);
    for (const pkg of heavy.split(', ').map((h) => h.split(' ')[0] as string)) packagesSeen.add(pkg);
  }
  // Init cost of each heavy package alone (require in a fresh process), to name the culprit.
  const alone: string[] = [];
  for (const pkg of [...packagesSeen].filter((p) => !p.startsWith('('))) {
    try {
      const out = execFileSync(
        process.execPath,
        [
          '-e',
          `const t=performance.now();require(${JSON.stringify(pkg)});process.stdout.write(String(performance.now()-t))`,
        ],
        { env: { ...process.env, ...LAMBDA_ENV }, timeout: 20_000, stdio: ['ignore', 'pipe', 'ignore'] },
      );
      alone.push(`${pkg} ${fmt(Number(String(out)))} ms`);
    } catch {
      alone.push(`${pkg} (not loadable alone)`);
    }
  }
  notes.push(`init of heavy packages alone: ${alone.join(', ')}`);
  notes.push(
    `Bundled with infra/bundling.ts, as PlatformFunction deploys (esbuild, node22, CJS, minified, source map; ${LAMBDA_BUNDLING.externalModules.join(', ')} external, shipped once in the runtime dependencies layer). Init = require() of the bundle in a fresh Node 22 process on this machine (x86_64 here, Lambda is arm64), Lambda-like env, NODE_OPTIONS=${LAMBDA_NODE_OPTIONS}, INCLUDING the external packages it loads at init; "layer packages" = time inside those external requires (the AWS SDK and the rest of the layer).`,
  );
  writeReport('bundles', { section: 'Lambda bundles', rows, notes });
  for (const row of rows) console.log(`${row.figure}: ${row.measured} (${row.verdict})`);
  for (const note of notes) console.log(`  ${note}`);
}

await main();
