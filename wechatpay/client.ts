/**
 * The WeChat Pay client, typed: the calls of the product — the signed reverse (`POST …/{no}/reverse`), the signed
 * query (`GET …/{no}`) and the trade bill's apply (`GET /v3/bill/tradebill?…`) — sent through wechatpay-axios-plugin,
 * and what came back described the same way for all — a verified answer, an unsigned one, an unverifiable one, or a
 * network fault — without deciding what it means (that is `classify.ts`); and the bill's download, whose answer is
 * not signed (its SHA1 decides, `bill-download.ts`). Signing, verification, freshness (a nonce counts once; an answer signed before the
 * request was sent does not count, `freshness.ts`), the body bound, the timeout, keep-alive connections and the backup
 * host live here and nowhere else.
 */
import http from 'node:http';
import https from 'node:https';
import type { KeyObject } from 'node:crypto';
import { AxiosError, type AxiosResponse } from 'axios';
import type { OrderInput, WechatpayHost } from '../workflows/contract';
import {
  answerFreshness,
  CLOCK_BEYOND_BOUND,
  clockOffsetSample,
  DEFAULT_ANSWER_TOLERANCE_MS,
  processClockOffset,
  type ClockOffsetEstimate,
} from './freshness';
import { processNonces, type NonceMemory } from './nonces';
import { createPacer, type Pacer } from './pacer';
import {
  BillStreamFault,
  DEFAULT_MAX_BILL_BYTES,
  downloadTarget,
  gunzipLines,
  readSmallBody,
  TradeBillStreamError,
} from './bill-download';
import {
  createPluginClient,
  verifyAnswer,
  type DownloadResponse,
  type PluginCallConfig,
  type PluginClient,
} from './plugin';

/** Everything the client needs; built by the worker from the environment. Holds keys: never log it. */
export interface WechatpayConfig {
  /** e.g. https://api.mch.weixin.qq.com/ */
  baseUrl: string;
  /** The backup host (another city), e.g. https://api2.mch.weixin.qq.com/, used after a network fault. */
  backupBaseUrl?: string;
  /** The platform merchant id that signs. */
  mchid: string;
  /** Serial of the merchant API certificate (`serial_no` in Authorization). */
  merchantSerial: string;
  privateKey: KeyObject;
  /** Keys that may sign answers: WeChat Pay public key id (`PUB_KEY_ID_…`) and/or platform certificate serials. */
  verifiers: Record<string, KeyObject>;
  /** Sent as `Wechatpay-Serial` on every request: the public key id, or the newest platform certificate serial. */
  wechatpaySerial: string;
  /** Whole-call deadline (connect, send, answer), below the activity's start-to-close timeout. */
  timeoutMs: number;
  /** Largest answer body accepted. */
  maxBodyBytes: number;
  /**
   * Most requests this client sends in any one second (`WECHATPAY_MAX_RPS`): each request waits for its slot, the
   * slots `1 / maxRequestsPerSecond` s apart. Unset: no pacing.
   */
  maxRequestsPerSecond?: number;
  /**
   * How much earlier than the request (less the measured clock offset) an answer may be signed
   * (`WECHATPAY_ANSWER_TOLERANCE`); default {@link DEFAULT_ANSWER_TOLERANCE_MS}. See `freshness.ts`.
   */
  answerToleranceMs?: number;
  /** Largest decompressed trade bill accepted (bytes); default {@link DEFAULT_MAX_BILL_BYTES} (2 GiB). */
  maxBillBytes?: number;
}

/** The calls this client makes (also the `call` label of the answer metrics). */
export const WechatpayCall = {
  REVERSE: 'reverse',
  QUERY: 'query',
  TRADE_BILL: 'trade_bill',
  BILL_DOWNLOAD: 'bill_download',
} as const;
/** One of {@link WechatpayCall}. */
export type WechatpayCall = (typeof WechatpayCall)[keyof typeof WechatpayCall];

/**
 * What one call produced, the same shape for every call. `host` is the host the request went to.
 * - `answer`: an HTTP answer that is either verified (`verified: true`: a 2xx the plugin verified, or a non-2xx whose
 *   `Wechatpay-*` headers verified) or unsigned (`verified: false`: a non-2xx without any `Wechatpay-*` header).
 *   `body` is the parsed body of a verified 2xx (e.g. the order of a query); `code`/`message` come from a JSON body
 *   (error answers, or a 2xx such as `202 USER_PAYING`), bounded in length.
 * - `unverified`: the answer carried a signature that failed (bad signature, unknown serial, skew, probe), or a 2xx
 *   came without one. `unsigned` is true when it had no `Wechatpay-*` header at all (a header-stripping proxy). A
 *   verified answer that is not fresh is reported here too: a replay (`REPLAYED_NONCE`), or one signed before the
 *   request was sent (`STALE_ANSWER`, with `stale`).
 * - `network`: no answer (refused, reset, timeout, body over the bound, …).
 */
export type WechatpayAnswer =
  | {
      kind: 'answer';
      status: number;
      /** WeChat Pay's code, from a JSON body with a string `code` (≤ 64 characters kept). */
      code?: string;
      /** WeChat Pay's message (≤ 200 characters kept). For logs by humans only, never for decisions. */
      message?: string;
      /** true: signature verified; false: unsigned (non-2xx only). */
      verified: boolean;
      /** The parsed body of a verified 2xx answer (absent for an empty body such as a 204). */
      body?: unknown;
      /**
       * The `Wechatpay-Nonce` of a verified answer: ties what the workflow accepted to the very answer that was
       * signed (not a secret; the answer's signature covers it).
       */
      nonce?: string;
      /**
       * When a non-2xx answer says to come back (`Retry-After`, in seconds or as an HTTP date): the delay in
       * milliseconds, bounded to {@link RETRY_AFTER_BOUNDS_MS} (a peer or a proxy cannot make the caller hammer, or
       * stall it for days). Absent when the header is missing or unreadable.
       */
      retryAfterMs?: number;
      host: WechatpayHost;
    }
  | {
      kind: 'unverified';
      status: number;
      reason: string;
      unsigned: boolean;
      host: WechatpayHost;
      /** Signed before the request was sent, beyond the tolerance (`STALE_ANSWER`): counted and logged apart. */
      stale?: true;
    }
  | { kind: 'network'; reason: string; host: WechatpayHost };

/** Shortest and longest delay a `Retry-After` may ask for (shorter ones wait the minimum, longer the maximum). */
export const RETRY_AFTER_BOUNDS_MS = { min: 1_000, max: 10 * 60_000 } as const;

/**
 * A `Retry-After` header value (delay-seconds, or an HTTP date, RFC 9110 §10.2.3) as a delay in milliseconds from
 * `now`, bounded to {@link RETRY_AFTER_BOUNDS_MS}; undefined when missing or unreadable.
 */
export function parseRetryAfter(value: unknown, now: number): number | undefined {
  const text: unknown = Array.isArray(value) ? (value as unknown[])[0] : value;
  if (typeof text !== 'string' || text.trim() === '' || text.length > 64) return undefined;
  const trimmed = text.trim();
  // delay-seconds, or an HTTP date (all three RFC 9110 forms begin with the day's name; Date.parse alone is lenient).
  const ms = /^\d+$/.test(trimmed)
    ? Number(trimmed) * 1_000
    : /^(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun)[a-z]*,? /i.test(trimmed)
      ? Date.parse(trimmed) - now
      : NaN;
  if (!Number.isFinite(ms)) return undefined;
  return Math.min(RETRY_AFTER_BOUNDS_MS.max, Math.max(RETRY_AFTER_BOUNDS_MS.min, Math.round(ms)));
}

const VERIFICATION_CODES = new Set([
  'EV3_RES_HEADERS_INCOMPLATE',
  'EV3_RES_HEADER_TIMESTAMP_OFFSET',
  'EV3_RES_HEADER_PLATFORM_SERIAL',
  'EV3_RES_HEADER_SIGNATURE_DIGEST',
]);

/** Options of one call. */
export interface CallOptions {
  /** Cancels the call (the activity's cancellation). */
  signal?: AbortSignal;
  /**
   * Send to the backup host (when one is configured): the signature does not cover the host, so the same request is
   * valid there.
   */
  useBackup?: boolean;
  /**
   * Nonces the caller already accepted (the order's): an answer carrying one is a replay, reported as `unverified`
   * (`REPLAYED_NONCE`). Every verified answer's nonce is also checked against the process's memory.
   */
  refuseNonces?: readonly string[];
}

/** Which trade bill to apply for: a Beijing day (`YYYY-MM-DD`) of one secondary merchant. */
interface TradeBillRequest {
  billDate: string;
  subMchid: string;
}

/** Options of a bill download. */
interface DownloadOptions {
  /** Cancels the download, also while its lines are read. */
  signal?: AbortSignal;
  /** Send to the backup host (when one is configured), with the download URL's path and query. */
  useBackup?: boolean;
}

/**
 * A bill download. `ok`: a 200 whose body is read through `lines` (gunzipped, split, bounded: see
 * `bill-download.ts`), read once; `digest()` is the SHA1 of the decompressed bytes once `lines` was read to its end
 * (undefined before, and after a fault). The file counts only when `matches(hashValue)`. `cancel()` releases the
 * connection when the lines will not be read to the end. Not `ok`: `kind` `origin` (refused before sending: the URL
 * is not on a configured host), `answer` (a non-200: `status`, and WeChat Pay's `code` when its body is JSON — 400
 * `INVALID_REQUEST` is an expired URL: apply again) or `network` (no answer; `status` 0).
 */
type TradeBillDownload =
  | {
      ok: true;
      host: WechatpayHost;
      lines: AsyncIterable<string>;
      digest(this: void): string | undefined;
      matches(this: void, hashValue: string): boolean;
      bytesRead(this: void): number;
      cancel(this: void): void;
    }
  | {
      ok: false;
      kind: 'origin' | 'answer' | 'network';
      status: number;
      code?: string;
      reason: string;
      host?: WechatpayHost;
    };

/** The WeChat Pay client: its calls never throw for anything the peer or the network does. */
export interface WechatpayClient {
  /** Sends one signed reverse (`POST …/transactions/{combine_out_trade_no}/reverse`). */
  reverse(
    request: Pick<OrderInput, 'combineOutTradeNo' | 'combineAppid' | 'subOrders'>,
    options?: CallOptions,
  ): Promise<WechatpayAnswer>;
  /** Sends one signed query of the combined order (`GET …/transactions/{combine_out_trade_no}`). */
  query(combineOutTradeNo: string, options?: CallOptions): Promise<WechatpayAnswer>;
  /**
   * Applies for one secondary merchant's trade bill of a day (`GET /v3/bill/tradebill?bill_date=…&sub_mchid=…&
   * bill_type=ALL&tar_type=GZIP`, signed over path and query; the answer verified and judged fresh like the query's).
   */
  tradeBill(request: TradeBillRequest, options?: CallOptions): Promise<WechatpayAnswer>;
  /**
   * Downloads a bill file: a signed GET of `downloadUrl`'s path and query, only to the configured host or its backup;
   * the answer is not verified (see {@link TradeBillDownload}).
   */
  downloadTradeBill(downloadUrl: string, options?: DownloadOptions): Promise<TradeBillDownload>;
  /** Whether a backup host is configured. */
  readonly hasBackup: boolean;
  /** The platform merchant id that signs (`combine_mchid` of every order this client may act on). */
  readonly mchid: string;
}

/** The reason of an answer refused as a replay (its `Wechatpay-Nonce` was seen before). */
const REPLAYED_NONCE = 'REPLAYED_NONCE';

/** What judges a verified answer's freshness: the nonce memory, the clock offset estimate and the tolerance. */
interface FreshnessJudge {
  nonces: NonceMemory;
  clock: ClockOffsetEstimate;
  toleranceMs: number;
}

/** One exchange as seen from here: the answer's headers (when one came), when it was sent and received (our clock). */
interface Exchanged {
  headers: unknown;
  sentAtMs: number;
  receivedAtMs: number;
}

/**
 * Builds the client with keep-alive connections, bounded answers and a whole-call deadline. `nonces`: the memory of
 * verified answer nonces; `clock`: the estimate of WeChat Pay's clock offset (both the process's, unless a test or a
 * one-shot tool gives its own: a fresh pair is a fresh worker process).
 */
export function createWechatpayClient(
  config: WechatpayConfig,
  nonces: NonceMemory = processNonces,
  clock: ClockOffsetEstimate = processClockOffset,
): WechatpayClient {
  const client = pluginClientFor(config);
  const defaultTransforms = client.v3.defaults.transformResponse;
  const transforms = Array.isArray(defaultTransforms)
    ? defaultTransforms
    : defaultTransforms
      ? [defaultTransforms]
      : [];

  const pacer = config.maxRequestsPerSecond ? createPacer(config.maxRequestsPerSecond) : undefined;
  const judge: FreshnessJudge = { nonces, clock, toleranceMs: config.answerToleranceMs ?? DEFAULT_ANSWER_TOLERANCE_MS };

  /**
   * One call: its slot (pacing), deadline, cancellation, host choice, raw-body capture for verifying error answers,
   * description.
   */
  const send = async (
    { signal, useBackup = false, refuseNonces = [] }: CallOptions,
    exchange: (options: PluginCallConfig) => Promise<{ status: number; data: unknown; headers: unknown }>,
  ): Promise<WechatpayAnswer> => {
    const backup = useBackup && config.backupBaseUrl ? config.backupBaseUrl : undefined;
    const host: WechatpayHost = backup ? 'backup' : 'main';
    try {
      await pacer?.wait(signal);
    } catch {
      return { kind: 'network', reason: 'cancelled before sending', host };
    }
    let rawBody = '';
    const stash = (data: unknown): unknown => {
      rawBody = typeof data === 'string' ? data : '';
      return data;
    };
    const deadline = AbortSignal.timeout(config.timeoutMs);
    const sentAtMs = Date.now();
    let answer: WechatpayAnswer;
    let headers: unknown;
    try {
      const res = await exchange({
        signal: signal ? AbortSignal.any([signal, deadline]) : deadline,
        transformResponse: [stash, ...transforms],
        ...(backup ? { baseURL: backup } : {}),
      });
      headers = res.headers;
      // The plugin verified this 2xx answer's signature before resolving.
      answer = httpAnswer(res.status, res.data, true, host, { body: res.data, nonce: nonceOf(res.headers) });
    } catch (err) {
      headers = err instanceof AxiosError ? err.response?.headers : undefined;
      answer = describeError(err, rawBody, config.verifiers, host);
    }
    return fresh(answer, refuseNonces, judge, { headers, sentAtMs, receivedAtMs: Date.now() });
  };

  return {
    hasBackup: Boolean(config.backupBaseUrl),
    mchid: config.mchid,
    reverse: (request, options = {}) =>
      send(options, (call) =>
        client.reverse.post(toWireBody(request), { ...call, combine_out_trade_no: request.combineOutTradeNo }),
      ),
    query: (combineOutTradeNo, options = {}) =>
      send(options, (call) => client.query.get({ ...call, combine_out_trade_no: combineOutTradeNo })),
    tradeBill: ({ billDate, subMchid }, options = {}) =>
      send(options, (call) =>
        client.tradeBill.get({
          ...call,
          params: { bill_date: billDate, sub_mchid: subMchid, bill_type: 'ALL', tar_type: 'GZIP' },
        }),
      ),
    downloadTradeBill: (downloadUrl, options = {}) => download(client, config, pacer, downloadUrl, options),
  };
}

/** The plugin client of a configuration: keep-alive connections, bounded answers, no redirects. */
function pluginClientFor(config: WechatpayConfig): PluginClient {
  return createPluginClient({
    mchid: config.mchid,
    serial: config.merchantSerial,
    privateKey: config.privateKey,
    certs: config.verifiers,
    baseURL: config.baseUrl,
    timeout: config.timeoutMs,
    headers: { 'Wechatpay-Serial': config.wechatpaySerial, Accept: 'application/json' },
    maxContentLength: config.maxBodyBytes,
    maxBodyLength: config.maxBodyBytes,
    maxRedirects: 0,
    httpAgent: new http.Agent({ keepAlive: true }),
    httpsAgent: new https.Agent({ keepAlive: true }),
  });
}

/**
 * A verified answer counts once, and only for a request sent before it was signed. One whose nonce the order already
 * accepted, or that this process verified before (within the skew window), is a replay; one whose signed timestamp is
 * earlier than the request's sending (less the clock offset and the tolerance, `freshness.ts`) is stale. Both are
 * reported as `unverified` (retried, never a fact). A verified answer without a nonce cannot be told fresh and is
 * refused as a replay. Every verified answer that is not a replay adds its `Date` to the clock offset estimate, after
 * it was judged: an answer never widens its own acceptance.
 */
function fresh(
  answer: WechatpayAnswer,
  refuseNonces: readonly string[],
  judge: FreshnessJudge,
  exchanged: Exchanged,
): WechatpayAnswer {
  if (answer.kind !== 'answer' || !answer.verified) return answer;
  const why = !answer.nonce
    ? 'no Wechatpay-Nonce'
    : refuseNonces.includes(answer.nonce)
      ? 'already accepted by this order'
      : !judge.nonces.firstTime(answer.nonce)
        ? 'already seen by this worker'
        : undefined;
  if (why) return refused(answer, `${REPLAYED_NONCE}: ${why}`);
  const { headers, sentAtMs, receivedAtMs } = exchanged;
  const verdict = answerFreshness({
    timestamp: headerOf(headers, 'wechatpay-timestamp'),
    sentAtMs,
    offsetMs: judge.clock.offsetMs,
    toleranceMs: judge.toleranceMs,
  });
  const sample = clockOffsetSample(headerOf(headers, 'date'), sentAtMs, receivedAtMs);
  if (sample.ok) judge.clock.observe(sample.offsetMs);
  if (verdict.ok) return answer;
  const hint = judge.clock.beyondBound ? `; ${CLOCK_BEYOND_BOUND}` : '';
  return { ...refused(answer, `${verdict.reason}${hint}`), stale: true };
}

/** A verified answer refused as not fresh, for `reason`. */
function refused(
  answer: WechatpayAnswer & { kind: 'answer' },
  reason: string,
): WechatpayAnswer & { kind: 'unverified' } {
  return { kind: 'unverified', status: answer.status, reason, unsigned: false, host: answer.host };
}

/** The reverse body, snake_case as WeChat Pay expects: exactly these fields. */
function toWireBody(request: Pick<OrderInput, 'combineAppid' | 'subOrders'>): Record<string, unknown> {
  return {
    combine_appid: request.combineAppid,
    sub_orders: request.subOrders.map((s) => ({
      mchid: s.mchid,
      out_trade_no: s.outTradeNo,
      sub_mchid: s.subMchid,
      ...(s.subAppid ? { sub_appid: s.subAppid } : {}),
    })),
  };
}

/** Whether an answer carried any `Wechatpay-*` header (header names in any case). */
function hasWechatpayHeaders(headers: unknown): boolean {
  if (typeof headers !== 'object' || headers === null) return false;
  return Object.keys(headers).some((k) => k.toLowerCase().startsWith('wechatpay-'));
}

function codeAndMessage(data: unknown): { code?: string; message?: string } {
  if (typeof data !== 'object' || data === null) return {};
  const { code, message } = data as { code?: unknown; message?: unknown };
  return {
    ...(typeof code === 'string' && code ? { code: code.slice(0, 64) } : {}),
    ...(typeof message === 'string' && message ? { message: message.slice(0, 200) } : {}),
  };
}

/**
 * An HTTP answer (`kind: 'answer'`): `code` and `message` from its body, and `body` (not empty), `nonce` and
 * `retryAfterMs` only when present.
 */
function httpAnswer(
  status: number,
  data: unknown,
  verified: boolean,
  host: WechatpayHost,
  extra: { body?: unknown; nonce?: string | undefined; retryAfterMs?: number | undefined },
): WechatpayAnswer {
  const { code, message } = codeAndMessage(data);
  return {
    kind: 'answer',
    status,
    ...(code ? { code } : {}),
    ...(message ? { message } : {}),
    verified,
    ...(extra.body !== undefined && extra.body !== '' ? { body: extra.body } : {}),
    ...(extra.nonce ? { nonce: extra.nonce } : {}),
    ...(extra.retryAfterMs !== undefined ? { retryAfterMs: extra.retryAfterMs } : {}),
    host,
  };
}

function describeError(
  err: unknown,
  rawBody: string,
  verifiers: Record<string, KeyObject>,
  host: WechatpayHost,
): WechatpayAnswer {
  if (!(err instanceof AxiosError)) {
    return { kind: 'network', reason: err instanceof Error ? err.name : 'unknown error', host };
  }
  const res: AxiosResponse | undefined = err.response;
  if (err.code && VERIFICATION_CODES.has(err.code)) {
    // A 2xx whose signature the plugin refused (or that came without one).
    return {
      kind: 'unverified',
      status: res?.status ?? 0,
      reason: err.code,
      unsigned: !hasWechatpayHeaders(res?.headers),
      host,
    };
  }
  if (!res) return { kind: 'network', reason: err.code ?? 'no answer', host };
  const headers = Object.fromEntries(
    Object.entries(res.headers as Record<string, unknown>).map(([k, v]) => [k.toLowerCase(), v]),
  );
  // A non-2xx answer: the plugin leaves it unverified. Any Wechatpay-* header claims a signature, which must hold.
  const signed = hasWechatpayHeaders(headers);
  if (signed) {
    const failure = verifyAnswer(verifiers, rawBody, headers);
    if (failure) return { kind: 'unverified', status: res.status, reason: failure, unsigned: false, host };
  }
  const nonce = signed ? nonceOf(headers) : undefined;
  const retryAfterMs = parseRetryAfter(headers['retry-after'], Date.now());
  return httpAnswer(res.status, res.data, signed, host, { nonce, retryAfterMs });
}

/** The `Wechatpay-Nonce` header (any case), at most 64 characters, when present. */
function nonceOf(headers: unknown): string | undefined {
  return headerOf(headers, 'wechatpay-nonce')?.slice(0, 64);
}

/** A header's value (its name in lower case, matched in any case), when present as a string. */
function headerOf(headers: unknown, name: string): string | undefined {
  if (typeof headers !== 'object' || headers === null) return undefined;
  for (const [key, value] of Object.entries(headers)) {
    if (key.toLowerCase() === name && typeof value === 'string') return value;
  }
  return undefined;
}

/** Largest error body of a download read for its code (bytes). */
const MAX_DOWNLOAD_ERROR_BYTES = 16_384;

/**
 * One bill download (see {@link WechatpayClient.downloadTradeBill}): the origin guard, its pacing slot, a deadline
 * for the answer's status (`timeoutMs`), then an idle timeout of the same length while waiting for each chunk of the
 * body (a slow reader is not the peer's fault: the timer runs only while waiting for the peer).
 */
async function download(
  client: PluginClient,
  config: WechatpayConfig,
  pacer: Pacer | undefined,
  downloadUrl: string,
  { signal, useBackup = false }: DownloadOptions,
): Promise<TradeBillDownload> {
  const target = downloadTarget(downloadUrl, config, useBackup);
  if (!target.ok) return { ok: false, kind: 'origin', status: 0, reason: target.reason };
  const { host } = target;
  try {
    await pacer?.wait(signal);
  } catch {
    return { ok: false, kind: 'network', status: 0, reason: 'cancelled before sending', host };
  }
  const maxBytes = config.maxBillBytes ?? DEFAULT_MAX_BILL_BYTES;
  const link = linkDownload(config.timeoutMs, signal);
  let res: DownloadResponse;
  try {
    res = await client.download({ url: target.url, signal: link.signal, maxBytes });
  } catch (err) {
    link.close();
    const why =
      err instanceof AxiosError ? (err.code ?? 'no answer') : err instanceof Error ? err.name : 'unknown error';
    return { ok: false, kind: 'network', status: 0, reason: link.reason()?.message ?? why, host };
  }
  if (res.status !== 200) {
    const text = await readSmallBody(res.data, MAX_DOWNLOAD_ERROR_BYTES);
    link.close();
    const { code, message } = codeAndMessage(parseJson(text));
    const reason = `${res.status} ${code ?? 'without code'}${message ? `: ${message}` : ''}`;
    return { ok: false, kind: 'answer', status: res.status, ...(code ? { code } : {}), reason, host };
  }
  link.disarm();
  const read = gunzipLines(res.data, {
    maxBytes,
    waiting: link.arm,
    arrived: link.disarm,
    destroyedFor: link.reason,
    finished: link.close,
  });
  return {
    ok: true,
    host,
    lines: read.lines,
    digest: read.digest,
    matches: (hashValue) => read.digest() !== undefined && read.digest() === hashValue.toLowerCase(),
    bytesRead: read.bytesRead,
    cancel: link.cancel,
  };
}

/** What ties one download to its deadline, its idle timer and the caller's cancellation. */
interface DownloadLink {
  /** Aborts the request (and the body) when any of them fires. */
  signal: AbortSignal;
  /** Arms the idle timer (waiting for the peer). */
  arm(this: void): void;
  /** Disarms the deadline or the idle timer. */
  disarm(this: void): void;
  /** Why the request was aborted from our side, once it was. */
  reason(this: void): TradeBillStreamError | undefined;
  /** Cancels the download (the caller will not read on). */
  cancel(this: void): void;
  /** Releases the timer and the caller's signal. */
  close(this: void): void;
}

function linkDownload(timeoutMs: number, callerSignal: AbortSignal | undefined): DownloadLink {
  const controller = new AbortController();
  let why: TradeBillStreamError | undefined;
  const stop = (fault: BillStreamFault, message: string): void => {
    why ??= new TradeBillStreamError(fault, message);
    controller.abort();
  };
  const cancelled = (): void => stop(BillStreamFault.CANCELLED, 'the bill download was cancelled');
  const idle = (): void => stop(BillStreamFault.IDLE, `no bytes from WeChat Pay for ${timeoutMs} ms`);
  if (callerSignal?.aborted) cancelled();
  else callerSignal?.addEventListener('abort', cancelled, { once: true });
  let timer: NodeJS.Timeout | undefined = setTimeout(idle, timeoutMs);
  const disarm = (): void => {
    if (timer) clearTimeout(timer);
    timer = undefined;
  };
  return {
    signal: controller.signal,
    arm: () => {
      disarm();
      timer = setTimeout(idle, timeoutMs);
    },
    disarm,
    reason: () => why,
    cancel: cancelled,
    close: () => {
      disarm();
      callerSignal?.removeEventListener('abort', cancelled);
    },
  };
}

/** A JSON text parsed, or undefined when it is not JSON. */
function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}
