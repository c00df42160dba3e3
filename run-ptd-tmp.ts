import { readFileSync } from 'node:fs';
import { parseTestFile, runCase } from './test/promql/testdata-format';
let pass = 0, fail = 0;
for (const f of process.argv.slice(2)) {
  let cases;
  try { cases = parseTestFile(readFileSync(f, 'utf8')); } catch (e) { console.log(f, 'LOAD ERROR', (e as Error).message); continue; }
  for (const c of cases) {
    const r = await runCase(c);
    if (r) { fail++; console.log(`${f.split('/').pop()}:${c.line} ${c.mode} ${c.query} -> ${r.slice(0, 300)}`); } else pass++;
  }
}
console.log('pass', pass, 'fail', fail);
