/**
 * The visibility builders shared by the client and the workflow: which start values count as set, so that the
 * workflow neither repeats them nor leaves a wrong one in place.
 */
import { defineSearchAttributeKey, SearchAttributeType, TypedSearchAttributes } from '@temporalio/common';
import { checkOrderInput } from '../../client';
import { paymentDeadline } from '../../workflows/policies';
import {
  CombineOutTradeNoKey,
  CUSTOM_SEARCH_ATTRIBUTES,
  PaymentDeadlineKey,
  PaymentPhaseKey,
  SubMchIdsKey,
  SubOutTradeNosKey,
  TradeBillDateKey,
} from '../../workflows/contract';
import { initialSearchAttributes, memoSetAtStart, notSetAtStart, orderMemo } from '../../workflows/visibility';
import { orderInput } from '../harness/orders';

describe("the contract's search attribute keys", () => {
  it("are what the SDK's defineSearchAttributeKey makes, without @temporalio/common (the client package's install has none of its own)", () => {
    expect([
      CombineOutTradeNoKey,
      PaymentPhaseKey,
      PaymentDeadlineKey,
      SubMchIdsKey,
      SubOutTradeNosKey,
      TradeBillDateKey,
    ]).toEqual([
      defineSearchAttributeKey('CombineOutTradeNo', SearchAttributeType.KEYWORD),
      defineSearchAttributeKey('PaymentPhase', SearchAttributeType.KEYWORD),
      defineSearchAttributeKey('PaymentDeadline', SearchAttributeType.DATETIME),
      defineSearchAttributeKey('SubMchIds', SearchAttributeType.KEYWORD_LIST),
      defineSearchAttributeKey('SubOutTradeNos', SearchAttributeType.KEYWORD_LIST),
      defineSearchAttributeKey('TradeBillDate', SearchAttributeType.KEYWORD),
    ]);
    // The SDK's typed search attributes take them as they are.
    const typed = new TypedSearchAttributes(initialSearchAttributes(checkOrderInput(orderInput()), Date.now()));
    expect(typed.get(PaymentPhaseKey)).toBe('AWAITING_PAYMENT');
  });
});

describe('visibility set at start', () => {
  const spec = checkOrderInput(orderInput());
  const deadline = paymentDeadline(spec);
  const wanted = initialSearchAttributes(spec, deadline);

  it("carries every sub-order's out_trade_no, in the input's order, for the trade bill's rows to find the order", () => {
    const three = checkOrderInput(orderInput({ subOrderCount: 3 }));
    const pairs = initialSearchAttributes(three, paymentDeadline(three));
    expect(pairs.find((p) => p.key.name === SubOutTradeNosKey.name)?.value).toEqual(
      three.subOrders.map((s) => s.outTradeNo),
    );
    expect(pairs.map((p) => p.key.name).sort()).toEqual(
      CUSTOM_SEARCH_ATTRIBUTES.map((a) => a.name)
        .filter((n) => n !== 'TradeBillDate')
        .sort(),
    );
    expect(CUSTOM_SEARCH_ATTRIBUTES).toEqual(
      expect.arrayContaining([
        { name: 'SubOutTradeNos', cliType: 'KeywordList' },
        { name: 'TradeBillDate', cliType: 'Keyword' },
      ]),
    );
  });

  it('sends SubOutTradeNos alone for a start that set every other attribute (a 1.1 client)', () => {
    const older = initialSearchAttributes(spec, deadline).filter((p) => p.key.name !== SubOutTradeNosKey.name);
    expect(notSetAtStart(wanted, new TypedSearchAttributes(older)).map((p) => p.key.name)).toEqual(['SubOutTradeNos']);
  });

  it('finds nothing to send when the start carried every attribute', () => {
    expect(notSetAtStart(wanted, new TypedSearchAttributes(initialSearchAttributes(spec, deadline)))).toEqual([]);
  });

  it('sends every attribute for a raw start without any', () => {
    expect(notSetAtStart(wanted, new TypedSearchAttributes())).toEqual(wanted);
  });

  it('sends the ones a start set to another value: a date to the millisecond, a list item by item', () => {
    const atStart = new TypedSearchAttributes(initialSearchAttributes(spec, deadline))
      .updateCopy([{ key: PaymentDeadlineKey, value: new Date(deadline + 1) }])
      .updateCopy([{ key: SubMchIdsKey, value: ['1900000001'] }])
      .updateCopy([{ key: SubOutTradeNosKey, value: [...spec.subOrders.map((s) => s.outTradeNo)].reverse() }])
      .updateCopy([{ key: PaymentPhaseKey, value: 'PAID' }]);
    expect(notSetAtStart(wanted, atStart).map((p) => p.key.name)).toEqual([
      'PaymentDeadline',
      'SubMchIds',
      'SubOutTradeNos',
      'PaymentPhase',
    ]);
  });

  it("counts the memo as set only when every field is the order's own", () => {
    const memo = orderMemo(spec, deadline);
    expect(memoSetAtStart(memo, { order: { ...memo.order }, subOrders: { ...memo.subOrders } })).toBe(true);
    expect(memoSetAtStart(memo, { order: { ...memo.order } })).toBe(false);
    expect(memoSetAtStart(memo, { ...memo, subOrders: { ...memo.subOrders, extra: '1900000009' } })).toBe(false);
    expect(memoSetAtStart(memo, undefined)).toBe(false);
    expect(memoSetAtStart(memo, { order: 'x' })).toBe(false);
    expect(memoSetAtStart(memo, { order: { ...memo.order, deadline: 'then' } })).toBe(false);
    expect(memoSetAtStart(memo, { order: { ...memo.order, extra: 1 } })).toBe(false);
  });
});
