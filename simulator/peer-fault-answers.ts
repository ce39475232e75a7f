/**
 * Applies the WeChat Pay peer's faults (described in `peer-fault-table.ts`) to an exchange: answering instead of
 * processing the request, or spoiling the answer of a processed one.
 */
import { sleep } from './faults';
import { answer, answerBody, answerUnsigned, sendSigned, signedHeaders, type Exchange } from './peer-answer';
import type { AfterAnswer, BeforeAnswer } from './peer-fault-table';
import { record } from './peer-log';
import type { OrderAnswerJson } from './peer-order-wire';
import { sendCopy, type SentAnswer } from './peer-replay';
import { signingKey } from './peer-settings';
import { signAnswer } from './signing';

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
 * signed query answer that does not match the order, or a byte-exact copy of an earlier signed answer (read from
 * `view`).
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
  }
}

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
  const h = signedHeaders(body, key);
  record(entry, status, payload);
  switch (spec.type) {
    case 'delay':
      await sleep(delayMs ?? x.peer.settings.delayMs);
      return sendSigned(x, status, h, body);
    case 'headers':
      spec.edit(h, body, key);
      if (h['Wechatpay-Nonce']) entry.answerNonce = h['Wechatpay-Nonce'];
      res.writeHead(status, h).end(body);
      return;
    case 'oversize': {
      const big = JSON.stringify({ padding: 'x'.repeat(2 * 1024 * 1024) });
      entry.status = 200;
      delete entry.code;
      res.writeHead(200, { ...signAnswer(big, key), 'Content-Type': 'application/json' }).end(big);
      return;
    }
    case 'slowDrip': {
      entry.status = 200;
      delete entry.code;
      res.writeHead(200, { 'Content-Type': 'application/json', ...signAnswer('{}', key) });
      for (let i = 0; i < 120 && !res.destroyed; i++) {
        res.write(' ');
        await sleep(500);
      }
      if (!res.destroyed) res.end('{}');
      return;
    }
  }
}
