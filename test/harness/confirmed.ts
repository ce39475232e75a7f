/**
 * The e2e suites' money invariant, read from the peers' own logs: no compensation reached the order service unless
 * a signed, verifiable query came after the last reverse request before it, and every compensation carried the state
 * WeChat Pay really has for its sub-order.
 */
import { subStateOf } from '../../tools/simulator/wechatpay/orders';
import { compensationWebhookId, type OrderInput } from '../../workflows/contract';
import type { Stack } from './stack';

/** Checks one order's compensations against the peer's log and final state (jest expectations). */
export function expectConfirmedBeforeCompensation(
  stack: Pick<Stack, 'peer' | 'orderService'>,
  input: OrderInput,
): void {
  const no = input.combineOutTradeNo;
  const requests = stack.peer.log.filter((e) => e.orderNo === no);
  const cleanQueries = requests.filter(
    (e) => e.route === 'query' && e.answerVerifiable && !e.fault && (e.status === 200 || e.status === 404),
  );
  const comps = stack.orderService.log.filter((e) => e.combineOutTradeNo === no && e.route === 'compensate');
  for (const c of comps) {
    const lastReverse = requests.filter((e) => e.route === 'reverse' && e.at <= c.at).pop()?.at ?? '';
    const confirming = cleanQueries.find((q) => q.at >= lastReverse && q.at <= c.at);
    if (!confirming) {
      throw new Error(
        `compensation of ${c.outTradeNo ?? '?'} at ${c.at} came without a signed query after the last reverse (${lastReverse || 'none'})`,
      );
    }
  }
  const order = stack.peer.orders.get(no);
  for (const sub of input.subOrders) {
    const body = stack.orderService.compensated.get(
      compensationWebhookId({ combineOutTradeNo: no, outTradeNo: sub.outTradeNo }),
    )?.data;
    if (!body) continue;
    const truth = order ? subStateOf(order, sub.outTradeNo) : 'NOT_FOUND';
    expect({ sub: sub.outTradeNo, tradeState: body.tradeState }).toEqual({ sub: sub.outTradeNo, tradeState: truth });
  }
}

/** Every sub-order compensated exactly once, under its webhook-id (and Idempotency-Key), with a valid signature. */
export function expectEachCompensatedOnce(stack: Pick<Stack, 'orderService'>, input: OrderInput): void {
  for (const sub of input.subOrders) {
    const key = compensationWebhookId({ combineOutTradeNo: input.combineOutTradeNo, outTradeNo: sub.outTradeNo });
    const forSub = stack.orderService.log.filter((e) => e.route === 'compensate' && e.outTradeNo === sub.outTradeNo);
    expect(forSub.every((c) => c.webhookId === key && c.idempotencyKey === key && c.signatureOk === true)).toBe(true);
    expect(forSub.filter((c) => c.effective)).toHaveLength(1);
  }
}
