import { parseDuration, formatDuration } from '../../workflows/duration';
import { DOWNSTREAM_RETRY_LIMITS, WECHATPAY_RETRY_LIMITS } from '../../workflows/policies';
import { formatIssues, parseIsoTime, validateOrderInput } from '../../workflows/validation';
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
    expect(r.spec.wechatpayRetry.maximumIntervalMs).toBe(60_000);
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
    expect(MALFORMED.length).toBeGreaterThanOrEqual(60);
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

describe('ids, dates and retry overrides that cannot inject or flood (issue 11, items 2 and 4)', () => {
  const order = (fields: Record<string, unknown>) => ({ ...valid(), ...fields });
  const subOrder = (fields: Record<string, unknown>) =>
    order({ subOrders: [{ mchid: '1900000109', outTradeNo: 'S1', subMchid: '1900000001', ...fields }] });
  const issues = (input: unknown, minPayWindowMs?: number): string => {
    const r = validateOrderInput(input, NOW, minPayWindowMs === undefined ? {} : { minPayWindowMs });
    return r.ok ? '' : formatIssues(r.issues);
  };

  it('accepts merchant ids of digits and appids of [0-9A-Za-z_-], at the 32-character limit', () => {
    expect(issues(subOrder({ mchid: '1'.repeat(32), subMchid: '0', subAppid: `wx_${'A-z9'.repeat(7)}a` }))).toBe('');
    expect(issues(order({ combineAppid: 'wx-d678_efh567hg6787' }))).toBe('');
  });

  it.each([
    ['mchid', { mchid: '1900-0001' }, 'subOrders[0].mchid must be 1-32 digits'],
    ['subMchid', { subMchid: '１９００' }, 'subOrders[0].subMchid must be 1-32 digits'],
    ['subAppid', { subAppid: 'wx|1' }, 'subOrders[0].subAppid must be 1-32 characters of 0-9 A-Z a-z _ -'],
  ])('refuses a %s outside its character set (%j)', (_field, fields, message) => {
    expect(issues(subOrder(fields))).toContain(message);
  });

  it('accepts calendar dates (leap day, offsets, fractions) and refuses dates that would roll over', () => {
    expect(parseIsoTime('2028-02-29T23:59:59.999+08:00')).toBe(Date.parse('2028-02-29T15:59:59.999Z'));
    expect(parseIsoTime('2026-11-27T08:00Z')).toBe(Date.parse('2026-11-27T08:00:00Z'));
    expect(parseIsoTime('2026-11-27T08:00:00-0530')).toBe(Date.parse('2026-11-27T13:30:00Z'));
    for (const rolled of [
      '2026-11-31T08:00:00Z',
      '2026-02-29T08:00:00Z',
      '2026-02-30T08:00:00Z',
      '2026-06-31T00:00:00Z',
      '2026-11-26T24:00:00Z',
      '2026-00-10T08:00:00Z',
      '2026-11-00T08:00:00Z',
    ]) {
      // What Date.parse alone did: a day that does not exist became another one.
      expect({ rolled, parsed: parseIsoTime(rolled) }).toEqual({ rolled, parsed: NaN });
    }
    expect(Number.isNaN(Date.parse('2026-11-31T08:00:00Z'))).toBe(false);
    expect(issues(order({ orderCreatedAt: '2026-11-27T07:00:00+08:00' }))).toBe('');
  });

  it('holds the WeChat Pay retry overrides to the floors (1 s, backoff 1.5) and the 3-day ceiling, exactly at the edges', () => {
    expect(WECHATPAY_RETRY_LIMITS).toMatchObject({
      initialIntervalMs: { min: 1_000 },
      maximumIntervalMs: { min: 1_000 },
      backoffCoefficient: { min: 1.5 },
      scheduleToCloseMs: { max: 3 * 86_400_000 },
    });
    const edge = { initialInterval: '1s', maximumInterval: 1_000, backoffCoefficient: 1.5, scheduleToClose: '3d' };
    const r = validateOrderInput(order({ retryPolicy: { wechatpay: edge } }), NOW);
    expect(r).toMatchObject({
      ok: true,
      spec: {
        wechatpayRetry: {
          initialIntervalMs: 1_000,
          maximumIntervalMs: 1_000,
          backoffCoefficient: 1.5,
          scheduleToCloseMs: 3 * 86_400_000,
        },
      },
    });
    expect(issues(order({ retryPolicy: { wechatpay: { initialInterval: '999ms' } } }))).toMatch(
      /retryPolicy\.wechatpay\.initialInterval must be a duration from 1s to 1h/,
    );
    expect(issues(order({ retryPolicy: { wechatpay: { backoffCoefficient: 1.49 } } }))).toMatch(
      /retryPolicy\.wechatpay\.backoffCoefficient must be a number from 1\.5 to 10/,
    );
    expect(issues(order({ retryPolicy: { wechatpay: { scheduleToClose: 3 * 86_400_000 + 1 } } }))).toMatch(
      /retryPolicy\.wechatpay\.scheduleToClose must be a duration from 1s to 3d/,
    );
    // The downstream calls keep their bounds: they are the order service's, not the merchant's rate limit.
    expect(DOWNSTREAM_RETRY_LIMITS.initialIntervalMs.min).toBe(10);
    expect(issues(order({ retryPolicy: { downstream: { initialInterval: '100ms', backoffCoefficient: 1 } } }))).toBe(
      '',
    );
  });

  it('refuses, at the client, a pay window under the floor, naming the field and the floor', () => {
    expect(issues(order({ payWindow: '59s' }), 60_000)).toBe(
      'payWindow must be at least the pay window floor 1m (WECHATPAY_MIN_PAY_WINDOW: a pay call may still land that long after it was sent), got "59s"',
    );
    expect(issues(order({ payWindow: '60s' }), 60_000)).toBe('');
    // The workflow passes no floor: a raw start with a short window is accepted, and waits the floor instead.
    expect(issues(order({ payWindow: '0s' }))).toBe('');
    expect(() => checkOrderInput(order({ payWindow: '2s' }), NOW, 60_000)).toThrow(/payWindow must be at least/);
  });

  it('refuses ids and dates under the rules of every order (there are no older, laxer rules to replay)', () => {
    const lax = {
      ...subOrder({ mchid: 'M-1900000109', subAppid: 'wx.legacy' }),
      combineAppid: 'wx.d678',
      orderCreatedAt: '2026-11-26T24:00:00Z',
      retryPolicy: { wechatpay: { initialInterval: '100ms', maximumInterval: '500ms', backoffCoefficient: 1 } },
    };
    const now = issues(lax);
    for (const field of [
      'combineAppid',
      'subOrders[0].mchid',
      'subOrders[0].subAppid',
      'orderCreatedAt',
      'retryPolicy.wechatpay.initialInterval',
      'retryPolicy.wechatpay.maximumInterval',
      'retryPolicy.wechatpay.backoffCoefficient',
    ]) {
      expect(now).toContain(`${field} must be`);
    }
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
