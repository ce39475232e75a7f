/**
 * House rules a newcomer can rely on live in the linter, where an editor shows them (eslint.config.mjs): no function
 * over 80 lines in the folders the build compiles and in tools/ (`max-lines-per-function`, blank lines and comments
 * counted), and the layers of docs/development.md's table (`import/no-restricted-paths`: every arrow the table does
 * not allow, product code → tools/ among them). `npm run lint` enforces them; this suite checks what the linter cannot
 * see about itself: that the build compiles the product alone, that the cap covers it and every tool, that its layer
 * zones are the documented table's folders, and that both rules can fail.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { SOURCE_DIRS } from '../../tools/scripts/build-if-stale';

const ROOT = path.resolve(__dirname, '..', '..');
/** What ships: the folders `tsconfig.build.json` compiles into dist/. */
const PRODUCT = ['workflows', 'activities', 'wechatpay', 'worker', 'client'];
/** The tools: run from their sources (tsx), never built or shipped. */
const TOOLS = ['tools/simulator', 'tools/devstack', 'tools/scripts', 'tools/bench'];

/** A file to lint (it need not exist: JavaScript is linted without type information). */
interface Probe {
  filePath: string;
  text: string;
}

interface LintAnswer {
  /** `max-lines-per-function` as configured for a file in each source folder, by folder. */
  caps: Record<string, unknown>;
  /** The targets of the layer zones. */
  targets: string[];
  /** Per probe: the rule and line of each problem. */
  problems: [string | null, number][][];
}

/** Asks ESLint in a child process (its flat config is an ES module, which jest's module system does not load). */
function askEslint(probes: Probe[]): LintAnswer {
  const script = `
    const { ESLint } = require('eslint');
    (async () => {
      const { dirs, probes } = JSON.parse(process.argv[1]);
      const eslint = new ESLint({ cwd: process.cwd() });
      const caps = {};
      for (const dir of dirs) {
        caps[dir] = (await eslint.calculateConfigForFile(dir + '/probe.ts')).rules['max-lines-per-function'];
      }
      const zones = (await eslint.calculateConfigForFile('client/probe.js')).rules['import/no-restricted-paths'][1].zones;
      const problems = [];
      for (const p of probes) {
        const [result] = await eslint.lintText(p.text, { filePath: p.filePath });
        problems.push(result.messages.map((m) => [m.ruleId, m.line]));
      }
      process.stdout.write(JSON.stringify({ caps, targets: zones.map((z) => z.target), problems }));
    })().catch((err) => { console.error(err); process.exit(1); });`;
  const out = execFileSync(
    process.execPath,
    ['-e', script, JSON.stringify({ dirs: [...SOURCE_DIRS, ...TOOLS], probes })],
    {
      cwd: ROOT,
      encoding: 'utf8',
    },
  );
  return JSON.parse(out) as LintAnswer;
}

/** A function of exactly `lines` lines (JavaScript). */
function functionOf(name: string, lines: number): string {
  const body = Array.from({ length: lines - 2 }, (_, i) => `  const v${i} = ${i};`).join('\n');
  return `function ${name}() {\n${body}\n}\n`;
}

/** The folders of the Layout table in docs/development.md, in order. */
function documentedFolders(): string[] {
  const text = fs.readFileSync(path.join(ROOT, 'docs', 'development.md'), 'utf8');
  const layout = text.slice(text.indexOf('## Layout'), text.indexOf('\n## ', text.indexOf('## Layout') + 1));
  return [...layout.matchAll(/^\| `([\w-]+(?:\/[\w-]+)*)\/` +\|/gm)].map((m) => m[1]!);
}

describe('house rules in the linter', () => {
  const answer = askEslint([
    { filePath: 'tools/scripts/probe.js', text: `${functionOf('long', 81)}${functionOf('fits', 80)}` },
    {
      filePath: 'client/probe.js',
      text: "require('../activities');\nrequire('../worker/config');\nrequire('../workflows/contract');\nrequire('../tools/devstack/data-dir');\n",
    },
    {
      filePath: 'wechatpay/probe.js',
      text: "require('../workflows/order/workflow');\nrequire('../workflows/contract');\n",
    },
  ]);

  it('caps functions at 80 lines, blank lines and comments counted, in every folder the build compiles (the product alone) and in tools/', () => {
    expect([...SOURCE_DIRS].sort()).toEqual([...PRODUCT].sort());
    const build = JSON.parse(fs.readFileSync(path.join(ROOT, 'tsconfig.build.json'), 'utf8')) as { include: string[] };
    expect([...build.include].sort()).toEqual([...PRODUCT].sort());
    const cap = [2, { max: 80, skipBlankLines: false, skipComments: false, IIFEs: true }];
    expect(answer.caps).toEqual(Object.fromEntries([...SOURCE_DIRS, ...TOOLS].map((dir) => [dir, cap])));
  });

  it('refuses a function of 81 lines and lets one of 80 pass (the cap can fail)', () => {
    expect(answer.problems[0]).toEqual([['max-lines-per-function', 1]]);
  });

  it('has a layer zone for every folder of the documented table (test/ may import everything), and no other', () => {
    const folders = documentedFolders();
    expect(folders).toEqual(expect.arrayContaining(['workflows', 'client', 'worker', ...TOOLS, 'test']));
    expect([...new Set(answer.targets)]).toEqual(folders.filter((f) => f !== 'test').map((f) => `./${f}`));
  });

  it('refuses client → activities, client → worker and client → tools, and wechatpay → workflows beyond the contract', () => {
    expect(answer.problems[1]).toEqual([
      ['import/no-restricted-paths', 1],
      ['import/no-restricted-paths', 2],
      ['import/no-restricted-paths', 4],
    ]);
    expect(answer.problems[2]).toEqual([['import/no-restricted-paths', 1]]);
  });
});
