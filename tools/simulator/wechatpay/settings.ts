/**
 * The WeChat Pay peer's settings: their defaults, checking a change asked through the admin API, and the key they
 * choose to sign answers with.
 */
import type { SimulatorIdentity } from '../keys';
import type { SigningKey } from '../signing';

/**
 * How a repeated reverse (an order with nothing left to change) is answered: 204 again, signed `400 ORDER_CLOSED`, or
 * signed `400 INVALID_REQUEST` (订单状态不允许撤销, what an unknown refusal would look like).
 */
const REPEAT_REVERSE_POLICIES = ['NO_CONTENT', 'ORDER_CLOSED', 'INVALID_REQUEST'] as const;
/** One of {@link REPEAT_REVERSE_POLICIES}. */
export type RepeatReversePolicy = (typeof REPEAT_REVERSE_POLICIES)[number];

/** Which key signs answers: the WeChat Pay public key, or the platform certificate's. */
const SIGN_WITH = ['PUBLIC_KEY', 'PLATFORM_CERT'] as const;

/** Peer settings that tests and the admin API may change. */
export interface PeerSettings {
  /** How a repeated reverse is answered. */
  repeatReversePolicy: RepeatReversePolicy;
  /** Which key signs answers. */
  signWith: (typeof SIGN_WITH)[number];
  /** How long a DELAY fault (and a hanging pay) holds the answer. */
  delayMs: number;
  /** How long a scripted hanging pay call holds its answer. */
  payHangMs: number;
  /**
   * How long after a reverse refunded a paid sub-order the query goes on answering it `SUCCESS` before `REFUND`
   * (a refund not yet visible); 0: at once.
   */
  refundLagMs: number;
  /**
   * How far the peer's clock is from the machine's (ms, negative: behind), within ±{@link MAX_CLOCK_OFFSET_MS}: its
   * `Date` headers, the `Wechatpay-Timestamp` it signs and its check of callers' timestamps all follow it.
   */
  clockOffsetMs: number;
  /** How long a trade bill's `download_url` stays valid after the apply (ms, by the peer's clock; WeChat Pay: 5 min). */
  billUrlValidityMs: number;
  /**
   * Whether today's trade bill (Beijing) may be applied for: a snapshot of the ledger so far, so a run can reconcile
   * what it just did. WeChat Pay never serves today's bill (default false: 400 `PARAM_ERROR`, as it does).
   */
  serveTodayBill: boolean;
}

/** Largest clock offset a peer may be set to: WeChat Pay refuses callers more than 5 minutes off. */
const MAX_CLOCK_OFFSET_MS = 5 * 60_000;

/** Settings that are a whole number of milliseconds. */
const MS_SETTINGS = ['delayMs', 'payHangMs', 'refundLagMs', 'billUrlValidityMs'] as const;

/** A peer's settings: the defaults, overridden by `overrides`, checked as {@link changeSettings} checks them. */
export function peerSettings(overrides: Partial<PeerSettings> = {}): PeerSettings {
  const defaults: PeerSettings = {
    repeatReversePolicy: 'NO_CONTENT',
    signWith: 'PUBLIC_KEY',
    delayMs: 15_000,
    payHangMs: 65_000,
    refundLagMs: 0,
    clockOffsetMs: 0,
    billUrlValidityMs: 5 * 60_000,
    serveTodayBill: false,
  };
  return changeSettings(defaults, { ...overrides });
}

/** The key that signs answers now: the WeChat Pay public key's, or the platform certificate's. */
export function signingKey(settings: PeerSettings, identity: SimulatorIdentity): SigningKey {
  return settings.signWith === 'PUBLIC_KEY'
    ? { privateKey: identity.wechatpayPrivateKey, serial: identity.publicKeyId }
    : { privateKey: identity.platformPrivateKey, serial: identity.platformSerial };
}

/** The peer's clock now (epoch ms): the machine's, moved by `clockOffsetMs`. */
export function peerNowMs(settings: Pick<PeerSettings, 'clockOffsetMs'>): number {
  return Date.now() + settings.clockOffsetMs;
}

/** The peer's clock now, in whole seconds (what it signs as `Wechatpay-Timestamp`). */
export function peerSeconds(settings: Pick<PeerSettings, 'clockOffsetMs'>): number {
  return Math.floor(peerNowMs(settings) / 1_000);
}

/**
 * Applies `{ repeatReversePolicy?, signWith?, delayMs?, payHangMs?, refundLagMs?, clockOffsetMs?, billUrlValidityMs?,
 * serveTodayBill? }` to `settings`
 * once every field is valid (else throws naming the bad field, changing nothing); returns the settings.
 */
export function changeSettings(settings: PeerSettings, body: Record<string, unknown>): PeerSettings {
  const next = { ...settings };
  next.repeatReversePolicy = oneOf(body, 'repeatReversePolicy', REPEAT_REVERSE_POLICIES) ?? next.repeatReversePolicy;
  next.signWith = oneOf(body, 'signWith', SIGN_WITH) ?? next.signWith;
  for (const field of MS_SETTINGS) {
    const v = body[field];
    if (v === undefined) continue;
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 0) throw new Error(`${field} must be a whole number ≥ 0`);
    next[field] = v;
  }
  const offset = body.clockOffsetMs;
  if (offset !== undefined) {
    if (typeof offset !== 'number' || !Number.isInteger(offset) || Math.abs(offset) > MAX_CLOCK_OFFSET_MS) {
      throw new Error(`clockOffsetMs must be a whole number from -${MAX_CLOCK_OFFSET_MS} to ${MAX_CLOCK_OFFSET_MS}`);
    }
    next.clockOffsetMs = offset;
  }
  const today = body.serveTodayBill;
  if (today !== undefined) {
    if (typeof today !== 'boolean') throw new Error('serveTodayBill must be true or false');
    next.serveTodayBill = today;
  }
  // Applied only once every field is valid.
  return Object.assign(settings, next);
}

/** `body[field]` when it is one of `allowed`; undefined when absent; else throws naming the field. */
function oneOf<T extends string>(body: Record<string, unknown>, field: string, allowed: readonly T[]): T | undefined {
  const v = body[field];
  if (v === undefined) return undefined;
  if (typeof v !== 'string' || !(allowed as readonly string[]).includes(v)) {
    throw new Error(`${field} must be one of ${allowed.join(', ')}`);
  }
  return v as T;
}
