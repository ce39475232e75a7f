/**
 * The workflow's logic on the real dev server, with mocked activities: every path of the lifecycle.
 */
import { WorkflowFailedError, type Client } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import {
  startOrder,
  markPaid,
  cancelOrder,
  beginPayment,
  BeginPaymentRefusedError,
  MarkPaidRefusedError,
  OrderInputError,
  OrderRunEndedError,
} from '../../client';
import { ErrorType, resolveSignal, retrySignal, statusQuery, type CompensationRequest } from '../../workflows/contract';
import { uniqueId } from '../harness/env';
import { useFakeActivitiesWorker } from '../harness/fake-activities';
import { orderInput, waitForPhase, waitForStatus } from '../harness/orders';
import { recordHistory } from '../harness/record';

describe('combinePapayOrderWorkflow (mocked activities, real server)', () => {
  const suite = useFakeActivitiesWorker('lifecycle');
  const { fake, taskQueue } = suite;
  let client: Client;
  beforeAll(() => {
    client = suite.client();
  });

  const callsFor = (no: string) => fake.callsFor(no);
  const reverses = (no: string) => callsFor(no).filter((c) => c.name === 'reverse');

  it('ends PAID when markPaid arrives before the deadline, and never reverses', async () => {
    const input = orderInput({ dueInMs: 60_000 });
    const { handle } = await startOrder(client, input, { taskQueue });
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

  it('after the deadline: query, reverse, confirming query, then compensates every sub-order', async () => {
    const input = orderInput({ dueInMs: 500, subOrderCount: 3 });
    const { handle } = await startOrder(client, input, { taskQueue });
    const result = await handle.result();
    expect(result.outcome).toBe('REVERSED');
    expect(result.reverse).toMatchObject({ outcome: 'REVERSED', state: 'CONFIRMED', decision: 'CONFIRMED' });
    expect(result.reverse?.queries?.map((q) => q.purpose)).toEqual(['RECONCILE', 'CONFIRM']);
    expect(result.reverse?.queries?.[1]?.seen).toBe('all 3 CLOSED');
    expect(result.subOrders.map((s) => s.compensation)).toEqual(['DONE', 'DONE', 'DONE']);
    const calls = callsFor(input.combineOutTradeNo);
    expect(calls.slice(0, 3).map((c) => c.name)).toEqual(['query', 'reverse', 'query']);
    const subOrders = input.subOrders.map(({ mchid, outTradeNo, subMchid }) => ({ mchid, outTradeNo, subMchid }));
    expect(calls[0]?.req).toEqual({
      combineOutTradeNo: input.combineOutTradeNo,
      subOrders,
      purpose: 'RECONCILE',
      refuseNonces: [],
    });
    // Each call carries the nonces of every answer the order accepted before it: a replay of one is refused.
    const firstNonce = result.reverse?.queries?.[0]?.answerNonce;
    expect(firstNonce).toMatch(/^fake-/);
    expect(calls[1]?.req).toEqual({
      combineOutTradeNo: input.combineOutTradeNo,
      combineAppid: input.combineAppid,
      subOrders: input.subOrders,
      refuseNonces: [firstNonce],
    });
    expect(calls[2]?.req).toMatchObject({
      purpose: 'CONFIRM',
      refuseNonces: [firstNonce, result.reverse?.answerNonce],
    });
    const comps = calls.filter((c) => c.name === 'compensate').map((c) => c.req);
    expect(comps.map((c) => c.outTradeNo).sort()).toEqual(input.subOrders.map((s) => s.outTradeNo).sort());
    expect(
      comps.every(
        (c) => c.reason === 'PAYMENT_TIMEOUT' && c.reverseOutcome === 'REVERSED' && c.tradeState === 'CLOSED',
      ),
    ).toBe(true);
    const deadline = Date.parse(input.orderCreatedAt!) + Number(input.paymentTimeout);
    expect(calls[0]!.at).toBeGreaterThanOrEqual(deadline);
    // A markPaid arriving after the order was reversed is refused, not an opaque error.
    await expect(markPaid(client, input.combineOutTradeNo)).rejects.toThrow(/already ended REVERSED/);
    await recordHistory('reversed', handle);
  });

  it('on cancelOrder, waits for the last pay call window, then reverses; a later beginPayment is refused', async () => {
    const input = orderInput({ paymentTimeout: '30m', payWindow: '3s' });
    const { handle } = await startOrder(client, input, { taskQueue });
    const first = await beginPayment(client, input.combineOutTradeNo, { attemptId: 'pay-1' });
    const second = await beginPayment(client, input.combineOutTradeNo, { attemptId: 'pay-2' });
    expect(second.payments).toBe(2);
    expect(Date.parse(second.reverseNotBefore)).toBeGreaterThanOrEqual(Date.parse(first.reverseNotBefore));
    await cancelOrder(client, input.combineOutTradeNo, 'customer closed the page');
    const waiting = await waitForStatus(handle, (s) => s.reverse.state === 'WAITING_FOR_PAY_WINDOW');
    expect(waiting.phase).toBe('REVERSING');
    // The window starts when the order stopped waiting (the cancellation), never earlier than the last announcement's.
    expect(waiting.reverse.windowStart?.by).toBe('cancelled');
    expect(Date.parse(waiting.reverse.notBefore!)).toBeGreaterThanOrEqual(Date.parse(second.reverseNotBefore));
    expect(waiting.waitingFor).toMatch(/pay window/);
    await expect(beginPayment(client, input.combineOutTradeNo)).rejects.toBeInstanceOf(BeginPaymentRefusedError);
    await expect(beginPayment(client, input.combineOutTradeNo)).rejects.toThrow(/do not send the pay call/);
    const result = await handle.result();
    expect(result.outcome).toBe('REVERSED');
    const calls = callsFor(input.combineOutTradeNo);
    // Nothing reached WeChat Pay before the window of the last announced pay call closed.
    expect(calls[0]!.at).toBeGreaterThanOrEqual(Date.parse(waiting.reverse.notBefore!));
    expect((calls.find((c) => c.name === 'compensate')?.req as CompensationRequest).reason).toBe('CANCELLED');
    await recordHistory('cancelled-pay-window', handle);
  });

  it('refuses beginPayment with a bad detail, naming the field, and after the order is paid', async () => {
    const input = orderInput({ dueInMs: 60_000 });
    await startOrder(client, input, { taskQueue });
    await expect(beginPayment(client, input.combineOutTradeNo, { colour: 'red' } as never)).rejects.toThrow(
      /details\.colour is not a known field/,
    );
    await markPaid(client, input.combineOutTradeNo);
    await expect(beginPayment(client, input.combineOutTradeNo)).rejects.toThrow(/already paid|has ended/);
  });

  it('refuses markPaid once the reversal has begun', async () => {
    const input = orderInput({ dueInMs: 200 });
    fake.reverseScript = () =>
      ApplicationFailure.create({ type: ErrorType.REVERSE_REJECTED, nonRetryable: true, message: 'PARAM_ERROR' });
    const { handle } = await startOrder(client, input, { taskQueue });
    await waitForPhase(handle, 'NEEDS_ATTENTION');
    await expect(beginPayment(client, input.combineOutTradeNo)).rejects.toBeInstanceOf(BeginPaymentRefusedError);
    await expect(markPaid(client, input.combineOutTradeNo)).rejects.toBeInstanceOf(MarkPaidRefusedError);
    await expect(markPaid(client, input.combineOutTradeNo)).rejects.toThrow(/reversal has begun/);
    await handle.signal(resolveSignal, 'closed by hand in the merchant portal');
    expect((await handle.result()).outcome).toBe('RESOLVED_MANUALLY');
    await recordHistory('markpaid-refused-resolved', handle);
  });

  it('retries transient reverse failures until an accepted answer', async () => {
    const input = orderInput({ dueInMs: 200 });
    fake.reverseScript = (_req, attempt) =>
      attempt < 3
        ? ApplicationFailure.create({ type: ErrorType.REVERSE_TRANSIENT, message: '500 SYSTEM_ERROR' })
        : undefined;
    const { handle } = await startOrder(client, input, { taskQueue });
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
        ? undefined
        : ApplicationFailure.create({ type: ErrorType.REVERSE_REJECTED, nonRetryable: true, message: 'PARAM_ERROR' });
    const { handle } = await startOrder(client, input, { taskQueue });
    const stuck = await waitForPhase(handle, 'NEEDS_ATTENTION');
    expect(stuck.attention?.step).toBe('REVERSE');
    expect(stuck.reverse.lastFailure?.type).toBe(ErrorType.REVERSE_REJECTED);
    expect(reverses(input.combineOutTradeNo)).toHaveLength(1);
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
      // The floors of the WeChat Pay retries: 1 s apart at the least; the window closes after two or three attempts.
      retryPolicy: { wechatpay: { initialInterval: '1s', maximumInterval: '1s', scheduleToClose: '2500ms' } },
    });
    fake.reverseScript = () =>
      ApplicationFailure.create({ type: ErrorType.REVERSE_TRANSIENT, message: '503 SERVICE_UNAVAILABLE' });
    const { handle } = await startOrder(client, input, { taskQueue });
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
    const { handle } = await startOrder(client, input, { taskQueue });
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
    expect(reverses(input.combineOutTradeNo)).toHaveLength(1);
    await recordHistory('compensation-failed-retry', handle);
  });

  it('ignores operator signals outside NEEDS_ATTENTION and records them', async () => {
    const input = orderInput({ dueInMs: 60_000 });
    const { handle } = await startOrder(client, input, { taskQueue });
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
    const first = await startOrder(client, input, { taskQueue });
    const second = await startOrder(client, input, { taskQueue });
    expect(first.alreadyStarted).toBe(false);
    expect(second.alreadyStarted).toBe(true);
    expect(second.workflowId).toBe(`combine-papay-${input.combineOutTradeNo}`);
    const d1 = await first.handle.describe();
    const d2 = await second.handle.describe();
    expect(d2.runId).toBe(d1.runId);
    await markPaid(client, input.combineOutTradeNo);
    await first.handle.result();
    // Even once finished, the order is not started again.
    const third = await startOrder(client, input, { taskQueue });
    expect(third.alreadyStarted).toBe(true);
    expect((await third.handle.describe()).runId).toBe(d1.runId);
  });

  it('never hides a dead run: a start after a terminate throws, and restartIfEnded starts a new run', async () => {
    const input = orderInput({ dueInMs: 60_000 });
    const first = await startOrder(client, input, { taskQueue });
    const firstRunId = (await first.handle.describe()).runId;
    await first.handle.terminate('operator pressed terminate');
    const err = await startOrder(client, input, { taskQueue }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(OrderRunEndedError);
    expect((err as OrderRunEndedError).runStatus).toBe('TERMINATED');
    expect((err as Error).message).toMatch(/ended TERMINATED: it will not be reversed/);
    const again = await startOrder(client, input, { taskQueue, restartIfEnded: true });
    expect(again.alreadyStarted).toBe(false);
    expect((await again.handle.describe()).runId).not.toBe(firstRunId);
    await markPaid(client, input.combineOutTradeNo);
    expect((await again.handle.result()).outcome).toBe('PAID');
    // A completed order is not restarted, even when asked to.
    const after = await startOrder(client, input, { taskQueue, restartIfEnded: true });
    expect(after.alreadyStarted).toBe(true);
  });

  it('a Temporal cancellation request while awaiting payment acts like cancelOrder: reconciled, reversed, completed', async () => {
    const input = orderInput({ paymentTimeout: '30m' });
    const { handle } = await startOrder(client, input, { taskQueue });
    await waitForPhase(handle, 'AWAITING_PAYMENT');
    await handle.cancel();
    const result = await handle.result();
    expect(result.outcome).toBe('REVERSED');
    expect((await handle.describe()).status.name).toBe('COMPLETED');
    const comps = callsFor(input.combineOutTradeNo).filter((c) => c.name === 'compensate');
    expect(comps.every((c) => c.req.reason === 'CANCELLED')).toBe(true);
    const status = await handle.query(statusQuery);
    expect(status.operatorActions).toEqual([expect.objectContaining({ action: 'cancelRequest', accepted: true })]);
    await recordHistory('cancel-requested', handle);
  });

  it('a cancellation request during the reversal is recorded and the order still finishes', async () => {
    const input = orderInput({ dueInMs: 200 });
    let release = false;
    fake.reverseScript = () =>
      release ? undefined : ApplicationFailure.create({ type: ErrorType.REVERSE_TRANSIENT, message: '503' });
    const { handle } = await startOrder(client, input, { taskQueue });
    await waitForStatus(handle, (s) => s.reverse.state === 'IN_PROGRESS');
    await handle.cancel();
    await waitForStatus(handle, (s) => s.operatorActions.some((a) => a.action === 'cancelRequest'));
    release = true;
    const result = await handle.result();
    expect(result.outcome).toBe('REVERSED');
    expect(result.subOrders.every((s) => s.compensation === 'DONE')).toBe(true);
    const status = await handle.query(statusQuery);
    expect(status.operatorActions[0]).toMatchObject({ action: 'cancelRequest', accepted: false });
  });

  it('a cancellation request in NEEDS_ATTENTION is refused with a pointer to resolve; the order keeps waiting', async () => {
    const input = orderInput({ dueInMs: 200 });
    fake.reverseScript = () =>
      ApplicationFailure.create({ type: ErrorType.REVERSE_REJECTED, nonRetryable: true, message: 'PARAM_ERROR' });
    const { handle } = await startOrder(client, input, { taskQueue });
    await waitForPhase(handle, 'NEEDS_ATTENTION');
    await handle.cancel();
    const status = await waitForStatus(handle, (s) => s.operatorActions.some((a) => a.action === 'cancelRequest'));
    expect(status.phase).toBe('NEEDS_ATTENTION');
    expect(status.operatorActions.find((a) => a.action === 'cancelRequest')?.note).toMatch(/resolve/);
    await handle.signal(resolveSignal, 'closed by hand');
    expect((await handle.result()).outcome).toBe('RESOLVED_MANUALLY');
    expect(callsFor(input.combineOutTradeNo).some((c) => c.name === 'compensate')).toBe(false);
  });

  it('rejects bad input at the client, naming the field', async () => {
    const input = orderInput();
    input.subOrders[1]!.outTradeNo = input.subOrders[0]!.outTradeNo;
    await expect(startOrder(client, input, { taskQueue })).rejects.toBeInstanceOf(OrderInputError);
    await expect(startOrder(client, input, { taskQueue })).rejects.toThrow(
      /subOrders\[1\]\.outTradeNo duplicates subOrders\[0\]\.outTradeNo/,
    );
  });

  it('fails a workflow started with bad input at once, non-retryably, naming the field, without task retries', async () => {
    const workflowId = uniqueId('bad-input');
    const handle = await client.workflow.start('combinePapayOrderWorkflow', {
      taskQueue,
      workflowId,
      args: [
        {
          combineOutTradeNo: 'bad no with spaces',
          combineAppid: 'wx1',
          subOrders: [],
          payWindow: 'soon',
          onPaidAtDeadline: 'KEEP',
        },
      ],
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
    expect(cause.message).toMatch(/payWindow must be a duration/);
    expect(cause.message).toMatch(/onPaidAtDeadline must be "REFUND" or "ADOPT"/);
    const events = (await handle.fetchHistory()).events ?? [];
    expect(events.some((e) => e.workflowTaskFailedEventAttributes)).toBe(false);
    expect(events.some((e) => e.workflowExecutionFailedEventAttributes)).toBe(true);
    await recordHistory('invalid-input', handle);
  });
});
