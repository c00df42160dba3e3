import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { isBuiltin } from 'node:module';
import { join, resolve } from 'node:path';
import { build, type Metafile } from 'esbuild';
import { describe, expect, it } from 'vitest';
import { LAMBDA_BUNDLING } from '../../infra/bundling';
import { STACK_PREFIX } from '../../infra/platform';
import { synthPlatform } from './support';

const FUNCTIONS_DIR = resolve(import.meta.dirname, '../../functions');

/** Package names a bundle requires at run time (externals: CommonJS `require("…")` in the output). */
function requiredPackages(bundle: string): string[] {
  const names = new Set<string>();
  for (const [, spec] of readFileSync(bundle, 'utf8').matchAll(/require\("([^"]+)"\)/g)) {
    if (spec === undefined || spec.startsWith('node:') || !/^[@a-z]/.test(spec)) continue;
    const parts = spec.split('/');
    names.add(spec.startsWith('@') ? `${parts[0]}/${parts[1]}` : (parts[0] as string));
  }
  return [...names].sort();
}

describe('function bundling (real esbuild)', () => {
  it('bundles every HTTP handler of one regional stack (and the report scheduler) into loadable, minified CommonJS with source maps', () => {
    const stackId = `${STACK_PREFIX}-us-east-1`;
    const { assembly, platform } = synthPlatform(undefined, { bundle: [stackId], nag: false });
    const stack = platform.regional.get('us-east-1')!;
    const template = assembly.getStackByName(stackId).template as {
      Resources: Record<
        string,
        { Properties: { Code: { S3Key: string }; Environment: { Variables: Record<string, unknown> } } }
      >;
    };
    const names = Object.keys(stack.functions) as (keyof typeof stack.functions)[];
    expect(names).toEqual(expect.arrayContaining(['ingest', 'api', 'admin']));
    // Every function has the stack's one runtime dependencies layer; its staged content is what
    // Lambda mounts at /opt, so NODE_PATH below is the runtime's own (/opt/nodejs/node_modules).
    const layers = Object.values(template.Resources).filter(
      (r) => (r as { Type?: string }).Type === 'AWS::Lambda::LayerVersion',
    ) as unknown as { Properties: { Content: { S3Key: string } } }[];
    expect(layers).toHaveLength(1);
    const layerAsset = `asset.${layers[0]!.Properties.Content.S3Key.replace(/\.zip$/, '')}`;
    const layerModules = join(assembly.directory, layerAsset, 'nodejs', 'node_modules');
    expect(existsSync(join(layerModules, '@aws-sdk', 'client-dynamodb', 'package.json'))).toBe(true);
    // The HTTP functions, and the scheduled ones that have no route to exercise them.
    const functions = [
      ...names.map((name) => [name, stack.functions[name]] as const),
      ['report-scheduler', stack.reportScheduler.scheduler] as const,
    ];
    for (const [name, platformFunction] of functions) {
      const id = stack.getLogicalId(platformFunction.fn.node.defaultChild as never);
      const fn = template.Resources[id]!.Properties;
      // The staged asset directory is named after the asset hash the template's S3 key carries.
      const dir = join(assembly.directory, `asset.${fn.Code.S3Key.replace(/\.zip$/, '')}`);
      const bundle = join(dir, 'index.js');
      expect(existsSync(bundle), name).toBe(true);
      expect(existsSync(join(dir, 'index.js.map')), name).toBe(true);
      expect(statSync(bundle).size, name).toBeGreaterThan(50_000);
      // What the bundle leaves out, the layer has (or Node has): nothing resolved from anywhere else.
      for (const pkg of requiredPackages(bundle)) {
        if (!isBuiltin(pkg))
          expect(existsSync(join(layerModules, pkg, 'package.json')), `${name} needs ${pkg}`).toBe(true);
      }
      // Load it as Lambda does (CommonJS require, no node_modules beside it) with the variables the
      // template sets, so a function missing an environment variable it reads at start fails here;
      // references (Ref, GetAtt) become placeholder strings; a joined value (a JSON document with
      // references in it, e.g. REGION_ENDPOINTS) keeps its text with placeholders in its parts.
      const render = (v: unknown, k: string): string => {
        if (typeof v === 'string') return v;
        const join = (v as { 'Fn::Join'?: [string, unknown[]] })['Fn::Join'];
        if (join)
          return join[1].map((part) => (typeof part === 'string' ? part : 'placeholder')).join(join[0]);
        return `placeholder-${k}`;
      };
      const environment = Object.fromEntries(
        Object.entries(fn.Environment.Variables).map(([k, v]) => [k, render(v, k)]),
      );
      expect(Object.keys(environment), name).toContain('TABLE_NAME');
      const loaded = spawnSync(
        process.execPath,
        ['-e', `const m = require(${JSON.stringify(bundle)}); process.stdout.write(typeof m.handler);`],
        {
          cwd: dir,
          // Debug-log sampling (the template's 1 %) would print a line at random: off for this check.
          env: {
            PATH: process.env.PATH,
            NODE_PATH: layerModules,
            AWS_REGION: 'us-east-1',
            ...environment,
            POWERTOOLS_LOGGER_SAMPLE_RATE: '0',
          },
          encoding: 'utf8',
        },
      );
      expect(loaded.stderr.slice(-2000), name).toBe('');
      expect(loaded.stdout, name).toBe('function');
    }
    // esbuild runs once per function of the stack: slow on a shared 2-core box.
  }, 180_000);

  it('bundles zod/mini only, never classic zod (444 KB in every bundle), into every function', async () => {
    const names = readdirSync(FUNCTIONS_DIR).filter((n) => existsSync(join(FUNCTIONS_DIR, n, 'handler.ts')));
    expect(names.length).toBeGreaterThanOrEqual(8);
    for (const name of names) {
      const { metafile } = await build({
        entryPoints: [join(FUNCTIONS_DIR, name, 'handler.ts')],
        bundle: true,
        write: false,
        platform: 'node',
        format: 'cjs',
        target: LAMBDA_BUNDLING.target,
        external: [...LAMBDA_BUNDLING.externalModules],
        metafile: true,
        logLevel: 'silent',
      });
      const inputs = Object.keys((metafile as Metafile).inputs);
      const zod = inputs.filter((path) => path.includes('node_modules/zod/'));
      expect(zod.length, `${name} bundles zod`).toBeGreaterThan(0);
      expect(
        zod.filter((path) => /\/zod\/(v4\/classic\/|index\.(c?js)$|v3\/)/.test(path)),
        `${name} bundles classic zod`,
      ).toEqual([]);
    }
  }, 120_000);
});
