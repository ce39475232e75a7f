/**
 * The WeChat Pay peer's trade bills, built from its ledger: the apply (`GET /v3/bill/tradebill?…`, checked as WeChat
 * Pay checks it, answering `{ hash_type, hash_value, download_url }` for a snapshot of the day's rows) and the file's
 * download (`GET /v3/billdownload/file?token=…`: the GZIP of the CSV, unsigned; the token valid for
 * `billUrlValidityMs` by the peer's clock). The file is written by the product's own writer (`formatTradeBill`), so
 * format and reader are one pair; `hash_value` is the SHA1 of the decompressed bytes (`tradeBillDigest`).
 */
import { randomBytes } from 'node:crypto';
import zlib from 'node:zlib';
import { tradeBillDigest } from '../../../wechatpay/bill-download';
import { MCHID_RE } from '../../../workflows/contract';
import {
  fenToYuan,
  formatTradeBill,
  type TradeBillRowInput,
  type TradeBillSummary,
} from '../../../wechatpay/trade-bill';
import { beijingDay, type Ledger, type LedgerRow } from './ledger';
import { BILL_DOWNLOAD_PATH } from './routes';
import type { PeerSettings } from './settings';

/** Error messages of the bill routes (WeChat Pay's wording where known; the codes are what the peer answers). */
const BillMessage = {
  BAD_DATE: 'bill_date格式错误: 应为真实日期 YYYY-MM-DD',
  NOT_YET: 'bill_date不能是今天或以后的日期',
  TOO_OLD: 'bill_date超出可下载范围: 仅支持三个月以内的账单',
  BAD_SUB_MCHID: 'sub_mchid格式错误: 应为1-32位数字',
  BAD_BILL_TYPE: 'bill_type取值错误: ALL、SUCCESS或REFUND',
  BAD_TAR_TYPE: 'tar_type取值错误: GZIP',
  NO_STATEMENT: '该日期无交易账单',
  CREATING: '账单生成中',
  URL_EXPIRED: '下载链接已过期, 请重新申请',
  UNKNOWN_TOKEN: '下载链接无效, 请重新申请',
} as const;

/** A bill the peer answered for, kept under its download token until it expires. */
interface IssuedBill {
  subMchid: string;
  billDate: string;
  /** The decompressed file. */
  text: string;
  /** Its SHA1 (hex): the apply answer's `hash_value`. */
  hash: string;
  gzip: boolean;
  /** Until when its download URL is valid (epoch ms, the peer's clock). */
  expiresAtMs: number;
  /** The rows it holds (a snapshot of the ledger when applied for). */
  rows: readonly LedgerRow[];
}

/** Bills issued, by download token. */
export type IssuedBills = Map<string, IssuedBill>;

/** What the bill routes read: the ledger, the bills issued, the settings. */
export interface BillBook {
  ledger: Ledger;
  bills: IssuedBills;
  settings: PeerSettings;
}

/** An answer of a bill route before signing: a status and a JSON payload. */
export interface BillAnswer {
  status: number;
  payload: Record<string, unknown>;
}

const BILL_TYPES = ['ALL', 'SUCCESS', 'REFUND'] as const;

const refused = (status: number, code: string, message: string): BillAnswer => ({
  status,
  payload: { code, message },
});

/** A checked apply: the sub-merchant, the day, which rows (`bill_type`), compressed or not. */
export interface BillQuery {
  subMchid: string;
  billDate: string;
  billType: (typeof BILL_TYPES)[number];
  gzip: boolean;
}

/** Whether `text` is `YYYY-MM-DD` and a real day. */
function isRealDay(text: string): boolean {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(text)) return false;
  const [y, m, d] = text.split('-').map(Number) as [number, number, number];
  const at = new Date(Date.UTC(y, m - 1, d));
  return at.getUTCFullYear() === y && at.getUTCMonth() === m - 1 && at.getUTCDate() === d;
}

/** The earliest day that may be applied for on Beijing day `today`: three months back. */
function earliestDay(today: string): string {
  const [y, m, d] = today.split('-').map(Number) as [number, number, number];
  return new Date(Date.UTC(y, m - 1 - 3, d)).toISOString().slice(0, 10);
}

/**
 * Checks an apply's query by the peer's clock `nowMs`: `bill_date` a real day (400 `PARAM_ERROR`), before today in
 * Beijing (400 `PARAM_ERROR`, unless `serveTodayBill`; a later day always), at most three months back (400
 * `INVALID_REQUEST`); `sub_mchid` 1–32 digits, `bill_type` ALL / SUCCESS / REFUND (default ALL), `tar_type` GZIP or
 * absent (400 `PARAM_ERROR`).
 */
export function checkBillQuery(q: URLSearchParams, nowMs: number, serveToday: boolean): BillQuery | BillAnswer {
  const billDate = q.get('bill_date') ?? '';
  const subMchid = q.get('sub_mchid') ?? '';
  const billType = q.get('bill_type') ?? 'ALL';
  const tarType = q.get('tar_type');
  if (!isRealDay(billDate)) return refused(400, 'PARAM_ERROR', BillMessage.BAD_DATE);
  if (!MCHID_RE.test(subMchid)) return refused(400, 'PARAM_ERROR', BillMessage.BAD_SUB_MCHID);
  if (!(BILL_TYPES as readonly string[]).includes(billType)) {
    return refused(400, 'PARAM_ERROR', BillMessage.BAD_BILL_TYPE);
  }
  if (tarType !== null && tarType !== 'GZIP') return refused(400, 'PARAM_ERROR', BillMessage.BAD_TAR_TYPE);
  const today = beijingDay(nowMs);
  if (billDate > today || (billDate === today && !serveToday)) {
    return refused(400, 'PARAM_ERROR', BillMessage.NOT_YET);
  }
  if (billDate < earliestDay(today)) return refused(400, 'INVALID_REQUEST', BillMessage.TOO_OLD);
  return { subMchid, billDate, billType: billType as BillQuery['billType'], gzip: tarType === 'GZIP' };
}

/** A ledger row as the bill writes it (a debit's amount is settled; a reverse's or refund's is refunded). */
function billRow(row: LedgerRow): TradeBillRowInput {
  const refund = row.tradeState !== 'SUCCESS';
  return {
    tradeTime: row.tradeTime,
    mchid: row.mchid,
    subMchid: row.subMchid,
    transactionId: row.transactionId,
    outTradeNo: row.outTradeNo,
    tradeState: row.tradeState,
    settlementFen: refund ? 0 : row.amountFen,
    refundFen: refund ? row.amountFen : 0,
    orderFen: refund ? 0 : row.amountFen,
    ...(refund ? { outRefundNo: row.outRefundNo, refundId: row.refundId, refundStatus: 'SUCCESS' as const } : {}),
    other: {
      公众账号ID: row.appid ?? '',
      交易类型: 'PAP',
      付款银行: 'OTHERS',
      代金券金额: '0.00',
      充值券退款金额: '0.00',
      手续费: '0.00',
      费率: '0.60%',
      ...(refund ? { 退款类型: 'ORIGINAL', 申请退款金额: fenToYuan(row.amountFen) } : { 申请退款金额: '0.00' }),
    },
  };
}

/** The rows of a bill type: ALL, only the debits (SUCCESS), or only the reverses and refunds (REFUND). */
function ofType(rows: LedgerRow[], billType: BillQuery['billType']): LedgerRow[] {
  if (billType === 'ALL') return rows;
  return rows.filter((r) => (billType === 'SUCCESS') === (r.tradeState === 'SUCCESS'));
}

/**
 * The apply, once its query was checked: 400 `NO_STATEMENT_EXIST` when the sub-merchant has no rows that day; else
 * the bill is written now (a snapshot), kept under a new token, and answered `{ hash_type: "SHA1", hash_value,
 * download_url }` with the URL on `origin` (the host the caller reached the peer by).
 */
export function applyForBill(book: BillBook, query: BillQuery, origin: string, nowMs: number): BillAnswer {
  const rows = ofType(book.ledger.of(query.subMchid, query.billDate), query.billType);
  if (rows.length === 0) return refused(400, 'NO_STATEMENT_EXIST', BillMessage.NO_STATEMENT);
  const text = formatTradeBill(rows.map(billRow));
  const token = randomBytes(24).toString('base64url');
  forgetExpired(book.bills, nowMs);
  book.bills.set(token, {
    subMchid: query.subMchid,
    billDate: query.billDate,
    text,
    hash: tradeBillDigest(text),
    gzip: query.gzip,
    expiresAtMs: nowMs + book.settings.billUrlValidityMs,
    rows,
  });
  return {
    status: 200,
    payload: {
      hash_type: 'SHA1',
      hash_value: tradeBillDigest(text),
      download_url: `${origin}${BILL_DOWNLOAD_PATH}?token=${token}`,
    },
  };
}

/** Forgets bills expired for a minute once more than 1,000 are kept. */
function forgetExpired(bills: IssuedBills, nowMs: number): void {
  if (bills.size <= 1_000) return;
  for (const [token, bill] of bills) if (bill.expiresAtMs + 60_000 < nowMs) bills.delete(token);
}

/** A download: the file's bytes and content type, or a refusal (400 `INVALID_REQUEST`: unknown or expired token). */
export type BillFile = { ok: true; bytes: Buffer; contentType: string; bill: IssuedBill } | BillAnswer;

/**
 * The file of `token` at `nowMs` (the peer's clock): its bytes (GZIP when applied for with `tar_type=GZIP`), or
 * `corrupt`: the same file with the first row's amount one fen higher — what was hashed is not what is sent.
 */
export function billFile(bills: IssuedBills, token: string, nowMs: number, corrupt = false): BillFile {
  const bill = bills.get(token);
  if (!bill) return refused(400, 'INVALID_REQUEST', BillMessage.UNKNOWN_TOKEN);
  if (nowMs > bill.expiresAtMs) return refused(400, 'INVALID_REQUEST', BillMessage.URL_EXPIRED);
  const text = corrupt ? corrupted(bill) : bill.text;
  const bytes = bill.gzip ? zlib.gzipSync(Buffer.from(text, 'utf8')) : Buffer.from(text, 'utf8');
  return { ok: true, bytes, contentType: bill.gzip ? 'application/octet-stream' : 'text/plain;charset=utf-8', bill };
}

/** The bill with its first row's amount one fen higher and the summary left as it was (see {@link billFile}). */
function corrupted(bill: IssuedBill): string {
  const rows = bill.rows.map(billRow);
  const summary: TradeBillSummary = {
    trades: rows.length,
    settlementFen: rows.reduce((sum, r) => sum + r.settlementFen, 0),
    refundFen: rows.reduce((sum, r) => sum + r.refundFen, 0),
  };
  const first = rows[0]!;
  rows[0] =
    first.tradeState === 'SUCCESS'
      ? { ...first, settlementFen: first.settlementFen + 1 }
      : { ...first, refundFen: first.refundFen + 1 };
  return formatTradeBill(rows, { summary });
}
