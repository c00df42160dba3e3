/**
 * The X-Ray SDK (under the Powertools tracer) enables an async hook on every promise once loaded, so
 * only the Lambda entry points may load it: the local platform must not, the Lambda observability must.
 * Checked in fresh Node processes, by the modules each has loaded.
 */
import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';

function loadedXRayModules(importPath: string, call = ''): string[] {
  const script = `
    import { createRequire } from 'node:module';
    const module = await import(${JSON.stringify(importPath)});
    ${call}
    const cache = createRequire(import.meta.url).cache;
    console.log(JSON.stringify(Object.keys(cache).filter((k) => k.includes('aws-xray-sdk-core'))));`;
  const out = execFileSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
    cwd: process.cwd(),
    env: { ...process.env, NODE_NO_WARNINGS: '1', POWERTOOLS_LOG_LEVEL: 'SILENT' },
    encoding: 'utf8',
  });
  return JSON.parse(out.trim().split('\n').at(-1) ?? '[]');
}

describe('where the X-Ray SDK is loaded', () => {
  it('not by the local platform (npm start)', () => {
    expect(loadedXRayModules('./local/platform.ts')).toEqual([]);
  }, 60_000);

  it('by the Lambda observability, whose HTTP chain traces every invocation', () => {
    const loaded = loadedXRayModules(
      './shared/http/tracing.ts',
      `const o = module.lambdaObservability('ingest');
       if (typeof o.tracing?.before !== 'function') throw new Error('no tracing middleware');`,
    );
    expect(loaded.length).toBeGreaterThan(0);
  }, 60_000);
});
