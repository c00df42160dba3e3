import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseTestFile, runCase } from './testdata-format';

const dir = join(import.meta.dirname, 'testdata');

for (const file of readdirSync(dir).filter((f) => f.endsWith('.test'))) {
  describe(`promql testdata ${file}`, () => {
    for (const c of parseTestFile(readFileSync(join(dir, file), 'utf8'))) {
      it(`line ${c.line}: ${c.mode} ${c.query}`, async () => {
        expect(await runCase(c)).toBeUndefined();
      });
    }
  });
}
