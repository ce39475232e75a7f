/**
 * Freshness across worker processes: an answer signed before our request was sent does not count. The nonce memory
 * (`nonces.ts`) refuses an answer this process or this order saw before; a signed answer captured elsewhere (another
 * replica saw it, the process restarted, or it was captured and never delivered) carries a nonce nobody here saw, so
 * its signed `Wechatpay-Timestamp` must then not be earlier than the moment the request was sent, less the measured
 * offset of WeChat Pay's clock from ours and a tolerance (`WECHATPAY_ANSWER_TOLERANCE`):
 *
 *     refused ⇔ Wechatpay-Timestamp × 1000 < sentAt + offset − tolerance
 *
 * (`sentAt` in our clock, the timestamp in WeChat Pay's, `offset` = WeChat Pay's clock minus ours.)
 *
 * The offset is measured from the `Date` header of answers whose signature verified, as NTP does: WeChat Pay wrote it
 * somewhere between our sending and our receiving, so one answer says `Date + 0.5 s − (sentAt + receivedAt) / 2`
 * (the header has whole seconds); answers whose round trip took over {@link MAX_SAMPLE_ROUND_TRIP_MS} say nothing. The
 * `Date` header is not signed and a stale replay may carry a lying one (its own, captured, pulls the estimate back by
 * its age), so the estimate is robust rather than quick:
 * - the median of the last {@link OFFSET_WINDOW} samples: one answer moves it at most to its neighbour's value, and
 *   only answers that are most of the window move it far;
 * - 0 until {@link OFFSET_MIN_SAMPLES} samples are in (a fresh process believes no single answer);
 * - bounded to ±{@link MAX_CLOCK_OFFSET_MS} (beyond, the clocks need fixing: answers are then refused, saying so);
 * - an answer is judged with the estimate as it was before its own `Date` is counted, and an answer refused as a
 *   replay (a nonce seen before) is not counted at all.
 * What remains: whoever controls most of a process's recent answers (inside TLS) can move its estimate by up to the
 * bound, so a replay at most bound + tolerance old could pass in a process that never saw its nonce.
 */

/** Default of `WECHATPAY_ANSWER_TOLERANCE`: covers the timestamp's whole seconds and the offset estimate's error. */
export const DEFAULT_ANSWER_TOLERANCE_MS = 5_000;
/** Smallest and largest `WECHATPAY_ANSWER_TOLERANCE` accepted (below 1 s the whole-second timestamp alone fails). */
export const ANSWER_TOLERANCE_BOUNDS_MS = { min: 1_000, max: 60_000 } as const;
/** Largest offset of WeChat Pay's clock from ours that the estimate takes (either way). */
export const MAX_CLOCK_OFFSET_MS = 120_000;
/** How many of the latest offset samples the estimate is the median of. */
export const OFFSET_WINDOW = 15;
/** Samples needed before the estimate leaves 0. */
export const OFFSET_MIN_SAMPLES = 3;
/** An answer whose round trip took longer gives no offset sample (its `Date` could be anywhere in it). */
export const MAX_SAMPLE_ROUND_TRIP_MS = 5_000;
/** Samples are kept within ±10 minutes (WeChat Pay refuses anything beyond ±5 minutes anyway). */
const SAMPLE_LIMIT_MS = 10 * 60_000;

/** The reason of an answer refused as signed before our request (the start of its row, logs and failure text). */
export const STALE_ANSWER = 'STALE_ANSWER';

/** Why an answer's freshness was refused. */
export const FreshnessRefusal = {
  /** The signed `Wechatpay-Timestamp` is missing or not whole seconds. */
  NO_TIMESTAMP: 'no readable Wechatpay-Timestamp',
  /** Signed earlier than the request was sent, beyond the tolerance. */
  SIGNED_BEFORE_REQUEST: 'signed before our request was sent',
} as const;
/** One of {@link FreshnessRefusal}. */
export type FreshnessRefusal = (typeof FreshnessRefusal)[keyof typeof FreshnessRefusal];

/** Added to a stale answer's reason while the measured offset lies beyond {@link MAX_CLOCK_OFFSET_MS}. */
export const CLOCK_BEYOND_BOUND = `this machine's clock and WeChat Pay's differ by more than ${MAX_CLOCK_OFFSET_MS / 1_000} s: sync the clock (NTP, chrony)`;

/** Why a `Date` header gave no offset sample. */
export const SampleRefusal = {
  /** No `Date` header, or one that is not an HTTP date. */
  NO_DATE: 'no readable Date header',
  /** The round trip took over {@link MAX_SAMPLE_ROUND_TRIP_MS} (or our clock stepped back during it). */
  SLOW_ROUND_TRIP: 'round trip too long to place the Date header',
} as const;
/** One of {@link SampleRefusal}. */
export type SampleRefusal = (typeof SampleRefusal)[keyof typeof SampleRefusal];

/** What {@link answerFreshness} judges. */
export interface FreshnessInput {
  /** The answer's signed `Wechatpay-Timestamp` header (seconds, WeChat Pay's clock), as received. */
  timestamp: unknown;
  /** When the request was handed to the HTTP client (epoch ms, our clock). */
  sentAtMs: number;
  /** WeChat Pay's clock minus ours, as estimated before this answer (ms). */
  offsetMs: number;
  /** `WECHATPAY_ANSWER_TOLERANCE` (ms). */
  toleranceMs: number;
}

/**
 * The verdict on one answer's freshness. `ok`: signed no earlier than allowed (`marginMs` to spare). Refused:
 * `refusal`, `reason` (a log line without secrets, starting with {@link STALE_ANSWER}) and, when signed too early,
 * `earlyByMs` (how long before the request it was signed, in our clock).
 */
export type FreshnessVerdict =
  { ok: true; marginMs: number } | { ok: false; refusal: FreshnessRefusal; reason: string; earlyByMs?: number };

/** Whether an answer signed at `timestamp` may answer a request sent at `sentAtMs` (see the module's rule). */
export function answerFreshness(input: FreshnessInput): FreshnessVerdict {
  const { timestamp, sentAtMs, offsetMs, toleranceMs } = input;
  const text: unknown = Array.isArray(timestamp) ? (timestamp as unknown[])[0] : timestamp;
  if (typeof text !== 'string' || !/^\d{1,12}$/.test(text.trim())) {
    const refusal = FreshnessRefusal.NO_TIMESTAMP;
    return { ok: false, refusal, reason: `${STALE_ANSWER}: ${refusal}` };
  }
  const signedAtMs = Number(text.trim()) * 1_000;
  const marginMs = signedAtMs - (sentAtMs + offsetMs - toleranceMs);
  if (marginMs >= 0) return { ok: true, marginMs };
  const earlyByMs = sentAtMs + offsetMs - signedAtMs;
  const refusal = FreshnessRefusal.SIGNED_BEFORE_REQUEST;
  const reason =
    `${STALE_ANSWER}: signed ${seconds(earlyByMs)} s before our request ` +
    `(clock offset ${seconds(offsetMs)} s, tolerance ${seconds(toleranceMs)} s)`;
  return { ok: false, refusal, reason, earlyByMs };
}

/** One offset sample (WeChat Pay's clock minus ours, ms), or why the answer gave none. */
export type OffsetSample = { ok: true; offsetMs: number } | { ok: false; refusal: SampleRefusal };

/**
 * The offset of WeChat Pay's clock from ours that one answer's `Date` header shows: `Date + 0.5 s` (the header drops
 * the milliseconds) minus the middle of the round trip; none for a round trip over {@link MAX_SAMPLE_ROUND_TRIP_MS}
 * or a header that is not an HTTP date.
 */
export function clockOffsetSample(date: unknown, sentAtMs: number, receivedAtMs: number): OffsetSample {
  const text: unknown = Array.isArray(date) ? (date as unknown[])[0] : date;
  // An HTTP date (RFC 9110 §5.6.7) begins with the day's name; Date.parse alone is lenient.
  const theirs =
    typeof text === 'string' && text.length <= 64 && /^(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun)[a-z]*,? /i.test(text.trim())
      ? Date.parse(text.trim())
      : NaN;
  if (!Number.isFinite(theirs)) return { ok: false, refusal: SampleRefusal.NO_DATE };
  const roundTripMs = receivedAtMs - sentAtMs;
  if (roundTripMs < 0 || roundTripMs > MAX_SAMPLE_ROUND_TRIP_MS) {
    return { ok: false, refusal: SampleRefusal.SLOW_ROUND_TRIP };
  }
  return { ok: true, offsetMs: Math.round(theirs + 500 - (sentAtMs + receivedAtMs) / 2) };
}

/** Tuning of a {@link ClockOffsetEstimate} (tests make it small). */
export interface ClockOffsetOptions {
  /** How many of the latest samples the median is taken over (default {@link OFFSET_WINDOW}). */
  window: number;
  /** Samples needed before the estimate leaves 0 (default {@link OFFSET_MIN_SAMPLES}). */
  minSamples: number;
  /** Largest estimate either way, in ms (default {@link MAX_CLOCK_OFFSET_MS}). */
  boundMs: number;
}

/**
 * A running estimate of WeChat Pay's clock minus ours: the median of the latest samples, 0 until enough are in,
 * bounded (see the module's comment for why).
 */
export class ClockOffsetEstimate {
  private readonly samples: number[] = [];
  private readonly options: ClockOffsetOptions;

  constructor(options: Partial<ClockOffsetOptions> = {}) {
    this.options = {
      window: options.window ?? OFFSET_WINDOW,
      minSamples: options.minSamples ?? OFFSET_MIN_SAMPLES,
      boundMs: options.boundMs ?? MAX_CLOCK_OFFSET_MS,
    };
  }

  /** Counts one sample (ms); the oldest beyond the window is forgotten. */
  observe(offsetMs: number): void {
    if (!Number.isFinite(offsetMs)) return;
    this.samples.push(Math.max(-SAMPLE_LIMIT_MS, Math.min(SAMPLE_LIMIT_MS, Math.round(offsetMs))));
    if (this.samples.length > this.options.window) this.samples.shift();
  }

  /** The estimate the freshness rule uses: the median, bounded; 0 until enough samples are in. */
  get offsetMs(): number {
    const measured = this.measuredMs;
    if (measured === undefined) return 0;
    const { boundMs } = this.options;
    return Math.max(-boundMs, Math.min(boundMs, measured));
  }

  /** The median of the samples, unbounded; undefined until enough samples are in. */
  get measuredMs(): number | undefined {
    if (this.samples.length < this.options.minSamples || this.samples.length === 0) return undefined;
    const sorted = [...this.samples].sort((a, b) => a - b);
    const mid = sorted.length >> 1;
    return sorted.length % 2 === 1 ? sorted[mid]! : Math.round((sorted[mid - 1]! + sorted[mid]!) / 2);
  }

  /** Whether the measured offset lies beyond the bound (the clocks need fixing; answers may be refused). */
  get beyondBound(): boolean {
    const measured = this.measuredMs;
    return measured !== undefined && Math.abs(measured) > this.options.boundMs;
  }

  /** How many samples are kept. */
  get size(): number {
    return this.samples.length;
  }
}

/** The worker process's estimate (every WeChat Pay client of the process shares it, like the nonce memory). */
export const processClockOffset = new ClockOffsetEstimate();

/** Milliseconds as seconds with at most one decimal, for reasons. */
function seconds(ms: number): string {
  return String(Math.round(ms / 100) / 10);
}
