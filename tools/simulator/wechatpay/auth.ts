/**
 * Verification of a caller's request by the WeChat Pay peer: the APIv3 signature over the exact bytes received, a
 * nonce used only once within ten minutes, and the `Wechatpay-Serial` header naming the key answers are signed with.
 */
import type { SimulatorIdentity } from '../keys';
import type { PeerSettings } from './settings';
import { verifyRequestSignature } from '../signing';

/** Nonces seen in callers' Authorization headers, each with when it may be used again (epoch ms). */
export type SeenNonces = Map<string, number>;

/** The request as signed: method, URI with the query string, body, and the Authorization header. */
export interface SignedRequest {
  method: string;
  uri: string;
  body: string;
  authorization: string | undefined;
}

/**
 * Why the caller's request is refused: its signature does not verify (its timestamp judged by `nowSeconds`, the
 * peer's clock, default the machine's), or its nonce was used before (a nonce is remembered only once the signature
 * holds). Undefined when it passes.
 */
export function callerProblem(
  identity: SimulatorIdentity,
  seen: SeenNonces,
  request: SignedRequest,
  nowSeconds?: number,
): string | undefined {
  return (
    verifyRequestSignature(request, {
      mchid: identity.mchid,
      serial: identity.merchantSerial,
      publicKey: identity.merchantPublicKey,
      ...(nowSeconds !== undefined ? { nowSeconds } : {}),
    }) ?? nonceProblem(seen, request.authorization)
  );
}

/**
 * Why the request's `Wechatpay-Serial` header is refused: with answers signed by the WeChat Pay public key, it must
 * name that key's id. Undefined when it passes.
 */
export function serialProblem(
  settings: PeerSettings,
  identity: SimulatorIdentity,
  serial: string | undefined,
): string | undefined {
  if (settings.signWith !== 'PUBLIC_KEY' || serial === identity.publicKeyId) return undefined;
  return serial ? 'Wechatpay-Serial is not a known WeChat Pay public key id' : 'Wechatpay-Serial header is required';
}

/** Refuses a nonce seen in the last ten minutes; otherwise remembers it (forgetting expired ones beyond 50,000). */
function nonceProblem(seen: SeenNonces, authorization: string | undefined): string | undefined {
  const nonce = /nonce_str="([^"]*)"/.exec(authorization ?? '')?.[1] ?? '';
  const now = Date.now();
  if (seen.size > 50_000) for (const [n, exp] of seen) if (exp < now) seen.delete(n);
  if ((seen.get(nonce) ?? 0) > now) return 'nonce_str reused';
  seen.set(nonce, now + 10 * 60_000);
  return undefined;
}
