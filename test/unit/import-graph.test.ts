import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, posix, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

/**
 * The layering README's "How it is built" promises: imports point down only,
 * cli/app → server → tools/ops → auth → vault/providers → contract (with the root helpers beside contract).
 * A folder may import its own layer's folders and any layer below, never one above; the file graph has no
 * circles; the two SQL dialects import only from vault/ and never from each other; only the composition root
 * knows both dialects.
 */

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const SRC = join(ROOT, 'src');

/** Lowest first. A concept is a top folder of src/, or a file at its root (named without `.ts`). */
const LAYERS: readonly (readonly string[])[] = [
  ['contract', 'clock', 'errors', 'log', 'log-context', 'version'],
  ['vault', 'providers'],
  ['auth'],
  ['tools', 'ops'],
  ['server'],
  ['cli', 'app'],
];

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const path = join(dir, e.name);
    if (e.isDirectory()) return sourceFiles(path);
    return e.name.endsWith('.ts') && !e.name.endsWith('.d.ts') ? [path] : [];
  });
}

/** src-relative path with forward slashes, e.g. `auth/refresh/lease.ts`. */
const rel = (path: string): string => relative(SRC, path).split('\\').join('/');

/** Every relative import of a file (static, re-exports, dynamic `import()`), as src-relative paths. */
function importsOf(file: string): string[] {
  const info = ts.preProcessFile(readFileSync(join(SRC, file), 'utf8'), true, true);
  return info.importedFiles
    .map((f) => f.fileName)
    .filter((spec) => spec.startsWith('.'))
    .map((spec) => posix.normalize(posix.join(posix.dirname(file), spec)).replace(/\.js$/, '.ts'));
}

function concept(file: string): string {
  const first = file.split('/')[0] ?? file;
  return first.endsWith('.ts') ? first.slice(0, -3) : first;
}

function layerOf(file: string): number {
  const c = concept(file);
  const i = LAYERS.findIndex((l) => l.includes(c));
  if (i < 0) throw new Error(`${file}: concept "${c}" has no layer; add it to LAYERS`);
  return i;
}

const files = sourceFiles(SRC).map(rel).sort();
const graph = new Map(files.map((f) => [f, importsOf(f)]));

/** Every circle in the graph, each as the path that closes it (Tarjan's components of more than one file). */
function circles(): string[][] {
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const found: string[][] = [];
  let next = 0;
  const visit = (v: string): void => {
    index.set(v, next);
    low.set(v, next);
    next += 1;
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!graph.has(w)) continue;
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v) ?? 0, low.get(w) ?? 0));
      } else if (onStack.has(w)) {
        low.set(v, Math.min(low.get(v) ?? 0, index.get(w) ?? 0));
      }
    }
    if (low.get(v) === index.get(v)) {
      const component: string[] = [];
      let w: string | undefined;
      do {
        w = stack.pop();
        if (w === undefined) break;
        onStack.delete(w);
        component.push(w);
      } while (w !== v);
      if (component.length > 1) found.push(component.sort());
    }
  };
  for (const f of files) if (!index.has(f)) visit(f);
  return found;
}

const DIALECTS = ['vault/sqlite/', 'vault/postgres/'];

describe('the import graph', () => {
  it('resolves every relative import to a source file', () => {
    const missing = [...graph].flatMap(([f, deps]) =>
      deps.filter((d) => !graph.has(d)).map((d) => `${f} -> ${d}`),
    );
    expect(missing).toEqual([]);
  });

  it('has no circles', () => {
    expect(circles()).toEqual([]);
  });

  it('has no import pointing up the layers', () => {
    const upward = [...graph].flatMap(([f, deps]) =>
      deps.filter((d) => graph.has(d) && layerOf(d) > layerOf(f)).map((d) => `${f} -> ${d}`),
    );
    expect(upward).toEqual([]);
  });

  it('keeps each SQL dialect to itself and vault/', () => {
    const crossing = [...graph].flatMap(([f, deps]) => {
      const own = DIALECTS.find((d) => f.startsWith(d));
      if (own === undefined) return [];
      return deps
        .filter(
          (d) => !d.startsWith(own) && (!d.startsWith('vault/') || DIALECTS.some((x) => d.startsWith(x))),
        )
        .map((d) => `${f} -> ${d}`);
    });
    expect(crossing).toEqual([]);
  });

  it('keeps the store out of the tools: they reach it only through auth', () => {
    const reaching = [...graph].flatMap(([f, deps]) =>
      f.startsWith('tools/') ? deps.filter((d) => d.startsWith('vault/')).map((d) => `${f} -> ${d}`) : [],
    );
    expect(reaching).toEqual([]);
  });

  it('lets only the composition root open a dialect', () => {
    const openers = [...graph].flatMap(([f, deps]) =>
      DIALECTS.some((d) => f.startsWith(d))
        ? []
        : deps.filter((d) => DIALECTS.some((x) => d.startsWith(x))).map(() => f),
    );
    expect([...new Set(openers)]).toEqual(['app/open-store.ts']);
  });
});
