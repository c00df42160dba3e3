/**
 * Builds the whole platform into an App (or Stage) from a typed config: the global part and one
 * regional stack per configured region. References travel through props; CDK turns them into
 * exports (same region) or its SSM-backed cross-region references (crossRegionReferences).
 */
import type { Stage } from 'aws-cdk-lib';
import { assertDeployable, backupCopyRegionOf, type PlatformConfig } from './config';
import { ConsoleIdentityStack, ConsoleSiteStack } from './stacks/console-stacks';
import { GlobalKeysStack, GlobalTableStack, RegionKeysStack } from './stacks/global-stacks';
import { RegionalStack } from './stacks/regional-stack';

export const STACK_PREFIX = 'ObsPlatform';

/** App context every synth of this platform uses (infra/app.ts and the tests). */
export const PLATFORM_CONTEXT = {
  // Producer stacks refuse to drop an export a consumer still imports (the current default, made explicit).
  '@aws-cdk/core:defaultCrossStackReferences': 'strong',
} as const;

export interface Platform {
  readonly globalKeys: GlobalKeysStack;
  readonly regionKeys: ReadonlyMap<string, RegionKeysStack>;
  readonly globalTable: GlobalTableStack;
  readonly regional: ReadonlyMap<string, RegionalStack>;
  readonly consoleIdentity: ConsoleIdentityStack;
  readonly consoleSite: ConsoleSiteStack;
}

export function buildPlatform(scope: Stage, config: PlatformConfig): Platform {
  assertDeployable(config);
  const env = (region: string) => ({ account: config.account, region });
  const common = { crossRegionReferences: true };
  const replicaRegions = config.regions.map((r) => r.region).filter((r) => r !== config.primaryRegion);

  const globalKeys = new GlobalKeysStack(scope, `${STACK_PREFIX}-GlobalKeys`, {
    ...common,
    env: env(config.primaryRegion),
    description: 'Observability platform: multi-region primary KMS keys',
  });
  const backupCopyRegion = backupCopyRegionOf(config) as string;
  const regionKeys = new Map<string, RegionKeysStack>();
  for (const region of replicaRegions) {
    const stack = new RegionKeysStack(scope, `${STACK_PREFIX}-Keys-${region}`, {
      ...common,
      env: env(region),
      description: `Observability platform: multi-region key replicas in ${region}`,
      primaryTableKeyArn: globalKeys.tableKey.keyArn,
      backupCopyVault: region === backupCopyRegion,
    });
    regionKeys.set(region, stack);
  }
  const globalTable = new GlobalTableStack(scope, `${STACK_PREFIX}-GlobalTable`, {
    ...common,
    env: env(config.primaryRegion),
    description: 'Observability platform: metadata global table and its backups',
    tableKey: globalKeys.tableKey,
    replicaRegions,
    backupCopyRegion,
  });
  // Table replicas are encrypted with the replica keys: those must exist first.
  for (const stack of regionKeys.values()) globalTable.addStackDependency(stack);

  const consoleIdentity = new ConsoleIdentityStack(scope, `${STACK_PREFIX}-ConsoleIdentity`, {
    ...common,
    env: env(config.primaryRegion),
    description: 'Observability platform: the console user pool (MFA required)',
    ...(config.consoleDomain ? { consoleDomain: config.consoleDomain } : {}),
  });

  const regional = new Map<string, RegionalStack>();
  for (const regionConfig of config.regions) {
    const { region } = regionConfig;
    const keys = regionKeys.get(region);
    const stack = new RegionalStack(scope, `${STACK_PREFIX}-${region}`, {
      ...common,
      env: env(region),
      description: `Observability platform: region ${region} (${regionConfig.metricStore})`,
      config,
      regionConfig,
      tableName: globalTable.metadata.table.tableName,
      tableKeyArn: keys ? keys.tableKeyArn : globalKeys.tableKey.keyArn,
      consoleUsers: consoleIdentity.users,
    });
    stack.addStackDependency(globalTable);
    regional.set(region, stack);
  }
  const primary = regional.get(config.primaryRegion) as RegionalStack;
  const consoleSite = new ConsoleSiteStack(scope, `${STACK_PREFIX}-ConsoleSite`, {
    ...common,
    env: env(config.primaryRegion),
    description: 'Observability platform: the console (S3 + CloudFront) in front of the primary API',
    users: consoleIdentity.users,
    api: primary.ingestApi.api,
    ...(config.consoleAssetsDir ? { assetsDir: config.consoleAssetsDir } : {}),
  });
  return { globalKeys, regionKeys, globalTable, regional, consoleIdentity, consoleSite };
}
