/**
 * The README reads in the order a reader needs it (issue 23, point 6) and shows nothing untried: at most 400 lines;
 * its `##` sections in the order what it is → try it → integrate → go live → deploy → operate → reference; every
 * command it shows in a shell block run by a test, a script or `.ci/run` (or marked as needing real credentials or
 * production, with the reason); every relative link in it and in the pages it sends readers to resolves to a file
 * and, when it names one, a heading; the figures the docs give of the test suites are the suites' own.
 *
 * Which lines are commands: in a ```bash, ```sh or ```shell block, every line that is not blank and not a comment
 * (`# …`); in a ```console block, only the lines starting with `$ ` (the rest is output). A line ending in `\`
 * continues on the next; a trailing ` # comment` is not part of the command; runs of spaces count as one. Every
 * fenced block in the README names its language, so no command hides in an unmarked block (output goes in ```text).
 */
import fs from 'node:fs';
import path from 'node:path';
import { MALFORMED } from '../harness/malformed';

const ROOT = path.resolve(__dirname, '..', '..');
const README = 'README.md';
const MAX_LINES = 400;

/** The README's top-level sections, in order: each `##` heading must match its pattern, and there are no others. */
const SECTIONS: readonly RegExp[] = [
  /^what it is$/i,
  /^try it$/i,
  /^integrate$/i,
  /^go live$/i,
  /^deploy$/i,
  /^operate$/i,
  /^reference$/i,
];

/** A file that runs a command, and the text in it that shows it runs that command (all of `shows` must be there). */
interface RunBy {
  file: string;
  shows: readonly (string | RegExp)[];
}

/** Commands the README shows and what runs each of them. */
const RUN_BY: Readonly<Record<string, RunBy>> = {
  'npm install && npm start': { file: 'test/e2e/quick-start.test.ts', shows: ["spawn('npm', ['start']"] },
  'npm test': { file: '.ci/run', shows: [/^npm test -- /m] },
  // From the client package's tarball, beside the SDK's client at this version and one minor behind, npm and pnpm.
  'npm install combine-papay-client @temporalio/client': {
    file: 'test/e2e/package.test.ts',
    shows: ["['install', '--no-audit', '--no-fund', '--prefer-offline', ...packages]", '`@temporalio/client@${sdk}`'],
  },
  'combine-papay-worker preflight --query P20261127001': {
    file: 'test/e2e/package.test.ts',
    shows: ["'.bin', 'combine-papay-worker'", "['preflight', '--query', probe.combineOutTradeNo]"],
  },
  'npm run preflight -- --query P20261127001': {
    file: 'test/e2e/preflight.test.ts',
    shows: ["'run', '--silent', 'preflight', '--', '--query'"],
  },
  // The versioning test asks describe-version whether a build polls; it does not wait for drainage.
  'temporal worker deployment describe-version --deployment-name combine-papay --build-id B': {
    file: 'test/e2e/versioning.test.ts',
    shows: ["'worker', 'deployment', 'describe-version'", "'--deployment-name'", "'--build-id'"],
  },
  'temporal worker deployment describe-version --deployment-name combine-papay --build-id A': {
    file: 'test/e2e/versioning.test.ts',
    shows: ["'worker', 'deployment', 'describe-version'", "'--deployment-name'", "'--build-id'"],
  },
  'temporal worker deployment set-ramping-version --deployment-name combine-papay --build-id B --percentage 10 --yes': {
    file: 'test/e2e/versioning.test.ts',
    shows: ["'set-ramping-version'", "'--percentage', '10', '--yes'"],
  },
  'temporal worker deployment set-current-version --deployment-name combine-papay --build-id B --yes': {
    file: 'test/e2e/versioning.test.ts',
    shows: ["'worker', 'deployment', 'set-current-version'", "'--build-id', buildId, '--yes'"],
  },
  'temporal workflow update-options --workflow-id combine-papay-P20261127001 --versioning-override-behavior pinned --versioning-override-deployment-name combine-papay --versioning-override-build-id A2':
    {
      file: 'test/e2e/versioning.test.ts',
      shows: [
        "'workflow', 'update-options'",
        "'--workflow-id'",
        "'--versioning-override-behavior', 'pinned'",
        "'--versioning-override-deployment-name'",
        "'--versioning-override-build-id'",
      ],
    },
};

/** Commands the README shows that only make sense with real credentials or in production, and why. */
const NEEDS_PRODUCTION: Readonly<Record<string, string>> = {
  'openssl x509 -noout -serial -in apiclient_cert.pem':
    "reads the merchant API certificate WeChat Pay's merchant platform issued; the worker's own check of the serial " +
    'against the certificate runs in test/e2e/preflight.test.ts',
};

/** Commands the README shows that nothing runs yet: each is reported as a todo until a test runs it. */
const AWAITING_A_TEST: Readonly<Record<string, string>> = {};

/** Markdown files whose relative links must resolve: the README and the pages it sends readers to. */
function linkedPages(): string[] {
  const docs = fs
    .readdirSync(path.join(ROOT, 'docs'))
    .filter((f) => f.endsWith('.md'))
    .map((f) => `docs/${f}`);
  return [README, 'CHANGELOG.md', 'tools/bench/README.md', ...docs];
}

const read = (file: string): string => fs.readFileSync(path.join(ROOT, file), 'utf8');

/** A fenced code block: its language (empty when unnamed), its lines without the fence's indentation. */
interface Fence {
  lang: string;
  lines: string[];
  startLine: number;
}

/** The fenced blocks of a Markdown text, and the text with every fenced line blanked (prose only). */
function splitFences(markdown: string): { fences: Fence[]; prose: string[] } {
  const fences: Fence[] = [];
  const prose: string[] = [];
  let open: { marker: string; indent: number; fence: Fence } | undefined;
  markdown.split('\n').forEach((line, i) => {
    const fenceLine = /^(\s*)(`{3,}|~{3,})\s*([\w-]*)/.exec(line);
    if (open) {
      prose.push('');
      if (fenceLine && fenceLine[2]!.startsWith(open.marker) && line.trim() === fenceLine[2]) open = undefined;
      else open.fence.lines.push(line.slice(Math.min(open.indent, line.length - line.trimStart().length)));
      return;
    }
    if (fenceLine) {
      const fence: Fence = { lang: fenceLine[3]!.toLowerCase(), lines: [], startLine: i + 1 };
      fences.push(fence);
      open = { marker: fenceLine[2]!, indent: fenceLine[1]!.length, fence };
      prose.push('');
      return;
    }
    prose.push(line);
  });
  return { fences, prose };
}

const SHELL = new Set(['bash', 'sh', 'shell']);

/** The commands of one fenced block, by the rule in this file's header. */
function commandsOf(fence: Fence): string[] {
  if (!SHELL.has(fence.lang) && fence.lang !== 'console') return [];
  const commands: string[] = [];
  let pending: string | undefined;
  for (const raw of fence.lines) {
    let line = raw.trim();
    if (pending === undefined) {
      if (fence.lang === 'console') {
        if (!line.startsWith('$ ')) continue;
        line = line.slice(2);
      } else if (line === '' || line.startsWith('#')) {
        continue;
      }
    }
    line = line.replace(/\s+#\s.*$/, '');
    const continues = line.endsWith('\\');
    const text = `${pending ?? ''} ${continues ? line.slice(0, -1) : line}`;
    if (continues) {
      pending = text;
    } else {
      commands.push(text.replace(/\s+/g, ' ').trim());
      pending = undefined;
    }
  }
  if (pending !== undefined) commands.push(pending.replace(/\s+/g, ' ').trim());
  return commands;
}

/** The text a heading shows: inline code, emphasis and link targets removed. */
function headingText(heading: string): string {
  return heading
    .replace(/\[([^\]]*)\]\([^)]*\)/g, '$1')
    .replace(/[`*_]/g, (c) => (c === '_' ? '_' : ''))
    .trim();
}

/** GitHub's anchor for a heading text: lower case, punctuation dropped, spaces as hyphens. */
function slug(text: string): string {
  return text
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\s_-]/gu, '')
    .replace(/\s/g, '-');
}

/** Every anchor a Markdown file offers (its headings outside code blocks; repeats get -1, -2, …). */
function anchorsOf(file: string): Set<string> {
  const seen = new Map<string, number>();
  const anchors = new Set<string>();
  for (const line of splitFences(read(file)).prose) {
    const m = /^#{1,6}\s+(.*?)\s*#*\s*$/.exec(line);
    if (!m) continue;
    const base = slug(headingText(m[1]!));
    const n = seen.get(base) ?? 0;
    seen.set(base, n + 1);
    anchors.add(n === 0 ? base : `${base}-${n}`);
  }
  return anchors;
}

/** The link and image targets of a Markdown file's prose (not in code blocks or inline code). */
function linkTargets(file: string): string[] {
  const prose = splitFences(read(file))
    .prose.join('\n')
    .replace(/(`+)[\s\S]*?\1/g, '');
  return [...prose.matchAll(/!?\[[^\]]*\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g)].map((m) => m[1]!);
}

/** What is wrong with one relative link of `file`, or undefined when it resolves. */
function brokenLink(file: string, target: string): string | undefined {
  const [pathPart = '', anchor] = target.split('#', 2);
  const resolved = pathPart === '' ? file : path.posix.normalize(path.posix.join(path.posix.dirname(file), pathPart));
  if (resolved.startsWith('..') || !fs.existsSync(path.join(ROOT, resolved))) return `${target}: no file ${resolved}`;
  if (anchor === undefined) return undefined;
  if (!resolved.endsWith('.md')) return `${target}: an anchor into a file that is not Markdown`;
  return anchorsOf(resolved).has(decodeURIComponent(anchor)) ? undefined : `${target}: no heading #${anchor}`;
}

const readme = read(README);
const { fences, prose } = splitFences(readme);
const shown = fences.flatMap(commandsOf);

describe('README.md', () => {
  it(`is at most ${MAX_LINES} lines`, () => {
    const lines = readme.endsWith('\n') ? readme.split('\n').length - 1 : readme.split('\n').length;
    expect(lines).toBeLessThanOrEqual(MAX_LINES);
  });

  it('has its ## sections in the order a reader needs them: what it is, try it, integrate, go live, deploy, operate, reference', () => {
    const headings = prose.flatMap((line) => /^##\s+(.*?)\s*$/.exec(line)?.[1] ?? []);
    expect(headings).toHaveLength(SECTIONS.length);
    headings.forEach((heading, i) => {
      expect({ heading, matches: SECTIONS[i]!.test(headingText(heading)) }).toEqual({ heading, matches: true });
    });
  });

  it('names the language of every fenced block, so no command hides in an unmarked one', () => {
    const unnamed = fences.filter((f) => f.lang === '').map((f) => `line ${f.startLine}`);
    expect(unnamed).toEqual([]);
  });

  it('shows commands (the quick start among them), and every table entry here is still shown', () => {
    expect(shown).toEqual(expect.arrayContaining(['npm install && npm start', 'npm test']));
    const listed = [...Object.keys(RUN_BY), ...Object.keys(NEEDS_PRODUCTION), ...Object.keys(AWAITING_A_TEST)];
    expect(listed.filter((command) => !shown.includes(command))).toEqual([]);
  });

  describe('every command it shows is run by a test, a script or .ci/run, or needs production', () => {
    for (const command of new Set(shown)) {
      if (AWAITING_A_TEST[command] !== undefined) {
        it.todo(`run \`${command}\` in a test or .ci/run (${AWAITING_A_TEST[command]})`);
        continue;
      }
      it(`\`${command}\``, () => {
        const production = NEEDS_PRODUCTION[command];
        if (production !== undefined) {
          expect(production.length).toBeGreaterThan(20);
          return;
        }
        const runBy = RUN_BY[command];
        expect({ command, listed: runBy !== undefined }).toEqual({ command, listed: true });
        const text = read(runBy!.file);
        for (const core of runBy!.shows) {
          const found = typeof core === 'string' ? text.includes(core) : core.test(text);
          expect({ file: runBy!.file, shows: String(core), found }).toEqual({
            file: runBy!.file,
            shows: String(core),
            found: true,
          });
        }
      });
    }
  });
});

describe('relative links in the README and the pages it sends readers to', () => {
  it.each(linkedPages())('%s: every link resolves to a file and heading', (file) => {
    const broken = linkTargets(file)
      .filter((target) => !/^[a-z][a-z0-9+.-]*:/i.test(target))
      .flatMap((target) => brokenLink(file, target) ?? []);
    expect(broken).toEqual([]);
  });

  it('links every screenshot in docs/', () => {
    const pages = linkedPages();
    const linked = new Set(
      pages.flatMap((file) =>
        linkTargets(file).map((t) => path.posix.normalize(path.posix.join(path.posix.dirname(file), t))),
      ),
    );
    const screenshots = fs
      .readdirSync(path.join(ROOT, 'docs'))
      .filter((f) => f.endsWith('.png'))
      .map((f) => `docs/${f}`);
    expect(screenshots.filter((s) => !linked.has(s))).toEqual([]);
  });
});

describe('figures in the docs', () => {
  it('docs/testing.md counts the malformed inputs the harness has (test/harness/malformed.ts)', () => {
    const counts = [...read('docs/testing.md').matchAll(/\b(\d+) malformed inputs\b/g)].map((m) => Number(m[1]));
    expect(counts.length).toBeGreaterThan(0);
    expect(counts).toEqual(counts.map(() => MALFORMED.length));
  });
});
