import { spawnSync } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { STACK_PREFIX } from '../../infra/platform';
import { synthPlatform } from './support';

describe('function bundling (real esbuild)', () => {
  it('bundles every HTTP handler of one regional stack into loadable, minified CommonJS with source maps', () => {
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
    for (const name of names) {
      const id = stack.getLogicalId(stack.functions[name].fn.node.defaultChild as never);
      const fn = template.Resources[id]!.Properties;
      // The staged asset directory is named after the asset hash the template's S3 key carries.
      const dir = join(assembly.directory, `asset.${fn.Code.S3Key.replace(/\.zip$/, '')}`);
      const bundle = join(dir, 'index.js');
      expect(existsSync(bundle), name).toBe(true);
      expect(existsSync(join(dir, 'index.js.map')), name).toBe(true);
      expect(statSync(bundle).size, name).toBeGreaterThan(50_000);
      // Load it as Lambda does (CommonJS require, no node_modules beside it) with the variables the
      // template sets, so a function missing an environment variable it reads at start fails here;
      // references (Ref, GetAtt) become placeholder strings.
      const environment = Object.fromEntries(
        Object.entries(fn.Environment.Variables).map(([k, v]) => [
          k,
          typeof v === 'string' ? v : `placeholder-${k}`,
        ]),
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
    // esbuild runs once per function of the stack (seven, SDK included): slow on a shared 2-core box.
  }, 180_000);
});
