/**
 * The lifecycle on the edges where money was decided on an assumption, with mocked activities on the real dev server:
 * the pay window of an order nobody announced a pay call for (or announced one early), the floor, a reverse refused
 * because the order is already settled, a retry after a reverse was sent, REFUND seen before any reverse, "no such
 * order" after WeChat Pay showed the order, an earlier run of the same order, and the client's restart after a reverse.
 */
import type { Client } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { beginPayment, cancelOrder, markPaid, startOrder, WORKFLOW_TYPE, workflowIdFor } from '../../client';
import { ErrorType, resolveSignal, retrySignal, type OrderInput, type OrderResult } from '../../workflows/contract';
import { useFakeActivitiesWorker } from '../harness/fake-activities';
import { orderInput, waitForPhase, waitForStatus } from '../harness/orders';
import { recordHistory } from '../harness/record';

describe('lifecycle edges (mocked activities, real server)', () => {
  const suite = useFakeActivitiesWorker('edges');
  const { fake, taskQueue } = suite;
  let client: Client;
  beforeAll(() => {
    client = suite.client();
  });

  const calls = (no: string) => fake.callsFor(no);
  const names = (no: string) => calls(no).map((c) => c.name);
  const compensations = (no: string) => calls(no).flatMap((c) => (c.name === 'compensate' ? [c.req] : []));
  const subNos = (input: OrderInput) => input.subOrders.map((s) => s.outTradeNo);
  const start = async (input: OrderInput, state: string | undefined) => {
    fake.setOrder(input.combineOutTradeNo, subNos(input), state);
    return (await startOrder(client, input, { taskQueue })).handle;
  };
  const refused = () =>
    ApplicationFailure.create({
      type: ErrorType.REVERSE_REJECTED,
      nonRetryable: true,
      message: 'WeChat Pay rejected the reverse (400 INVALID_REQUEST)',
    });

  it('no pay call announced: the window starts when the order stopped waiting (the deadline), not at creation', async () => {
    const input = orderInput({ dueInMs: 300 });
    const handle = await start(input, 'CLOSED');
    const result = await handle.result();
    const reverse = result.reverse!;
    expect(reverse.windowStart?.by).toBe('deadline');
    const deadline = Date.parse(input.orderCreatedAt!) + (input.paymentTimeout as number);
    expect(Date.parse(reverse.windowStart!.at)).toBeGreaterThanOrEqual(deadline);
    expect(Date.parse(reverse.notBefore!) - Date.parse(reverse.windowStart!.at)).toBe(2_000);
    // Created 20 s before: a window counted from creation would have allowed the query at once.
    expect(calls(input.combineOutTradeNo)[0]!.at).toBeGreaterThanOrEqual(Date.parse(reverse.notBefore!));
  });

  it('one early beginPayment never shortens the wait: the window starts at the deadline, after the announcement', async () => {
    // Due far from the start and the announcement, which must come before it (a later one is refused).
    const input = orderInput({ dueInMs: 5_000 });
    const handle = await start(input, 'CLOSED');
    const announced = await beginPayment(client, input.combineOutTradeNo, { attemptId: 'page-open' });
    const result = await handle.result();
    const reverse = result.reverse!;
    expect(reverse.windowStart?.by).toBe('deadline');
    const deadline = Date.parse(input.orderCreatedAt!) + (input.paymentTimeout as number);
    expect(Date.parse(reverse.windowStart!.at)).toBeGreaterThanOrEqual(deadline);
    expect(Date.parse(reverse.notBefore!)).toBeGreaterThan(Date.parse(announced.reverseNotBefore));
    // An unannounced pay call sent just before the deadline may land until then: 1.0 queried at the announcement's end.
    expect(calls(input.combineOutTradeNo)[0]!.at).toBeGreaterThanOrEqual(deadline + 2_000);
  });

  it('cancelOrder without an announced pay call: the window starts at the cancellation', async () => {
    const input = orderInput({ dueInMs: 60_000 });
    const handle = await start(input, 'CLOSED');
    await waitForPhase(handle, 'AWAITING_PAYMENT');
    const cancelledAfter = Date.now();
    await cancelOrder(client, input.combineOutTradeNo, 'customer left');
    const result = await handle.result();
    expect(result.reverse?.windowStart?.by).toBe('cancelled');
    expect(Date.parse(result.reverse!.windowStart!.at)).toBeGreaterThanOrEqual(cancelledAfter - 1_000);
    expect(calls(input.combineOutTradeNo)[0]!.at).toBeGreaterThanOrEqual(Date.parse(result.reverse!.notBefore!));
  });

  it('a raw start with a window under the floor waits the floor, which its history records', async () => {
    fake.payWindowFloorMs = 3_000;
    const input = orderInput({ dueInMs: 300, payWindow: '0s' });
    fake.setOrder(input.combineOutTradeNo, subNos(input), 'CLOSED');
    const handle = await client.workflow.start<(input: OrderInput) => Promise<OrderResult>>(WORKFLOW_TYPE, {
      taskQueue,
      workflowId: workflowIdFor(input.combineOutTradeNo),
      args: [input],
    });
    const result = await handle.result();
    expect(result.reverse?.payWindowFloor).toBe('3s');
    expect(Date.parse(result.reverse!.notBefore!) - Date.parse(result.reverse!.windowStart!.at)).toBe(3_000);
    expect(calls(input.combineOutTradeNo)[0]!.at).toBeGreaterThanOrEqual(Date.parse(result.reverse!.notBefore!));
    const history = await handle.fetchHistory();
    const markers = (history.events ?? []).filter((e) => e.markerRecordedEventAttributes);
    expect(markers.map((e) => e.markerRecordedEventAttributes?.markerName)).toEqual(['core_local_activity']);
  });

  it('a reverse refused because the order is already closed is not an error: the query confirms it', async () => {
    const input = orderInput({ dueInMs: 200 });
    fake.reverseScript = () => {
      fake.setOrder(input.combineOutTradeNo, subNos(input), 'CLOSED');
      return refused();
    };
    const handle = await start(input, 'USERPAYING');
    const result = await handle.result();
    expect(result.outcome).toBe('REVERSED');
    expect(result.reverse).toMatchObject({ state: 'CONFIRMED', decision: 'CONFIRMED', outcome: 'ALREADY_CLOSED' });
    expect(names(input.combineOutTradeNo).slice(0, 3)).toEqual(['query', 'reverse', 'query']);
    // A reverse was sent: never NOT_NEEDED downstream.
    expect(compensations(input.combineOutTradeNo).map((c) => c.reverseOutcome)).toEqual([
      'ALREADY_CLOSED',
      'ALREADY_CLOSED',
    ]);
  });

  it('once a reverse was sent, ADOPT is ruled out: refund not yet visible, repeats refused, retry confirms it', async () => {
    const input = orderInput({ dueInMs: 200, onPaidAtDeadline: 'ADOPT' });
    fake.reverseTakesEffect = false;
    fake.reverseScript = (_req, attempt) => {
      if (attempt > 1) return refused();
      // The debit had landed; the 204 starts its refund, which the query does not show yet.
      fake.setOrder(input.combineOutTradeNo, subNos(input), 'SUCCESS');
      return undefined;
    };
    const handle = await start(input, 'USERPAYING');
    const stuck = await waitForPhase(handle, 'NEEDS_ATTENTION', 60_000);
    expect(stuck.attention?.step).toBe('CONFIRM');
    expect(stuck.reverse.lastFailure?.message).toMatch(/after 3 reverse\(s\) the query still shows all 2 SUCCESS/);
    fake.setOrder(input.combineOutTradeNo, subNos(input), 'REFUND');
    await handle.signal(retrySignal);
    const result = await handle.result();
    expect(result.outcome).toBe('REVERSED');
    expect(result.paid).toBeUndefined();
    expect(result.reverse).toMatchObject({ outcome: 'REVERSED', decision: 'CONFIRMED' });
    expect(names(input.combineOutTradeNo)).not.toContain('confirmPayment');
    expect(compensations(input.combineOutTradeNo).map((c) => [c.reverseOutcome, c.tradeState])).toEqual([
      ['REVERSED', 'REFUND'],
      ['REVERSED', 'REFUND'],
    ]);
    await recordHistory('retry-after-reverse-refused', handle);
  }, 90_000);

  it('REFUND before any reverse of ours: NEEDS_ATTENTION at QUERY naming the sub-orders; resolve ends it', async () => {
    const input = orderInput({ dueInMs: 200 });
    fake.setOrder(input.combineOutTradeNo, subNos(input), 'SUCCESS');
    fake.orders.get(input.combineOutTradeNo)!.states[input.subOrders[1]!.outTradeNo] = 'REFUND';
    const handle = (await startOrder(client, input, { taskQueue })).handle;
    const stuck = await waitForPhase(handle, 'NEEDS_ATTENTION');
    expect(stuck.attention?.step).toBe('QUERY');
    expect(stuck.reverse.decision).toBe('REFUNDED_BEFORE_REVERSE');
    expect(stuck.reverse.lastFailure?.type).toBe(ErrorType.REFUNDED_BEFORE_REVERSE);
    expect(stuck.reverse.lastFailure?.message).toContain(`sub-order(s) ${input.subOrders[1]!.outTradeNo} show REFUND`);
    expect(stuck.reverse.lastFailure?.message).toMatch(/partial refund from a full one/);
    await handle.signal(resolveSignal, 'partial refund by customer service, rest settled by hand, ticket OPS-7');
    expect((await handle.result()).outcome).toBe('RESOLVED_MANUALLY');
    expect(names(input.combineOutTradeNo)).toEqual(['query']);
    await recordHistory('refunded-before-reverse-resolved', handle);
  });

  it('"no such order" after WeChat Pay showed the order is never a confirmation: queried again, then an operator', async () => {
    const input = orderInput({ dueInMs: 200 });
    fake.reverseScript = () => {
      fake.setOrder(input.combineOutTradeNo, subNos(input), undefined);
      return undefined;
    };
    const handle = await start(input, 'USERPAYING');
    const stuck = await waitForStatus(handle, (s) => s.phase === 'NEEDS_ATTENTION', 60_000);
    expect(stuck.attention?.step).toBe('CONFIRM');
    expect(stuck.reverse.decision).toBe('NOT_FOUND_AFTER_FOUND');
    expect(stuck.reverse.lastFailure?.type).toBe(ErrorType.NOT_FOUND_AFTER_FOUND);
    expect(stuck.reverse.existsSince).toBeDefined();
    // One reverse; then only queries (a contradiction is never acted on); nothing compensated.
    expect(names(input.combineOutTradeNo)).toEqual(['query', 'reverse', 'query', 'query', 'query']);
    await handle.signal(resolveSignal, 'order checked in the merchant portal: closed, ticket OPS-8');
    expect((await handle.result()).outcome).toBe('RESOLVED_MANUALLY');
    expect(compensations(input.combineOutTradeNo)).toHaveLength(0);
    await recordHistory('not-found-after-found', handle);
  }, 60_000);

  it('a second start of an order an earlier run ended: NEEDS_ATTENTION (EARLIER_RUN_ENDED), nothing reversed; resolve ends it', async () => {
    const input = orderInput({ dueInMs: 60_000 });
    const first = await start(input, 'SUCCESS');
    await markPaid(client, input.combineOutTradeNo);
    expect((await first.result()).outcome).toBe('PAID');
    const firstRunId = (await first.describe()).runId;
    // A raw start with no id-reuse policy (as another language's checkout might send it): a new run of the same id.
    fake.earlierRuns.set(workflowIdFor(input.combineOutTradeNo), {
      runs: [{ runId: firstRunId, status: 'COMPLETED' }],
    });
    const second = await client.workflow.start<(input: OrderInput) => Promise<OrderResult>>(WORKFLOW_TYPE, {
      taskQueue,
      workflowId: workflowIdFor(input.combineOutTradeNo),
      args: [{ ...input, paymentTimeout: (input.paymentTimeout as number) - 59_000 }],
    });
    const stuck = await waitForPhase(second, 'NEEDS_ATTENTION');
    expect(stuck.attention?.step).toBe('EARLIER_RUN');
    expect(stuck.reverse.lastFailure?.type).toBe(ErrorType.EARLIER_RUN_ENDED);
    expect(stuck.reverse.lastFailure?.message).toContain(`${firstRunId} COMPLETED`);
    expect(stuck.earlierRuns).toEqual([{ runId: firstRunId, status: 'COMPLETED' }]);
    await second.signal(resolveSignal, 'the order was paid and shipped; the second start was a retry of the checkout');
    const result = await second.result();
    expect(result.outcome).toBe('RESOLVED_MANUALLY');
    // The shipped order was neither queried, reversed nor compensated.
    expect(names(input.combineOutTradeNo)).toEqual([]);
    await recordHistory('earlier-run-ended-resolved', second);
  });

  it("the client's restart after a reverse starts confirming: a paid query is reversed again, never adopted", async () => {
    const input = orderInput({ dueInMs: 300, onPaidAtDeadline: 'ADOPT' });
    const no = input.combineOutTradeNo;
    // The first run's reverse never gets an answer; the run is terminated while it retries.
    fake.reverseScript = () => new Error('network reset');
    const first = await start(input, 'USERPAYING');
    await waitForStatus(first, (s) => s.reverse.rounds > 0);
    const firstRunId = (await first.describe()).runId;
    await first.terminate('worker fleet rebuilt by hand');
    // The refund is still in flight: WeChat Pay shows the order paid.
    fake.setOrder(no, subNos(input), 'SUCCESS');
    fake.reverseScript = () => undefined;
    // The fake visibility knows the ended run but not what it did: the client's restart input must carry it.
    fake.earlierRuns.set(workflowIdFor(no), {
      runs: [{ runId: firstRunId, status: 'TERMINATED' }],
      reverseSent: false,
    });
    const again = await startOrder(client, input, { taskQueue, restartIfEnded: true });
    const result = await again.handle.result();
    expect(result.outcome).toBe('REVERSED');
    expect(result.paid).toBeUndefined();
    expect(result.reverse?.queries?.[0]?.purpose).toBe('CONFIRM');
    const secondRun = calls(no).filter((c) => c.at >= Date.parse(result.reverse!.windowStart!.at));
    expect(secondRun.map((c) => c.name)).not.toContain('confirmPayment');
    expect(secondRun.map((c) => c.name).slice(0, 3)).toEqual(['query', 'reverse', 'query']);
    const status = await again.handle.query('status');
    expect(status).toMatchObject({ restartOf: { previousRunId: firstRunId, reverseSent: true } });
    await recordHistory('restart-after-reverse-confirming', again.handle);
  });
});
