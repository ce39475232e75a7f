/**
 * The visibility builders shared by the client and the workflow: which start values count as set, so that the
 * workflow neither repeats them nor leaves a wrong one in place.
 */
import { TypedSearchAttributes } from '@temporalio/common';
import { checkOrderInput } from '../../client';
import { paymentDeadline } from '../../workflows/policies';
import { PaymentDeadlineKey, PaymentPhaseKey, SubMchIdsKey } from '../../workflows/contract';
import { initialSearchAttributes, memoSetAtStart, notSetAtStart, orderMemo } from '../../workflows/visibility';
import { orderInput } from '../harness/orders';

describe('visibility set at start', () => {
  const spec = checkOrderInput(orderInput());
  const deadline = paymentDeadline(spec);
  const wanted = initialSearchAttributes(spec, deadline);

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
      .updateCopy([{ key: PaymentPhaseKey, value: 'PAID' }]);
    expect(notSetAtStart(wanted, atStart).map((p) => p.key.name)).toEqual([
      'PaymentDeadline',
      'SubMchIds',
      'PaymentPhase',
    ]);
  });

  it("counts the memo as set only when every field is the order's own", () => {
    const memo = orderMemo(spec, deadline);
    expect(memoSetAtStart(memo, { order: { ...memo.order } })).toBe(true);
    expect(memoSetAtStart(memo, undefined)).toBe(false);
    expect(memoSetAtStart(memo, { order: 'x' })).toBe(false);
    expect(memoSetAtStart(memo, { order: { ...memo.order, deadline: 'then' } })).toBe(false);
    expect(memoSetAtStart(memo, { order: { ...memo.order, extra: 1 } })).toBe(false);
  });
});
