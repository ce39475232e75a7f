/**
 * The WeChat Pay calls cannot flood (issue 11, item 2), unit by unit: `Retry-After` read and bounded by the client,
 * believed by the classifier for a 429 or 503 only, and the pacer that keeps one process under `WECHATPAY_MAX_RPS`.
 */
import { classifyQueryAnswer, classifyReverseAnswer } from '../../wechatpay/classify';
import { RETRY_AFTER_BOUNDS_MS, parseRetryAfter, type WechatpayAnswer } from '../../wechatpay/client';
import { PACING_MARGIN, createPacer } from '../../wechatpay/pacer';

const NOW = Date.parse('2026-11-27T08:00:00Z');

describe('Retry-After (seconds or HTTP date, bounded)', () => {
  it.each([
    ['3', 3_000],
    [' 120 ', 120_000],
    ['0', RETRY_AFTER_BOUNDS_MS.min],
    ['86400', RETRY_AFTER_BOUNDS_MS.max],
    ['Fri, 27 Nov 2026 08:00:30 GMT', 30_000],
    ['Fri, 27 Nov 2026 07:59:00 GMT', RETRY_AFTER_BOUNDS_MS.min],
    ['Sat, 28 Nov 2026 08:00:00 GMT', RETRY_AFTER_BOUNDS_MS.max],
    [['7', '9'], 7_000],
  ])('%j → %d ms', (value, ms) => {
    expect(parseRetryAfter(value, NOW)).toBe(ms);
  });

  it.each([undefined, '', 'soon', '-5', '1.5', 42, 'x'.repeat(65)])('%j → none (back off as usual)', (value) => {
    expect(parseRetryAfter(value, NOW)).toBeUndefined();
  });

  it('bounds are 1 s to 10 min: no hammering, no stall', () => {
    expect(RETRY_AFTER_BOUNDS_MS).toEqual({ min: 1_000, max: 600_000 });
  });
});

describe('the classifier believes Retry-After on a 429 or 503 only', () => {
  const answer = (status: number, retryAfterMs?: number, verified = true): WechatpayAnswer => ({
    kind: 'answer',
    status,
    code: status === 429 ? 'FREQUENCY_LIMITED' : 'SYSTEM_ERROR',
    verified,
    ...(retryAfterMs !== undefined ? { retryAfterMs } : {}),
    host: 'main',
  });

  it.each([
    ['signed 429 with Retry-After', answer(429, 3_000), 3_000],
    ['unsigned 429 with Retry-After (a gateway throttling)', answer(429, 5_000, false), 5_000],
    ['signed 503 with Retry-After', answer(503, 2_000), 2_000],
    ['429 without Retry-After', answer(429), undefined],
    ['500 with Retry-After', answer(500, 3_000), undefined],
    ['408 with Retry-After', answer(408, 3_000), undefined],
  ])('%s', (_name, a, expected) => {
    for (const verdict of [
      classifyReverseAnswer(a),
      classifyQueryAnswer(a, { combineOutTradeNo: 'P1', combineMchid: '1900000109', subOrders: [] }),
    ]) {
      expect(verdict.class).toBe('TRANSIENT');
      expect('retryAfterMs' in verdict ? verdict.retryAfterMs : undefined).toBe(expected);
      if (expected !== undefined) expect(verdict.row).toContain(`Retry-After ${expected / 1_000}s`);
    }
  });
});

describe('pacer (one process never sends more than its limit in a second)', () => {
  it('releases requests at least 1/limit (+10 %) apart, in the order they asked, even when all ask at once', async () => {
    const pacer = createPacer(20);
    const released: number[] = [];
    await Promise.all(Array.from({ length: 12 }, () => pacer.wait().then(() => released.push(Date.now()))));
    const gaps = released.slice(1).map((t, i) => t - released[i]!);
    expect(Math.min(...gaps)).toBeGreaterThanOrEqual(Math.floor((1_000 / 20) * (1 + PACING_MARGIN)) - 1);
    // Any one-second window holds at most 20.
    expect(released.filter((t) => t - released[0]! < 1_000).length).toBeLessThanOrEqual(20);
  });

  it('lets a caller that gives up leave at once, without using a slot', async () => {
    const pacer = createPacer(2);
    await pacer.wait();
    const controller = new AbortController();
    const waiting = pacer.wait(controller.signal);
    const started = Date.now();
    controller.abort(new Error('activity cancelled'));
    await expect(waiting).rejects.toThrow('activity cancelled');
    expect(Date.now() - started).toBeLessThan(100);
    // The next caller waits for the slot after the first release, not one more.
    const next = Date.now();
    await pacer.wait();
    expect(Date.now() - next).toBeLessThan(600);
  });

  it('refuses a limit that is not a positive number', () => {
    expect(() => createPacer(0)).toThrow(RangeError);
    expect(() => createPacer(Number.NaN)).toThrow(RangeError);
  });
});
