/**
 * WeChat Pay's trade bills as the reconciliation reads them: the signed apply (answer verified and fresh), the signed
 * download of the file it names (unsigned answer: its SHA1 must be the signed one), the file read line by line. An
 * expired download URL is applied for again; a file whose SHA1 or summary does not hold is never reconciled.
 */
import { classifyTradeBillAnswer } from '../wechatpay/classify';
import { WechatpayCall, type WechatpayClient } from '../wechatpay/client';
import { readTradeBill } from '../wechatpay/trade-bill';
import type { BillLine, BillOpening, BillSource } from './trade-bill';
import { ErrorType } from '../workflows/contract';
import type { Metrics } from './metrics';

/** Applies made for one opening: the first, and one more when the download URL had expired. */
const APPLIES = 2;
/** WeChat Pay's code for a download URL that expired (apply again). */
const EXPIRED_URL = 'INVALID_REQUEST';

/** A source of bills through the worker's WeChat Pay client. */
export function createBillSource(client: WechatpayClient, metrics?: Metrics): BillSource {
  return {
    async open(billDate, subMchid, signal) {
      let reason = '';
      for (let apply = 1; apply <= APPLIES; apply += 1) {
        const answer = await client.tradeBill({ billDate, subMchid }, signal ? { signal } : {});
        const verdict = classifyTradeBillAnswer(answer);
        metrics?.wechatpayAnswer(WechatpayCall.TRADE_BILL, verdict.class);
        if (verdict.class === 'EMPTY_DAY') return { ok: true, empty: true };
        if (verdict.class === 'NOT_READY')
          return { ok: false, type: ErrorType.TRADE_BILL_NOT_READY, reason: verdict.row };
        if (verdict.class === 'REJECTED') return { ok: false, type: ErrorType.TRADE_BILL_REFUSED, reason: verdict.row };
        if (verdict.class !== 'READY')
          return { ok: false, type: ErrorType.TRADE_BILL_UNAVAILABLE, reason: verdict.row };
        const download = await client.downloadTradeBill(verdict.bill.downloadUrl, signal ? { signal } : {});
        if (download.ok) return opened(download, verdict.bill.hashValue);
        reason = `download: ${download.reason}`;
        if (download.code !== EXPIRED_URL) break;
      }
      return { ok: false, type: ErrorType.TRADE_BILL_UNAVAILABLE, reason };
    },
  };
}

/** A downloaded bill being read: its lines, then whether its SHA1 is the signed one and the file holds. */
function opened(
  download: Extract<Awaited<ReturnType<WechatpayClient['downloadTradeBill']>>, { ok: true }>,
  hashValue: string,
): BillOpening {
  const reader = readTradeBill(download.lines);
  async function* lines(): AsyncGenerator<BillLine> {
    for await (const item of reader) yield item;
  }
  return {
    ok: true,
    empty: false,
    lines: lines(),
    digest() {
      if (!download.matches(hashValue)) {
        return {
          ok: false,
          reason: `the file's SHA1 ${download.digest() ?? '(not read)'} is not the signed ${hashValue}`,
        };
      }
      const end = reader.end();
      if (!end) return { ok: false, reason: 'the file was not read to its end' };
      return end.ok ? { ok: true } : { ok: false, reason: end.problem };
    },
  };
}
