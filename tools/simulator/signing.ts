/**
 * APIv3 signatures from the server's side (used by the simulator): parse and verify a caller's Authorization, sign
 * an answer. The strings signed are built by the plugin's Formatter, the same code that signs our requests.
 */
import { randomBytes, type KeyObject } from 'node:crypto';
import { Formatter, Rsa } from '../../wechatpay/plugin';

/** Authorization scheme of APIv3 requests. */
const AUTH_SCHEME = 'WECHATPAY2-SHA256-RSA2048';
/** Largest accepted distance between a signature's timestamp and the verifier's clock. */
const MAX_CLOCK_SKEW_SECONDS = 300;

/** The five items of an APIv3 Authorization header. */
export interface AuthorizationItems {
  mchid: string;
  serial_no: string;
  timestamp: string;
  nonce_str: string;
  signature: string;
}

/** Parses `WECHATPAY2-SHA256-RSA2048 mchid="…",nonce_str="…",…` (items in any order); undefined when malformed. */
export function parseAuthorization(header: string | undefined): AuthorizationItems | undefined {
  if (!header?.startsWith(`${AUTH_SCHEME} `)) return undefined;
  const items: Record<string, string> = {};
  const re = /\s*([a-z_]+)="([^"]*)"\s*(?:,|$)/gy;
  const rest = header.slice(AUTH_SCHEME.length + 1);
  let consumed = 0;
  for (let m = re.exec(rest); m; m = re.exec(rest)) {
    if (items[m[1]!] !== undefined) return undefined;
    items[m[1]!] = m[2]!;
    consumed = re.lastIndex;
  }
  if (consumed !== rest.length) return undefined;
  const { mchid, serial_no, timestamp, nonce_str, signature } = items;
  if (!mchid || !serial_no || !timestamp || !nonce_str || !signature) return undefined;
  return { mchid, serial_no, timestamp, nonce_str, signature };
}

/** Why a request's signature was refused, or undefined when it holds. */
export function verifyRequestSignature(
  req: { method: string; uri: string; body: string; authorization: string | undefined },
  expected: { mchid: string; serial: string; publicKey: KeyObject; nowSeconds?: number },
): string | undefined {
  const auth = parseAuthorization(req.authorization);
  if (!auth) return 'Authorization header missing or malformed';
  if (auth.mchid !== expected.mchid) return 'mchid does not match';
  if (auth.serial_no !== expected.serial) return 'serial_no is not the merchant certificate serial';
  if (!/^\d{1,12}$/.test(auth.timestamp)) return 'timestamp is not a number';
  const now = expected.nowSeconds ?? Math.floor(Date.now() / 1000);
  if (Math.abs(now - Number(auth.timestamp)) > MAX_CLOCK_SKEW_SECONDS) return 'timestamp outside ±300 s';
  const message = Formatter.request(req.method.toUpperCase(), req.uri, auth.timestamp, auth.nonce_str, req.body);
  if (!Rsa.verify(message, auth.signature, expected.publicKey)) return 'signature does not verify';
  return undefined;
}

/** The four headers that sign an answer body. */
export interface AnswerSignature {
  'Wechatpay-Timestamp': string;
  'Wechatpay-Nonce': string;
  'Wechatpay-Serial': string;
  'Wechatpay-Signature': string;
}

/** A key that signs answers, announced under `serial` (a WeChat Pay public key id or a platform certificate's). */
export interface SigningKey {
  privateKey: KeyObject;
  serial: string;
}

/** Signs an answer body (empty string for 204) with the given key, announced under `serial`. */
export function signAnswer(
  body: string,
  key: SigningKey,
  timestampSeconds = Math.floor(Date.now() / 1000),
): AnswerSignature {
  const nonce = randomBytes(16).toString('hex');
  const signature = Rsa.sign(Formatter.response(timestampSeconds, nonce, body), key.privateKey);
  return {
    'Wechatpay-Timestamp': String(timestampSeconds),
    'Wechatpay-Nonce': nonce,
    'Wechatpay-Serial': key.serial,
    'Wechatpay-Signature': signature,
  };
}
