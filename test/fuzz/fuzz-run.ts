/**
 * `npm run fuzz`: a long, bounded fuzz run over every ingest decoder (native JSON, OTLP/JSON,
 * OTLP/protobuf, Prometheus remote write 1.0 and 2.0, native histograms included) and the API's JSON bodies through the real handlers,
 * in-process. Inputs are seed payloads mutated at byte level (flips, interesting bytes, inserts,
 * deletes, duplicated ranges, splices, truncation) plus structured fast-check mutations. An input
 * passes when it is decoded or refused with a client error (DomainError < 500; a handler answer
 * < 500); anything else is a crash. The fuzzer runs in a worker watched by this process: no
 * progress for HANG_MS is a hang. Stops at FUZZ_INPUTS (default 1,000,000) or FUZZ_MAX_SECONDS.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';

const TARGET_INPUTS = Number(process.env.FUZZ_INPUTS ?? 1_000_000);
const MAX_SECONDS = Number(process.env.FUZZ_MAX_SECONDS ?? 900);
const HANG_MS = Number(process.env.FUZZ_HANG_MS ?? 10_000);
const SEED = Number(process.env.FUZZ_SEED ?? Date.now() % 2 ** 31);

interface Progress {
  readonly type: 'progress' | 'done';
  readonly counts: Record<string, { inputs: number; accepted: number; refused: number; crashes: number }>;
  readonly current: string;
  readonly crashes: { target: string; error: string; input: string }[];
  readonly slowest: { target: string; ms: number };
}

if (isMainThread) {
  const started = Date.now();
  // The worker copies each input here before running it, so a hang can name the input that hung.
  const currentInput = new SharedArrayBuffer(4 + 4 * 1024 * 1024);
  const worker = new Worker(new URL(import.meta.url), {
    workerData: { seed: SEED, target: TARGET_INPUTS, maxSeconds: MAX_SECONDS, currentInput },
    execArgv: process.execArgv,
  });
  let last: Progress | undefined;
  let lastAt = Date.now();
  let verdict = 'clean';
  const watchdog = setInterval(() => {
    if (Date.now() - lastAt > HANG_MS) {
      const length = new Int32Array(currentInput, 0, 1)[0] as number;
      const input = Buffer.from(new Uint8Array(currentInput, 4, length)).toString('base64');
      verdict = `HANG: no progress for ${HANG_MS / 1000} s while fuzzing ${last?.current ?? '(start)'}; input (base64): ${input}`;
      void worker.terminate();
    }
  }, 500);
  worker.on('message', (message: Progress) => {
    last = message;
    lastAt = Date.now();
    if (message.type === 'done') void worker.terminate();
  });
  worker.on('error', (error) => {
    verdict = `CRASH of the fuzzer itself: ${error.stack ?? error}`;
  });
  worker.on('exit', () => {
    clearInterval(watchdog);
    const counts = last?.counts ?? {};
    const total = Object.values(counts).reduce((n, c) => n + c.inputs, 0);
    const crashes = Object.values(counts).reduce((n, c) => n + c.crashes, 0);
    if (verdict === 'clean' && crashes > 0) verdict = `${crashes} CRASHES`;
    if (verdict === 'clean' && total < TARGET_INPUTS) verdict = `only ${total} inputs in ${MAX_SECONDS} s`;
    console.log(`fuzz seed ${SEED}, ${((Date.now() - started) / 1000).toFixed(1)} s`);
    console.log('| target | inputs | accepted | refused (4xx) | crashes / 5xx |');
    console.log('| --- | ---: | ---: | ---: | ---: |');
    for (const [target, c] of Object.entries(counts))
      console.log(
        `| ${target} | ${c.inputs.toLocaleString('en-US')} | ${c.accepted.toLocaleString('en-US')} | ${c.refused.toLocaleString('en-US')} | ${c.crashes} |`,
      );
    console.log(`| total | ${total.toLocaleString('en-US')} | | | ${crashes} |`);
    if (last?.slowest)
      console.log(`slowest input: ${last.slowest.ms.toFixed(1)} ms (${last.slowest.target})`);
    for (const crash of last?.crashes ?? [])
      console.log(`crash in ${crash.target}: ${crash.error}\n  input (base64): ${crash.input.slice(0, 400)}`);
    console.log(`verdict: ${verdict}`);
    // Kept for BENCHMARKS.md (npm run bench lists the latest fuzz and load runs).
    const dir = join(resolve(process.env.BENCH_RESULTS_DIR ?? 'bench/results'), 'fuzz');
    mkdirSync(dir, { recursive: true });
    writeFileSync(
      join(dir, 'report.json'),
      JSON.stringify(
        {
          at: new Date().toISOString(),
          seed: SEED,
          seconds: (Date.now() - started) / 1000,
          total,
          crashes,
          verdict: verdict.slice(0, 300),
          counts,
          slowest: last?.slowest,
        },
        null,
        2,
      ),
    );
    process.exit(verdict === 'clean' ? 0 : 1);
  });
} else {
  const { runFuzzer } = await import('./support/fuzzer');
  await runFuzzer(
    workerData as { seed: number; target: number; maxSeconds: number; currentInput: SharedArrayBuffer },
    (p) => parentPort?.postMessage(p),
  );
}
