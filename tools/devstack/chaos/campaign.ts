/**
 * Chaos campaigns (`npm run test:chaos -- --campaign N`) and regression plans (`npm run test:chaos -- --regressions`):
 * whole chaos runs (`tools/scripts/chaos.ts`), one child process per seed, in sequence; a line per seed (seed, plan
 * digest, violations, bill line); each failing seed kept in `tools/devstack/chaos/regressions.json` as a named plan
 * (seed, sizes, digest, first violation, date) that `--regressions` replays, checking that the plan is still the one
 * recorded (same digest). Part of tools/devstack/, the libraries that bring up the local stack for the entry points in
 * tools/scripts/, the tests and the benchmarks.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { projectRoot } from '../data-dir';

/** A failing seed kept to be replayed. */
interface RegressionPlan {
  /** `seed-<seed>-<orders>x<kills>`. */
  name: string;
  seed: number;
  orders: number;
  kills: number;
  faultRate: number;
  /** The plan digest the failing run printed. */
  digest: string;
  /** The first violation it printed (or why the run failed). */
  firstViolation: string;
  /** When it failed (ISO date). */
  date: string;
}

/** What one child run printed. */
interface SeedRun {
  seed: number;
  digest: string;
  violations: number;
  firstViolation?: string;
  /** The closing line's `bill: …` part. */
  bill: string;
  exitCode: number;
  logFile: string;
}

/** The sizes of one run. */
interface RunSizes {
  orders: number;
  kills: number;
  faultRate: number;
}

const REGRESSIONS_FILE = path.join(projectRoot(), 'tools', 'devstack', 'chaos', 'regressions.json');

/**
 * `runs` seeds in sequence from `firstSeed` (else one from the clock, printed), each a whole chaos run of the given
 * sizes; failing seeds are added to the regression plans. Answers the exit code: 1 if any seed failed.
 */
export async function runCampaign(options: RunSizes & { runs: number; firstSeed?: number }): Promise<number> {
  const first = options.firstSeed ?? Date.now() % 1_000_000;
  const logs = fs.mkdtempSync(path.join(os.tmpdir(), 'combine-papay-campaign-'));
  console.log(
    `chaos campaign: ${options.runs} seeds from ${first}, ${options.orders} orders and ${options.kills} kills each; logs in ${logs}`,
  );
  let failed = 0;
  for (let seed = first; seed < first + options.runs; seed++) {
    const run = await runSeed(seed, options, logs);
    console.log(seedLine(run));
    if (run.exitCode === 0 && run.violations === 0) continue;
    failed += 1;
    const plan = keepRegression(run, options);
    console.log(`  kept as regression plan ${plan.name} (${path.relative(projectRoot(), REGRESSIONS_FILE)})`);
  }
  console.log(`chaos campaign: ${options.runs} seeds, ${failed} failed`);
  return failed === 0 ? 0 : 1;
}

/** Replays every regression plan; a line each, and whether its digest is still the one recorded. */
export async function replayRegressions(): Promise<number> {
  const plans = readRegressions();
  if (plans.length === 0) {
    console.log(`chaos regressions: none kept in ${path.relative(projectRoot(), REGRESSIONS_FILE)}`);
    return 0;
  }
  const logs = fs.mkdtempSync(path.join(os.tmpdir(), 'combine-papay-regressions-'));
  let failed = 0;
  for (const plan of plans) {
    const run = await runSeed(plan.seed, plan, logs);
    const same = run.digest === plan.digest ? 'same plan' : `PLAN CHANGED (recorded ${plan.digest})`;
    console.log(`${plan.name}: ${seedLine(run)}; ${same}; first failed ${plan.date}: ${plan.firstViolation}`);
    if (run.exitCode !== 0 || run.violations > 0) failed += 1;
  }
  console.log(`chaos regressions: ${plans.length} plans replayed, ${failed} failed`);
  return failed === 0 ? 0 : 1;
}

function seedLine(run: SeedRun): string {
  return (
    `seed ${run.seed}: digest ${run.digest}, ${run.violations} violations, ${run.bill}` +
    (run.firstViolation ? `; first: ${run.firstViolation}; log ${run.logFile}` : '')
  );
}

/** One whole chaos run in a child process (`--seed`, `--orders`, `--kills`, `--fault-rate`), its output in a log. */
function runSeed(seed: number, sizes: RunSizes, logs: string): Promise<SeedRun> {
  const logFile = path.join(logs, `seed-${seed}.log`);
  const out = fs.openSync(logFile, 'w');
  const args = ['--import', 'tsx', path.join(projectRoot(), 'tools', 'scripts', 'chaos.ts')];
  args.push('--seed', String(seed), '--orders', String(sizes.orders), '--kills', String(sizes.kills));
  args.push('--fault-rate', String(sizes.faultRate));
  const child = spawn(process.execPath, args, { cwd: projectRoot(), stdio: ['ignore', out, out] });
  fs.closeSync(out);
  return new Promise((resolve) => {
    child.on('exit', (code) => resolve(readRun(seed, logFile, code ?? 1)));
  });
}

/** What the run's log says: its digest, its closing line's violations and bill, its first violation. */
function readRun(seed: number, logFile: string, exitCode: number): SeedRun {
  const text = fs.readFileSync(logFile, 'utf8');
  const digest = /seed \d+, plan digest ([0-9a-f]+)/.exec(text)?.[1] ?? '?';
  const closing =
    text
      .split('\n')
      .filter((l) => l.startsWith('chaos: '))
      .pop() ?? '';
  const violations = Number(/(\d+) invariant violations/.exec(closing)?.[1] ?? 1);
  const bill = /bill: .*$/.exec(closing)?.[0] ?? 'bill: none';
  const failure = /\(the run failed: (.*)\)$/.exec(closing)?.[1];
  const firstViolation =
    text
      .split('\n')
      .find((l) => l.startsWith('VIOLATION '))
      ?.slice('VIOLATION '.length) ??
    failure ??
    (exitCode !== 0 ? `exit ${exitCode}${closing ? '' : ', no closing line'}` : undefined);
  return { seed, digest, violations, ...(firstViolation ? { firstViolation } : {}), bill, exitCode, logFile };
}

/** Adds (or replaces, by name) the failing seed's plan in regressions.json. */
function keepRegression(run: SeedRun, sizes: RunSizes): RegressionPlan {
  const plan: RegressionPlan = {
    name: `seed-${run.seed}-${sizes.orders}x${sizes.kills}`,
    seed: run.seed,
    orders: sizes.orders,
    kills: sizes.kills,
    faultRate: sizes.faultRate,
    digest: run.digest,
    firstViolation: run.firstViolation ?? `${run.violations} violations`,
    date: new Date().toISOString().slice(0, 10),
  };
  const plans = readRegressions().filter((p) => p.name !== plan.name);
  fs.writeFileSync(REGRESSIONS_FILE, `${JSON.stringify([...plans, plan], null, 2)}\n`);
  return plan;
}

function readRegressions(): RegressionPlan[] {
  if (!fs.existsSync(REGRESSIONS_FILE)) return [];
  return JSON.parse(fs.readFileSync(REGRESSIONS_FILE, 'utf8')) as RegressionPlan[];
}
