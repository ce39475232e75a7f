/**
 * The model-based test of the order lifecycle (issue 34): random command sequences over the model of
 * `lifecycle-model.ts`, each command applied to the model AND to the real stack (dev server, the product worker, the
 * WeChat Pay peer, the order service), then the order's real end compared with the model's, and the money promises
 * checked on it. A failure is shrunk by fast-check to its smallest sequence and printed as a test case to paste into
 * `REGRESSIONS` below.
 *
 * Bounded for CI: `MODEL_RUNS` sequences (default 8) of at most `MODEL_MAX_COMMANDS` commands (default 5), seeded by
 * `MODEL_SEED` (default random; always printed). A campaign: `MODEL_RUNS=200 npm run test:model`.
 */
import fc from 'fast-check';
import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import {
  beginPayment as beginPaymentCall,
  BeginPaymentRefusedError,
  cancelOrder as cancelOrderCall,
  compensationWebhookId,
  confirmationWebhookId,
  markPaid as markPaidCall,
  MarkPaidRefusedError,
  resolveSignal,
  startOrder,
  statusQuery,
  workflowIdFor,
  type OrderInput,
  type OrderResult,
  type OrderStatus,
} from '../../client';
import { landPay, peerLedger, setOrderState } from '../../tools/simulator/admin-client';
import { connectClient } from '../harness/env';
import { orderInput } from '../harness/orders';
import { seedOrder, startStack, type Stack } from '../harness/stack';
import {
  allowed,
  apply,
  describeCommand,
  differences,
  expectedEnd,
  initialState,
  moneyViolations,
  type Answer,
  type ModelCommand,
  type ModelState,
  type Observed,
  type OnPaid,
  type PeerState,
} from './lifecycle-model';

const RUNS = Number(process.env.MODEL_RUNS ?? 8);
const MAX_COMMANDS = Number(process.env.MODEL_MAX_COMMANDS ?? 5);
const SEED =
  process.env.MODEL_SEED !== undefined ? Number(process.env.MODEL_SEED) : Math.floor(Math.random() * 2 ** 31);
/** The deadline of each sequence's order, from its start; every command before `deadlinePasses()` runs before it. */
const DUE_IN_MS = 4_000;
/** The pay window: every command after the stop runs inside it (they take milliseconds). */
const PAY_WINDOW = '2s';
/** A command before the deadline must start at least this long before it (else the run is too slow to judge). */
const DEADLINE_MARGIN_MS = 1_000;

/** The real system for one sequence. */
interface Real {
  client: Client;
  stack: Stack;
  input: OrderInput;
  deadlineAt: number;
  markPaidAccepted: boolean;
  /** The commands run so far (those whose precondition held), for the printed test case. */
  ran: string[];
}

/** The model as fast-check mutates it. */
interface Model {
  state: ModelState;
}

const no = (r: Real) => r.input.combineOutTradeNo;
const handleOf = (r: Real) =>
  r.client.workflow.getHandle<(input: OrderInput) => Promise<OrderResult>>(workflowIdFor(no(r)));

/** A harness problem (too slow to keep a command where the model puts it), not a finding. */
class HarnessTiming extends Error {}

async function status(r: Real): Promise<OrderStatus | undefined> {
  return handleOf(r)
    .query(statusQuery)
    .catch(() => undefined);
}

/** A command before the stop must run well before the deadline; one after it inside the pay window. */
async function checkTime(r: Real, m: ModelState, c: ModelCommand): Promise<void> {
  if (m.markPaid) return;
  if (m.stop === undefined) {
    if (Date.now() > r.deadlineAt - DEADLINE_MARGIN_MS) {
      throw new HarnessTiming(`${describeCommand(c)} ran too close to the deadline`);
    }
    return;
  }
  if (c.kind === 'payLands' || c.kind === 'closedAtWechatPay' || c.kind === 'refundedElsewhere') {
    const s = await status(r);
    if (s?.reverse.state !== 'WAITING_FOR_PAY_WINDOW') {
      throw new HarnessTiming(`${describeCommand(c)} ran after the pay window (${s?.phase} ${s?.reverse.state})`);
    }
  }
}

/** Once the order stopped waiting (a signal or a timer, handled by a workflow task): until it waits for its window. */
async function untilInPayWindow(r: Real): Promise<void> {
  const until = Date.now() + 10_000;
  for (;;) {
    const s = await status(r);
    if (s?.phase === 'REVERSING' && s.reverse.state !== 'NOT_STARTED') return;
    if (Date.now() > until) throw new Error(`the order is not in its pay window: ${s?.phase} ${s?.reverse.state}`);
    await new Promise((res) => setTimeout(res, 20));
  }
}

const sleepUntil = (at: number) => new Promise((res) => setTimeout(res, Math.max(0, at - Date.now())));

function realMarkPaid(r: Real): Promise<Answer> {
  return markPaidCall(r.client, no(r), { transactionId: '4200000000' }).then(
    () => {
      r.markPaidAccepted = true;
      return 'accepted';
    },
    (e: unknown) => {
      if (e instanceof MarkPaidRefusedError) return 'refused';
      throw e;
    },
  );
}

/** A signal to an order that already ended PAID finds no running workflow: nothing to cancel. */
async function realCancel(r: Real): Promise<void> {
  await cancelOrderCall(r.client, no(r), 'model').catch((e: unknown) => {
    if (!(e instanceof WorkflowNotFoundError)) throw e;
  });
}

/** Runs one command against the real system; resolves with what the checkout saw. */
async function runReal(c: ModelCommand, r: Real, m: ModelState): Promise<string | undefined> {
  await checkTime(r, m, c);
  switch (c.kind) {
    case 'beginPayment':
      return beginPaymentCall(r.client, no(r), { attemptId: `model-${r.ran.length}` }).then(
        () => 'accepted',
        (e: unknown) => {
          if (e instanceof BeginPaymentRefusedError) return 'refused';
          throw e;
        },
      );
    case 'markPaid':
      return realMarkPaid(r);
    case 'cancelOrder':
      await realCancel(r);
      if (m.stop === undefined && !m.markPaid) await untilInPayWindow(r);
      return undefined;
    case 'deadlinePasses': {
      await sleepUntil(r.deadlineAt);
      await untilInPayWindow(r);
      return undefined;
    }
    case 'markPaidAtDeadline': {
      await sleepUntil(r.deadlineAt);
      const answer = await realMarkPaid(r);
      if (answer === 'refused') await untilInPayWindow(r);
      return answer;
    }
    case 'cancelRacesMarkPaid': {
      const [answer] = await Promise.all([realMarkPaid(r), realCancel(r)]);
      if (answer === 'refused') await untilInPayWindow(r);
      return answer;
    }
    case 'payLandsAtDeadline':
      await sleepUntil(r.deadlineAt);
      await landPay(r.stack.peer.url, r.input);
      await untilInPayWindow(r);
      return undefined;
    case 'duplicateStart': {
      const again = await startOrder(r.client, r.input, { taskQueue: r.stack.taskQueue });
      return again.alreadyStarted ? 'alreadyStarted' : 'started a second run';
    }
    case 'payHangs':
      await seedOrder(r.stack.peer, r.input, 'PAYING');
      return undefined;
    case 'payLands':
      await landPay(r.stack.peer.url, r.input);
      return undefined;
    case 'closedAtWechatPay':
      if (r.stack.peer.orders.has(no(r))) await setOrderState(r.stack.peer.url, no(r), 'CLOSED');
      else await seedOrder(r.stack.peer, r.input, 'CLOSED');
      return undefined;
    case 'refundedElsewhere':
      await setOrderState(r.stack.peer.url, no(r), 'REFUND');
      return undefined;
  }
}

/** One model command as fast-check runs it: on the model and on the real system, answers compared. */
class Command implements fc.AsyncCommand<Model, Real> {
  constructor(readonly c: ModelCommand) {}
  check(m: Readonly<Model>): boolean {
    return allowed(m.state, this.c);
  }
  async run(m: Model, r: Real): Promise<void> {
    r.ran.push(this.toString());
    const real = await runReal(this.c, r, m.state);
    const c: ModelCommand =
      this.c.kind === 'markPaidAtDeadline' || this.c.kind === 'cancelRacesMarkPaid'
        ? { kind: this.c.kind, raced: real === 'accepted' ? 'accepted' : 'refused' }
        : this.c;
    const { next, answer } = apply(m.state, c);
    m.state = next;
    if (real !== answer) {
      throw new Error(`${this.toString()}: the model answers ${String(answer)}, the product ${String(real)}`);
    }
  }
  toString(): string {
    return describeCommand(this.c);
  }
}

// The commands, as a test case writes them.
const beginPayment = () => new Command({ kind: 'beginPayment' });
const payHangs = () => new Command({ kind: 'payHangs' });
const payLands = (when: 'inTime' | 'late') => new Command({ kind: 'payLands', when });
const markPaid = () => new Command({ kind: 'markPaid' });
const cancelOrder = () => new Command({ kind: 'cancelOrder' });
const duplicateStart = () => new Command({ kind: 'duplicateStart' });
const closedAtWechatPay = () => new Command({ kind: 'closedAtWechatPay' });
const refundedElsewhere = () => new Command({ kind: 'refundedElsewhere' });
const deadlinePasses = () => new Command({ kind: 'deadlinePasses' });
const markPaidAtDeadline = () => new Command({ kind: 'markPaidAtDeadline' });
const cancelRacesMarkPaid = () => new Command({ kind: 'cancelRacesMarkPaid' });
const payLandsAtDeadline = () => new Command({ kind: 'payLandsAtDeadline' });

/** The commands fast-check picks from; the money-moving ones more often (each entry is equally likely). */
const commandArbs = [
  fc.constant(beginPayment()),
  fc.constant(payHangs()),
  fc.constantFrom<'inTime' | 'late'>('inTime', 'late').map(payLands),
  fc.constantFrom<'inTime' | 'late'>('inTime', 'late').map(payLands),
  fc.constant(markPaid()),
  fc.constant(cancelOrder()),
  fc.constant(duplicateStart()),
  fc.constant(closedAtWechatPay()),
  fc.constant(refundedElsewhere()),
  fc.constant(deadlinePasses()),
  fc.constant(markPaidAtDeadline()),
  fc.constant(cancelRacesMarkPaid()),
  fc.constant(payLandsAtDeadline()),
];

/** The order's end as the real system shows it (an order in NEEDS_ATTENTION is then resolved, to leave nothing). */
async function observe(r: Real): Promise<Observed> {
  const handle = handleOf(r);
  const until = Date.now() + 60_000;
  let result: OrderResult | undefined;
  let stuck: OrderStatus | undefined;
  for (;;) {
    const described = await handle.describe();
    if (described.status.name === 'COMPLETED') {
      result = await handle.result();
      break;
    }
    if (described.status.name !== 'RUNNING') throw new Error(`the order's run ended ${described.status.name}`);
    const s = await status(r);
    if (s?.phase === 'NEEDS_ATTENTION') {
      stuck = s;
      await handle.signal(resolveSignal, 'model-based test: observed, resolved to end it');
      break;
    }
    if (Date.now() > until) throw new Error(`no end within 60 s; last status ${JSON.stringify(s)}`);
    await new Promise((res) => setTimeout(res, 100));
  }
  const { stack, input } = r;
  const ledger = (await peerLedger(stack.peer.url)).filter((row) => row.combineOutTradeNo === no(r));
  const compensations = input.subOrders.map((s) => {
    const id = compensationWebhookId({ combineOutTradeNo: no(r), outTradeNo: s.outTradeNo });
    const effective = stack.orderService.log.filter((e) => e.webhookId === id && e.effective).length;
    const tradeState = stack.orderService.compensated.get(id)?.data.tradeState as string | undefined;
    return { ...(tradeState !== undefined ? { tradeState } : {}), effective };
  });
  const data = stack.orderService.compensated.get(
    compensationWebhookId({ combineOutTradeNo: no(r), outTradeNo: input.subOrders[0]!.outTradeNo }),
  )?.data;
  return {
    phase: stuck ? 'NEEDS_ATTENTION' : (result!.outcome as Observed['phase']),
    ...(result?.paid ? { paidSource: result.paid.source } : {}),
    ...(stuck?.attention
      ? { attention: { step: stuck.attention.step, reason: stuck.reverse.lastFailure?.type ?? stuck.attention.reason } }
      : {}),
    ...(data
      ? { reverseOutcome: data.reverseOutcome as Observed['reverseOutcome'], reason: data.reason as Observed['reason'] }
      : {}),
    reversed: stack.peer.log.some((e) => e.orderNo === no(r) && e.route === 'reverse'),
    confirmed: stack.orderService.confirmations.has(confirmationWebhookId({ combineOutTradeNo: no(r) })),
    peer: (stack.peer.orders.get(no(r))?.state ?? 'NONE') as PeerState,
    compensations,
    ledgers: input.subOrders.map((s) =>
      ledger.filter((row) => row.outTradeNo === s.outTradeNo).map((row) => row.tradeState),
    ),
    markPaidAccepted: r.markPaidAccepted,
  };
}

/** The sequence as a test case to paste into {@link REGRESSIONS}. */
function testCase(onPaid: OnPaid, ran: readonly string[], problem: string): string {
  return `  ['${problem.split('\n')[0]!.replace(/'/g, '"').slice(0, 100)}', '${onPaid}', () => [${ran.join(', ')}]],`;
}

/**
 * Runs one sequence on a fresh order: the start (with `onPaid`), the commands, the end; throws with the differences,
 * the violations and the sequence as a test case.
 */
async function runSequence(
  client: Client,
  stack: Stack,
  onPaid: OnPaid,
  commands: Iterable<fc.AsyncCommand<Model, Real>>,
): Promise<string> {
  const input = orderInput({ dueInMs: DUE_IN_MS, payWindow: PAY_WINDOW, onPaidAtDeadline: onPaid });
  const real: Real = {
    client,
    stack,
    input,
    deadlineAt: Date.parse(input.orderCreatedAt!) + (input.paymentTimeout as number),
    markPaidAccepted: false,
    ran: [],
  };
  const model: Model = { state: initialState(onPaid) };
  try {
    const started = await startOrder(client, input, { taskQueue: stack.taskQueue });
    if (started.alreadyStarted) throw new Error('a fresh order was already started');
    await fc.asyncModelRun(() => ({ model, real }), commands);
    const observed = await observe(real);
    const problems = [
      ...differences(expectedEnd(model.state), observed).map((d) => `model and product differ: ${d}`),
      ...moneyViolations(observed),
    ];
    if (problems.length > 0) throw new Error(problems.join('\n'));
    const end = expectedEnd(model.state);
    return [end.phase, end.paidSource ?? end.attention?.reason ?? end.compensatedAs, end.reason]
      .filter(Boolean)
      .join(' ');
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    const kind = err instanceof HarnessTiming ? 'HARNESS TIMING (not a finding)' : 'FAILED';
    throw new Error(
      `${kind} on ${no(real)}: ${message}\n` +
        `model end: ${JSON.stringify(expectedEnd(model.state))}\n` +
        `as a test case (paste into REGRESSIONS):\n${testCase(onPaid, real.ran, message)}`,
    );
  }
}

/**
 * Sequences kept as test cases: each ran once by hand or was found by a campaign (a shrunk failure, once fixed).
 * `[name, onPaidAtDeadline, commands]`.
 */
const REGRESSIONS: [string, OnPaid, () => Command[]][] = [
  ['a late debit of a REFUND order is refunded', 'REFUND', () => [beginPayment(), deadlinePasses(), payLands('late')]],
  [
    'a debit in time of an ADOPT order is kept; a duplicate start starts nothing',
    'ADOPT',
    () => [payLands('inTime'), duplicateStart()],
  ],
];

describe('model-based: the order lifecycle against its model', () => {
  let client: Client;
  let stack: Stack;

  beforeAll(async () => {
    client = await connectClient();
    stack = await startStack();
  });
  afterAll(async () => {
    await stack?.stop();
    await client?.connection.close();
  });

  it.each(REGRESSIONS)(
    'regression: %s',
    async (_name, onPaid, commands) => {
      await runSequence(client, stack, onPaid, commands());
    },
    60_000,
  );

  it(
    `${RUNS} random sequences of at most ${MAX_COMMANDS} commands (MODEL_SEED=${SEED})`,
    async () => {
      // Printed before the run, so a hung or killed run can still be replayed.
      console.log(`model-based test: MODEL_SEED=${SEED} MODEL_RUNS=${RUNS} MODEL_MAX_COMMANDS=${MAX_COMMANDS}`);
      const started = Date.now();
      let sequences = 0;
      const ends = new Map<string, number>();
      await fc.assert(
        fc.asyncProperty(
          fc.constantFrom<OnPaid>('REFUND', 'ADOPT'),
          fc.commands(commandArbs, { maxCommands: MAX_COMMANDS, size: 'max' }),
          async (onPaid, commands) => {
            sequences += 1;
            const end = await runSequence(client, stack, onPaid, commands);
            ends.set(end, (ends.get(end) ?? 0) + 1);
          },
        ),
        { seed: SEED, numRuns: RUNS, verbose: 1 },
      );
      const ms = Date.now() - started;
      console.log(
        `model-based test: ${sequences} sequences in ${ms} ms (${Math.round(ms / sequences)} ms each); ends: ` +
          [...ends].map(([end, n]) => `${n} × ${end}`).join(', '),
      );
    },
    RUNS * 30_000 + 600_000,
  );
});
