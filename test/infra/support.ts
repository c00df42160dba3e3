/** Synthesizes the platform in-process (infra/synth.ts) with cached assertion templates per stack. */
import { Template } from 'aws-cdk-lib/assertions';
import { DEFAULT_CONFIG, type PlatformConfig } from '../../infra/config';
import { STACK_PREFIX } from '../../infra/platform';
import { type SynthesizedPlatform, type SynthOptions, synthesizePlatform } from '../../infra/synth';

export interface SynthedPlatform extends SynthesizedPlatform {
  template(stackId: string): Template;
  regional(region: string): Template;
}

export function synthPlatform(
  config: PlatformConfig = DEFAULT_CONFIG,
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
