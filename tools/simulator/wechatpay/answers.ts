/**
 * How the WeChat Pay peer answers an exchange: signed with the key its settings choose at the moment of answering
 * (every answer but 401), by its clock (`clockOffsetMs`), or unsigned, each answer noted in the request's log entry;
 * faulted (a fault of `fault-table.ts` answering instead, or spoiling a processed request's answer); and its memory of the
 * signed answers it gave, for the faults that replay one byte for byte (`REPLAY_LAST`, `REPLAY_NOT_EXIST`).
 */
import { sleep } from '../fault-book';
import type { AfterAnswer, BeforeAnswer } from './fault-table';
import type http from 'node:http';
import type { SimulatorIdentity } from '../keys';
import { openEntry, record, type PeerLogEntry } from './log';
import { peerSeconds, signingKey, type PeerSettings } from './settings';
import { signAnswer, type SigningKey } from '../signing';
import { randomBytes } from 'node:crypto';
import { queryApi, safeJson, type OrderAnswerJson, type OrderBook } from './orders';
import { queryPath, type Route } from './routes';

// ── Answering ──

/**
 * One request being answered: the peer that answers (its keys, settings and memory of signed answers), the request,
 * its response and its log entry.
 */
export interface Exchange {
  peer: { identity: SimulatorIdentity; settings: PeerSettings; sent: SentAnswers };
  req: http.IncomingMessage;
  res: http.ServerResponse;
  entry: PeerLogEntry;
}

/** The JSON text of an answer; empty for none (204). */
function answerBody(payload: unknown): string {
  return payload === undefined ? '' : JSON.stringify(payload);
}

/**
 * `extra` headers, then the four signature headers over `body` (signed at `signedAt`, seconds), then a JSON content
 * type when there is a body.
 */
function signedHeaders(
  body: string,
  key: SigningKey,
  signedAt: number,
  extra: Record<string, string> = {},
): Record<string, string> {
  const h: Record<string, string> = { ...extra, ...signAnswer(body, key, signedAt) };
  if (body) h['Content-Type'] = 'application/json';
  return h;
}

/** Notes in the log entry the nonce and timestamp the answer sent with headers `h` carries, and the peer's clock. */
function noteSignature(entry: PeerLogEntry, h: Readonly<Record<string, string>>, settings: PeerSettings): void {
  const nonce = h['Wechatpay-Nonce'];
  const timestamp = Number(h['Wechatpay-Timestamp']);
  if (nonce) entry.answerNonce = nonce;
  if (Number.isInteger(timestamp)) entry.answerTimestamp = timestamp;
  if (settings.clockOffsetMs !== 0) entry.clockOffsetMs = settings.clockOffsetMs;
}

/** Notes in the log entry that the answer sent with headers `h` is correctly signed, and with what. */
function markVerifiable(entry: PeerLogEntry, h: Readonly<Record<string, string>>, settings: PeerSettings): void {
  entry.answerVerifiable = true;
  noteSignature(entry, h, settings);
}

/**
 * Answers `payload` (undefined: no body), signed at `signedAt` (seconds; default the peer's now), with `extraHeaders`
 * (which may replace the peer's `Date`).
 */
export function answer(
  x: Exchange,
  status: number,
  payload: unknown,
  extraHeaders: Record<string, string> = {},
  signedAt = peerSeconds(x.peer.settings),
): void {
  const body = answerBody(payload);
  const h = signedHeaders(body, signingKey(x.peer.settings, x.peer.identity), signedAt, extraHeaders);
  record(x.entry, status, payload);
  sendSigned(x, status, h, body);
}

/**
 * Sends an answer correctly signed with headers `h` (its status and code already in the log entry), noting it as
 * verifiable and remembering it for replays; nothing is sent, or remembered, once the caller has gone.
 */
function sendSigned(x: Exchange, status: number, h: Record<string, string>, body: string): void {
  markVerifiable(x.entry, h, x.peer.settings);
  if (x.res.destroyed) return;
  x.peer.sent.remember(x.entry, { seq: x.entry.seq, at: Date.now(), status, headers: { ...h }, body });
  x.res.writeHead(status, h).end(body);
}

/** Answers `payload` as JSON without any `Wechatpay-*` header (as WeChat Pay answers a 401, or a proxy would). */
export function answerUnsigned(
  x: Exchange,
  status: number,
  payload: unknown,
  extraHeaders: Record<string, string> = {},
): void {
  record(x.entry, status, payload);
  x.res.writeHead(status, { ...extraHeaders, 'Content-Type': 'application/json' }).end(JSON.stringify(payload));
}

// ── Replaying ──

/** A signed answer as it went out. */
export interface SentAnswer {
  /** The log entry (`seq`) of the exchange that first gave it. */
  seq: number;
  /** When it was first given (epoch ms). */
  at: number;
  status: number;
  /** Every header set: the four `Wechatpay-*`, `Content-Type` with a body, any other (e.g. `Retry-After`). */
  headers: Readonly<Record<string, string>>;
  body: string;
}

/**
 * How long a "no such order" answer stays fit to replay: its `Wechatpay-Timestamp` is then still well inside a
 * client's ±5 minutes, so only a client that remembers nonces can tell the copy.
 */
export const NOT_EXIST_REPLAY_MS = 4 * 60_000;

/** How many (route, order) pairs' last answers are kept; the least recently answered pair is forgotten first. */
const KEPT_PAIRS = 5_000;

/** The signed answers a peer gave: the last one per route and order, and the last "no such order". */
export class SentAnswers {
  private readonly last = new Map<string, SentAnswer>();
  private notExist: SentAnswer | undefined;

  /** Remembers `sent`, the signed answer to the request logged as `entry` (its status and code already noted). */
  remember(entry: PeerLogEntry, sent: SentAnswer): void {
    if (entry.route !== 'unknown' && entry.orderNo !== undefined) {
      const key = pairKey(entry.route, entry.orderNo);
      this.last.delete(key);
      this.last.set(key, sent);
      if (this.last.size > KEPT_PAIRS) this.last.delete(this.last.keys().next().value!);
    }
    const notExist = sent.status === 404 && entry.code === 'ORDER_NOT_EXIST' && entry.route !== 'unknown';
    // A replayed copy does not make an older answer the newest.
    if (notExist && sent.at >= (this.notExist?.at ?? 0)) this.notExist = sent;
  }

  /** The last signed answer given to `orderNo` on `route`, if it is still kept. */
  lastTo(route: Route, orderNo: string): SentAnswer | undefined {
    return this.last.get(pairKey(route, orderNo));
  }

  /** The last signed `404 ORDER_NOT_EXIST` given, if it was first given within {@link NOT_EXIST_REPLAY_MS}. */
  freshNotExist(now = Date.now()): SentAnswer | undefined {
    return this.notExist && now - this.notExist.at <= NOT_EXIST_REPLAY_MS ? this.notExist : undefined;
  }
}

/** What making a "no such order" answer needs: the peer's orders, keys, settings, log and last request number. */
export interface ReplayingPeer extends OrderBook {
  identity: SimulatorIdentity;
  settings: PeerSettings;
  sent: SentAnswers;
  log: PeerLogEntry[];
  seq: number;
}

/**
 * The signed `404 ORDER_NOT_EXIST` to replay: the last one given within {@link NOT_EXIST_REPLAY_MS}; else the peer
 * first answers a query for a random unknown order (logged like any other request, though none came, right after the
 * request that needs it) and keeps that.
 */
export function notExistToReplay(peer: ReplayingPeer): SentAnswer {
  const fresh = peer.sent.freshNotExist();
  if (fresh) return fresh;
  let orderNo: string;
  do orderNo = `NX${randomBytes(12).toString('hex')}`;
  while (peer.orders.has(orderNo) || peer.latePays.has(orderNo));
  const entry = openEntry(
    ++peer.seq,
    { method: 'GET', path: queryPath(orderNo), wechatpaySerial: undefined },
    { route: 'query', orderNo },
  );
  peer.log.push(entry);
  const { status, payload } = queryApi(peer, orderNo, peer.identity.mchid);
  const body = answerBody(payload);
  const headers = signedHeaders(body, signingKey(peer.settings, peer.identity), peerSeconds(peer.settings));
  record(entry, status, payload);
  markVerifiable(entry, headers, peer.settings);
  const sent: SentAnswer = { seq: entry.seq, at: Date.now(), status, headers, body };
  peer.sent.remember(entry, sent);
  return sent;
}

/** Answers the exchange with a byte-exact copy of `sent`; its log entry says which exchange gave it first. */
function sendCopy(x: Exchange, sent: SentAnswer): void {
  record(x.entry, sent.status, safeJson(sent.body));
  x.entry.replayOf = sent.seq;
  markVerifiable(x.entry, sent.headers, x.peer.settings);
  x.peer.sent.remember(x.entry, sent);
  x.res.writeHead(sent.status, sent.headers).end(sent.body);
}

function pairKey(route: Route, orderNo: string): string {
  return `${route} ${orderNo}`;
}

// ── Faulted answers ──

/**
 * What "before" faults that answer from the peer's state read: the request's order as the query answers it now, and
 * the signed answer a replay fault copies.
 */
export interface PeerView {
  /** The query answer for the request's order (a fresh object, free to edit); undefined when there is no order. */
  orderAnswer(): OrderAnswerJson | undefined;
  /** The answer to copy for `type`; undefined when there is none (then the fault does not act). */
  answerToReplay(type: 'replayNotExist' | 'replayLast'): SentAnswer | undefined;
}

/**
 * Answers as a "before" fault says, the request unprocessed: an error (signed or not), a reset, a gateway page, a
 * signed query answer that does not match the order, a byte-exact copy of an earlier signed answer (read from
 * `view`), or a signed answer from before the request (a 204 to a reverse, "no such order" to a query).
 */
export function answerInstead(x: Exchange, spec: BeforeAnswer, view: PeerView): void {
  switch (spec.type) {
    case 'signed':
    case 'unsigned':
      return (spec.type === 'signed' ? answer : answerUnsigned)(
        x,
        spec.status,
        { code: spec.code, message: spec.message },
        spec.headers,
      );
    case 'reset':
      x.entry.status = -1;
      x.req.socket.destroy();
      return;
    case 'badGateway':
      x.entry.status = 502;
      x.res.writeHead(502, { 'Content-Type': 'text/html' }).end('<html><body>502 Bad Gateway{{</body></html>');
      return;
    case 'mismatch': {
      const edited = view.orderAnswer()!;
      spec.edit(edited);
      return answer(x, 200, edited);
    }
    case 'replayNotExist':
    case 'replayLast':
      return sendCopy(x, view.answerToReplay(spec.type)!);
    case 'stale': {
      const signedAt = peerSeconds(x.peer.settings) - spec.ageSeconds;
      const dated: Record<string, string> = spec.dated ? { Date: new Date(signedAt * 1_000).toUTCString() } : {};
      if (x.entry.route === 'reverse') return answer(x, 204, undefined, dated, signedAt);
      return answer(x, 404, STALE_NOT_EXIST, dated, signedAt);
    }
  }
}

/** The "no such order" a stale answer to a query says: the very body of a real one. */
const STALE_NOT_EXIST = { code: 'ORDER_NOT_EXIST', message: '订单不存在' } as const;

/**
 * Spoils, as an "after" fault says, the answer (`status`, `payload`) to a request that was processed: held back
 * (`delayMs`, else the peer's), its signature headers edited, replaced by an oversized one or by a slow drip.
 */
export async function spoil(
  x: Exchange,
  spec: AfterAnswer,
  status: number,
  payload: unknown,
  delayMs?: number,
): Promise<void> {
  const { res, entry } = x;
  const body = answerBody(payload);
  const key = signingKey(x.peer.settings, x.peer.identity);
  const signedAt = peerSeconds(x.peer.settings);
  const h = signedHeaders(body, key, signedAt);
  record(entry, status, payload);
  switch (spec.type) {
    case 'delay':
      await sleep(delayMs ?? x.peer.settings.delayMs);
      return sendSigned(x, status, h, body);
    case 'corruptBill':
      // A bill download's fault, served by the download itself (`peer.ts`); never a JSON answer's.
      return sendSigned(x, status, h, body);
    case 'headers':
      spec.edit(h, body, key);
      noteSignature(entry, h, x.peer.settings);
      res.writeHead(status, h).end(body);
      return;
    case 'oversize': {
      const big = JSON.stringify({ padding: 'x'.repeat(2 * 1024 * 1024) });
      entry.status = 200;
      delete entry.code;
      res.writeHead(200, { ...signAnswer(big, key, signedAt), 'Content-Type': 'application/json' }).end(big);
      return;
    }
    case 'slowDrip': {
      entry.status = 200;
      delete entry.code;
      res.writeHead(200, { 'Content-Type': 'application/json', ...signAnswer('{}', key, signedAt) });
      for (let i = 0; i < 120 && !res.destroyed; i++) {
        res.write(' ');
        await sleep(500);
      }
      if (!res.destroyed) res.end('{}');
      return;
    }
  }
}
