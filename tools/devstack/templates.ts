/**
 * The checkout templates' own test suites (examples/checkout-java: JUnit through Maven Surefire; examples/checkout-go:
 * `go test`), run against whatever Temporal and worker the `TEMPORAL_*` variables name: the dev server in the examples
 * suite, the mTLS cluster in `npm run test:cluster`. Their integration tests run only when `TEMPORAL_TASK_QUEUE` is
 * set; the counts come from the tools' own reports (Surefire XML, `go test -json`), not from scraping text.
 */
import fs from 'node:fs';
import path from 'node:path';
import { projectRoot } from './data-dir';
import { runCommand } from './run-command';

/** A template language. */
export type TemplateName = 'java' | 'go';

/** What one template's test suite did. */
export interface TemplateTestRun {
  name: TemplateName;
  exitCode: number | null;
  passed: number;
  failed: number;
  skipped: number;
  /** Names of the failed tests. */
  failures: string[];
  ms: number;
  /** The tool's whole output, for a failure message. */
  output: string;
}

/** The folder of a template. */
function templateDir(name: TemplateName): string {
  return path.join(projectRoot(), 'examples', name === 'java' ? 'checkout-java' : 'checkout-go');
}

/** Counts from Surefire's XML reports: one `<testcase>` per test, with `<failure>`, `<error>` or `<skipped>`. */
export function surefireCounts(
  reportsDir: string,
): Pick<TemplateTestRun, 'passed' | 'failed' | 'skipped' | 'failures'> {
  const counts = { passed: 0, failed: 0, skipped: 0, failures: [] as string[] };
  if (!fs.existsSync(reportsDir)) return counts;
  for (const file of fs.readdirSync(reportsDir).filter((f) => /^TEST-.*\.xml$/.test(f))) {
    const xml = fs.readFileSync(path.join(reportsDir, file), 'utf8');
    for (const match of xml.matchAll(/<testcase\b([^>]*?)(\/>|>([\s\S]*?)<\/testcase>)/g)) {
      const attrs = match[1] ?? '';
      const body = match[3] ?? '';
      const name = `${/classname="([^"]*)"/.exec(attrs)?.[1] ?? ''}.${/\bname="([^"]*)"/.exec(attrs)?.[1] ?? ''}`;
      if (/<(failure|error)\b/.test(body)) {
        counts.failed += 1;
        counts.failures.push(name);
      } else if (/<skipped\b/.test(body)) counts.skipped += 1;
      else counts.passed += 1;
    }
  }
  return counts;
}

/** Counts from `go test -json` events: one pass/fail/skip per test (subtests included, packages not). */
export function goTestCounts(jsonLines: string): Pick<TemplateTestRun, 'passed' | 'failed' | 'skipped' | 'failures'> {
  const counts = { passed: 0, failed: 0, skipped: 0, failures: [] as string[] };
  for (const line of jsonLines.split('\n')) {
    if (!line.startsWith('{')) continue;
    const event = JSON.parse(line) as { Action?: string; Test?: string; Package?: string };
    if (!event.Test) continue;
    if (event.Action === 'pass') counts.passed += 1;
    else if (event.Action === 'skip') counts.skipped += 1;
    else if (event.Action === 'fail') {
      counts.failed += 1;
      counts.failures.push(`${event.Package ?? ''}.${event.Test}`);
    }
  }
  return counts;
}

/**
 * Runs one template's tests with `env` on top of this process's environment (the `TEMPORAL_*` connection and
 * `TEMPORAL_TASK_QUEUE`, which enables the integration tests).
 */
export async function runTemplateTests(name: TemplateName, env: Record<string, string>): Promise<TemplateTestRun> {
  const started = Date.now();
  const cwd = templateDir(name);
  const fullEnv = { ...process.env, ...env };
  if (name === 'java') {
    const reports = path.join(cwd, 'target', 'surefire-reports');
    fs.rmSync(reports, { recursive: true, force: true });
    const run = await runCommand('mvn', ['-B', '-q', '-Dstyle.color=never', 'test'], { cwd, env: fullEnv });
    const output = run.stdout + run.stderr;
    return { name, exitCode: run.code, ...surefireCounts(reports), ms: Date.now() - started, output };
  }
  const run = await runCommand('go', ['test', '-count=1', '-json', './...'], { cwd, env: fullEnv });
  const output = run.stdout + run.stderr;
  return { name, exitCode: run.code, ...goTestCounts(run.stdout), ms: Date.now() - started, output };
}

/** One line for a log: `java: 14 passed, 0 failed, 0 skipped in 21.3 s`. */
export function describeTemplateRun(run: TemplateTestRun): string {
  return `${run.name}: ${run.passed} passed, ${run.failed} failed, ${run.skipped} skipped in ${(run.ms / 1000).toFixed(1)} s`;
}
