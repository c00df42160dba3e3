/** Synthesizes the platform in-process (infra/synth.ts) with cached assertion templates per stack. */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { join, relative } from 'node:path';
import { Template } from 'aws-cdk-lib/assertions';
import { configFromContext, DEFAULT_CONSOLE_ASSETS_DIR, type PlatformConfig } from '../../infra/config';
import { STACK_PREFIX } from '../../infra/platform';
import { type SynthesizedPlatform, type SynthOptions, synthesizePlatform } from '../../infra/synth';

export interface SynthedPlatform extends SynthesizedPlatform {
  template(stackId: string): Template;
  regional(region: string): Template;
}

const ROOT = join(import.meta.dirname, '../..');

/**
 * The console built once per version of web/ (test files synthesize in parallel workers): under
 * node_modules/.cache, keyed by a hash of its sources, built into a temporary directory and renamed
 * into place, so a worker never sees half a build.
 */
export function builtConsole(): string {
  const hash = createHash('sha256');
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true }).sort((a, b) =>
      a.name.localeCompare(b.name),
    )) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) {
        if (entry.name !== 'dist') walk(path);
      } else hash.update(relative(ROOT, path)).update(readFileSync(path));
    }
  };
  walk(join(ROOT, 'web'));
  hash.update(readFileSync(join(ROOT, 'package-lock.json')));
  const cache = join(ROOT, 'node_modules/.cache');
  const dir = join(cache, `console-dist-${hash.digest('hex').slice(0, 16)}`);
  if (existsSync(join(dir, 'index.html'))) return dir;
  mkdirSync(cache, { recursive: true });
  const building = mkdtempSync(join(cache, 'console-building-'));
  execFileSync(
    process.execPath,
    [
      join(ROOT, 'node_modules/vite/bin/vite.js'),
      'build',
      '--config',
      'web/vite.config.ts',
      '--outDir',
      building,
      '--emptyOutDir',
    ],
    { cwd: ROOT, stdio: 'ignore' },
  );
  try {
    renameSync(building, dir);
  } catch {
    // Another worker got there first: its build is the same.
    rmSync(building, { recursive: true, force: true });
  }
  return dir;
}

/**
 * The default config as an account that has Timestream deploys it (`-c timestreamRegions=…` for the
 * four regions where it exists, `-c onCallEmail=…`): the tests see both metric stores.
 */
export const TEST_CONFIG: PlatformConfig = configFromContext({
  tryGetContext: (key: string) =>
    ({
      timestreamRegions: 'us-west-2,us-east-1,eu-west-1,ap-southeast-2',
      onCallEmail: 'oncall@example.com',
      consoleDomain: 'console.example.com',
    })[key],
});

export function synthPlatform(
  config: PlatformConfig = TEST_CONFIG,
  options: SynthOptions = {},
): SynthedPlatform {
  // The default config uploads web/dist; tests upload their own build of the same sources.
  const synthesized = synthesizePlatform(
    config.consoleAssetsDir === DEFAULT_CONSOLE_ASSETS_DIR
      ? { ...config, consoleAssetsDir: builtConsole() }
      : config,
    options,
  );
  const templates = new Map<string, Template>();
  const template = (stackId: string) => {
    let t = templates.get(stackId);
    if (!t) {
      t = Template.fromJSON(synthesized.assembly.getStackByName(stackId).template);
      templates.set(stackId, t);
    }
    return t;
  };
  return { ...synthesized, template, regional: (region) => template(`${STACK_PREFIX}-${region}`) };
}
