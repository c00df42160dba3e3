/** Synthesizes the platform in-process (infra/synth.ts) with cached assertion templates per stack. */
import { Template } from 'aws-cdk-lib/assertions';
import { configFromContext, type PlatformConfig } from '../../infra/config';
import { STACK_PREFIX } from '../../infra/platform';
import { type SynthesizedPlatform, type SynthOptions, synthesizePlatform } from '../../infra/synth';

export interface SynthedPlatform extends SynthesizedPlatform {
  template(stackId: string): Template;
  regional(region: string): Template;
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
    })[key],
});

export function synthPlatform(
  config: PlatformConfig = TEST_CONFIG,
  options: SynthOptions = {},
): SynthedPlatform {
  const synthesized = synthesizePlatform(config, options);
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
