/**
 * Typed facade over the parts of wechatpay-axios-plugin this project uses. The plugin's own typings are loose (any
 * chain compiles), so everything it exports is narrowed here and nowhere else.
 */
import type { KeyObject } from 'node:crypto';
import type { AxiosInstance } from 'axios';
import * as plugin from 'wechatpay-axios-plugin';

/** The plugin's string formats for APIv3 signatures. */
export interface PluginFormatter {
  nonce(size?: number): string;
  timestamp(): number;
  authorization(mchid: string, nonce: string, signature: string, timestamp: string | number, serial: string): string;
  request(method: string, uri: string, timestamp: string | number, nonce: string, body?: string): string;
  response(timestamp: string | number, nonce: string, body?: string): string;
}

/** The plugin's SHA256withRSA helpers. */
export interface PluginRsa {
  sign(message: string, privateKey: KeyObject): string;
  verify(message: string, signature: string, publicKey: KeyObject): boolean;
}

/** The plugin's response verifier: returns `data` itself when the signature holds, another object when not. */
type ResponseVerifier = (this: { url?: string }, data: string, headers: Record<string, unknown>) => unknown;

/** What `new Wechatpay(config)` accepts, as far as this project uses it. */
export interface WechatpayClientConfig {
  mchid: string;
  serial: string;
  privateKey: KeyObject;
  certs: Record<string, KeyObject>;
  baseURL: string;
  timeout: number;
  headers: Record<string, string>;
  maxContentLength: number;
  maxBodyLength: number;
  maxRedirects: number;
  httpAgent?: unknown;
  httpsAgent?: unknown;
}

/**
 * Per-call options of a chain call. `combine_out_trade_no` fills the `{combine_out_trade_no}` segment of the path
 * (the plugin substitutes it verbatim, without encoding); the rest is plain axios request config.
 */
export interface CombinePapayCallConfig {
  combine_out_trade_no: string;
  signal?: AbortSignal;
  transformResponse?: unknown[];
  baseURL?: string;
}

/** What a chain call resolves with (a 2xx whose signature the plugin verified). */
interface PluginResponse {
  status: number;
  data: unknown;
  headers: Record<string, unknown>;
}

/** `POST /v3/ecommerce/combine-papay/transactions/{combine_out_trade_no}/reverse`, narrowed. */
interface CombinePapayReverseChain {
  post(this: void, body: Record<string, unknown>, config: CombinePapayCallConfig): Promise<PluginResponse>;
}

/** `GET /v3/ecommerce/combine-papay/transactions/{combine_out_trade_no}`, narrowed (signed over an empty body). */
interface CombinePapayQueryChain {
  get(this: void, config: CombinePapayCallConfig): Promise<PluginResponse>;
}

/** A constructed client: the two chains this project calls and the APIv3 axios instance. */
export interface PluginClient {
  reverse: CombinePapayReverseChain;
  query: CombinePapayQueryChain;
  v3: AxiosInstance;
}

const untyped = plugin as unknown as {
  Wechatpay: new (config: WechatpayClientConfig) => {
    v3: {
      ecommerce: {
        combinePapay: {
          transactions: {
            _combine_out_trade_no_: CombinePapayQueryChain & { reverse: CombinePapayReverseChain };
          };
        };
      };
    };
    client: { v3: AxiosInstance };
  };
  Formatter: PluginFormatter;
  Rsa: PluginRsa;
  Decorator: { responseVerifier(certs: Record<string, KeyObject>): ResponseVerifier };
};

/** Signature string formats (from the plugin). */
export const Formatter: PluginFormatter = untyped.Formatter;
/** SHA256withRSA sign/verify (from the plugin). */
export const Rsa: PluginRsa = untyped.Rsa;

/**
 * Builds a plugin client: it signs every request (`METHOD\nPATH?QUERY\nTS\nNONCE\nBODY\n`, BODY empty for a
 * GET) and verifies every 2xx answer itself.
 */
export function createPluginClient(config: WechatpayClientConfig): PluginClient {
  const wxpay = new untyped.Wechatpay(config);
  // `_combine_out_trade_no_` becomes the `{combine_out_trade_no}` path segment; its `get`/`post` close over the
  // client, so they may be called detached.
  const order = wxpay.v3.ecommerce.combinePapay.transactions._combine_out_trade_no_;
  return {
    reverse: order.reverse,
    query: { get: order.get },
    v3: wxpay.client.v3,
  };
}

/**
 * Verifies an answer's signature headers with the plugin's own verifier (used for non-2xx answers, which the plugin
 * leaves unverified). Returns a short reason when it fails, undefined when it holds.
 */
export function verifyAnswer(
  certs: Record<string, KeyObject>,
  rawBody: string,
  headers: Record<string, unknown>,
): string | undefined {
  const verdict = untyped.Decorator.responseVerifier(certs).call({}, rawBody, headers);
  if (verdict === rawBody) return undefined;
  const code = (verdict as { code?: unknown } | undefined)?.code;
  return typeof code === 'string' ? code : 'signature did not verify';
}
