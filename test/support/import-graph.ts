/**
 * The repository's import graph, read from the source text: every static `import … from`,
 * `export … from`, side-effect `import '…'` and dynamic `import('…')` of every .ts file under the
 * given roots, resolved through package.json's `imports` aliases and relative paths. Packages
 * (`node:…`, npm) are left out. Static forms count only at the start of a line, so an example inside
 * a doc comment (` * import …`) is no edge.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

export interface ImportEdge {
  /** The importing file, relative to the repository root (forward slashes). */
  readonly from: string;
  /** The specifier as written. */
  readonly specifier: string;
  /** The imported file, relative to the root; undefined when it resolves to no file here. */
  readonly to: string | undefined;
  /** 1-based line of the import. */
  readonly line: number;
}

export interface ImportGraph {
  readonly root: string;
  readonly files: readonly string[];
  readonly edges: readonly ImportEdge[];
}

/** Static imports and re-exports start a line; a dynamic import may stand anywhere. */
const SPECIFIER =
  /(?:^[ \t]*import\s+(?:type\s+)?(?:[\w*${}\s,]+?\s+from\s+)?|^[ \t]*export\s+(?:type\s+)?(?:\*(?:\s+as\s+\w+)?|\{[^}]*\})\s+from\s+|\bimport\s*\(\s*)['"]([^'"]+)['"]/gm;

function tsFilesUnder(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir).flatMap((name) => {
    if (name === 'node_modules' || name.startsWith('.')) return [];
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return tsFilesUnder(path);
    return name.endsWith('.ts') && !name.endsWith('.d.ts') ? [path] : [];
  });
}

/** The file a path names, as Node and esbuild would find it (`x` → `x.ts`, `x/index.ts`). */
function resolveFile(path: string): string | undefined {
  for (const candidate of [path, `${path}.ts`, join(path, 'index.ts')])
    if (existsSync(candidate) && statSync(candidate).isFile()) return candidate;
  if (path.endsWith('.js')) return resolveFile(path.slice(0, -3));
  return undefined;
}

export function readImportGraph(root: string, roots: readonly string[]): ImportGraph {
  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as {
    imports?: Record<string, string>;
  };
  const aliases = Object.entries(pkg.imports ?? {}).map(([pattern, target]) => ({
    prefix: pattern.replace(/\*$/, ''),
    target,
  }));
  const toRelative = (path: string) => relative(root, path).split('\\').join('/');
  const files = roots.flatMap((r) => tsFilesUnder(join(root, r)));
  const edges: ImportEdge[] = [];
  for (const file of files) {
    const text = readFileSync(file, 'utf8');
    for (const match of text.matchAll(SPECIFIER)) {
      const specifier = match[1]!;
      let target: string | undefined;
      if (specifier.startsWith('.')) target = resolveFile(resolve(dirname(file), specifier));
      else if (specifier.startsWith('#')) {
        const alias = aliases.find((a) => specifier.startsWith(a.prefix));
        if (alias)
          target = resolveFile(join(root, alias.target.replace('*', specifier.slice(alias.prefix.length))));
      } else continue;
      edges.push({
        from: toRelative(file),
        specifier,
        to: target && toRelative(target),
        line: text.slice(0, match.index).split('\n').length,
      });
    }
  }
  return { root, files: files.map(toRelative), edges };
}

/** Every import cycle (each once, as the files in order, the first repeated at the end). */
export function importCycles(graph: ImportGraph): string[][] {
  const next = new Map<string, string[]>();
  for (const e of graph.edges) if (e.to) next.set(e.from, [...(next.get(e.from) ?? []), e.to]);
  const cycles: string[][] = [];
  const state = new Map<string, 'open' | 'done'>();
  const stack: string[] = [];
  const visit = (file: string) => {
    state.set(file, 'open');
    stack.push(file);
    for (const to of next.get(file) ?? []) {
      if (state.get(to) === 'open') cycles.push([...stack.slice(stack.indexOf(to)), to]);
      else if (!state.has(to)) visit(to);
    }
    stack.pop();
    state.set(file, 'done');
  };
  for (const file of graph.files) if (!state.has(file)) visit(file);
  return cycles;
}
