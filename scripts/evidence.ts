/**
 * `npm run evidence`: synthesizes the platform (cdk-nag included; bundling off, code is not evidence)
 * and writes a SOC 2 evidence report, Markdown and JSON, under evidence/. Exits 1 when a check or a
 * criterion does not hold, so CI can gate on it.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { App, Validations } from 'aws-cdk-lib';
import { configFromContext } from '../infra/config';
import { REPO_ROOT } from '../infra/constructs/platform-function';
import { evaluate, renderMarkdown, type TemplateSet } from '../infra/evidence/checks';
import { cdkJsonContext, synthesizePlatform } from '../infra/synth';

const outDir = resolve(REPO_ROOT, process.env.EVIDENCE_DIR ?? 'evidence');
const cdkOut = mkdtempSync(join(tmpdir(), 'evidence-cdk-'));
try {
  const config = configFromContext(new App({ context: cdkJsonContext() }).node);
  const { app, assembly } = synthesizePlatform(config, { outdir: cdkOut });
  const templates: TemplateSet = Object.fromEntries(assembly.stacks.map((s) => [s.stackName, s.template]));
  const report = evaluate(
    templates,
    new Date(),
    undefined,
    config.account ? { account: config.account } : {},
  );
  // The cdk-nag acknowledgements in force, with their reasons: part of the evidence.
  const acknowledgements = app.node.findAll().flatMap((c) =>
    c.node.metadata
      .filter((m) => m.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY)
      .flatMap((m) =>
        Object.entries(m.data as Record<string, string>).map(([rule, reason]) => ({
          path: c.node.path,
          rule,
          reason,
        })),
      ),
  );
  mkdirSync(outDir, { recursive: true });
  writeFileSync(
    join(outDir, 'soc2-evidence.json'),
    `${JSON.stringify({ ...report, acknowledgements }, null, 2)}\n`,
  );
  writeFileSync(
    join(outDir, 'soc2-evidence.md'),
    `${renderMarkdown(report)}\n## cdk-nag\n\nAwsSolutions ran on every stack with zero unacknowledged findings ` +
      `(synthesis fails otherwise). ${acknowledgements.length} acknowledgements, each with its reason, are listed ` +
      'in soc2-evidence.json.\n',
  );
  for (const c of report.criteria)
    console.log(`${c.holds ? 'HOLDS        ' : 'DOES NOT HOLD'} ${c.id}  ${c.description}`);
  for (const check of report.checks.filter((x) => !x.holds))
    for (const failure of check.failures) console.log(`  ${check.id}: ${failure}`);
  console.log(`report: ${join(outDir, 'soc2-evidence.md')}`);
  process.exitCode = report.holds ? 0 : 1;
} finally {
  rmSync(cdkOut, { recursive: true, force: true });
}
