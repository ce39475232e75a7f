/** The WeChat Pay peer's request log: an entry a request, filled in as it is checked, processed and answered. */
import type { FaultKind } from './fault-table';
import type { OrderEffect, TradeState } from './orders';
import type { RoutedRequest, Route } from './routes';

/** One logged request. */
export interface PeerLogEntry {
  seq: number;
  at: string;
  route: Route | 'unknown';
  method: string;
  path: string;
  orderNo?: string;
  /**
   * The trade bill a bill route names: an apply's `sub_mchid` and `bill_date` as sent, a download's from the bill its
   * token was issued for (absent for an unknown token).
   */
  bill?: { subMchid: string; billDate: string };
  /** Why the caller's signature was refused, if it was. */
  authProblem?: string;
  wechatpaySerial?: string;
  fault?: FaultKind;
  status: number;
  /** The `code` of the answer's JSON, when it had one. */
  code?: string;
  /** The request changed the order's state (`latePay`: a scheduled debit landed right after this answer). */
  effect?: OrderEffect;
  /** The answer carried a valid signature from a configured key (what a careful client may accept). */
  answerVerifiable: boolean;
  /** The `Wechatpay-Nonce` the answer was sent with (ties a client's accepted answer to this very exchange). */
  answerNonce?: string;
  /**
   * The `Wechatpay-Timestamp` the answer was signed with (seconds, the peer's clock): with `at` and `clockOffsetMs`, it
   * tells whether the answer was signed before its request arrived (a stale or replayed answer).
   */
  answerTimestamp?: number;
  /** The peer's clock offset when it answered (ms; absent when 0): its clock is `at` plus this. */
  clockOffsetMs?: number;
  /**
   * A replay fault (`REPLAY_NOT_EXIST`, `REPLAY_LAST`) answered with a byte-exact copy of the signed answer first
   * given by the exchange logged with this `seq` (so `answerNonce` is that exchange's nonce, arriving again).
   */
  replayOf?: number;
  /**
   * Not a request: the debit of the pay call logged as `payCall` (scripted `LAND_LATE`) came due. `LANDED` (with the
   * `effect`), or `PREVENTED` because the order was already `found` in another state (e.g. reversed). Such an entry
   * has route `pay`, the pay call's method and path, and status 0 (nothing was answered).
   */
  landing?: { payCall: number; outcome: 'LANDED' | 'PREVENTED'; found?: TradeState };
}

/** A new entry for request number `seq` (not answered yet: status 0). */
export function openEntry(
  seq: number,
  request: { method: string; path: string; wechatpaySerial: string | undefined },
  { route, orderNo }: RoutedRequest,
): PeerLogEntry {
  return {
    seq,
    at: new Date().toISOString(),
    route,
    method: request.method,
    path: request.path,
    ...(orderNo ? { orderNo } : {}),
    ...(request.wechatpaySerial !== undefined ? { wechatpaySerial: request.wechatpaySerial } : {}),
    status: 0,
    answerVerifiable: false,
  };
}

/** Notes an answer's status and error code in its log entry. */
export function record(entry: PeerLogEntry, status: number, payload: unknown): void {
  entry.status = status;
  const code = (payload as { code?: unknown } | undefined)?.code;
  if (typeof code === 'string') entry.code = code;
}

/**
 * The entry (number `seq`) for the debit of the pay call logged as `pay` coming due: landed with `effect`, or, without
 * one, prevented by the order's state `found`.
 */
export function landingEntry(
  seq: number,
  pay: PeerLogEntry,
  effect: OrderEffect | undefined,
  found: TradeState,
): PeerLogEntry {
  return {
    ...openEntry(seq, { method: pay.method, path: pay.path, wechatpaySerial: undefined }, pay),
    ...(effect ? { effect } : {}),
    landing: effect ? { payCall: pay.seq, outcome: 'LANDED' } : { payCall: pay.seq, outcome: 'PREVENTED', found },
  };
}
