/** The decision table (docs/reference.md#decision-table), row by row, as pure functions of a query answer. */
import {
  confirmedStates,
  decideAfterReverse,
  decideBeforeReverse,
  refundedSubOrders,
  summarizeQuery,
} from '../../workflows/order/reconcile';
import type { SubOrderInput } from '../../workflows/contract';
import type { QueryResult } from '../../activities/types';

const subs: SubOrderInput[] = [
  { mchid: '1900000109', outTradeNo: 'S1', subMchid: '1900000001' },
  { mchid: '1900000109', outTradeNo: 'S2', subMchid: '1900000002' },
];
const found = (...states: string[]): QueryResult => ({
  found: true,
  httpStatus: 200,
  host: 'main',
  attempt: 1,
  subOrders: states.map((tradeState, i) => ({
    outTradeNo: `S${i + 1}`,
    mchid: '1900000109',
    subMchid: `190000000${i + 1}`,
    tradeState,
  })),
});
const notFound: QueryResult = { found: false, code: 'ORDER_NOT_EXIST', httpStatus: 404, host: 'main', attempt: 1 };

describe('before the reverse', () => {
  it.each<[string, QueryResult, 'REFUND' | 'ADOPT', string]>([
    ['all CLOSED → nothing to reverse', found('CLOSED', 'CLOSED'), 'REFUND', 'NOTHING_TO_REVERSE'],
    ['all REVOKED → nothing to reverse', found('REVOKED', 'REVOKED'), 'REFUND', 'NOTHING_TO_REVERSE'],
    ['CLOSED and REVOKED → nothing to reverse', found('CLOSED', 'REVOKED'), 'ADOPT', 'NOTHING_TO_REVERSE'],
    ['all SUCCESS, REFUND → reverse (refund)', found('SUCCESS', 'SUCCESS'), 'REFUND', 'REVERSE'],
    ['all SUCCESS, ADOPT → adopt', found('SUCCESS', 'SUCCESS'), 'ADOPT', 'ADOPT'],
    ['SUCCESS mixed with CLOSED, ADOPT → reverse', found('SUCCESS', 'CLOSED'), 'ADOPT', 'REVERSE'],
    ['NOTPAY → reverse', found('NOTPAY', 'NOTPAY'), 'REFUND', 'REVERSE'],
    ['ACCEPT (debit accepted, not settled) → reverse', found('ACCEPT', 'ACCEPT'), 'ADOPT', 'REVERSE'],
    ['USERPAYING → reverse', found('USERPAYING', 'USERPAYING'), 'REFUND', 'REVERSE'],
    ['PAYERROR → reverse', found('PAYERROR', 'PAYERROR'), 'REFUND', 'REVERSE'],
    [
      'REFUND before any reverse of ours → an operator (refunded elsewhere, partial or full unknown)',
      found('REFUND', 'REFUND'),
      'REFUND',
      'REFUNDED_BEFORE_REVERSE',
    ],
    [
      'REFUND mixed with SUCCESS, ADOPT → an operator, never adopted',
      found('SUCCESS', 'REFUND'),
      'ADOPT',
      'REFUNDED_BEFORE_REVERSE',
    ],
    [
      'REFUND mixed with CLOSED → an operator, never "nothing to reverse"',
      found('CLOSED', 'REFUND'),
      'REFUND',
      'REFUNDED_BEFORE_REVERSE',
    ],
    ['an unknown state → not settled → reverse', found('CLOSED', 'SOMETHING_NEW'), 'REFUND', 'REVERSE'],
    ['a sub-order missing from the answer → reverse', found('CLOSED'), 'REFUND', 'REVERSE'],
    ['not found → reverse', notFound, 'ADOPT', 'REVERSE'],
  ])('%s', (_row, query, onPaid, decision) => {
    expect(decideBeforeReverse(query, subs, onPaid)).toBe(decision);
  });
});

describe('once a reverse was sent', () => {
  it.each<[string, QueryResult, boolean, string]>([
    ['all CLOSED → confirmed', found('CLOSED', 'CLOSED'), true, 'CONFIRMED'],
    ['REFUND and REVOKED → confirmed', found('REFUND', 'REVOKED'), true, 'CONFIRMED'],
    ['not found, never found before (the window has closed) → confirmed', notFound, false, 'CONFIRMED'],
    ['not found after found (or after a 204) → a contradiction, never proof', notFound, true, 'NOT_FOUND_AFTER_FOUND'],
    ['SUCCESS (a pay landed late) → not confirmed', found('SUCCESS', 'SUCCESS'), false, 'NOT_CONFIRMED'],
    ['all SUCCESS never adopts once a reverse was sent', found('SUCCESS', 'SUCCESS'), true, 'NOT_CONFIRMED'],
    ['USERPAYING → not confirmed', found('CLOSED', 'USERPAYING'), true, 'NOT_CONFIRMED'],
    ['unknown state → not confirmed', found('CLOSED', 'WHATEVER'), true, 'NOT_CONFIRMED'],
    ['a sub-order missing → not confirmed', found('CLOSED'), true, 'NOT_CONFIRMED'],
  ])('%s', (_row, query, existed, decision) => {
    expect(decideAfterReverse(query, subs, existed)).toBe(decision);
  });

  it('names the sub-orders in REFUND', () => {
    expect(refundedSubOrders(found('CLOSED', 'REFUND'), subs)).toEqual(['S2']);
    expect(refundedSubOrders(notFound, subs)).toEqual([]);
  });

  it('carries each sub-order’s confirmed state to its compensation, NOT_FOUND for an absent order', () => {
    expect(confirmedStates(found('REFUND', 'CLOSED'), subs)).toEqual(['REFUND', 'CLOSED']);
    expect(confirmedStates(notFound, subs)).toEqual(['NOT_FOUND', 'NOT_FOUND']);
  });

  it('summarizes a query in one short line', () => {
    expect(summarizeQuery(found('CLOSED', 'CLOSED'), subs)).toBe('all 2 CLOSED');
    expect(summarizeQuery(found('CLOSED', 'SUCCESS'), subs)).toBe('S1 CLOSED, S2 SUCCESS');
    expect(summarizeQuery(found('CLOSED'), subs)).toBe('S1 CLOSED, S2 ?');
    expect(summarizeQuery(notFound, subs)).toBe('NOT_FOUND (ORDER_NOT_EXIST)');
  });
});
