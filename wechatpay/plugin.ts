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

/** Per-call options every chain call takes: plain axios request config. */
export interface PluginCallConfig {
  signal?: AbortSignal;
  transformResponse?: unknown[];
  baseURL?: string;
}

/**
 * Per-call options of a combined-order call. `combine_out_trade_no` fills the `{combine_out_trade_no}` segment of the
 * path (the plugin substitutes it verbatim, without encoding).
 */
interface CombinePapayCallConfig extends PluginCallConfig {
  combine_out_trade_no: string;
}

/**
 * The query of `GET /v3/bill/tradebill`, in the order it is sent. axios serialises it into the URL before the plugin
 * signs (`new URL(axios.getUri(config))`), so the signature covers exactly the query that is sent.
 */
interface TradeBillParams {
  bill_date: string;
  sub_mchid: string;
  bill_type: 'ALL';
  tar_type: 'GZIP';
}

/** Per-call options of the trade bill's apply. */
interface TradeBillCallConfig extends PluginCallConfig {
  params: TradeBillParams;
}

/**
 * One signed GET of a bill file: `url` absolute (its origin already checked against the configured hosts), its path
 * and query signed by the plugin's request interceptor. `maxBytes` bounds the compressed body.
 */
interface DownloadCallConfig {
  url: string;
  signal: AbortSignal;
  maxBytes: number;
}

/**
 * A bill file's answer, any status: its body unread (a byte stream, not decompressed), its headers not verified (the
 * download answer carries no `Wechatpay-*` headers: the file's SHA1 decides).
 */
export interface DownloadResponse {
  status: number;
  headers: Record<string, unknown>;
  data: NodeJS.ReadableStream & AsyncIterable<Buffer>;
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

/** `GET /v3/bill/tradebill?bill_date=…&sub_mchid=…&bill_type=ALL&tar_type=GZIP`, narrowed (signed over path+query). */
interface TradeBillChain {
  get(this: void, config: TradeBillCallConfig): Promise<PluginResponse>;
}

/** A constructed client: the chains this project calls, the bill download and the APIv3 axios instance. */
export interface PluginClient {
  reverse: CombinePapayReverseChain;
  query: CombinePapayQueryChain;
  tradeBill: TradeBillChain;
  /** A signed GET of a bill file whose answer is not verified (see {@link DownloadCallConfig}). */
  download(config: DownloadCallConfig): Promise<DownloadResponse>;
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
      bill: { tradebill: TradeBillChain };
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
  const v3 = wxpay.client.v3;
  return {
    reverse: order.reverse,
    query: { get: order.get },
    tradeBill: { get: wxpay.v3.bill.tradebill.get },
    download: (call) => downloadThrough(v3, call),
    v3,
  };
}

/**
 * A bill file through the APIv3 instance: its request interceptor signs `GET\nPATH?QUERY\n…` as for any call. The
 * plugin's own answer verifier (a `transformResponse`) is replaced by the identity: it skips verification only for a
 * fixed list of download paths, and only when the query is passed apart from the URL — the download URL is opaque,
 * so the skip is made explicit here. The body comes back as the raw byte stream (`decompress: false`, no transport
 * compression asked for: the file itself is GZIP), every status resolves, no redirect is followed.
 */
async function downloadThrough(v3: AxiosInstance, call: DownloadCallConfig): Promise<DownloadResponse> {
  const res = await v3.request<DownloadResponse['data']>({
    method: 'GET',
    url: call.url,
    signal: call.signal,
    responseType: 'stream',
    decompress: false,
    transformResponse: [(data: unknown) => data],
    validateStatus: () => true,
    maxRedirects: 0,
    maxContentLength: call.maxBytes,
    headers: { Accept: 'application/x-gzip, application/json', 'Accept-Encoding': 'identity' },
  });
  return { status: res.status, headers: res.headers, data: res.data };
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
