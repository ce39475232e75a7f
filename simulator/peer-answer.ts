/**
 * How the WeChat Pay peer answers an exchange: signed with the key its settings choose at the moment of answering
 * (every answer but 401), or unsigned; each answer is noted in the request's log entry.
 */
import type http from 'node:http';
import type { SimulatorIdentity } from './keys';
import { record, type PeerLogEntry } from './peer-log';
import type { SentAnswers } from './peer-replay';
import { signingKey, type PeerSettings } from './peer-settings';
import { signAnswer, type SigningKey } from './signing';

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
export function answerBody(payload: unknown): string {
  return payload === undefined ? '' : JSON.stringify(payload);
}

/** `extra` headers, then the four signature headers over `body`, then a JSON content type when there is a body. */
export function signedHeaders(
  body: string,
  key: SigningKey,
  extra: Record<string, string> = {},
): Record<string, string> {
  const h: Record<string, string> = { ...extra, ...signAnswer(body, key) };
  if (body) h['Content-Type'] = 'application/json';
  return h;
}

/** Notes in the log entry that the answer sent with headers `h` is correctly signed. */
export function markVerifiable(entry: PeerLogEntry, h: Readonly<Record<string, string>>): void {
  entry.answerVerifiable = true;
  entry.answerNonce = h['Wechatpay-Nonce'];
}

/** Answers `payload` (undefined: no body), signed. */
export function answer(x: Exchange, status: number, payload: unknown, extraHeaders: Record<string, string> = {}): void {
  const body = answerBody(payload);
  const h = signedHeaders(body, signingKey(x.peer.settings, x.peer.identity), extraHeaders);
  record(x.entry, status, payload);
  sendSigned(x, status, h, body);
}

/**
 * Sends an answer correctly signed with headers `h` (its status and code already in the log entry), noting it as
 * verifiable and remembering it for replays; nothing is sent, or remembered, once the caller has gone.
 */
export function sendSigned(x: Exchange, status: number, h: Record<string, string>, body: string): void {
  markVerifiable(x.entry, h);
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
