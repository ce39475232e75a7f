/**
 * House rules a newcomer can rely on, checked on every run: no function over 80 lines outside the tests, so every
 * function can be read in one sitting (files are grouped by seam, not cut to a length). Parsed with the TypeScript
 * compiler, so a function is what the language says it is (declarations, methods, arrows, closures).
 */
import fs from 'node:fs';
import path from 'node:path';
import ts from 'typescript';
import { SOURCE_DIRS } from '../../scripts/build-if-stale';

const ROOT = path.resolve(__dirname, '..', '..');
const MAX_FUNCTION_LINES = 80;

function sourceFiles(dir: string): string[] {
  return fs.readdirSync(path.join(ROOT, dir), { withFileTypes: true }).flatMap((e) => {
    const rel = path.join(dir, e.name);
    if (e.isDirectory()) return sourceFiles(rel);
    return /\.(ts|js)$/.test(e.name) && !e.name.endsWith('.d.ts') ? [rel] : [];
  });
}

/** Every function of `text` longer than `max` lines, as `name (lines)`. */
export function longFunctions(file: string, text: string, max: number): string[] {
  const src = ts.createSourceFile(file, text, ts.ScriptTarget.ES2022, true);
  const lineOf = (pos: number): number => src.getLineAndCharacterOfPosition(pos).line;
  const found: string[] = [];
  const visit = (node: ts.Node): void => {
    if (ts.isFunctionLike(node) && 'body' in node && node.body) {
      const lines = lineOf(node.end) - lineOf(node.getStart(src)) + 1;
      const name = node.name && ts.isIdentifier(node.name) ? node.name.text : '(anonymous)';
      if (lines > max) found.push(`${file}:${lineOf(node.getStart(src)) + 1} ${name} (${lines} lines)`);
    }
    ts.forEachChild(node, visit);
  };
  visit(src);
  return found;
}

describe('house rules', () => {
  const files = SOURCE_DIRS.flatMap(sourceFiles);

  it('finds the source files', () => {
    expect(files.length).toBeGreaterThan(80);
    expect(files).toEqual(expect.arrayContaining([path.join('workflows', 'order.ts')]));
  });

  it(`has no function over ${MAX_FUNCTION_LINES} lines`, () => {
    const long = files.flatMap((f) =>
      longFunctions(f, fs.readFileSync(path.join(ROOT, f), 'utf8'), MAX_FUNCTION_LINES),
    );
    expect(long).toEqual([]);
  });

  it('catches a long function (the check can fail)', () => {
    const body = Array.from({ length: 81 }, (_, i) => `  const v${i} = ${i};`).join('\n');
    expect(longFunctions('x.ts', `function big() {\n${body}\n}\nconst ok = () => 1;\n`, 80)).toEqual([
      'x.ts:1 big (83 lines)',
    ]);
  });
});
