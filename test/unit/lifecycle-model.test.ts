/**
 * The lifecycle model of the model-based test (test/model/lifecycle-model.ts), alone: a few of its ends read off the
 * decision table, and the race check (`explainRace`) on made-up timelines. The model against the product is
 * test/model/lifecycle.model.test.ts.
 */
import {
  apply,
  deadlineNow,
  expectedEnd,
  explainRace,
  initialState,
  payLandsNow,
  type End,
  type ModelCommand,
  type ModelState,
  type Observed,
  type OnPaid,
  type RaceEvent,
} from '../model/lifecycle-model';

function run(onPaid: OnPaid, commands: ModelCommand[]): ModelState {
  return commands.reduce((s, c) => apply(s, c).next, initialState(onPaid));
}

/** An observed end exactly as the model's (one compensation per compensated sub-order). */
function asObserved(end: End, markPaidAccepted = false): Observed {
  const { compensatedAs, ...rest } = end;
  return {
    ...rest,
    compensations: compensatedAs.map((t) => (t ? { tradeState: t, effective: 1 } : { effective: 0 })),
    markPaidAccepted,
  };
}

describe('the lifecycle model', () => {
  it('reads its ends off the decision table', () => {
    expect(expectedEnd(run('REFUND', [{ kind: 'payLands', when: 'inTime' }]))).toMatchObject({
      phase: 'REVERSED',
      reverseOutcome: 'REVERSED',
      compensatedAs: ['REFUND', 'REFUND'],
      ledger: [
        ['SUCCESS', 'REVOKED'],
        ['SUCCESS', 'REVOKED'],
      ],
    });
    expect(expectedEnd(run('ADOPT', [{ kind: 'payLands', when: 'inTime' }]))).toMatchObject({
      phase: 'PAID',
      paidSource: 'WECHATPAY_QUERY',
      confirmed: true,
    });
    // A mix: one sub-order paid, one closed: reversed, each compensated with its own state.
    const mixed = run('ADOPT', [
      { kind: 'payHangs' },
      { kind: 'subOrderState', sub: 0, state: 'SUCCESS' },
      { kind: 'subOrderState', sub: 1, state: 'CLOSED' },
    ]);
    expect(expectedEnd(mixed)).toMatchObject({ phase: 'REVERSED', compensatedAs: ['REFUND', 'CLOSED'] });
    // A refused first reverse of an order WeChat Pay never had: the confirming query proves it absent.
    const refused = run('REFUND', [{ kind: 'wechatpayFault', route: 'reverse', fault: 'PARAM_ERROR', count: 1 }]);
    expect(expectedEnd(refused)).toMatchObject({ phase: 'REVERSED', reverseOutcome: 'ORDER_NOT_FOUND' });
    // The same with a pay call open: an operator; after the debit landed, the retry refunds it, never adopts.
    const waiting = run('ADOPT', [
      { kind: 'payHangs' },
      { kind: 'wechatpayFault', route: 'reverse', fault: 'PARAM_ERROR', count: 1 },
      { kind: 'settle' },
    ]);
    expect(expectedEnd(waiting)).toMatchObject({ attention: { step: 'REVERSE', reason: 'REVERSE_REJECTED' } });
    const retried = run('ADOPT', [
      { kind: 'payHangs' },
      { kind: 'wechatpayFault', route: 'reverse', fault: 'PARAM_ERROR', count: 1 },
      { kind: 'settle' },
      { kind: 'payLands', when: 'late' },
      { kind: 'operatorRetry' },
    ]);
    expect(expectedEnd(retried)).toMatchObject({ phase: 'REVERSED', compensatedAs: ['REFUND', 'REFUND'] });
  });

  it('explains a race by an order of its events, or names the near misses', () => {
    const initial = run('REFUND', [{ kind: 'payHangs' }]);
    const at = 1_000;
    const event = (label: string, command: RaceEvent['command'], answer: RaceEvent['answer'], start: number) => ({
      label,
      command,
      answer,
      start,
      end: start + 20,
    });
    const deadline: RaceEvent = {
      label: 'deadline',
      command: deadlineNow,
      answer: undefined,
      start: at,
      end: Infinity,
    };
    const markPaid = (answer: RaceEvent['answer'], start: number) =>
      event('markPaid', () => ({ kind: 'markPaid' }), answer, start);
    const lands = event('payLands', payLandsNow, undefined, at + 5);
    // markPaid accepted 2 ms after the deadline: explained by the deadline's timer coming later; PAID.
    const paid = apply(run('REFUND', [{ kind: 'payHangs' }]), { kind: 'markPaid' }).next;
    const paidEnd = asObserved(expectedEnd(apply(paid, { kind: 'payLands', when: 'inTime' }).next), true);
    expect(explainRace(initial, [markPaid('accepted', at + 2), lands, deadline], paidEnd)).toEqual({
      order: ['markPaid', 'payLands', 'deadline'],
    });
    // markPaid accepted, yet the order reversed: no order of the events explains it.
    const reversedEnd = asObserved(expectedEnd(run('REFUND', [{ kind: 'payLands', when: 'inTime' }])), true);
    const unexplained = explainRace(initial, [markPaid('accepted', at + 2), lands, deadline], reversedEnd);
    expect(unexplained).toEqual({
      misses: Array(3).fill(expect.stringMatching(/^(markPaid|payLands) → .*phase: model "PAID", real "REVERSED"/)),
    });
    // markPaid that ended before the deadline cannot be refused by it.
    expect(explainRace(initial, [markPaid('refused', at - 100), deadline], reversedEnd)).toEqual({ misses: [] });
  });
});
