/**
 * The lifecycle in Quint (issue 34): test/model/lifecycle.qnt simulated with its invariants by `quint run` (the
 * pure-JS backend: `quint verify` needs Apalache, a download this project does without), and its traces replayed
 * against the TypeScript model of test/model/lifecycle-model.ts, so that the two models agree: every action of a
 * trace is a command the TypeScript model allows, and wherever the Quint order rests (waiting for payment, for its
 * window, for an operator, or at an end) both show the same order: phase, attention, WeChat Pay's state and ledger,
 * compensations, the reverse, the confirmation.
 *
 * Bounded for CI (a few seconds): `QUINT_SAMPLES` simulated traces (default 500) of `QUINT_STEPS` steps (default
 * 30), of which `QUINT_TRACES` (default 100) are replayed; seeded by `MODEL_SEED` (default random; printed).
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import {
  allowed,
  apply,
  initialState,
  payLandsNow,
  SUB_ORDERS,
  type DownstreamFault,
  type ModelCommand,
  type ModelState,
  type OnPaid,
  type PartialState,
} from './lifecycle-model';

const SAMPLES = Number(process.env.QUINT_SAMPLES ?? 500);
const TRACES = Number(process.env.QUINT_TRACES ?? 100);
const STEPS = Number(process.env.QUINT_STEPS ?? 30);
const SEED =
  process.env.MODEL_SEED !== undefined ? Number(process.env.MODEL_SEED) : Math.floor(Math.random() * 2 ** 31);
const SPEC = path.join(__dirname, 'lifecycle.qnt');
/** The Quint command line of the devDependency, run with this Node. */
const QUINT_CLI = path.join(path.dirname(require.resolve('@informalsystems/quint/package.json')), 'dist/src/cli.js');

/** The Quint order's state (test/model/lifecycle.qnt, `State`), as ITF gives it (ints as `{ "#bigint": … }`). */
interface QuintState {
  onPaid: OnPaid;
  phase: string;
  markPaid: boolean;
  stop: string;
  exists: boolean;
  subs: string[];
  ledger: string[][];
  attStep: string;
  attReason: string;
  tradeStates: string[];
  reverseOutcome: string;
  compensated: boolean[];
  reverseSent: boolean;
  confirmed: boolean;
  paidSource: string;
}

/** One state of an ITF trace written with `--mbt`: the state, the action that led to it and its nondet picks. */
interface ItfState {
  s: QuintState;
  'mbt::actionTaken': string;
  'mbt::nondetPicks': Record<string, { tag: 'Some' | 'None'; value: unknown }>;
}

const picked = (st: ItfState, name: string): unknown => {
  const pick = st['mbt::nondetPicks'][name];
  if (pick?.tag !== 'Some') throw new Error(`no nondet pick ${name} for ${st['mbt::actionTaken']}`);
  const v = pick.value;
  return typeof v === 'object' && v !== null && '#bigint' in v ? Number((v as { '#bigint': string })['#bigint']) : v;
};

/** The TypeScript model's command for a Quint action (undefined: the order's own step, or nothing happening). */
function commandOf(st: ItfState, m: ModelState): ModelCommand | undefined {
  const action = st['mbt::actionTaken'];
  switch (action) {
    case 'orderRuns':
    case 'done':
      return undefined;
    case 'markPaid':
    case 'cancelOrder':
    case 'deadlinePasses':
    case 'payHangs':
    case 'closedAtWechatPay':
    case 'operatorRetry':
    case 'operatorResolve':
      return { kind: action };
    case 'windowCloses':
      return { kind: 'settle' };
    case 'payLands':
      return payLandsNow(m);
    case 'refundedElsewhere': {
      const sub = picked(st, 'sub') as number;
      return sub === SUB_ORDERS ? { kind: 'refundedElsewhere' } : { kind: 'refundedElsewhere', sub };
    }
    case 'subOrderState':
      return { kind: 'subOrderState', sub: picked(st, 'sub') as number, state: picked(st, 'state') as PartialState };
    case 'payLandsAfterNotFound':
      return { kind: 'payLandsAfterNotFound', after: picked(st, 'trigger') as 'REVERSE_NOT_FOUND' | 'QUERY_NOT_FOUND' };
    case 'queryRefused':
      return { kind: 'wechatpayFault', route: 'query', fault: 'PARAM_ERROR', count: 1 };
    case 'queryMismatch':
      return { kind: 'wechatpayFault', route: 'query', fault: 'FOREIGN_MCHID', count: 5 };
    case 'reverseRefused':
      return { kind: 'wechatpayFault', route: 'reverse', fault: 'PARAM_ERROR', count: 1 };
    case 'compensationRefused':
      return {
        kind: 'orderServiceFault',
        route: 'compensate',
        fault: '422' as DownstreamFault,
        sub: picked(st, 'sub') as number,
      };
    case 'confirmationRefused':
      return { kind: 'orderServiceFault', route: 'confirm', fault: '422' };
    default:
      throw new Error(`a Quint action the replay does not know: ${action}`);
  }
}

/** What both models show of an order at rest, in one shape. */
function ofQuint(q: QuintState): Record<string, unknown> {
  const compensated = q.compensated.some(Boolean);
  return {
    phase: q.phase,
    ...(q.phase === 'NEEDS_ATTENTION' ? { attention: `${q.attStep} ${q.attReason}` } : {}),
    peer: q.exists ? q.subs : q.subs.map(() => 'NONE'),
    ledger: q.ledger,
    compensatedAs: q.compensated.map((c, i) => (c ? q.tradeStates[i] : undefined)),
    ...(compensated ? { reverseOutcome: q.reverseOutcome } : {}),
    reverseSent: q.reverseSent,
    confirmed: q.confirmed,
    paidSource: q.paidSource || undefined,
    stop: q.stop || undefined,
  };
}

function ofTypescript(m: ModelState): Record<string, unknown> {
  const o = m.order;
  const phase = o ? o.phase : m.markPaid ? 'PAID' : m.stop ? 'WINDOW' : 'AWAITING';
  const compensated = o?.compensated.some(Boolean) ?? false;
  return {
    phase,
    ...(phase === 'NEEDS_ATTENTION' ? { attention: `${o!.attention!.step} ${o!.attention!.reason}` } : {}),
    peer: m.exists ? m.subs : m.subs.map(() => 'NONE'),
    ledger: m.ledger,
    compensatedAs: (o?.compensated ?? m.subs.map(() => false)).map((c, i) =>
      c ? o!.compensation!.tradeStates[i] : undefined,
    ),
    ...(compensated ? { reverseOutcome: o!.compensation!.reverseOutcome } : {}),
    reverseSent: o?.reverseSent ?? false,
    confirmed: o?.confirmed ?? false,
    paidSource: o?.paidSource ?? (m.markPaid ? 'MARK_PAID' : undefined),
    stop: m.stop,
  };
}

/**
 * Replays one trace on the TypeScript model; the first disagreement, with the actions so far, or undefined. Returns
 * the rests compared too.
 */
function replay(states: ItfState[]): { problem?: string; rests: number } {
  let m = initialState(states[0]!.s.onPaid);
  const actions: string[] = [];
  let rests = 0;
  for (const st of states.slice(1)) {
    const action = st['mbt::actionTaken'];
    const c = commandOf(st, m);
    if (action !== 'orderRuns' && action !== 'done') actions.push(action);
    if (c) {
      if (!allowed(m, c)) return { problem: `the TypeScript model does not allow ${JSON.stringify(c)}`, rests };
      m = apply(m, c).next;
    }
    // While the Quint order runs, the TypeScript model is already at its rest: compare where Quint rests.
    if (st.s.phase === 'RUNNING') continue;
    rests += 1;
    const [q, t] = [JSON.stringify(ofQuint(st.s)), JSON.stringify(ofTypescript(m))];
    if (q !== t) return { problem: `after ${actions.join(', ')}:\n  Quint      ${q}\n  TypeScript ${t}`, rests };
  }
  return { rests };
}

const run = promisify(execFile);

describe('the lifecycle in Quint', () => {
  let dir: string;
  let output: string;

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'quint-lifecycle-'));
    console.log(`Quint: MODEL_SEED=${SEED} QUINT_SAMPLES=${SAMPLES} QUINT_TRACES=${TRACES} QUINT_STEPS=${STEPS}`);
    const started = Date.now();
    // Exits 1 on a violated invariant, with the violating trace on its output.
    const result = await run(
      process.execPath,
      [
        QUINT_CLI,
        'run',
        '--backend=typescript',
        '--invariant=allInvariants',
        `--max-samples=${SAMPLES}`,
        `--max-steps=${STEPS}`,
        `--n-traces=${TRACES}`,
        '--mbt',
        `--seed=${SEED}`,
        `--out-itf=${path.join(dir, 'trace_{seq}.itf.json')}`,
        '--verbosity=1',
        SPEC,
      ],
      { maxBuffer: 64 * 1024 * 1024 },
    ).catch((e: { stdout?: string; stderr?: string; message: string }) => ({
      stdout: `${e.stdout ?? ''}${e.stderr ?? ''}\n${e.message}`,
      stderr: '',
    }));
    output = `${result.stdout}${result.stderr}`;
    console.log(`Quint: ${SAMPLES} traces simulated in ${Date.now() - started} ms`);
  }, 300_000);

  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('holds its invariants on every step of every simulated trace', () => {
    expect(output).toMatch(/\[ok\] No violation found/);
  });

  it('agrees with the TypeScript model at every rest of every trace', () => {
    const files = fs.readdirSync(dir).filter((f) => f.endsWith('.itf.json'));
    expect(files.length).toBe(TRACES);
    let rests = 0;
    const actions = new Set<string>();
    for (const file of files) {
      const trace = JSON.parse(fs.readFileSync(path.join(dir, file), 'utf8')) as { states: ItfState[] };
      trace.states.forEach((st) => actions.add(st['mbt::actionTaken']));
      const result = replay(trace.states);
      rests += result.rests;
      if (result.problem) throw new Error(`${file} (MODEL_SEED=${SEED}): ${result.problem}`);
    }
    console.log(
      `Quint: ${files.length} traces replayed, ${rests} rests compared, actions taken: ${[...actions].sort().join(' ')}`,
    );
  });
});
