import { spawnSync } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { STACK_PREFIX } from '../../infra/platform';
import { synthPlatform } from './support';

describe('function bundling (real esbuild)', () => {
  it('bundles the handlers of one regional stack into loadable, minified CommonJS with source maps', () => {
    const stackId = `${STACK_PREFIX}-us-east-1`;
    const { assembly, platform } = synthPlatform(undefined, { bundle: [stackId], nag: false });
    const stack = platform.regional.get('us-east-1')!;
    const template = assembly.getStackByName(stackId).template as {
      Resources: Record<
        string,
        { Properties: { Code: { S3Key: string }; Environment: { Variables: Record<string, unknown> } } }
      >;
    };
    const ingestId = stack.getLogicalId(stack.functions.ingest.fn.node.defaultChild as never);
    const ingest = template.Resources[ingestId]!.Properties;
    // The staged asset directory is named after the asset hash the template's S3 key carries.
    const dir = join(assembly.directory, `asset.${ingest.Code.S3Key.replace(/\.zip$/, '')}`);
    const bundle = join(dir, 'index.js');
    expect(existsSync(bundle)).toBe(true);
    expect(existsSync(join(dir, 'index.js.map'))).toBe(true);
    expect(statSync(bundle).size).toBeGreaterThan(50_000);
    // Load it as Lambda does (CommonJS require, no node_modules beside it) with the variables the
    // template sets; references (Ref, GetAtt) become placeholder strings.
    const environment = Object.fromEntries(
      Object.entries(ingest.Environment.Variables).map(([k, v]) => [
        k,
        typeof v === 'string' ? v : `placeholder-${k}`,
      ]),
    );
    expect(Object.keys(environment)).toContain('TABLE_NAME');
    const loaded = spawnSync(
      process.execPath,
      ['-e', `const m = require(${JSON.stringify(bundle)}); process.stdout.write(typeof m.handler);`],
      {
        cwd: dir,
        env: { PATH: process.env.PATH, AWS_REGION: 'us-east-1', ...environment },
        encoding: 'utf8',
      },
    );
    expect(loaded.stderr.slice(-2000)).toBe('');
    expect(loaded.stdout).toBe('function');
    // esbuild runs once per function of the stack (seven, SDK included): slow on a shared 2-core box.
  }, 180_000);
});
