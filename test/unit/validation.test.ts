import { parseDuration, formatDuration } from '../../workflows/duration';
import { validateOrderInput, formatIssues } from '../../workflows/validation';
import { checkOrderInput, OrderInputError } from '../../client';
import { MALFORMED, NOW, valid } from '../harness/malformed';

describe('order input validation', () => {
  it('accepts a valid input and resolves defaults', () => {
    const r = validateOrderInput(valid(), NOW);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.spec.paymentTimeoutMs).toBe(30 * 60_000);
    expect(r.spec.orderCreatedAt).toBe(NOW);
    expect(r.spec.subOrders[1]?.subAppid).toBe('wx8888888888888888');
    expect(r.spec.reverseRetry.maximumIntervalMs).toBe(60_000);
    expect(r.spec.payWindowMs).toBe(75_000);
    expect(r.spec.onPaidAtDeadline).toBe('REFUND');
  });

  it('accepts a pay window (0 allowed for tests) and ADOPT', () => {
    expect(validateOrderInput({ ...valid(), payWindow: '90s', onPaidAtDeadline: 'ADOPT' }, NOW)).toMatchObject({
      ok: true,
      spec: { payWindowMs: 90_000, onPaidAtDeadline: 'ADOPT' },
    });
    expect(validateOrderInput({ ...valid(), payWindow: 0 }, NOW)).toMatchObject({ ok: true, spec: { payWindowMs: 0 } });
  });

  it('accepts durations as strings or milliseconds, and a past creation time inside the window', () => {
    const r = validateOrderInput(
      { ...valid(), paymentTimeout: '1h30m', orderCreatedAt: '2026-11-27T07:00:00+08:00' },
      NOW,
    );
    expect(r.ok && r.spec.paymentTimeoutMs).toBe(90 * 60_000);
    expect(r.ok && r.spec.orderCreatedAt).toBe(Date.parse('2026-11-26T23:00:00Z'));
    expect(validateOrderInput({ ...valid(), paymentTimeout: 90_000 }, NOW)).toMatchObject({
      ok: true,
      spec: { paymentTimeoutMs: 90_000 },
    });
  });

  it(`rejects ${MALFORMED.length} malformed inputs, each naming the field`, () => {
    expect(MALFORMED.length).toBeGreaterThanOrEqual(30);
    for (const [name, input, expected] of MALFORMED) {
      const r = validateOrderInput(input, NOW);
      expect({ name, ok: r.ok }).toEqual({ name, ok: false });
      const message = r.ok ? '' : formatIssues(r.issues);
      expect({ name, matches: expected.test(message), message }).toMatchObject({ name, matches: true });
    }
  });

  it('reports every bad field at once', () => {
    const r = validateOrderInput({ combineOutTradeNo: '', subOrders: [], paymentTimeout: 'x' }, NOW);
    expect(r.ok).toBe(false);
    if (!r.ok)
      expect(r.issues.map((i) => i.field)).toEqual([
        'combineOutTradeNo',
        'combineAppid',
        'subOrders',
        'paymentTimeout',
      ]);
  });

  it('the client helper throws OrderInputError with the same issues', () => {
    expect(() => checkOrderInput({ ...valid(), combineAppid: 7 })).toThrow(OrderInputError);
    expect(() => checkOrderInput({ ...valid(), combineAppid: 7 })).toThrow(
      /combineAppid must be a string, got number 7/,
    );
  });
});

describe('durations', () => {
  it.each([
    ['30m', 1_800_000],
    ['90s', 90_000],
    ['1h30m', 5_400_000],
    ['1500ms', 1_500],
    ['2d', 172_800_000],
    ['0.5s', 500],
    ['2500', 2_500],
    [2500, 2_500],
  ])('parses %p', (text, ms) => expect(parseDuration(text)).toBe(ms));
  it.each(['', 'm', '5 minutes', '-1s', '1.5', 'NaN', '1e3'])('refuses %p', (text) =>
    expect(parseDuration(text)).toBeUndefined(),
  );
  it('formats', () => {
    expect(formatDuration(5_400_000)).toBe('1h30m');
    expect(formatDuration(250)).toBe('250ms');
  });
});
