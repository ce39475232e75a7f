/**
 * The WeChat Pay peer's settings: their defaults, checking a change asked through the admin API, and the key they
 * choose to sign answers with.
 */
import type { SimulatorIdentity } from './keys';
import type { SigningKey } from './signing';

/** Peer settings that tests and the admin API may change. */
export interface PeerSettings {
  /** How a repeated reverse is answered. */
  repeatReversePolicy: 'NO_CONTENT' | 'ORDER_CLOSED';
  /** Which key signs answers. */
  signWith: 'PUBLIC_KEY' | 'PLATFORM_CERT';
  /** How long a DELAY fault (and a hanging pay) holds the answer. */
  delayMs: number;
  /** How long a scripted hanging pay call holds its answer. */
  payHangMs: number;
}

/** A peer's settings: the defaults, overridden by `overrides`. */
export function peerSettings(overrides?: Partial<PeerSettings>): PeerSettings {
  return {
    repeatReversePolicy: 'NO_CONTENT',
    signWith: 'PUBLIC_KEY',
    delayMs: 15_000,
    payHangMs: 65_000,
    ...overrides,
  };
}

/** The key that signs answers now: the WeChat Pay public key's, or the platform certificate's. */
export function signingKey(settings: PeerSettings, identity: SimulatorIdentity): SigningKey {
  return settings.signWith === 'PUBLIC_KEY'
    ? { privateKey: identity.wechatpayPrivateKey, serial: identity.publicKeyId }
    : { privateKey: identity.platformPrivateKey, serial: identity.platformSerial };
}

/**
 * Applies `{ repeatReversePolicy?, signWith?, delayMs?, payHangMs? }` to `settings` once every field is valid (else
 * throws naming the bad field, changing nothing); returns the settings.
 */
export function changeSettings(settings: PeerSettings, body: Record<string, unknown>): PeerSettings {
  const next = { ...settings };
  if (body.repeatReversePolicy !== undefined) {
    if (body.repeatReversePolicy !== 'NO_CONTENT' && body.repeatReversePolicy !== 'ORDER_CLOSED') {
      throw new Error('repeatReversePolicy must be NO_CONTENT or ORDER_CLOSED');
    }
    next.repeatReversePolicy = body.repeatReversePolicy;
  }
  if (body.signWith !== undefined) {
    if (body.signWith !== 'PUBLIC_KEY' && body.signWith !== 'PLATFORM_CERT') {
      throw new Error('signWith must be PUBLIC_KEY or PLATFORM_CERT');
    }
    next.signWith = body.signWith;
  }
  for (const field of ['delayMs', 'payHangMs'] as const) {
    const v = body[field];
    if (v === undefined) continue;
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 0) throw new Error(`${field} must be a whole number ≥ 0`);
    next[field] = v;
  }
  // Applied only once every field is valid.
  return Object.assign(settings, next);
}
