/**
 * One Lambda layer per stack with the packages every function leaves out of its bundle
 * (infra/bundling.ts): copied from this repository's node_modules at synth time, offline, with their
 * production dependencies, into nodejs/node_modules (on the Lambda runtime's default NODE_PATH, ahead
 * of the SDK the runtime ships). Its asset hash is the lock file's, so the layer changes only when a
 * pinned version does.
 */
import { createHash } from 'node:crypto';
import { cpSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { AssetHashType, DockerImage, Stack } from 'aws-cdk-lib';
import { Architecture, Code, LayerVersion, Runtime } from 'aws-cdk-lib/aws-lambda';
import { Construct } from 'constructs';
import { EXTERNAL_MODULES, isLayerPackage } from '../bundling';

/** Build output of a package that Node's require() never loads (types, ESM twins of dist-cjs, docs). */
const NOT_LOADED = /(^|\/)(dist-types|dist-es|node_modules)$|\.(d\.ts|d\.cts|d\.mts|map|md|ts)$/;

function findPackage(name: string, fromDir: string): string | undefined {
  for (let dir = fromDir; ; dir = dirname(dir)) {
    const candidate = join(dir, 'node_modules', name);
    if (existsSync(join(candidate, 'package.json'))) return candidate;
    if (dirname(dir) === dir) return undefined;
  }
}

/** Production dependencies of the package in `dir`, resolved as Node resolves them from there. */
function dependencyDirs(dir: string): string[] {
  const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as {
    dependencies?: Record<string, string>;
    optionalDependencies?: Record<string, string>;
  };
  const dirs: string[] = [];
  for (const name of Object.keys({ ...pkg.dependencies, ...pkg.optionalDependencies })) {
    // Type-only packages are never required at run time.
    if (name.startsWith('@types/')) continue;
    const found = findPackage(name, dir);
    if (!found) throw new Error(`runtime dependencies layer: ${name} (needed by ${dir}) is not installed`);
    dirs.push(found);
  }
  return dirs;
}

/**
 * The directories of the packages the layer carries: every package of EXTERNAL_MODULES that
 * production code can reach (directly, or through a bundled package such as aws-xray-sdk-core), and
 * everything those need, transitively.
 */
export function layerPackageDirs(repoRoot: string): string[] {
  const reachable = new Set<string>();
  const walk = (dir: string) => {
    for (const dep of dependencyDirs(dir)) {
      if (reachable.has(dep)) continue;
      reachable.add(dep);
      walk(dep);
    }
  };
  walk(repoRoot);
  const nameOf = (dir: string) =>
    (JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { name: string }).name;
  const layer = new Set<string>();
  const include = (dir: string) => {
    if (layer.has(dir)) return;
    layer.add(dir);
    for (const dep of dependencyDirs(dir)) include(dep);
  };
  for (const dir of reachable) if (isLayerPackage(nameOf(dir))) include(dir);
  return [...layer].sort();
}

/** Copies the layer's packages into `outputDir/nodejs/node_modules`, keeping node_modules nesting. */
export function writeLayerContent(repoRoot: string, outputDir: string): void {
  const target = join(outputDir, 'nodejs', 'node_modules');
  const nodeModules = join(repoRoot, 'node_modules');
  for (const dir of layerPackageDirs(repoRoot)) {
    const destination = join(target, relative(nodeModules, dir));
    mkdirSync(destination, { recursive: true });
    cpSync(dir, destination, {
      recursive: true,
      filter: (source) => source === dir || !NOT_LOADED.test(relative(dir, source)),
    });
  }
}

export class RuntimeDependenciesLayer extends Construct {
  readonly layer: LayerVersion;

  /** The stack's layer, created on first use. */
  static of(scope: Construct, repoRoot: string): RuntimeDependenciesLayer {
    const stack = Stack.of(scope);
    const id = 'RuntimeDependencies';
    return (
      (stack.node.tryFindChild(id) as RuntimeDependenciesLayer | undefined) ??
      new RuntimeDependenciesLayer(stack, id, repoRoot)
    );
  }

  private constructor(scope: Construct, id: string, repoRoot: string) {
    super(scope, id);
    const lockHash = createHash('sha256')
      .update(readFileSync(join(repoRoot, 'package-lock.json')))
      .update(EXTERNAL_MODULES.join(','))
      .update(NOT_LOADED.source)
      .digest('hex');
    this.layer = new LayerVersion(this, 'Layer', {
      description: `${EXTERNAL_MODULES.join(', ')} as pinned by package-lock.json (${lockHash.slice(0, 12)})`,
      compatibleRuntimes: [Runtime.NODEJS_24_X],
      compatibleArchitectures: [Architecture.ARM_64],
      code: Code.fromAsset(repoRoot, {
        assetHashType: AssetHashType.CUSTOM,
        assetHash: lockHash,
        bundling: {
          // Never used: local bundling always succeeds (a copy of installed files; no network).
          image: DockerImage.fromRegistry('public.ecr.aws/sam/build-nodejs24.x'),
          local: {
            tryBundle: (outputDir) => {
              writeLayerContent(repoRoot, outputDir);
              return true;
            },
          },
        },
      }),
    });
  }
}
