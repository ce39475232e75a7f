/**
 * The compensation step: one activity per sub-order, in parallel, each carrying the state WeChat Pay confirmed for
 * it. Runs only on a confirmed reversal (the lifecycle guards it). Deterministic code only.
 */
import { ApplicationFailure, log, proxyActivities } from '@temporalio/workflow';
import type { OrderActivities } from '../activities';
import { iso } from './duration';
import {
  ErrorType,
  type CompensationReason,
  type ConfirmedTradeState,
  type OrderSpec,
  type ReverseOutcome,
  type SubOrderStatus,
} from './contract';
import { describeFailure } from './failures';
import { ACTIVITY_START_TO_CLOSE_MS, retryOptions } from './policies';

const { compensateSubOrder } = proxyActivities<OrderActivities>({ startToCloseTimeout: ACTIVITY_START_TO_CLOSE_MS });

/** What WeChat Pay confirmed: the reverse outcome and, per sub-order (in input order), its confirmed state. */
export interface ConfirmedReversal {
  reverseOutcome: ReverseOutcome;
  tradeStates: ConfirmedTradeState[];
}

/** Compensates the given sub-orders in parallel; each ends DONE or FAILED (with its failure) in the status. */
export async function compensatePending(
  spec: OrderSpec,
  pending: SubOrderStatus[],
  confirmed: ConfirmedReversal,
  reason: CompensationReason,
): Promise<void> {
  await Promise.all(
    pending.map(async (sub: SubOrderStatus) => {
      const tradeState = confirmed.tradeStates[spec.subOrders.findIndex((s) => s.outTradeNo === sub.outTradeNo)];
      if (!tradeState) {
        // Unreachable: the confirming query gave every sub-order a state. Never compensate on a guessed one.
        throw ApplicationFailure.create({
          type: ErrorType.INVARIANT_VIOLATED,
          message: `no confirmed state for sub-order ${sub.outTradeNo}`,
        });
      }
      sub.compensation = 'IN_PROGRESS';
      sub.tradeState = tradeState;
      delete sub.lastFailure;
      try {
        const result = await compensateSubOrder.executeWithOptions(
          {
            summary: `compensate sub-order ${sub.outTradeNo}`,
            ...retryOptions(spec.downstreamRetry, [ErrorType.COMPENSATION_REJECTED]),
          },
          [
            {
              combineOutTradeNo: spec.combineOutTradeNo,
              outTradeNo: sub.outTradeNo,
              mchid: sub.mchid,
              subMchid: sub.subMchid,
              reason,
              reverseOutcome: confirmed.reverseOutcome,
              tradeState,
            },
          ],
        );
        Object.assign(sub, {
          compensation: 'DONE',
          httpStatus: result.httpStatus,
          alreadyCompensated: result.alreadyCompensated,
          completedAt: iso(Date.now()),
        });
      } catch (err) {
        sub.compensation = 'FAILED';
        sub.lastFailure = describeFailure(err, iso(Date.now()));
        log.error('compensation failed for good', {
          combineOutTradeNo: spec.combineOutTradeNo,
          outTradeNo: sub.outTradeNo,
          failureType: sub.lastFailure.type,
        });
      }
    }),
  );
}
