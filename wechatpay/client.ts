/**
 * The reverse call, typed: one function that sends the signed POST through wechatpay-axios-plugin and reports what
 * came back — a verified answer, an unverified one, or a network fault — without deciding what it means
 * (that is `classify.ts`).
 */
import http from 'node:http';
import https from 'node:https';
import type { KeyObject } from 'node:crypto';
import { AxiosError, type AxiosResponse } from 'axios';
import type { ReverseRequest } from '../workflows/types';
import { createPluginClient, verifyAnswer, type PluginClient } from './plugin';

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
}

/** What one reverse call produced. */
export type ReverseAnswer =
  | {
      kind: 'answer';
      status: number;
      /** WeChat Pay's error code, for error answers with a JSON body. */
      code?: string;
      message?: string;
      /** true: signature verified; false: unsigned (non-2xx only). */
      verified: boolean;
    }
  | { kind: 'unverified'; status: number; reason: string }
  | { kind: 'network'; reason: string };

const VERIFICATION_CODES = new Set([
  'EV3_RES_HEADERS_INCOMPLATE',
  'EV3_RES_HEADER_TIMESTAMP_OFFSET',
  'EV3_RES_HEADER_PLATFORM_SERIAL',
  'EV3_RES_HEADER_SIGNATURE_DIGEST',
]);
const SIGNATURE_HEADERS = ['wechatpay-signature', 'wechatpay-timestamp', 'wechatpay-nonce', 'wechatpay-serial'];

/** A reverse client: `reverse()` never throws for anything the peer or the network does. */
export interface ReverseClient {
  /**
   * Sends one signed reverse. With `useBackup` (and a configured backup host) it goes to the backup host; the
   * signature does not cover the host, so the same request is valid there.
   */
  reverse(request: ReverseRequest, signal?: AbortSignal, useBackup?: boolean): Promise<ReverseAnswer>;
  /** Whether a backup host is configured. */
  readonly hasBackup: boolean;
}

/** Builds the reverse client with keep-alive connections and bounded answers. */
export function createReverseClient(config: WechatpayConfig): ReverseClient {
  const client: PluginClient = createPluginClient({
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
  const defaultTransforms = client.v3.defaults.transformResponse;
  const transforms = Array.isArray(defaultTransforms)
    ? defaultTransforms
    : defaultTransforms
      ? [defaultTransforms]
      : [];

  return {
    hasBackup: Boolean(config.backupBaseUrl),
    async reverse(request: ReverseRequest, signal?: AbortSignal, useBackup = false): Promise<ReverseAnswer> {
      let rawBody = '';
      const stash = (data: unknown): unknown => {
        rawBody = typeof data === 'string' ? data : '';
        return data;
      };
      const deadline = AbortSignal.timeout(config.timeoutMs);
      try {
        const res = await client.reverse.post(toWireBody(request), {
          combine_out_trade_no: request.combineOutTradeNo,
          signal: signal ? AbortSignal.any([signal, deadline]) : deadline,
          transformResponse: [stash, ...transforms],
          ...(useBackup && config.backupBaseUrl ? { baseURL: config.backupBaseUrl } : {}),
        });
        // The plugin verified this 2xx answer's signature before resolving.
        return { kind: 'answer', status: res.status, verified: true };
      } catch (err) {
        return describeError(err, rawBody, config.verifiers);
      }
    },
  };
}

/** The reverse body, snake_case as WeChat Pay expects: exactly these fields. */
export function toWireBody(request: ReverseRequest): Record<string, unknown> {
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

function describeError(err: unknown, rawBody: string, verifiers: Record<string, KeyObject>): ReverseAnswer {
  if (!(err instanceof AxiosError)) {
    return { kind: 'network', reason: err instanceof Error ? err.name : 'unknown error' };
  }
  const res: AxiosResponse | undefined = err.response;
  if (err.code && VERIFICATION_CODES.has(err.code)) {
    return { kind: 'unverified', status: res?.status ?? 0, reason: err.code };
  }
  if (!res) return { kind: 'network', reason: err.code ?? 'no answer' };
  const headers = Object.fromEntries(
    Object.entries(res.headers as Record<string, unknown>).map(([k, v]) => [k.toLowerCase(), v]),
  );
  const data = res.data as { code?: unknown; message?: unknown } | undefined;
  const code = typeof data?.code === 'string' ? data.code.slice(0, 64) : undefined;
  const message = typeof data?.message === 'string' ? data.message.slice(0, 200) : undefined;
  const signed = SIGNATURE_HEADERS.some((h) => h in headers);
  if (signed) {
    const failure = verifyAnswer(verifiers, rawBody, headers);
    if (failure) return { kind: 'unverified', status: res.status, reason: failure };
  }
  return {
    kind: 'answer',
    status: res.status,
    ...(code ? { code } : {}),
    ...(message ? { message } : {}),
    verified: signed,
  };
}
