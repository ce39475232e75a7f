/**
 * Freshness across processes (wechatpay/freshness.ts): an answer signed before our request was sent does not count,
 * judged against the measured offset of WeChat Pay's clock, which no single answer can move far.
 */
import {
  answerFreshness,
  ClockOffsetEstimate,
  clockOffsetSample,
  DEFAULT_ANSWER_TOLERANCE_MS,
  FreshnessRefusal,
  MAX_CLOCK_OFFSET_MS,
  MAX_SAMPLE_ROUND_TRIP_MS,
  OFFSET_MIN_SAMPLES,
  OFFSET_WINDOW,
  SampleRefusal,
  STALE_ANSWER,
} from '../../wechatpay/freshness';

/** A request sent at 06:00:10.400 (our clock). */
const SENT = Date.parse('2026-12-03T06:00:10.400Z');
const seconds = (ms: number): string => String(Math.floor(ms / 1_000));
const judge = (timestamp: unknown, offsetMs = 0, toleranceMs = DEFAULT_ANSWER_TOLERANCE_MS) =>
  answerFreshness({ timestamp, sentAtMs: SENT, offsetMs, toleranceMs });

describe('answerFreshness: an answer signed before the request was sent does not count', () => {
  it('accepts an answer signed in the second the request was sent, or later', () => {
    expect(judge(seconds(SENT))).toEqual({ ok: true, marginMs: 4_600 });
    expect(judge(seconds(SENT + 3_000))).toMatchObject({ ok: true });
  });

  it('accepts one signed up to the tolerance earlier (the boundary included), refuses one a second beyond', () => {
    // 06:00:05 is 5.4 s before 06:00:10.400: one whole second beyond a 5 s tolerance once read as seconds.
    expect(judge(seconds(SENT - 5_000), 0, 5_400)).toEqual({ ok: true, marginMs: 0 });
    expect(judge(seconds(SENT - 5_000), 0, 5_399)).toMatchObject({ ok: false });
    expect(judge(seconds(SENT - 4_000))).toMatchObject({ ok: true, marginMs: 600 });
    expect(judge(seconds(SENT - 6_000))).toEqual({
      ok: false,
      refusal: FreshnessRefusal.SIGNED_BEFORE_REQUEST,
      earlyByMs: 6_400,
      reason: `${STALE_ANSWER}: signed 6.4 s before our request (clock offset 0 s, tolerance 5 s)`,
    });
  });

  it('refuses a captured answer a minute old whichever process receives it (no memory involved)', () => {
    for (let i = 0; i < 3; i++) expect(judge(seconds(SENT - 60_000))).toMatchObject({ ok: false, earlyByMs: 60_400 });
  });

  it("reads the timestamp in WeChat Pay's clock: behind ours by 90 s, its fresh answers pass once that is known", () => {
    const fresh = seconds(SENT - 90_000 + 200);
    expect(judge(fresh)).toMatchObject({ ok: false });
    expect(judge(fresh, -90_000)).toMatchObject({ ok: true });
    // A replay a minute old by that clock is still refused.
    expect(judge(seconds(SENT - 150_000), -90_000)).toMatchObject({ ok: false, earlyByMs: 60_400 });
  });

  it("a clock ahead of ours raises the bar: an answer older than WeChat Pay's now less the tolerance is refused", () => {
    expect(judge(seconds(SENT), 30_000)).toMatchObject({ ok: false, earlyByMs: 30_400 });
    expect(judge(seconds(SENT + 30_000), 30_000)).toMatchObject({ ok: true });
  });

  it.each([
    ['missing', undefined],
    ['empty', ''],
    ['not a number', 'abc'],
    ['fractional', '1796277610.5'],
    ['negative', '-1'],
    ['too long', '1'.repeat(13)],
  ])('refuses a %s Wechatpay-Timestamp', (_what, timestamp) => {
    expect(judge(timestamp)).toEqual({
      ok: false,
      refusal: FreshnessRefusal.NO_TIMESTAMP,
      reason: `${STALE_ANSWER}: no readable Wechatpay-Timestamp`,
    });
  });

  it('reads the first of repeated headers and ignores surrounding blanks', () => {
    expect(judge([` ${seconds(SENT)} `, '0'])).toMatchObject({ ok: true });
  });
});

describe('clockOffsetSample: what one Date header says of the clocks', () => {
  const date = (ms: number): string => new Date(ms).toUTCString();

  it('is Date + 0.5 s minus the middle of the round trip', () => {
    // WeChat Pay's clock 90 s behind: Date 06:00:10 (floored) seen for a request sent 06:01:40.300, answered 06:01:40.700.
    const sent = Date.parse('2026-12-03T06:01:40.300Z');
    expect(clockOffsetSample(date(sent - 90_000), sent, sent + 400)).toEqual({ ok: true, offsetMs: -90_000 });
    expect(clockOffsetSample(date(sent), sent, sent + 100)).toEqual({ ok: true, offsetMs: 150 });
  });

  it('says nothing after a round trip too long to place the header, or a reversed one', () => {
    const slow = clockOffsetSample(date(SENT), SENT, SENT + MAX_SAMPLE_ROUND_TRIP_MS + 1);
    expect(slow).toEqual({ ok: false, refusal: SampleRefusal.SLOW_ROUND_TRIP });
    expect(clockOffsetSample(date(SENT), SENT, SENT - 1)).toMatchObject({ ok: false });
    expect(clockOffsetSample(date(SENT), SENT, SENT + MAX_SAMPLE_ROUND_TRIP_MS)).toMatchObject({ ok: true });
  });

  it.each([undefined, '', 'yesterday', '1796277610', 'Tue, 99 Foo 2026 99:99:99 GMT', `Tue, ${'x'.repeat(70)}`])(
    'says nothing for a Date header %p',
    (header) => {
      expect(clockOffsetSample(header, SENT, SENT + 10)).toEqual({ ok: false, refusal: SampleRefusal.NO_DATE });
    },
  );
});

describe('ClockOffsetEstimate: robust, bounded, slow to move', () => {
  it(`stays 0 until ${OFFSET_MIN_SAMPLES} samples are in: a fresh process believes no single answer`, () => {
    const clock = new ClockOffsetEstimate();
    clock.observe(-90_000);
    clock.observe(-90_000);
    expect(clock.offsetMs).toBe(0);
    expect(clock.measuredMs).toBeUndefined();
    clock.observe(-89_000);
    expect(clock.offsetMs).toBe(-90_000);
  });

  it('is the median: one lying answer moves it no further than its honest neighbours', () => {
    const clock = new ClockOffsetEstimate();
    for (const s of [200, -300, 100, 0]) clock.observe(s);
    clock.observe(-MAX_CLOCK_OFFSET_MS);
    expect(clock.offsetMs).toBe(0);
    clock.observe(-MAX_CLOCK_OFFSET_MS);
    expect(clock.offsetMs).toBe(-150);
  });

  it(`takes the latest ${OFFSET_WINDOW} samples: it follows a real change once it is most of them`, () => {
    const clock = new ClockOffsetEstimate();
    for (let i = 0; i < OFFSET_WINDOW; i++) clock.observe(0);
    for (let i = 0; i < 7; i++) clock.observe(-30_000);
    expect(clock.offsetMs).toBe(0);
    clock.observe(-30_000);
    expect(clock.offsetMs).toBe(-30_000);
    expect(clock.size).toBe(OFFSET_WINDOW);
  });

  it(`is bounded to ±${MAX_CLOCK_OFFSET_MS / 1_000} s and says when the clocks lie beyond`, () => {
    const clock = new ClockOffsetEstimate();
    for (let i = 0; i < 3; i++) clock.observe(-200_000);
    expect(clock.offsetMs).toBe(-MAX_CLOCK_OFFSET_MS);
    expect(clock.measuredMs).toBe(-200_000);
    expect(clock.beyondBound).toBe(true);
    const ahead = new ClockOffsetEstimate();
    for (let i = 0; i < 3; i++) ahead.observe(10 * 60 * 60_000);
    expect(ahead.offsetMs).toBe(MAX_CLOCK_OFFSET_MS);
    expect(ahead.measuredMs).toBe(10 * 60_000);
  });

  it('ignores samples that are not numbers; small options for tests', () => {
    const clock = new ClockOffsetEstimate({ window: 2, minSamples: 1, boundMs: 1_000 });
    clock.observe(Number.NaN);
    expect(clock.size).toBe(0);
    clock.observe(5_000);
    expect(clock.offsetMs).toBe(1_000);
    clock.observe(-400);
    clock.observe(-600);
    expect(clock.offsetMs).toBe(-500);
    expect(clock.beyondBound).toBe(false);
  });
});
