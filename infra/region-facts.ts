/**
 * Which CloudFormation resource types exist in which region, answered by aws-cdk-lib's own template
 * validator (the CloudFormation Validate plugin that `cdk synth` runs, rule F3006) rather than a list
 * we would have to keep current by hand. Runs offline: the resource schemas ship inside aws-cdk-lib.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CloudFormationValidatePlugin, type IPolicyValidationContext } from 'aws-cdk-lib';
import { Construct } from 'constructs';

/** The validator's rule id for "resource type does not exist in this region". */
export const RESOURCE_TYPE_NOT_IN_REGION_RULE = 'F3006';

const cache = new Map<string, boolean>();
let plugin: CloudFormationValidatePlugin | undefined;

/** True when CloudFormation knows `resourceType` in `region`. Results are cached per process. */
export function resourceTypeExistsIn(resourceType: string, region: string): boolean {
  const key = `${resourceType}@${region}`;
  const known = cache.get(key);
  if (known !== undefined) return known;
  const dir = mkdtempSync(join(tmpdir(), 'region-probe-'));
  try {
    const templatePath = join(dir, 'probe.template.json');
    writeFileSync(templatePath, JSON.stringify({ Resources: { Probe: { Type: resourceType } } }));
    // Default (Rego) rules are not needed for F3006, which the engine's schema layer reports.
    plugin ??= new CloudFormationValidatePlugin({ includeDefaultRules: false });
    const context: IPolicyValidationContext = {
      templatePaths: [templatePath],
      stackTemplates: [{ stackConstructPath: 'Probe', templatePath, accountId: '123456789012', region }],
      appConstruct: new Construct(undefined as unknown as Construct, ''),
    };
    const report = plugin.validate(context);
    const exists = !report.violations.some((v) => v.ruleName === RESOURCE_TYPE_NOT_IN_REGION_RULE);
    cache.set(key, exists);
    return exists;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
