/**
 * The workflow's logic on the real dev server, with mocked activities: every path of the lifecycle.
 */
import { WorkflowFailedError, type Client } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { Context } from '@temporalio/activity';
import { startOrderTimeout, markPaid, cancelOrder, MarkPaidRefusedError, OrderInputError } from '../../client';
import type { OrderActivities } from '../../activities';
import { ErrorType } from '../../workflows/errors';
import { resolveSignal, retrySignal } from '../../workflows/messages';
import type { CompensationRequest, ReverseRequest, ReverseResult } from '../../workflows/types';
import { connectClient, runTestWorker, type RunningTestWorker, uniqueId } from '../harness/env';
import { orderInput, waitForPhase, waitForStatus } from '../harness/orders';
import { recordHistory } from '../harness/record';

type Call =
  { name: 'reverse'; at: number; req: ReverseRequest } | { name: 'compensate'; at: number; req: CompensationRequest };

/** Mocked activities that record their calls and follow a script. */
class FakeActivities {
  calls: Call[] = [];
  reverseScript: (attempt: number) => ReverseResult | Error = () => reversed();
  compensateScript: (req: CompensationRequest, attempt: number) => Error | undefined = () => undefined;
  private attempts = new Map<string, number>();

  activities(): OrderActivities {
    return {
      reverseCombineOrder: async (req) => {
        this.calls.push({ name: 'reverse', at: Date.now(), req });
        const attempt = this.bump(`reverse:${req.combineOutTradeNo}`);
        const out = this.reverseScript(attempt);
        if (out instanceof ApplicationFailure && !out.nonRetryable) {
          // As the real activity does: remembered across attempts for when the retry window closes.
          Context.current().heartbeat({ lastFailure: { type: out.type, row: out.message } });
        }
        if (out instanceof Error) throw out;
        return out;
      },
      compensateSubOrder: async (req) => {
        this.calls.push({ name: 'compensate', at: Date.now(), req });
        const attempt = this.bump(`comp:${req.outTradeNo}`);
        const err = this.compensateScript(req, attempt);
        if (err) throw err;
        return { httpStatus: 200, alreadyCompensated: false, attempt };
      },
    };
  }

  private bump(key: string): number {
    const n = (this.attempts.get(key) ?? 0) + 1;
    this.attempts.set(key, n);
    return n;
  }
}

function reversed(): ReverseResult {
  return { outcome: 'REVERSED', httpStatus: 204, verified: true, attempt: 1 };
}

describe('combinePapayOrderWorkflow (mocked activities, real server)', () => {
  let client: Client;
  let worker: RunningTestWorker;
  const fake = new FakeActivities();
  const taskQueue = uniqueId('lifecycle');

  beforeAll(async () => {
    client = await connectClient();
    worker = await runTestWorker({ taskQueue, activities: fake.activities() });
  });
  afterAll(async () => {
    await worker.stop();
    await client.connection.close();
  });
  beforeEach(() => {
    fake.calls = [];
    fake.reverseScript = () => reversed();
    fake.compensateScript = () => undefined;
  });

  const callsFor = (no: string) => fake.calls.filter((c) => c.req.combineOutTradeNo === no);

  it('ends PAID when markPaid arrives before the deadline, and never reverses', async () => {
    const input = orderInput({ dueInMs: 60_000 });
    const { handle } = await startOrderTimeout(client, input, { taskQueue });
    const answer = await markPaid(client, input.combineOutTradeNo, {
      transactionId: '4200000001',
      source: 'pay-response',
    });
    expect(answer.phase).toBe('PAID');
    const result = await handle.result();
    expect(result.outcome).toBe('PAID');
    expect(result.paid?.details?.transactionId).toBe('4200000001');
    expect(callsFor(input.combineOutTradeNo)).toHaveLength(0);
    // Confirming again after the workflow finished answers as the first time (a lost answer may be retried).
    expect(await markPaid(client, input.combineOutTradeNo)).toEqual({ phase: 'PAID', paidAt: answer.paidAt });
    await recordHistory('paid', handle);
  });

  it('reverses after the deadline, then compensates every sub-order, reverse first', async () => {
    const input = orderInput({ dueInMs: 500, subOrderCount: 3 });
    const { handle } = await startOrderTimeout(client, input, { taskQueue });
    const result = await handle.result();
    expect(result.outcome).toBe('REVERSED');
    expect(result.reverse?.outcome).toBe('REVERSED');
    expect(result.subOrders.map((s) => s.compensation)).toEqual(['DONE', 'DONE', 'DONE']);
    const calls = callsFor(input.combineOutTradeNo);
    expect(calls[0]?.name).toBe('reverse');
    expect(calls[0]?.req).toEqual({
      combineOutTradeNo: input.combineOutTradeNo,
      combineAppid: input.combineAppid,
      subOrders: input.subOrders,
    });
    const comps = calls.filter((c) => c.name === 'compensate').map((c) => c.req);
    expect(comps.map((c) => c.outTradeNo).sort()).toEqual(input.subOrders.map((s) => s.outTradeNo).sort());
    expect(comps.every((c) => c.reason === 'PAYMENT_TIMEOUT' && c.reverseOutcome === 'REVERSED')).toBe(true);
    const deadline = Date.parse(input.orderCreatedAt!) + Number(input.paymentTimeout);
    expect(calls[0]!.at).toBeGreaterThanOrEqual(deadline);
    // A markPaid arriving after the order was reversed is refused, not an opaque error.
    await expect(markPaid(client, input.combineOutTradeNo)).rejects.toThrow(/already ended REVERSED/);
    await recordHistory('reversed', handle);
  });

  it('reverses at once on cancelOrder, but not before the 15 s safety floor after creation', async () => {
    const createdAt = Date.now() - 12_000;
    const input = orderInput({ orderCreatedAt: new Date(createdAt).toISOString(), paymentTimeout: '30m' });
    const { handle } = await startOrderTimeout(client, input, { taskQueue });
    await cancelOrder(client, input.combineOutTradeNo, 'customer closed the page');
    const waiting = await waitForStatus(handle, (s) => s.reverse.state === 'WAITING_FOR_FLOOR');
    expect(waiting.phase).toBe('REVERSING');
    const result = await handle.result();
    expect(result.outcome).toBe('REVERSED');
    const calls = callsFor(input.combineOutTradeNo);
    expect(calls[0]!.at).toBeGreaterThanOrEqual(createdAt + 15_000);
    expect((calls[1]?.req as CompensationRequest).reason).toBe('CANCELLED');
    await recordHistory('cancelled-floor', handle);
  });

  it('refuses markPaid once the reversal has begun', async () => {
    const input = orderInput({ dueInMs: 200 });
    fake.reverseScript = () =>
      ApplicationFailure.create({ type: ErrorType.REVERSE_REJECTED, nonRetryable: true, message: 'PARAM_ERROR' });
    const { handle } = await startOrderTimeout(client, input, { taskQueue });
    await waitForPhase(handle, 'NEEDS_ATTENTION');
    await expect(markPaid(client, input.combineOutTradeNo)).rejects.toBeInstanceOf(MarkPaidRefusedError);
    await expect(markPaid(client, input.combineOutTradeNo)).rejects.toThrow(/reversal has begun/);
    await handle.signal(resolveSignal, 'closed by hand in the merchant portal');
    expect((await handle.result()).outcome).toBe('RESOLVED_MANUALLY');
    await recordHistory('markpaid-refused-resolved', handle);
  });

  it('retries transient reverse failures until an accepted answer', async () => {
    const input = orderInput({ dueInMs: 200 });
    fake.reverseScript = (attempt) =>
      attempt < 3
        ? ApplicationFailure.create({ type: ErrorType.REVERSE_TRANSIENT, message: '500 SYSTEM_ERROR' })
        : reversed();
    const { handle } = await startOrderTimeout(client, input, { taskQueue });
    const result = await handle.result();
    expect(result.outcome).toBe('REVERSED');
    const calls = callsFor(input.combineOutTradeNo);
    expect(calls.filter((c) => c.name === 'reverse')).toHaveLength(3);
    // No compensation before the accepted (third) reverse.
    const thirdReverse = calls.findIndex(
      (c, i) => c.name === 'reverse' && calls.slice(0, i).filter((x) => x.name === 'reverse').length === 2,
    );
    expect(calls.slice(0, thirdReverse).some((c) => c.name === 'compensate')).toBe(false);
    await recordHistory('transient-retries', handle);
  });

  it('goes to NEEDS_ATTENTION on a non-retryable reverse, compensates nothing, and finishes after an operator retry', async () => {
    const input = orderInput({ dueInMs: 200 });
    let fixed = false;
    fake.reverseScript = () =>
      fixed
        ? reversed()
        : ApplicationFailure.create({ type: ErrorType.REVERSE_REJECTED, nonRetryable: true, message: 'PARAM_ERROR' });
    const { handle } = await startOrderTimeout(client, input, { taskQueue });
    const stuck = await waitForPhase(handle, 'NEEDS_ATTENTION');
    expect(stuck.attention?.step).toBe('REVERSE');
    expect(stuck.reverse.lastFailure?.type).toBe(ErrorType.REVERSE_REJECTED);
    expect(callsFor(input.combineOutTradeNo).filter((c) => c.name === 'reverse')).toHaveLength(1);
    expect(callsFor(input.combineOutTradeNo).some((c) => c.name === 'compensate')).toBe(false);
    fixed = true;
    await handle.signal(retrySignal);
    const result = await handle.result();
    expect(result.outcome).toBe('REVERSED');
    expect(result.reverse?.rounds).toBe(2);
    await recordHistory('reverse-rejected-retry', handle);
  });

  it('goes to NEEDS_ATTENTION when reverse retries run out, naming the last failure', async () => {
    const input = orderInput({
      dueInMs: 200,
      retryPolicy: { reverse: { initialInterval: '100ms', maximumInterval: '200ms', scheduleToClose: '2s' } },
    });
    fake.reverseScript = () =>
      ApplicationFailure.create({ type: ErrorType.REVERSE_TRANSIENT, message: '503 SERVICE_UNAVAILABLE' });
    const { handle } = await startOrderTimeout(client, input, { taskQueue });
    const stuck = await waitForPhase(handle, 'NEEDS_ATTENTION');
    expect(stuck.reverse.lastFailure?.type).toBe(ErrorType.RETRIES_EXHAUSTED);
    expect(stuck.reverse.lastFailure?.message).toMatch(/REVERSE_TRANSIENT/);
    expect(callsFor(input.combineOutTradeNo).some((c) => c.name === 'compensate')).toBe(false);
    await handle.signal(resolveSignal, { note: 'WeChat Pay outage ticket 42: reversed by hand' });
    const result = await handle.result();
    expect(result.outcome).toBe('RESOLVED_MANUALLY');
    expect(result.resolution?.note).toMatch(/ticket 42/);
    expect(result.subOrders.every((s) => s.compensation === 'RESOLVED_MANUALLY')).toBe(true);
    await recordHistory('retries-exhausted-resolved', handle);
  });

  it('re-drives only the unfinished sub-order after a compensation fails for good', async () => {
    const input = orderInput({ dueInMs: 200, subOrderCount: 3 });
    const bad = input.subOrders[1]!.outTradeNo;
    let downstreamFixed = false;
    fake.compensateScript = (req) =>
      req.outTradeNo === bad && !downstreamFixed
        ? ApplicationFailure.create({ type: ErrorType.COMPENSATION_REJECTED, nonRetryable: true, message: '422' })
        : undefined;
    const { handle } = await startOrderTimeout(client, input, { taskQueue });
    const stuck = await waitForPhase(handle, 'NEEDS_ATTENTION');
    expect(stuck.attention?.step).toBe('COMPENSATION');
    expect(stuck.subOrders.map((s) => s.compensation)).toEqual(['DONE', 'FAILED', 'DONE']);
    expect(stuck.subOrders[1]?.lastFailure?.type).toBe(ErrorType.COMPENSATION_REJECTED);
    downstreamFixed = true;
    await handle.signal(retrySignal);
    const result = await handle.result();
    expect(result.outcome).toBe('REVERSED');
    const comps = callsFor(input.combineOutTradeNo).filter((c) => c.name === 'compensate');
    expect(comps.map((c) => c.req.outTradeNo).filter((n) => n === bad)).toHaveLength(2);
    expect(comps).toHaveLength(4);
    expect(callsFor(input.combineOutTradeNo).filter((c) => c.name === 'reverse')).toHaveLength(1);
    await recordHistory('compensation-failed-retry', handle);
  });

  it('ignores operator signals outside NEEDS_ATTENTION and records them', async () => {
    const input = orderInput({ dueInMs: 60_000 });
    const { handle } = await startOrderTimeout(client, input, { taskQueue });
    await handle.signal(retrySignal);
    const status = await waitForStatus(handle, (s) => s.operatorActions.length === 1);
    expect(status.operatorActions[0]).toMatchObject({ action: 'retry', accepted: false });
    expect(status.phase).toBe('AWAITING_PAYMENT');
    await markPaid(client, input.combineOutTradeNo);
    expect((await handle.result()).outcome).toBe('PAID');
    await recordHistory('operator-signal-ignored-paid', handle);
  });

  it('starts an order once: a second start returns the same workflow', async () => {
    const input = orderInput({ dueInMs: 60_000 });
    const first = await startOrderTimeout(client, input, { taskQueue });
    const second = await startOrderTimeout(client, input, { taskQueue });
    expect(first.alreadyStarted).toBe(false);
    expect(second.alreadyStarted).toBe(true);
    expect(second.workflowId).toBe(`combine-papay-${input.combineOutTradeNo}`);
    const d1 = await first.handle.describe();
    const d2 = await second.handle.describe();
    expect(d2.runId).toBe(d1.runId);
    await markPaid(client, input.combineOutTradeNo);
    await first.handle.result();
    // Even once finished, the order is not started again.
    const third = await startOrderTimeout(client, input, { taskQueue });
    expect(third.alreadyStarted).toBe(true);
    expect((await third.handle.describe()).runId).toBe(d1.runId);
  });

  it('rejects bad input at the client, naming the field', async () => {
    const input = orderInput();
    input.subOrders[1]!.outTradeNo = input.subOrders[0]!.outTradeNo;
    await expect(startOrderTimeout(client, input, { taskQueue })).rejects.toBeInstanceOf(OrderInputError);
    await expect(startOrderTimeout(client, input, { taskQueue })).rejects.toThrow(
      /subOrders\[1\]\.outTradeNo duplicates subOrders\[0\]\.outTradeNo/,
    );
  });

  it('fails a workflow started with bad input at once, non-retryably, naming the field, without task retries', async () => {
    const workflowId = uniqueId('bad-input');
    const handle = await client.workflow.start('combinePapayOrderWorkflow', {
      taskQueue,
      workflowId,
      args: [{ combineOutTradeNo: 'bad no with spaces', combineAppid: 'wx1', subOrders: [] }],
    });
    const err = await handle.result().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(WorkflowFailedError);
    const cause = (err as WorkflowFailedError).cause as ApplicationFailure;
    expect(cause.type).toBe(ErrorType.INVALID_ORDER_INPUT);
    expect(cause.nonRetryable).toBe(true);
    expect(cause.message).toMatch(/combineOutTradeNo must be 1-32 characters/);
    expect(cause.message).toMatch(/subOrders must have 1-50 items, got 0/);
    const events = (await handle.fetchHistory()).events ?? [];
    expect(events.some((e) => e.workflowTaskFailedEventAttributes)).toBe(false);
    expect(events.some((e) => e.workflowExecutionFailedEventAttributes)).toBe(true);
    await recordHistory('invalid-input', handle);
  });
});
