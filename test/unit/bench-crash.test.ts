/**
 * The bench's crash counts (tools/bench/crash-count.ts) from request logs, and the BullMQ peer's job steps
 * (tools/bench/peers/bullmq/steps.ts) with stand-in activities: the product's order of calls, progress saved after each
 * step, and a retry resuming at the step that failed.
 */
import { ApplicationFailure } from '@temporalio/common';
import { UnrecoverableError } from 'bullmq';
import { countCrash } from '../../tools/bench/crash-count';
import {
  createStepProcessor,
  newJobData,
  peerBackoff,
  type PeerActivities,
  type PeerJobData,
  type StepJob,
} from '../../tools/bench/peers/bullmq/steps';
import type { TradeState } from '../../workflows/contract';
import type { QueryResult, ReverseResult } from '../../activities/types';

describe('bench crash counts', () => {
  const orders = [
    { combineOutTradeNo: 'A', subOrders: ['AS1', 'AS2'] },
    { combineOutTradeNo: 'B', subOrders: ['BS1', 'BS2'] },
  ];

  it('counts lost orders, reverses sent twice and compensations sent twice, only for the burst', () => {
    const tally = countCrash({
      orders,
      wechatpay: [
        { route: 'query', orderNo: 'A' },
        { route: 'reverse', orderNo: 'A' },
        { route: 'reverse', orderNo: 'A' },
        { route: 'reverse', orderNo: 'B' },
        { route: 'reverse', orderNo: 'OTHER' },
        { route: 'reverse', orderNo: 'OTHER' },
      ],
      downstream: [
        { route: 'compensate', idempotencyKey: 'A:AS1' },
        { route: 'compensate', idempotencyKey: 'A:AS1' },
        { route: 'compensate', idempotencyKey: 'A:AS2' },
        { route: 'confirm', idempotencyKey: 'A:paid' },
        { route: 'compensate', idempotencyKey: 'OTHER:X' },
        { route: 'compensate', idempotencyKey: 'OTHER:X' },
      ],
      confirmed: new Set(['A']),
    });
    expect(tally).toEqual({
      lost: 1,
      reverseSentTwice: 1,
      compensationSentTwice: 1,
      reverseRequests: 3,
      compensationRequests: 3,
    });
  });

  it('counts nothing twice and nothing lost on a clean run', () => {
    const tally = countCrash({
      orders,
      wechatpay: [
        { route: 'reverse', orderNo: 'A' },
        { route: 'reverse', orderNo: 'B' },
      ],
      downstream: ['A:AS1', 'A:AS2', 'B:BS1', 'B:BS2'].map((k) => ({ route: 'compensate', idempotencyKey: k })),
      confirmed: new Set(['A', 'B']),
    });
    expect(tally).toMatchObject({ lost: 0, reverseSentTwice: 0, compensationSentTwice: 0 });
  });
});

const ORDER = {
  combineOutTradeNo: 'P1',
  combineAppid: 'wx',
  subOrders: [
    { mchid: 'm', outTradeNo: 'P1S1', subMchid: 's1' },
    { mchid: 'm', outTradeNo: 'P1S2', subMchid: 's2' },
  ],
};

function queryAnswer(state: TradeState, nonce: string): QueryResult {
  const subOrders = ORDER.subOrders.map((s) => ({ ...s, tradeState: state }));
  return { found: true, subOrders, httpStatus: 200, host: 'main', attempt: 1, answerNonce: nonce };
}

/** Stand-in activities recording every call; `failCompensation` fails the first compensation of P1S2 once. */
function fakeActivities(calls: string[], failCompensation = false): PeerActivities {
  let failed = false;
  const reverse: ReverseResult = { outcome: 'REVERSED', httpStatus: 204, verified: true, attempt: 1, host: 'main' };
  return {
    queryCombineOrder: async (r) => {
      calls.push(`query ${r.purpose} refusing ${r.refuseNonces.join(',')}`);
      return r.purpose === 'RECONCILE' ? queryAnswer('SUCCESS', 'n1') : queryAnswer('REVOKED', 'n3');
    },
    reverseCombineOrder: async () => {
      calls.push('reverse');
      return { ...reverse, answerNonce: 'n2' };
    },
    compensateSubOrder: async (r) => {
      calls.push(`compensate ${r.outTradeNo} ${r.reverseOutcome} ${r.tradeState}`);
      if (failCompensation && r.outTradeNo === 'P1S2' && !failed) {
        failed = true;
        throw ApplicationFailure.create({ type: 'COMPENSATION_TRANSIENT', message: 'down' });
      }
      return { httpStatus: 200, alreadyCompensated: false, attempt: 1 };
    },
  };
}

function job(saved: PeerJobData[]): StepJob {
  return { id: 'P1', attempt: 1, data: newJobData(ORDER), save: async (d) => void saved.push(d) };
}

describe('BullMQ peer steps', () => {
  it("runs the product's calls in order, saving after each step", async () => {
    const calls: string[] = [];
    const saved: PeerJobData[] = [];
    const result = await createStepProcessor(fakeActivities(calls))(job(saved));
    expect(calls).toEqual([
      'query RECONCILE refusing ',
      'reverse',
      'query CONFIRM refusing n1,n2',
      'compensate P1S1 REVERSED REVOKED',
      'compensate P1S2 REVERSED REVOKED',
    ]);
    expect(saved.map((d) => d.step)).toEqual(['REVERSE', 'CONFIRM', 'COMPENSATE']);
    expect(result).toEqual({ reverseOutcome: 'REVERSED', tradeStates: ['REVOKED', 'REVOKED'], compensated: 2 });
  });

  it('resumes at the saved step: a failed compensation retries only what is left', async () => {
    const calls: string[] = [];
    const saved: PeerJobData[] = [];
    const acts = fakeActivities(calls, true);
    const first = job(saved);
    await expect(createStepProcessor(acts)(first)).rejects.toThrow('down');
    const retry: StepJob = { ...first, attempt: 2, data: saved[saved.length - 1]! };
    calls.length = 0;
    await createStepProcessor(acts)(retry);
    expect(calls).toEqual(['compensate P1S2 REVERSED REVOKED']);
  });

  it('turns a non-retryable failure into UnrecoverableError', async () => {
    const acts: PeerActivities = {
      ...fakeActivities([]),
      queryCombineOrder: async () => {
        throw ApplicationFailure.create({ type: 'QUERY_REJECTED', message: 'no', nonRetryable: true });
      },
    };
    await expect(createStepProcessor(acts)(job([]))).rejects.toBeInstanceOf(UnrecoverableError);
  });

  it("backs off like the product's WeChat Pay retry policy, and follows Retry-After", () => {
    expect([1, 2, 3, 7, 8].map((n) => peerBackoff(n))).toEqual([1_000, 2_000, 4_000, 60_000, 60_000]);
    const asked = ApplicationFailure.create({ message: 'busy', nextRetryDelay: 5_000 });
    expect(peerBackoff(1, 'x', asked)).toBe(5_000);
  });
});
