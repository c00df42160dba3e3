/**
 * Builds the collector into one file, collector/package/dist/collector.cjs (net-snmp and everything else
 * bundled; only Node built-ins at run time). `tsx collector/build.ts [outfile]`.
 */
import { chmodSync, copyFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const here = dirname(fileURLToPath(import.meta.url));

export async function buildCollector(
  outfile = join(here, 'package', 'dist', 'collector.cjs'),
): Promise<string> {
  await build({
    entryPoints: [join(here, 'cli.ts')],
    outfile,
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    minify: false,
    sourcemap: false,
    legalComments: 'none',
    banner: { js: '#!/usr/bin/env node' },
    logLevel: 'warning',
  });
  chmodSync(outfile, 0o755);
  copyFileSync(join(here, 'README.md'), join(here, 'package', 'README.md'));
  return outfile;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const out = await buildCollector(process.argv[2]);
  process.stdout.write(`built ${out}\n`);
}
