/**
 * The money decision with mocked activities: one test per row of the decision table
 * (docs/reference.md#decision-table), the bounded reverse-and-confirm rounds, and a query that cannot succeed. On the
 * time-skipping test server (test/harness/time-skipping.ts): the deadlines, pay windows and the pauses between reverse
 * rounds pass at once (about 50 s of waiting on the dev server).
 */
import type { Client } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { startOrder } from '../../client';
import {
  ErrorType,
  resolveSignal,
  retrySignal,
  type OrderInput,
  type PaymentConfirmationRequest,
} from '../../workflows/contract';
import { describeWith } from '../harness/needs';
import { TEST_SERVER, useTimeSkippingFakeWorker } from '../harness/time-skipping';
import { orderInput, waitForPhase } from '../harness/orders';
import { recordHistory } from '../harness/record';

describeWith([TEST_SERVER])('reconcile with WeChat Pay before and after the reverse (time-skipping)', () => {
  const suite = useTimeSkippingFakeWorker('reconcile');
  const { fake, taskQueue, pause } = suite;
  let client: Client;
  beforeAll(() => {
    client = suite.client();
  });

  const names = (no: string) => fake.callsFor(no).map((c) => c.name);
  const compensations = (no: string) =>
    fake
      .callsFor(no)
      .filter((c) => c.name === 'compensate')
      .map((c) => c.req);
  const start = async (input: OrderInput, state: string | undefined) => {
    fake.setOrder(
      input.combineOutTradeNo,
      input.subOrders.map((s) => s.outTradeNo),
      state,
    );
    return (await startOrder(client, input, { taskQueue })).handle;
  };

  it('every sub-order already CLOSED: no reverse call, compensation with the confirmed state', async () => {
    const input = orderInput({ dueInMs: 200 });
    const handle = await start(input, 'CLOSED');
    const result = await handle.result();
    expect(result.outcome).toBe('REVERSED');
    expect(result.reverse).toMatchObject({
      state: 'NOT_NEEDED',
      outcome: 'NOT_NEEDED',
      decision: 'NOTHING_TO_REVERSE',
    });
    expect(names(input.combineOutTradeNo)).toEqual(['query', 'compensate', 'compensate']);
    expect(compensations(input.combineOutTradeNo).every((c) => c.tradeState === 'CLOSED')).toBe(true);
    expect(compensations(input.combineOutTradeNo).every((c) => c.reverseOutcome === 'NOT_NEEDED')).toBe(true);
    await recordHistory('already-closed', handle);
  });

  it('paid but never confirmed (SUCCESS), default REFUND: reversed, confirmed REFUND, then compensated', async () => {
    const input = orderInput({ dueInMs: 200 });
    const handle = await start(input, 'SUCCESS');
    const result = await handle.result();
    expect(result.outcome).toBe('REVERSED');
    expect(names(input.combineOutTradeNo)).toEqual(['query', 'reverse', 'query', 'compensate', 'compensate']);
    expect(compensations(input.combineOutTradeNo).every((c) => c.tradeState === 'REFUND')).toBe(true);
    expect(result.subOrders.every((s) => s.tradeState === 'REFUND')).toBe(true);
    await recordHistory('paid-at-deadline-refunded', handle);
  });

  it('paid but never confirmed (SUCCESS), ADOPT: finishes PAID from the query, announces it once, no reverse', async () => {
    const input = orderInput({ dueInMs: 200, onPaidAtDeadline: 'ADOPT' });
    let failures = 1;
    fake.confirmScript = () =>
      failures-- > 0
        ? ApplicationFailure.create({
            type: ErrorType.CONFIRMATION_TRANSIENT,
            message: 'the order service answered 503',
          })
        : undefined;
    const handle = await start(input, 'SUCCESS');
    const result = await handle.result();
    expect(result.outcome).toBe('PAID');
    expect(result.paid).toMatchObject({ source: 'WECHATPAY_QUERY', confirmation: { httpStatus: 200 } });
    expect(Object.keys(result.paid?.transactionIds ?? {})).toHaveLength(2);
    expect(names(input.combineOutTradeNo)).toEqual(['query', 'confirmPayment', 'confirmPayment']);
    const sent = fake.callsFor(input.combineOutTradeNo).find((c) => c.name === 'confirmPayment')
      ?.req as PaymentConfirmationRequest;
    expect(sent).toEqual({
      combineOutTradeNo: input.combineOutTradeNo,
      source: 'WECHATPAY_QUERY',
      subOrders: input.subOrders.map((s) => ({
        outTradeNo: s.outTradeNo,
        mchid: s.mchid,
        subMchid: s.subMchid,
        transactionId: `4200${s.outTradeNo}`,
      })),
    });
    await recordHistory('paid-at-deadline-adopted', handle);
  });

  it('ADOPT with an unpaid order still reverses (only SUCCESS is adopted)', async () => {
    const input = orderInput({ dueInMs: 200, onPaidAtDeadline: 'ADOPT' });
    const handle = await start(input, 'NOTPAY');
    expect((await handle.result()).outcome).toBe('REVERSED');
    expect(names(input.combineOutTradeNo).slice(0, 3)).toEqual(['query', 'reverse', 'query']);
  });

  it('no such order: reversed (signed ORDER_NOT_EXIST), confirmed absent, compensated as NOT_FOUND', async () => {
    const input = orderInput({ dueInMs: 200 });
    const handle = await start(input, undefined);
    const result = await handle.result();
    expect(result.reverse).toMatchObject({ outcome: 'ORDER_NOT_FOUND', state: 'CONFIRMED' });
    expect(compensations(input.combineOutTradeNo).map((c) => c.tradeState)).toEqual(['NOT_FOUND', 'NOT_FOUND']);
  });

  it('a pay that lands after the reverse said "no such order" is reversed again (refund) before compensation', async () => {
    const input = orderInput({ dueInMs: 200 });
    const subs = input.subOrders.map((s) => s.outTradeNo);
    let landed = false;
    fake.reverseScript = () => {
      if (landed) return undefined;
      landed = true;
      // The debit lands right after WeChat Pay answered "no such order".
      fake.setOrder(input.combineOutTradeNo, subs, 'SUCCESS');
      return {
        outcome: 'ORDER_NOT_FOUND',
        httpStatus: 404,
        code: 'ORDER_NOT_EXIST',
        verified: true,
        attempt: 1,
        host: 'main',
      };
    };
    const handle = await start(input, undefined);
    const result = await handle.result();
    expect(result.outcome).toBe('REVERSED');
    const seq = names(input.combineOutTradeNo);
    expect(seq.slice(0, 5)).toEqual(['query', 'reverse', 'query', 'reverse', 'query']);
    expect(result.reverse?.queries?.map((q) => q.seen)).toEqual([
      'NOT_FOUND (ORDER_NOT_EXIST)',
      'all 2 SUCCESS',
      'all 2 REFUND',
    ]);
    expect(compensations(input.combineOutTradeNo).every((c) => c.tradeState === 'REFUND')).toBe(true);
    await recordHistory('pay-lands-late', handle);
  }, 60_000);

  it('a reverse WeChat Pay never confirms: bounded rounds, NEEDS_ATTENTION without compensation, retry finishes', async () => {
    const input = orderInput({ dueInMs: 200 });
    fake.reverseTakesEffect = false;
    const handle = await start(input, 'USERPAYING');
    const stuck = await waitForPhase(handle, 'NEEDS_ATTENTION', 60_000, pause);
    expect(stuck.attention?.step).toBe('CONFIRM');
    expect(stuck.reverse.lastFailure?.type).toBe(ErrorType.REVERSE_NOT_CONFIRMED);
    expect(stuck.reverse.lastFailure?.message).toMatch(/after 3 reverse\(s\) the query still shows all 2 USERPAYING/);
    expect(names(input.combineOutTradeNo).filter((n) => n === 'reverse')).toHaveLength(3);
    expect(names(input.combineOutTradeNo)).not.toContain('compensate');
    fake.reverseTakesEffect = true;
    await handle.signal(retrySignal);
    const result = await handle.result();
    expect(result.outcome).toBe('REVERSED');
    expect(compensations(input.combineOutTradeNo).every((c) => c.tradeState === 'CLOSED')).toBe(true);
    await recordHistory('reverse-not-confirmed-retry', handle);
  }, 90_000);

  it('a query WeChat Pay refuses for good: NEEDS_ATTENTION at QUERY, no reverse, resolve closes it', async () => {
    const input = orderInput({ dueInMs: 200 });
    fake.queryScript = () =>
      ApplicationFailure.create({ type: ErrorType.QUERY_REJECTED, nonRetryable: true, message: '404 NOT_FOUND' });
    const handle = await start(input, 'USERPAYING');
    const stuck = await waitForPhase(handle, 'NEEDS_ATTENTION', undefined, pause);
    expect(stuck.attention).toMatchObject({ step: 'QUERY' });
    expect(stuck.reverse.lastFailure?.type).toBe(ErrorType.QUERY_REJECTED);
    expect(names(input.combineOutTradeNo)).toEqual(['query']);
    await handle.signal(resolveSignal, 'checked in the merchant portal: closed');
    expect((await handle.result()).outcome).toBe('RESOLVED_MANUALLY');
    await recordHistory('query-rejected-resolved', handle);
  });
});
