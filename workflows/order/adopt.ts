/**
 * Adopting an order WeChat Pay shows paid (`onPaidAtDeadline: "ADOPT"`): the payment is announced downstream, then
 * the order finishes PAID. Deterministic code only.
 */
import { proxyActivities } from '@temporalio/workflow';
import type { OrderActivities } from '../../activities';
import { iso } from '../duration';
import { ErrorType, OrderPhase, type OrderResult, type OrderSpec, type PaymentConfirmationRequest } from '../contract';
import type { QueryResult } from '../../activities/types';
import { describeFailure } from '../failures';
import type { OrderState, StepResult } from './state';
import { ACTIVITY_START_TO_CLOSE_MS, retryOptions } from '../policies';
import type { StepContext } from './wechatpay-steps';

const { confirmPayment } = proxyActivities<OrderActivities>({
  startToCloseTimeout: ACTIVITY_START_TO_CLOSE_MS,
});

/** The query showed the order paid and the merchant adopts such orders: announce it, then finish PAID. */
export async function adoptPaid(
  context: Pick<StepContext, 'spec' | 'order'>,
  query: Extract<QueryResult, { found: true }>,
): Promise<OrderResult> {
  const { spec, order } = context;
  const ids = new Map(query.subOrders.map((s) => [s.outTradeNo, s.transactionId]));
  const transactionIds: Record<string, string> = {};
  for (const s of spec.subOrders) {
    const id = ids.get(s.outTradeNo);
    if (id) transactionIds[s.outTradeNo] = id;
  }
  order.adopted(transactionIds);
  const request = {
    combineOutTradeNo: spec.combineOutTradeNo,
    source: 'WECHATPAY_QUERY' as const,
    subOrders: spec.subOrders.map((s) => ({
      outTradeNo: s.outTradeNo,
      mchid: s.mchid,
      subMchid: s.subMchid,
      ...(transactionIds[s.outTradeNo] ? { transactionId: transactionIds[s.outTradeNo] } : {}),
    })),
  };
  return order.withOperator(
    () => announce(spec, order, request),
    () => {
      order.enter(OrderPhase.PAID, 'Nothing: WeChat Pay showed the order paid and it was adopted.');
      return order.finish(OrderPhase.PAID);
    },
  );
}

/** One announcement of the adopted payment downstream (retried by its policy), recorded in the status. */
async function announce(
  spec: OrderSpec,
  order: OrderState,
  request: PaymentConfirmationRequest,
): Promise<StepResult<undefined>> {
  order.enter(OrderPhase.REVERSING, 'WeChat Pay shows the order paid (ADOPT): announcing the payment downstream.');
  try {
    const result = await confirmPayment.executeWithOptions(
      {
        summary: `announce paid ${spec.combineOutTradeNo}`,
        ...retryOptions(spec.downstreamRetry, [ErrorType.CONFIRMATION_REJECTED]),
      },
      [request],
    );
    order.paymentAnnounced(result);
    return { ok: true, value: undefined };
  } catch (err) {
    return { ok: false, step: 'PAYMENT_CONFIRMATION', failure: describeFailure(err, iso(Date.now())) };
  }
}
