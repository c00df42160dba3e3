/**
 * In-process synthesis for inspection (tests, `npm run evidence`): the same context as `cdk synth`
 * (cdk.json's feature flags plus PLATFORM_CONTEXT), the same checks, bundling off unless asked for.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { App } from 'aws-cdk-lib';
import type { CloudAssembly } from 'aws-cdk-lib/cx-api';
import { addPlatformChecks } from './acknowledgements';
import { DEFAULT_CONFIG, type PlatformConfig } from './config';
import { REPO_ROOT } from './constructs/platform-function';
import { buildPlatform, PLATFORM_CONTEXT, type Platform } from './platform';

/** The feature flags `cdk synth` reads from cdk.json. */
export function cdkJsonContext(): Record<string, unknown> {
  return (
    JSON.parse(readFileSync(resolve(REPO_ROOT, 'cdk.json'), 'utf8')) as { context: Record<string, unknown> }
  ).context;
}

export interface SynthOptions {
  /** Stack ids whose functions esbuild really bundles; default none (placeholder assets). */
  readonly bundle?: readonly string[];
  /** Run cdk-nag (AwsSolutions) as `cdk synth` does; default true. */
  readonly nag?: boolean;
  /** aws-cdk-lib's built-in CloudFormation template validation; default false (slow). */
  readonly cfnValidation?: boolean;
  readonly outdir?: string;
}

export interface SynthesizedPlatform {
  readonly app: App;
  readonly platform: Platform;
  readonly assembly: CloudAssembly;
}

export function synthesizePlatform(
  config: PlatformConfig = DEFAULT_CONFIG,
  options: SynthOptions = {},
): SynthesizedPlatform {
  const app = new App({
    context: {
      ...cdkJsonContext(),
      ...PLATFORM_CONTEXT,
      'aws:cdk:bundling-stacks': [...(options.bundle ?? [])],
    },
    builtinCloudFormationValidation: options.cfnValidation ?? false,
    outdir: options.outdir,
  });
  const platform = buildPlatform(app, config);
  if (options.nag ?? true) addPlatformChecks(app);
  return { app, platform, assembly: app.synth() };
}
