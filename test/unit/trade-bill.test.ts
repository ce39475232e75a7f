/**
 * The trade bill: the writer and the reader as a pair, the stream reader (gunzip, lines, bound, SHA1 of the
 * decompressed bytes), the download's origin guard, the apply answer's classification, and a real signed round trip
 * (apply, then download) against a local server that checks our signature with node:crypto alone.
 */
import { createHash, generateKeyPairSync, randomBytes, sign, verify, type KeyObject } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Readable } from 'node:stream';
import zlib from 'node:zlib';
import {
  BillStreamFault,
  DEFAULT_MAX_BILL_BYTES,
  downloadTarget,
  DownloadUrlRefusal,
  gunzipLines,
  MAX_BILL_LINE_CHARS,
  tradeBillDigest,
  TradeBillStreamError,
} from '../../wechatpay/bill-download';
import { classifyTradeBillAnswer, parseTradeBillLink } from '../../wechatpay/classify';
import { createWechatpayClient, type WechatpayAnswer, type WechatpayConfig } from '../../wechatpay/client';
import { ClockOffsetEstimate } from '../../wechatpay/freshness';
import { NonceMemory } from '../../wechatpay/nonces';
import {
  fenToYuan,
  formatTradeBill,
  readTradeBill,
  REQUIRED_TRADE_BILL_COLUMNS,
  TRADE_BILL_COLUMNS,
  TRADE_BILL_SUMMARY_COLUMNS,
  TradeBillProblem,
  yuanToFen,
  type TradeBillEnd,
  type TradeBillItem,
  type TradeBillRowInput,
} from '../../wechatpay/trade-bill';

const ROWS: TradeBillRowInput[] = [
  {
    tradeTime: '2026-12-01 10:00:00',
    mchid: '1900009191',
    subMchid: '1900000001',
    transactionId: '4200000001202612010000000001',
    outTradeNo: 'S1',
    tradeState: 'SUCCESS',
    settlementFen: 1,
    refundFen: 0,
    attach: 'a, with a comma',
    orderFen: 1,
  },
  {
    tradeTime: '2026-12-01 11:00:00',
    mchid: '1900009191',
    subMchid: '1900000002',
    transactionId: '4200000001202612010000000002',
    outTradeNo: 'S2',
    tradeState: 'REFUND',
    settlementFen: 0,
    refundFen: 123456789,
    outRefundNo: 'R2',
    refundId: '50300000012026120100000002',
    refundStatus: 'SUCCESS',
  },
  {
    tradeTime: '2026-12-01 12:00:00',
    mchid: '1900009191',
    subMchid: '12345678',
    transactionId: '4200000001202612010000000003',
    outTradeNo: 'S|3*@',
    tradeState: 'REVOKED',
    settlementFen: 0,
    refundFen: 0,
  },
];

/** Every item and the end of a bill given as text (split as the download splits: `\n`, `\r\n`). */
async function read(text: string): Promise<{ items: TradeBillItem[]; end: TradeBillEnd | undefined }> {
  const reader = readTradeBill(Readable.from(text.split(/\r?\n/)));
  const items: TradeBillItem[] = [];
  for await (const item of reader) items.push(item);
  return { items, end: reader.end() };
}

/** The bill's text with one trade row (1-based among the trade rows) replaced by `edit` of its fields. */
function editRow(text: string, index: number, edit: (fields: string[]) => string[]): string {
  const lines = text.split('\r\n');
  const fields = lines[index]!.slice(1).split(',`');
  lines[index] = `\`${edit(fields).join(',`')}`;
  return lines.join('\r\n');
}

const at = (column: string): number => TRADE_BILL_COLUMNS.indexOf(column as (typeof TRADE_BILL_COLUMNS)[number]);

describe('trade bill: writer and reader', () => {
  it('reads back what the writer wrote: every row, line numbers, the summary', async () => {
    const { items, end } = await read(formatTradeBill(ROWS));
    expect(items).toEqual(ROWS.map((row, i) => ({ ok: true, row: { ...row, line: i + 2 } })));
    expect(end).toEqual({
      ok: true,
      summary: { trades: 3, settlementFen: 1, refundFen: 123456789 },
      read: { trades: 3, problems: 0, settlementFen: 1, refundFen: 123456789 },
    });
  });

  it('writes the full ALL header in order, empty backtick fields, a BOM and the summary header', () => {
    const text = formatTradeBill(ROWS.slice(0, 1));
    const lines = text.split('\r\n');
    expect(lines[0]).toBe(`\uFEFF${TRADE_BILL_COLUMNS.join(',')}`);
    expect(TRADE_BILL_COLUMNS).toHaveLength(27);
    expect(lines[1]!.split(',`')).toHaveLength(27);
    expect(lines[1]!.split(',`')[at('设备号')]).toBe('');
    expect(lines[1]!.split(',`')[at('货币种类')]).toBe('CNY');
    expect(lines[2]).toBe(
      '总交易单数,应结订单总金额,退款总金额,充值券退款总金额,手续费总金额,订单总金额,申请退款总金额',
    );
    expect(lines[3]).toBe('`1,`0.01,`0.00,`0.00,`0.00,`0.01,`0.00');
    expect(lines[4]).toBe('');
    expect(formatTradeBill([], { bom: false, newline: '\n' })).toBe(
      `${TRADE_BILL_COLUMNS.join(',')}\n${TRADE_BILL_SUMMARY_COLUMNS.join(',')}\n\`0,\`0.00,\`0.00,\`0.00,\`0.00,\`0.00,\`0.00\n`,
    );
  });

  it('reads by header name whatever the column order', async () => {
    const text = formatTradeBill(ROWS, { bom: false });
    const order = TRADE_BILL_COLUMNS.map((_, i) => i).reverse();
    const shuffled = text
      .split('\r\n')
      .map((line, i) => {
        if (i === 0) return order.map((j) => TRADE_BILL_COLUMNS[j]).join(',');
        if (i > ROWS.length) return line;
        const fields = line.slice(1).split(',`');
        return `\`${order.map((j) => fields[j]).join(',`')}`;
      })
      .join('\r\n');
    const { items, end } = await read(shuffled);
    expect(items).toEqual(ROWS.map((row, i) => ({ ok: true, row: { ...row, line: i + 2 } })));
    expect(end?.ok).toBe(true);
  });

  it('reads a bill with only the required columns (the refund columns absent)', async () => {
    const header = REQUIRED_TRADE_BILL_COLUMNS.join(',');
    const row = '`2026-12-01 10:00:00,`1900009191,`1900000001,`42000001,`S1,`SUCCESS,`0.01,`0.00';
    const { items, end } = await read(
      `${header}\n${row}\n${TRADE_BILL_SUMMARY_COLUMNS.slice(0, 3).join(',')}\n\`1,\`0.01,\`0.00\n`,
    );
    expect(items).toEqual([
      {
        ok: true,
        row: {
          line: 2,
          tradeTime: '2026-12-01 10:00:00',
          mchid: '1900009191',
          subMchid: '1900000001',
          transactionId: '42000001',
          outTradeNo: 'S1',
          tradeState: 'SUCCESS',
          settlementFen: 1,
          refundFen: 0,
        },
      },
    ]);
    expect(end?.ok).toBe(true);
  });

  it.each<[string, (fields: string[]) => string[], RegExp]>([
    ['a missing field', (f) => f.slice(1), /the row has 26 fields, the header 27/],
    ['an extra field', (f) => [...f, 'x'], /the row has 28 fields, the header 27/],
    ['an unknown 交易状态', (f) => f.map((v, i) => (i === at('交易状态') ? 'PAID' : v)), /^交易状态: "PAID" is not/],
    [
      'an amount with one decimal',
      (f) => f.map((v, i) => (i === at('应结订单金额') ? '1.5' : v)),
      /^应结订单金额: "1.5"/,
    ],
    ['a negative amount', (f) => f.map((v, i) => (i === at('退款金额') ? '-1.00' : v)), /^退款金额: "-1.00"/],
    ['a bad 订单金额', (f) => f.map((v, i) => (i === at('订单金额') ? '1,000.00' : v)), /^订单金额: "1,000.00"/],
    ['an empty 商户订单号', (f) => f.map((v, i) => (i === at('商户订单号') ? '' : v)), /^商户订单号: is empty/],
    [
      'a sub_mchid that is not digits',
      (f) => f.map((v, i) => (i === at('特约商户号') ? '19000x' : v)),
      /^特约商户号: "19000x" is not 1-32 digits/,
    ],
    ['an empty sub_mchid', (f) => f.map((v, i) => (i === at('特约商户号') ? '' : v)), /^特约商户号: is empty/],
    ['a bad 交易时间', (f) => f.map((v, i) => (i === at('交易时间') ? '2026-12-01T10:00:00' : v)), /^交易时间:/],
    ['an unknown 退款状态', (f) => f.map((v, i) => (i === at('退款状态') ? 'DONE' : v)), /^退款状态: "DONE"/],
  ])('reports %s with its line and column, and reads on', async (_, edit, problem) => {
    const { items, end } = await read(editRow(formatTradeBill(ROWS), 2, edit));
    expect(items).toHaveLength(3);
    expect(items[0]).toMatchObject({ ok: true });
    expect(items[1]).toEqual({ ok: false, line: 3, problem: expect.stringMatching(problem) as string });
    expect(items[2]).toMatchObject({ ok: true, row: { line: 4 } });
    // The row is counted, not skipped: the summary's count still agrees; the sums are the rows that parsed.
    expect(end).toMatchObject({ ok: true, read: { trades: 3, problems: 1, settlementFen: 1, refundFen: 0 } });
  });

  it('reports a row without its backtick', async () => {
    const lines = formatTradeBill(ROWS).split('\r\n');
    lines[1] = lines[1]!.slice(1);
    const { items } = await read(lines.join('\r\n'));
    expect(items[0]).toEqual({ ok: false, line: 2, problem: TradeBillProblem.NO_BACKTICK });
  });

  it('refuses a header without required columns in one problem naming them, reading no row', async () => {
    const lines = formatTradeBill(ROWS).split('\r\n');
    lines[0] = lines[0]!.replace('商户订单号', '订单号').replace('退款金额,', 'x,');
    const { items, end } = await read(lines.join('\r\n'));
    expect(items).toEqual([]);
    expect(end).toMatchObject({ ok: false, problem: 'the header lacks required column(s) 商户订单号, 退款金额' });
  });

  it('refuses an empty file, a file cut before its summary, and one cut before its summary row', async () => {
    expect((await read('')).end).toMatchObject({ ok: false, problem: TradeBillProblem.EMPTY });
    const lines = formatTradeBill(ROWS).split('\r\n');
    const cut = await read(lines.slice(0, 3).join('\r\n'));
    expect(cut.items).toHaveLength(2);
    expect(cut.end).toMatchObject({ ok: false, problem: TradeBillProblem.NO_SUMMARY, read: { trades: 2 } });
    expect((await read(lines.slice(0, 5).join('\r\n'))).end).toMatchObject({
      ok: false,
      problem: TradeBillProblem.NO_SUMMARY_ROW,
    });
  });

  it('refuses a summary whose trade count disagrees with the rows, and a line after the summary', async () => {
    const wrong = await read(formatTradeBill(ROWS, { summary: { trades: 4 } }));
    expect(wrong.end).toMatchObject({
      ok: false,
      problem: 'the summary counts 4 trades (总交易单数), the bill has 3 trade lines',
      summary: { trades: 4 },
    });
    const after = await read(`${formatTradeBill(ROWS)}\`extra\r\n`);
    expect(after.end).toMatchObject({ ok: false, problem: 'line 7: unexpected line after the summary' });
  });

  it('refuses a summary row that does not parse, naming its column', async () => {
    const text = formatTradeBill(ROWS).replace('`3,`0.01', '`3,`0.1');
    expect((await read(text)).end).toMatchObject({
      ok: false,
      problem: expect.stringMatching(/^summary: 应结订单总金额/) as string,
    });
  });

  it('writes nothing the reader would misread', () => {
    expect(() => formatTradeBill([{ ...ROWS[0]!, attach: 'a\nb' }])).toThrow(RangeError);
    expect(() => formatTradeBill([{ ...ROWS[0]!, attach: 'a,`b' }])).toThrow(RangeError);
    expect(() => formatTradeBill([{ ...ROWS[0]!, settlementFen: 1.5 }])).toThrow(RangeError);
  });
});

describe('trade bill: amounts and ids', () => {
  it.each([
    ['0.00', 0],
    ['0.01', 1],
    ['0.10', 10],
    ['1.00', 100],
    ['19.99', 1999],
    ['1234567.89', 123456789],
    ['9999999999999.99', 999999999999999],
  ])('reads %s yuan as %i fen, exactly, and writes it back', (yuan, fen) => {
    expect(yuanToFen(yuan)).toBe(fen);
    expect(fenToYuan(fen)).toBe(yuan);
  });

  // Decided: WeChat Pay always writes two decimals; any other shape is refused (reported as a bad row), never guessed.
  it.each([
    '1.5',
    '1',
    '1.',
    '.50',
    '1.005',
    '-1.00',
    '+1.00',
    '01.00',
    ' 1.00',
    '1.00 ',
    '1,000.00',
    '10000000000000.00',
    '',
  ])('refuses %j', (yuan) => {
    expect(yuanToFen(yuan)).toBeUndefined();
  });

  it('sums fen without floating-point error (0.1 + 0.2 yuan)', () => {
    expect(yuanToFen('0.10')! + yuanToFen('0.20')!).toBe(yuanToFen('0.30'));
  });
});

/** A gzip body as a stream of small chunks (so lines and multi-byte characters straddle chunks). */
function body(bytes: Buffer, chunk = 7): Readable {
  const parts: Buffer[] = [];
  for (let i = 0; i < bytes.length; i += chunk) parts.push(bytes.subarray(i, i + chunk));
  return Readable.from(parts);
}

async function allLines(lines: AsyncIterable<string>): Promise<string[]> {
  const out: string[] = [];
  for await (const line of lines) out.push(line);
  return out;
}

describe('trade bill: the stream reader', () => {
  it('gunzips, splits \\n and \\r\\n, and gives the SHA1 of the decompressed bytes once read', async () => {
    const text = formatTradeBill(ROWS);
    const gz = zlib.gzipSync(Buffer.from(text));
    const read = gunzipLines(body(gz), { maxBytes: DEFAULT_MAX_BILL_BYTES });
    expect(read.digest()).toBeUndefined();
    const lines = await allLines(read.lines);
    expect(lines).toEqual(text.split('\r\n').slice(0, -1));
    expect(read.digest()).toBe(createHash('sha1').update(text).digest('hex'));
    expect(read.digest()).toBe(tradeBillDigest(text));
    expect(read.digest()).not.toBe(createHash('sha1').update(gz).digest('hex'));
    expect(read.bytesRead()).toBe(Buffer.byteLength(text));

    const mixed = 'a\r\nb\nc\r\n\r\nd';
    const mixedRead = gunzipLines(body(zlib.gzipSync(mixed), 1), { maxBytes: 100 });
    expect(await allLines(mixedRead.lines)).toEqual(['a', 'b', 'c', '', 'd']);
    expect(mixedRead.digest()).toBe(tradeBillDigest(mixed));
  });

  it('reads what it reads straight into the parser (CRLF bill, from gzip)', async () => {
    const gz = zlib.gzipSync(formatTradeBill(ROWS));
    const reader = readTradeBill(gunzipLines(body(gz, 5), { maxBytes: 1e6 }).lines);
    const items: TradeBillItem[] = [];
    for await (const item of reader) items.push(item);
    expect(items.every((i) => i.ok)).toBe(true);
    expect(reader.end()?.ok).toBe(true);
  });

  async function fault(bytes: Buffer, maxBytes = 1e6): Promise<TradeBillStreamError> {
    const read = gunzipLines(body(bytes), { maxBytes });
    const err = await allLines(read.lines).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(read.digest()).toBeUndefined();
    expect(err).toBeInstanceOf(TradeBillStreamError);
    return err as TradeBillStreamError;
  }

  it('stops at maxBillBytes decompressed, naming the bound', async () => {
    const err = await fault(zlib.gzipSync(Buffer.alloc(10_000, 'a\n')), 4_096);
    expect(err.reason).toBe(BillStreamFault.TOO_LARGE);
    expect(err.message).toContain('maxBillBytes (4096 bytes decompressed)');
  });

  it('stops at a line longer than the bound', async () => {
    const err = await fault(zlib.gzipSync(Buffer.alloc(MAX_BILL_LINE_CHARS + 10, 'x')));
    expect(err.reason).toBe(BillStreamFault.LINE_TOO_LONG);
  });

  it('refuses a body that is not GZIP, one cut short, and one with a corrupted byte', async () => {
    expect((await fault(Buffer.from('not gzip at all'))).reason).toBe(BillStreamFault.CORRUPT_GZIP);
    const gz = zlib.gzipSync(formatTradeBill(ROWS));
    expect((await fault(gz.subarray(0, gz.length - 6))).reason).toBe(BillStreamFault.CORRUPT_GZIP);
    const flipped = Buffer.from(gz);
    flipped[gz.length - 6] = flipped[gz.length - 6]! ^ 0xff; // inside the CRC32 of the trailer
    expect((await fault(flipped)).reason).toBe(BillStreamFault.CORRUPT_GZIP);
  });
});

describe('trade bill: where a download may go', () => {
  const hosts = { baseUrl: 'https://api.mch.weixin.qq.com/', backupBaseUrl: 'https://api2.mch.weixin.qq.com/' };
  const url = 'https://api.mch.weixin.qq.com/v3/billdownload/file?token=abc&tartype=gzip';

  it('sends to the configured host or its backup, with the same path and query', () => {
    expect(downloadTarget(url, hosts)).toEqual({ ok: true, url, host: 'main' });
    expect(downloadTarget(url, hosts, true)).toEqual({
      ok: true,
      url: 'https://api2.mch.weixin.qq.com/v3/billdownload/file?token=abc&tartype=gzip',
      host: 'backup',
    });
    const onBackup = 'https://api2.mch.weixin.qq.com/v3/billdownload/file?token=abc';
    expect(downloadTarget(onBackup, hosts)).toEqual({ ok: true, url: onBackup, host: 'backup' });
    // No backup configured: useBackup changes nothing.
    expect(downloadTarget(url, { baseUrl: hosts.baseUrl }, true)).toEqual({ ok: true, url, host: 'main' });
  });

  it.each([
    ['another host', 'https://evil.example/v3/billdownload/file?token=abc', DownloadUrlRefusal.FOREIGN_ORIGIN],
    ['a look-alike host', 'https://api.mch.weixin.qq.com.evil.example/v3/x', DownloadUrlRefusal.FOREIGN_ORIGIN],
    ['another port', 'https://api.mch.weixin.qq.com:8443/v3/billdownload/file', DownloadUrlRefusal.FOREIGN_ORIGIN],
    ['plain http', 'http://api.mch.weixin.qq.com/v3/billdownload/file', DownloadUrlRefusal.FOREIGN_ORIGIN],
    ['credentials', 'https://u:p@api.mch.weixin.qq.com/v3/billdownload/file', DownloadUrlRefusal.CREDENTIALS],
    ['a relative URL', '/v3/billdownload/file?token=abc', DownloadUrlRefusal.NOT_A_URL],
    ['another scheme', 'ftp://api.mch.weixin.qq.com/v3/billdownload/file', DownloadUrlRefusal.NOT_A_URL],
  ])('refuses %s', (_, bad, reason) => {
    expect(downloadTarget(bad, hosts)).toEqual({ ok: false, reason });
  });
});

describe('trade bill: the apply answer', () => {
  const hash = 'A'.repeat(40);
  const link = {
    hash_type: 'SHA1',
    hash_value: hash,
    download_url: 'https://api.mch.weixin.qq.com/v3/billdownload/file?token=t',
  };

  it('reads a bill link, naming the field that is wrong', () => {
    expect(parseTradeBillLink(link)).toEqual({
      ok: true,
      hashType: 'SHA1',
      hashValue: 'a'.repeat(40),
      downloadUrl: link.download_url,
    });
    expect(parseTradeBillLink(null)).toEqual({ ok: false, problem: 'the answer is not a JSON object' });
    expect(parseTradeBillLink({ ...link, hash_type: 'MD5' })).toMatchObject({
      problem: expect.stringContaining('hash_type') as string,
    });
    expect(parseTradeBillLink({ ...link, hash_value: 'abc' })).toMatchObject({
      problem: expect.stringContaining('hash_value') as string,
    });
    expect(parseTradeBillLink({ ...link, hash_value: undefined })).toMatchObject({ ok: false });
    expect(parseTradeBillLink({ ...link, download_url: '/v3/x' })).toMatchObject({
      problem: expect.stringContaining('download_url') as string,
    });
    expect(parseTradeBillLink({ ...link, download_url: `https://a/${'x'.repeat(2_100)}` })).toMatchObject({
      ok: false,
    });
  });

  const answer = (status: number, extra: Partial<WechatpayAnswer & { kind: 'answer' }> = {}): WechatpayAnswer => ({
    kind: 'answer',
    status,
    verified: true,
    host: 'main',
    ...extra,
  });

  it.each<[string, WechatpayAnswer, object]>([
    ['a verified 200 link', answer(200, { body: link }), { class: 'READY', bill: { hashValue: 'a'.repeat(40) } }],
    [
      'a verified 200 that is not a link',
      answer(200, { body: { hash_type: 'SHA1' } }),
      { class: 'UNVERIFIED', row: expect.stringContaining('hash_value') as string },
    ],
    ['a verified 204', answer(204), { class: 'TRANSIENT' }],
    [
      'NO_STATEMENT_EXIST, verified, main',
      answer(400, { code: 'NO_STATEMENT_EXIST' }),
      { class: 'EMPTY_DAY', code: 'NO_STATEMENT_EXIST' },
    ],
    [
      'NO_STATEMENT_EXIST from the backup',
      answer(400, { code: 'NO_STATEMENT_EXIST', host: 'backup' }),
      { class: 'TRANSIENT' },
    ],
    [
      'NO_STATEMENT_EXIST unsigned',
      answer(400, { code: 'NO_STATEMENT_EXIST', verified: false }),
      { class: 'TRANSIENT', unsigned: true },
    ],
    [
      'STATEMENT_CREATING, verified',
      answer(400, { code: 'STATEMENT_CREATING' }),
      { class: 'NOT_READY', code: 'STATEMENT_CREATING' },
    ],
    [
      'STATEMENT_CREATING from the backup',
      answer(400, { code: 'STATEMENT_CREATING', host: 'backup' }),
      { class: 'NOT_READY' },
    ],
    [
      'STATEMENT_CREATING unsigned',
      answer(400, { code: 'STATEMENT_CREATING', verified: false }),
      { class: 'TRANSIENT', unsigned: true },
    ],
    ['403 NO_AUTH', answer(403, { code: 'NO_AUTH' }), { class: 'AUTH', row: '403 NO_AUTH' }],
    ['400 PARAM_ERROR', answer(400, { code: 'PARAM_ERROR' }), { class: 'REJECTED', row: '400 PARAM_ERROR' }],
    [
      '400 with another code',
      answer(400, { code: 'BILL_TOO_OLD' }),
      { class: 'REJECTED', row: expect.stringContaining('BILL_TOO_OLD') as string },
    ],
    [
      '429',
      answer(429, { code: 'RATELIMIT_EXCEEDED', retryAfterMs: 5_000 }),
      { class: 'TRANSIENT', retryAfterMs: 5_000 },
    ],
    ['500', answer(500), { class: 'TRANSIENT' }],
    [
      'a network fault',
      { kind: 'network', reason: 'ECONNRESET', host: 'main' },
      { class: 'TRANSIENT', row: expect.stringContaining('network') as string },
    ],
    [
      'a failed signature',
      { kind: 'unverified', status: 200, reason: 'EV3_RES_HEADER_SIGNATURE_DIGEST', unsigned: false, host: 'main' },
      { class: 'UNVERIFIED' },
    ],
    [
      'an unsigned 200',
      { kind: 'unverified', status: 200, reason: 'EV3_RES_HEADERS_INCOMPLATE', unsigned: true, host: 'main' },
      { class: 'UNVERIFIED', unsigned: true },
    ],
    [
      'a stale answer',
      { kind: 'unverified', status: 200, reason: 'STALE_ANSWER: …', unsigned: false, host: 'main', stale: true },
      { class: 'UNVERIFIED', stale: true },
    ],
  ])('%s', (_, given, verdict) => {
    expect(classifyTradeBillAnswer(given)).toMatchObject(verdict);
  });
});

// ── A real signed round trip ──

const merchant = generateKeyPairSync('rsa', { modulusLength: 2048 });
const platform = generateKeyPairSync('rsa', { modulusLength: 2048 });
const MCHID = '1900009191';
const SERIAL = 'ABCDEF0123456789';

/** Whether a request's Authorization verifies with the merchant's public key over METHOD\nURI\nTS\nNONCE\nBODY\n. */
function signatureHolds(req: http.IncomingMessage, publicKey: KeyObject): boolean {
  const auth = req.headers.authorization ?? '';
  const items = new Map([...auth.matchAll(/(\w+)="([^"]*)"/g)].map((m): [string, string] => [m[1]!, m[2]!]));
  if (
    !auth.startsWith('WECHATPAY2-SHA256-RSA2048 ') ||
    items.get('mchid') !== MCHID ||
    items.get('serial_no') !== SERIAL
  )
    return false;
  const message = `${req.method}\n${req.url}\n${items.get('timestamp')}\n${items.get('nonce_str')}\n\n`;
  return verify('sha256', Buffer.from(message), publicKey, Buffer.from(items.get('signature') ?? '', 'base64'));
}

/** Answers `body` signed with the platform key (as WeChat Pay signs an APIv3 answer). */
function signedJson(res: http.ServerResponse, status: number, body: object): void {
  const text = JSON.stringify(body);
  const ts = String(Math.floor(Date.now() / 1000));
  const nonce = randomBytes(16).toString('hex');
  const signature = sign('sha256', Buffer.from(`${ts}\n${nonce}\n${text}\n`), platform.privateKey).toString('base64');
  res.writeHead(status, {
    'Content-Type': 'application/json',
    'Wechatpay-Timestamp': ts,
    'Wechatpay-Nonce': nonce,
    'Wechatpay-Serial': 'PUB_KEY_ID_01',
    'Wechatpay-Signature': signature,
  });
  res.end(text);
}

interface Peer {
  url: string;
  seen: string[];
  /** What the download serves instead of the bill the hash was computed over. */
  served?: Buffer;
  /** Stall after this many bytes of the gzip body. */
  stallAfter?: number;
  close(): Promise<void>;
}

const BILL = formatTradeBill(ROWS);
const GZ = zlib.gzipSync(BILL);

async function startPeer(): Promise<Peer> {
  const peer: Partial<Peer> & { seen: string[] } = { seen: [] };
  const server = http.createServer((req, res) => {
    peer.seen.push(req.url ?? '');
    if (!signatureHolds(req, merchant.publicKey)) {
      res.writeHead(401, { 'Content-Type': 'application/json' }).end('{"code":"SIGN_ERROR"}');
      return;
    }
    const url = new URL(req.url ?? '/', 'http://x');
    if (url.pathname === '/v3/bill/tradebill') {
      if (url.searchParams.get('bill_date') === '2026-12-02') {
        signedJson(res, 400, { code: 'NO_STATEMENT_EXIST', message: 'no bill' });
        return;
      }
      signedJson(res, 200, {
        hash_type: 'SHA1',
        hash_value: tradeBillDigest(BILL).toUpperCase(),
        download_url: `${peer.url}v3/billdownload/file?token=tok-${url.searchParams.get('sub_mchid')}`,
      });
      return;
    }
    if (url.pathname === '/v3/billdownload/file' && url.searchParams.get('token')?.startsWith('tok-')) {
      res.writeHead(200, { 'Content-Type': 'application/x-gzip' });
      if (peer.stallAfter !== undefined) {
        res.write(GZ.subarray(0, peer.stallAfter)); // and nothing more
        return;
      }
      res.end(peer.served ?? GZ);
      return;
    }
    res.writeHead(400, { 'Content-Type': 'application/json' }).end('{"code":"INVALID_REQUEST","message":"expired"}');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  peer.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  peer.close = () =>
    new Promise<void>((r) => {
      server.closeAllConnections();
      server.close(() => r());
    });
  return peer as Peer;
}

function clientFor(peer: Peer, extra: Partial<WechatpayConfig> = {}): ReturnType<typeof createWechatpayClient> {
  return createWechatpayClient(
    {
      baseUrl: peer.url,
      mchid: MCHID,
      merchantSerial: SERIAL,
      privateKey: merchant.privateKey,
      verifiers: { PUB_KEY_ID_01: platform.publicKey },
      wechatpaySerial: 'PUB_KEY_ID_01',
      timeoutMs: 2_000,
      maxBodyBytes: 65_536,
      ...extra,
    },
    new NonceMemory(),
    new ClockOffsetEstimate(),
  );
}

describe('trade bill: a signed round trip against a local server', () => {
  let peer: Peer;
  beforeEach(async () => {
    peer = await startPeer();
  });
  afterEach(async () => {
    await peer.close();
  });

  it('applies (signed over path and query, answer verified), downloads (signed, unsigned answer), digest matches', async () => {
    const client = clientFor(peer);
    const applied = await client.tradeBill({ billDate: '2026-12-01', subMchid: '1900000001' });
    expect(applied).toMatchObject({ kind: 'answer', status: 200, verified: true });
    expect(peer.seen[0]).toBe(
      '/v3/bill/tradebill?bill_date=2026-12-01&sub_mchid=1900000001&bill_type=ALL&tar_type=GZIP',
    );
    const verdict = classifyTradeBillAnswer(applied);
    if (verdict.class !== 'READY') throw new Error(`not ready: ${verdict.row}`);

    const download = await client.downloadTradeBill(verdict.bill.downloadUrl);
    if (!download.ok) throw new Error(download.reason);
    expect(peer.seen[1]).toBe('/v3/billdownload/file?token=tok-1900000001');
    expect(download.digest()).toBeUndefined();
    expect(download.matches(verdict.bill.hashValue)).toBe(false);
    const reader = readTradeBill(download.lines);
    const items: TradeBillItem[] = [];
    for await (const item of reader) items.push(item);
    expect(items.map((i) => i.ok)).toEqual([true, true, true]);
    expect(reader.end()?.ok).toBe(true);
    expect(download.digest()).toBe(verdict.bill.hashValue);
    expect(download.matches(verdict.bill.hashValue.toUpperCase())).toBe(true);
  });

  it('a served file whose content differs by one byte (a valid GZIP) has another digest', async () => {
    peer.served = zlib.gzipSync(BILL.replace('`S2,', '`S3,'));
    const client = clientFor(peer);
    const verdict = classifyTradeBillAnswer(await client.tradeBill({ billDate: '2026-12-01', subMchid: '1900000001' }));
    if (verdict.class !== 'READY') throw new Error(verdict.row);
    const download = await client.downloadTradeBill(verdict.bill.downloadUrl);
    if (!download.ok) throw new Error(download.reason);
    await allLines(download.lines);
    expect(download.digest()).toMatch(/^[0-9a-f]{40}$/);
    expect(download.matches(verdict.bill.hashValue)).toBe(false);
  });

  it('reports a signed NO_STATEMENT_EXIST as an empty day', async () => {
    const answer = await clientFor(peer).tradeBill({ billDate: '2026-12-02', subMchid: '1900000001' });
    expect(classifyTradeBillAnswer(answer)).toMatchObject({ class: 'EMPTY_DAY' });
  });

  it('reports an expired URL (400 INVALID_REQUEST) with its status and code', async () => {
    const download = await clientFor(peer).downloadTradeBill(`${peer.url}v3/billdownload/file?token=old`);
    expect(download).toEqual({
      ok: false,
      kind: 'answer',
      status: 400,
      code: 'INVALID_REQUEST',
      reason: '400 INVALID_REQUEST: expired',
      host: 'main',
    });
  });

  it('never sends to another origin', async () => {
    const other = await startPeer();
    try {
      const download = await clientFor(peer).downloadTradeBill(`${other.url}v3/billdownload/file?token=tok-1`);
      expect(download).toEqual({ ok: false, kind: 'origin', status: 0, reason: DownloadUrlRefusal.FOREIGN_ORIGIN });
      expect(other.seen).toEqual([]);
      expect(peer.seen).toEqual([]);
    } finally {
      await other.close();
    }
  });

  it('goes to the backup host with the same path and query when asked', async () => {
    const backup = await startPeer();
    try {
      const client = clientFor(peer, { backupBaseUrl: backup.url });
      const download = await client.downloadTradeBill(`${peer.url}v3/billdownload/file?token=tok-1`, {
        useBackup: true,
      });
      expect(download).toMatchObject({ ok: true, host: 'backup' });
      if (download.ok) await allLines(download.lines);
      expect(backup.seen).toEqual(['/v3/billdownload/file?token=tok-1']);
      expect(peer.seen).toEqual([]);
    } finally {
      await backup.close();
    }
  });

  it('gives up on a body that stalls (idle timeout) and on a cancelled download', async () => {
    peer.stallAfter = 20;
    const client = clientFor(peer, { timeoutMs: 300 });
    const stalled = await client.downloadTradeBill(`${peer.url}v3/billdownload/file?token=tok-1`);
    if (!stalled.ok) throw new Error(stalled.reason);
    await expect(allLines(stalled.lines)).rejects.toMatchObject({ reason: BillStreamFault.IDLE });
    expect(stalled.digest()).toBeUndefined();

    const controller = new AbortController();
    const cancelled = await clientFor(peer).downloadTradeBill(`${peer.url}v3/billdownload/file?token=tok-1`, {
      signal: controller.signal,
    });
    if (!cancelled.ok) throw new Error(cancelled.reason);
    setTimeout(() => controller.abort(), 50);
    await expect(allLines(cancelled.lines)).rejects.toMatchObject({ reason: BillStreamFault.CANCELLED });
  });

  it('survives a download cancelled or reset before its lines are read, and reports it when they are', async () => {
    peer.stallAfter = 20;
    const controller = new AbortController();
    const client = clientFor(peer);
    const early = await client.downloadTradeBill(`${peer.url}v3/billdownload/file?token=tok-1`, {
      signal: controller.signal,
    });
    if (!early.ok) throw new Error(early.reason);
    controller.abort();
    await new Promise((r) => setTimeout(r, 50));
    await expect(allLines(early.lines)).rejects.toMatchObject({ reason: BillStreamFault.CANCELLED });

    const dropped = await client.downloadTradeBill(`${peer.url}v3/billdownload/file?token=tok-1`);
    if (!dropped.ok) throw new Error(dropped.reason);
    dropped.cancel();
    await new Promise((r) => setTimeout(r, 50));
    await expect(allLines(dropped.lines)).rejects.toMatchObject({ reason: BillStreamFault.CANCELLED });

    const reset = await client.downloadTradeBill(`${peer.url}v3/billdownload/file?token=tok-1`);
    if (!reset.ok) throw new Error(reset.reason);
    await peer.close(); // the server drops the connection mid-body
    await new Promise((r) => setTimeout(r, 50));
    await expect(allLines(reset.lines)).rejects.toBeInstanceOf(TradeBillStreamError);
    peer = await startPeer();
  });

  it('reports a refused connection as a network fault', async () => {
    const url = peer.url;
    await peer.close();
    const download = await clientFor({ ...peer, url }).downloadTradeBill(`${url}v3/billdownload/file?token=tok-1`);
    expect(download).toMatchObject({ ok: false, kind: 'network', status: 0, host: 'main' });
    peer = await startPeer();
  });
});
