/**
 * The compensation step: one activity per sub-order, in parallel, each carrying the state WeChat Pay confirmed for
 * it, recorded through the order's state. Runs only on a confirmed reversal (the lifecycle guards it).
 * Deterministic code only.
 */
import { ApplicationFailure, log, proxyActivities } from '@temporalio/workflow';
import type { OrderActivities } from '../../activities';
import { iso } from '../duration';
import {
  ErrorType,
  type CompensationReason,
  type ConfirmedTradeState,
  type FailureInfo,
  type OrderSpec,
  type ReverseOutcome,
  type SubOrderStatus,
} from '../contract';
import { describeFailure } from '../failures';
import type { OrderState } from './state';
import { ACTIVITY_START_TO_CLOSE_MS, retryOptions } from '../policies';

const { compensateSubOrder } = proxyActivities<OrderActivities>({ startToCloseTimeout: ACTIVITY_START_TO_CLOSE_MS });

/** What WeChat Pay confirmed: the reverse outcome and, per sub-order (in input order), its confirmed state. */
export interface ConfirmedReversal {
  reverseOutcome: ReverseOutcome;
  tradeStates: ConfirmedTradeState[];
}

/** How one round of compensation ended: every sub-order done, or how many failed and the first one's failure. */
export type CompensationRound = { ok: true } | { ok: false; failure: FailureInfo; failedCount: number };

/** Compensates the given sub-orders in parallel; each ends DONE or FAILED (with its failure) in the status. */
export async function compensatePending(
  spec: OrderSpec,
  order: OrderState,
  pending: readonly Pick<SubOrderStatus, 'outTradeNo' | 'mchid' | 'subMchid'>[],
  confirmed: ConfirmedReversal,
  reason: CompensationReason,
): Promise<CompensationRound> {
  const failures = await Promise.all(
    pending.map(async ({ outTradeNo, mchid, subMchid }): Promise<FailureInfo | undefined> => {
      const tradeState = confirmed.tradeStates[spec.subOrders.findIndex((s) => s.outTradeNo === outTradeNo)];
      if (!tradeState) {
        // Unreachable: the confirming query gave every sub-order a state. Never compensate on a guessed one.
        throw ApplicationFailure.create({
          type: ErrorType.INVARIANT_VIOLATED,
          message: `no confirmed state for sub-order ${outTradeNo}`,
        });
      }
      order.compensating(outTradeNo, tradeState);
      try {
        const result = await compensateSubOrder.executeWithOptions(
          {
            summary: `compensate sub-order ${outTradeNo}`,
            ...retryOptions(spec.downstreamRetry, [ErrorType.COMPENSATION_REJECTED]),
          },
          [
            {
              combineOutTradeNo: spec.combineOutTradeNo,
              outTradeNo,
              mchid,
              subMchid,
              reason,
              reverseOutcome: confirmed.reverseOutcome,
              tradeState,
            },
          ],
        );
        order.compensated(outTradeNo, result);
        return undefined;
      } catch (err) {
        const failure = describeFailure(err, iso(Date.now()));
        order.compensationFailed(outTradeNo, failure);
        log.error('compensation failed for good', {
          combineOutTradeNo: spec.combineOutTradeNo,
          outTradeNo,
          failureType: failure.type,
        });
        return failure;
      }
    }),
  );
  const failed = failures.filter((f): f is FailureInfo => f !== undefined);
  const [failure] = failed;
  return failure ? { ok: false, failure, failedCount: failed.length } : { ok: true };
}
