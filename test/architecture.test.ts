/**
 * The layering the folder names promise (issue 21's "Done when"), checked on the import graph read
 * from the source text (test/support/import-graph.ts):
 * - an AWS adapter and its local twin never import each other: code both need lives in a neutral
 *   room (shared/adapters/items, crypto, webhook, spill, tenancy);
 * - the core (shared/domain, shared/ports, shared/ingest) imports no adapter;
 * - every module of the API function stays under 400 lines (one module per resource);
 * - no import cycle, anywhere;
 * - an import into shared/ from outside it, or from one layer (or adapter room) to another, names
 *   the layer through a package.json alias (`#domain/…`, `#adapters/items/…`), never `../…`.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { type ImportEdge, type ImportGraph, importCycles, readImportGraph } from './support/import-graph';

const ROOT = join(import.meta.dirname, '..');
const graph = readImportGraph(ROOT, ['shared', 'functions', 'local', 'infra', 'test', 'bench', 'scripts']);

const show = (edges: readonly ImportEdge[]) => edges.map((e) => `${e.from}:${e.line} imports ${e.specifier}`);
const under = (folder: string) => (file: string | undefined) => file?.startsWith(`${folder}/`) ?? false;

/**
 * Files under shared/adapters/aws or shared/adapters/local allowed to import the other twin. None:
 * the wiring that picks a twin lives outside both folders (functions/<name>/handler.ts and
 * shared/adapters/aws/wiring.ts build the AWS adapters, local/platform.ts the local ones).
 */
const PICKS_A_TWIN = new Set<string>();

/** The layer a file of shared/ belongs to; each room of shared/adapters is a layer of its own. */
function layerOf(file: string): string | undefined {
  const parts = file.split('/');
  if (parts[0] !== 'shared') return undefined;
  return parts.slice(0, parts[1] === 'adapters' && parts.length > 3 ? 3 : 2).join('/');
}

describe('architecture: the import graph', () => {
  it('reads the graph it checks: every relative and aliased import resolves to a file', () => {
    expect(graph.files.length).toBeGreaterThan(300);
    expect(show(graph.edges.filter((e) => e.to === undefined))).toEqual([]);
    // Known edges of each form: an alias, a relative import, a re-export and a dynamic import.
    const has = (from: string, to: string) => graph.edges.some((e) => e.from === from && e.to === to);
    expect(
      has('shared/adapters/aws/dynamodb-tenant-store.ts', 'shared/adapters/items/tenant-store-items.ts'),
    ).toBe(true);
    expect(has('shared/adapters/aws/dynamodb-tenant-store.ts', 'shared/adapters/aws/dynamodb-items.ts')).toBe(
      true,
    );
    expect(has('shared/ports/metric-metadata.ts', 'shared/domain/metric-metadata.ts')).toBe(true);
    expect(has('shared/adapters/aws/wiring.ts', 'shared/adapters/aws/spill-sqs-queue.ts')).toBe(true);
  });

  it('finds a cycle when there is one (the detector itself)', () => {
    const synthetic: ImportGraph = {
      root: '',
      files: ['a.ts', 'b.ts', 'c.ts', 'd.ts'],
      edges: [
        { from: 'a.ts', specifier: './b', to: 'b.ts', line: 1 },
        { from: 'b.ts', specifier: './c', to: 'c.ts', line: 1 },
        { from: 'c.ts', specifier: './a', to: 'a.ts', line: 1 },
        { from: 'c.ts', specifier: './d', to: 'd.ts', line: 2 },
      ],
    };
    expect(importCycles(synthetic)).toEqual([['a.ts', 'b.ts', 'c.ts', 'a.ts']]);
    expect(importCycles({ ...synthetic, edges: synthetic.edges.slice(0, 2) })).toEqual([]);
  });

  it('has no import cycle', () => {
    expect(importCycles(graph).map((cycle) => cycle.join(' → '))).toEqual([]);
  });

  it('keeps the AWS adapters and their local twins apart', () => {
    const aws = under('shared/adapters/aws');
    const local = under('shared/adapters/local');
    const crossing = graph.edges.filter(
      (e) => !PICKS_A_TWIN.has(e.from) && ((aws(e.from) && local(e.to)) || (local(e.from) && aws(e.to))),
    );
    expect(show(crossing)).toEqual([]);
  });

  it('keeps every adapter out of the core (domain, ports, ingest)', () => {
    const core = (f: string) => ['shared/domain', 'shared/ports', 'shared/ingest'].some((l) => under(l)(f));
    expect(show(graph.edges.filter((e) => core(e.from) && under('shared/adapters')(e.to)))).toEqual([]);
  });

  it('keeps every module of the API function under 400 lines', () => {
    const modules = graph.files.filter(under('functions/api'));
    expect(modules.length).toBeGreaterThan(5);
    const long = modules
      .map((file) => ({ file, lines: readFileSync(join(ROOT, file), 'utf8').split('\n').length }))
      .filter((m) => m.lines >= 400);
    expect(long).toEqual([]);
  });

  it('imports into shared/ through the aliases, from outside it and across its layers', () => {
    const climbing = graph.edges.filter(
      (e) =>
        e.specifier.startsWith('.') &&
        layerOf(e.to ?? '') !== undefined &&
        layerOf(e.from) !== layerOf(e.to!),
    );
    expect(show(climbing)).toEqual([]);
  });
});
