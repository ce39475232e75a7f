/**
 * WeChat Pay's trade bill (`bill_type=ALL`), read and written: one module's pair, so the simulator serves exactly what
 * the reader reads. Pure and streaming: lines in, one result per trade line out, the summary at the end.
 *
 * The format: a header line of column names (no backticks; a UTF-8 BOM may precede it), one line per sub-order trade,
 * then a summary header (starting with `总交易单数`) and one summary row. Every field of a trade or summary row starts
 * with a backtick; fields are separated by commas and never quoted, so a row is split on `` ,` `` (a comma inside a
 * value survives). Columns are read by header name: their order varies. Amounts are yuan with exactly two decimals
 * (`0.01`, `1234567.89`), read as integer fen from the text (no floating point); any other shape — `1.5`, `-1.00`,
 * `1,000.00` — is refused: WeChat Pay always writes two decimals, and a row whose amount would have to be guessed is
 * reported, never read. A row that does not parse is yielded as a problem naming its line and column, never skipped.
 */
import { MCHID_RE } from '../workflows/contract';

/** Every column of an ALL trade bill, in WeChat Pay's order. */
export const TRADE_BILL_COLUMNS = [
  '交易时间',
  '公众账号ID',
  '商户号',
  '特约商户号',
  '设备号',
  '微信订单号',
  '商户订单号',
  '用户标识',
  '交易类型',
  '交易状态',
  '付款银行',
  '货币种类',
  '应结订单金额',
  '代金券金额',
  '微信退款单号',
  '商户退款单号',
  '退款金额',
  '充值券退款金额',
  '退款类型',
  '退款状态',
  '商品名称',
  '商户数据包',
  '手续费',
  '费率',
  '订单金额',
  '申请退款金额',
  '费率备注',
] as const;
/** One of {@link TRADE_BILL_COLUMNS}. */
export type TradeBillColumn = (typeof TRADE_BILL_COLUMNS)[number];

/** The columns a trade bill must have for its rows to be read. */
export const REQUIRED_TRADE_BILL_COLUMNS = [
  '交易时间',
  '商户号',
  '特约商户号',
  '微信订单号',
  '商户订单号',
  '交易状态',
  '应结订单金额',
  '退款金额',
] as const satisfies readonly TradeBillColumn[];

/** The summary header's columns, in WeChat Pay's order. */
export const TRADE_BILL_SUMMARY_COLUMNS = [
  '总交易单数',
  '应结订单总金额',
  '退款总金额',
  '充值券退款总金额',
  '手续费总金额',
  '订单总金额',
  '申请退款总金额',
] as const;

/** `交易状态` of a trade row. */
export type TradeBillState = 'SUCCESS' | 'REFUND' | 'REVOKED';
/** `退款状态` of a refund row (the bill's values, not the refund API's). */
type TradeBillRefundStatus = 'SUCCESS' | 'PROCESSING' | 'FAIL' | 'CHANGE';

const TRADE_STATES: ReadonlySet<string> = new Set<TradeBillState>(['SUCCESS', 'REFUND', 'REVOKED']);
const REFUND_STATUSES: ReadonlySet<string> = new Set<TradeBillRefundStatus>([
  'SUCCESS',
  'PROCESSING',
  'FAIL',
  'CHANGE',
]);

/** One trade row, read. Amounts in fen. `line` is the row's 1-based line number in the file. */
export interface TradeBillRow {
  line: number;
  /** `交易时间`, `YYYY-MM-DD HH:MM:SS` Beijing time, as written. */
  tradeTime: string;
  /** `商户号`: the merchant (the platform, in partner mode). */
  mchid: string;
  /** `特约商户号`: the secondary merchant of the sub-order. */
  subMchid: string;
  /** `微信订单号`. */
  transactionId: string;
  /** `商户订单号`: the sub-order's `out_trade_no`. */
  outTradeNo: string;
  /** `交易状态`. */
  tradeState: TradeBillState;
  /** `应结订单金额`. */
  settlementFen: number;
  /** `退款金额`. */
  refundFen: number;
  /** `商户退款单号` (refund rows). */
  outRefundNo?: string;
  /** `微信退款单号` (refund rows). */
  refundId?: string;
  /** `退款状态` (refund rows). */
  refundStatus?: TradeBillRefundStatus;
  /** `商户数据包`: the sub-order's `attach`. */
  attach?: string;
  /** `订单金额`. */
  orderFen?: number;
}

/** The summary row: `总交易单数`, `应结订单总金额`, `退款总金额`. */
export interface TradeBillSummary {
  trades: number;
  settlementFen: number;
  refundFen: number;
}

/** One trade line's result: the row, or why it does not parse (naming the column). */
export type TradeBillItem = { ok: true; row: TradeBillRow } | { ok: false; line: number; problem: string };

/** What was read from the trade lines: every trade line counted, the sums over the rows that parsed. */
interface TradeBillTotals {
  /** Trade lines read (rows and problems). */
  trades: number;
  /** Trade lines that did not parse. */
  problems: number;
  settlementFen: number;
  refundFen: number;
}

/**
 * The file as a whole, once every line was read. Not `ok`: no header, required columns missing (one problem naming
 * them all), a truncated file (no summary), a summary that does not parse or whose trade count disagrees with the
 * trade lines read, or a line after the summary. The per-row problems are the items'; they do not make `end` fail.
 */
export type TradeBillEnd =
  | { ok: true; summary: TradeBillSummary; read: TradeBillTotals }
  | { ok: false; problem: string; summary?: TradeBillSummary; read: TradeBillTotals };

/** A bill being read: iterate it once for the trade lines, then `end()` (undefined until the iteration ended). */
export interface TradeBillReader extends AsyncIterable<TradeBillItem> {
  end(): TradeBillEnd | undefined;
}

/** File-level problems. */
export const TradeBillProblem = {
  EMPTY: 'the bill is empty: no header line',
  NO_SUMMARY: 'the bill has no summary (总交易单数 …): the file is cut short',
  NO_SUMMARY_ROW: 'the bill has a summary header but no summary row: the file is cut short',
  NO_BACKTICK: 'the row does not start with a backtick',
} as const;

const TRADE_TIME_RE = /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/;
const TRADE_NO_RE = /^[\x21-\x7e]{1,32}$/;
const ID_RE = /^[\x21-\x7e]{1,64}$/;
const YUAN_RE = /^(0|[1-9]\d{0,12})\.(\d{2})$/;
const COUNT_RE = /^(0|[1-9]\d{0,9})$/;
const SUMMARY_START = TRADE_BILL_SUMMARY_COLUMNS[0];

/**
 * Yuan with exactly two decimals (`0.01`, `1234567.89`) as integer fen; undefined for anything else (`1.5`, `1`,
 * `-1.00`, `01.00`, more than 13 integer digits).
 */
export function yuanToFen(text: string): number | undefined {
  const m = YUAN_RE.exec(text);
  return m ? Number(m[1]) * 100 + Number(m[2]) : undefined;
}

/** Integer fen (≥ 0) as yuan with two decimals. Throws a RangeError for anything else. */
export function fenToYuan(fen: number): string {
  if (!Number.isSafeInteger(fen) || fen < 0) throw new RangeError(`not an amount in fen: ${fen}`);
  return `${Math.floor(fen / 100)}.${String(fen % 100).padStart(2, '0')}`;
}

/** A short, safe rendering of a bad value for a problem. */
function shown(value: string): string {
  return value.length > 40 ? `a value of ${value.length} characters` : JSON.stringify(value);
}

/** A backtick row's fields (one leading backtick stripped from each), or undefined when it does not start with one. */
function splitRow(line: string): string[] | undefined {
  return line.startsWith('`') ? line.slice(1).split(',`') : undefined;
}

/** A header line's names (a BOM, blanks and one optional leading backtick stripped from each). */
function splitHeader(line: string): string[] {
  return line
    .replace(/^\uFEFF/, '')
    .split(',')
    .map((name) => name.trim().replace(/^`/, ''));
}

/** Column name → field index, from a header; or the problem with the header. */
function indexHeader(
  line: string,
  required: readonly string[],
): { ok: true; index: Map<string, number>; width: number } | { ok: false; problem: string } {
  const names = splitHeader(line);
  const index = new Map<string, number>();
  const duplicated = names.filter((name, i) => name !== '' && names.indexOf(name) !== i);
  if (duplicated.length > 0) return { ok: false, problem: `the header repeats column(s) ${duplicated.join(', ')}` };
  names.forEach((name, i) => index.set(name, i));
  const missing = required.filter((name) => !index.has(name));
  if (missing.length > 0) return { ok: false, problem: `the header lacks required column(s) ${missing.join(', ')}` };
  return { ok: true, index, width: names.length };
}

/** Thrown inside a row's parse to name its bad column; caught in {@link parseTradeRow}. */
class ColumnProblem extends Error {}

/** The fields of one row by column name. */
interface Fields {
  required(column: string): string;
  optional(column: string): string | undefined;
}

function fieldsOf(values: string[], index: Map<string, number>): Fields {
  const value = (column: string): string | undefined => {
    const at = index.get(column);
    return at === undefined ? undefined : values[at];
  };
  return {
    required: (column) => value(column) ?? '',
    optional: (column) => {
      const v = value(column);
      return v === undefined || v === '' ? undefined : v;
    },
  };
}

function checked(column: string, value: string, re: RegExp, rule: string): string {
  if (value === '') throw new ColumnProblem(`${column}: is empty`);
  if (!re.test(value)) throw new ColumnProblem(`${column}: ${shown(value)} is not ${rule}`);
  return value;
}

function amount(column: string, value: string): number {
  const fen = yuanToFen(value);
  if (fen === undefined) throw new ColumnProblem(`${column}: ${shown(value)} is not yuan with two decimals`);
  return fen;
}

function oneOf<T extends string>(column: string, value: string, allowed: ReadonlySet<string>): T {
  if (!allowed.has(value)) throw new ColumnProblem(`${column}: ${shown(value)} is not ${[...allowed].join(', ')}`);
  return value as T;
}

/** A row's typed fields (throws a {@link ColumnProblem} naming the first bad column). */
function rowOf(f: Fields, line: number): TradeBillRow {
  const outRefundNo = f.optional('商户退款单号');
  const refundId = f.optional('微信退款单号');
  const refundStatus = f.optional('退款状态');
  const attach = f.optional('商户数据包');
  const order = f.optional('订单金额');
  return {
    line,
    tradeTime: checked('交易时间', f.required('交易时间'), TRADE_TIME_RE, 'YYYY-MM-DD HH:MM:SS'),
    mchid: checked('商户号', f.required('商户号'), MCHID_RE, '1-32 digits'),
    subMchid: checked('特约商户号', f.required('特约商户号'), MCHID_RE, '1-32 digits'),
    transactionId: checked('微信订单号', f.required('微信订单号'), ID_RE, '1-64 printable characters'),
    outTradeNo: checked('商户订单号', f.required('商户订单号'), TRADE_NO_RE, '1-32 printable characters'),
    tradeState: oneOf<TradeBillState>('交易状态', f.required('交易状态'), TRADE_STATES),
    settlementFen: amount('应结订单金额', f.required('应结订单金额')),
    refundFen: amount('退款金额', f.required('退款金额')),
    ...(outRefundNo !== undefined
      ? { outRefundNo: checked('商户退款单号', outRefundNo, ID_RE, '1-64 printable characters') }
      : {}),
    ...(refundId !== undefined
      ? { refundId: checked('微信退款单号', refundId, ID_RE, '1-64 printable characters') }
      : {}),
    ...(refundStatus !== undefined
      ? { refundStatus: oneOf<TradeBillRefundStatus>('退款状态', refundStatus, REFUND_STATUSES) }
      : {}),
    ...(attach !== undefined ? { attach } : {}),
    ...(order !== undefined ? { orderFen: amount('订单金额', order) } : {}),
  };
}

/** One trade line read with the header's index: the row, or its problem naming the column. */
function parseTradeRow(text: string, line: number, index: Map<string, number>, width: number): TradeBillItem {
  const values = splitRow(text);
  if (!values) return { ok: false, line, problem: TradeBillProblem.NO_BACKTICK };
  if (values.length !== width) {
    return { ok: false, line, problem: `the row has ${values.length} fields, the header ${width}` };
  }
  try {
    return { ok: true, row: rowOf(fieldsOf(values, index), line) };
  } catch (err) {
    if (err instanceof ColumnProblem) return { ok: false, line, problem: err.message };
    throw err;
  }
}

/** The summary row read with its header; or the problem naming the column. */
function parseSummary(
  header: string,
  row: string,
): { ok: true; summary: TradeBillSummary } | { ok: false; problem: string } {
  const required = TRADE_BILL_SUMMARY_COLUMNS.slice(0, 3);
  const head = indexHeader(header, required);
  if (!head.ok) return { ok: false, problem: `summary: ${head.problem}` };
  const values = splitRow(row);
  if (!values) return { ok: false, problem: `summary: ${TradeBillProblem.NO_BACKTICK}` };
  if (values.length !== head.width) {
    return { ok: false, problem: `summary: the row has ${values.length} fields, its header ${head.width}` };
  }
  const f = fieldsOf(values, head.index);
  try {
    const trades = checked('总交易单数', f.required('总交易单数'), COUNT_RE, 'a count');
    const settlementFen = amount('应结订单总金额', f.required('应结订单总金额'));
    const refundFen = amount('退款总金额', f.required('退款总金额'));
    return { ok: true, summary: { trades: Number(trades), settlementFen, refundFen } };
  } catch (err) {
    if (err instanceof ColumnProblem) return { ok: false, problem: `summary: ${err.message}` };
    throw err;
  }
}

/** Where the reader is in the file. */
type Stage = 'header' | 'rows' | 'summaryRow' | 'after' | 'refused';

/** The reader's state, kept across lines. */
interface ReadState {
  stage: Stage;
  index: Map<string, number>;
  width: number;
  summaryHeader: string;
  summary?: TradeBillSummary;
  problem?: string;
  read: TradeBillTotals;
}

/** Reads one line (1-based `line`) into the state; the trade line's item, if it was one. */
function step(state: ReadState, text: string, line: number): TradeBillItem | undefined {
  if (state.stage === 'header') {
    if (text.replace(/^\uFEFF/, '').trim() === '') return undefined;
    const head = indexHeader(text, REQUIRED_TRADE_BILL_COLUMNS);
    if (!head.ok) {
      state.problem = head.problem;
      state.stage = 'refused';
      return undefined;
    }
    Object.assign(state, { stage: 'rows', index: head.index, width: head.width });
    return undefined;
  }
  if (text.trim() === '') return undefined;
  if (state.stage === 'rows' && text.replace(/^`/, '').startsWith(SUMMARY_START)) {
    Object.assign(state, { stage: 'summaryRow', summaryHeader: text });
    return undefined;
  }
  if (state.stage === 'summaryRow') {
    const summary = parseSummary(state.summaryHeader, text);
    if (summary.ok) state.summary = summary.summary;
    else state.problem ??= summary.problem;
    state.stage = 'after';
    return undefined;
  }
  if (state.stage === 'after') {
    state.problem ??= `line ${line}: unexpected line after the summary`;
    return undefined;
  }
  const item = parseTradeRow(text, line, state.index, state.width);
  state.read.trades += 1;
  if (item.ok) {
    state.read.settlementFen += item.row.settlementFen;
    state.read.refundFen += item.row.refundFen;
  } else state.read.problems += 1;
  return item;
}

/** The end of a file whose lines were all read. */
function endOf(state: ReadState): TradeBillEnd {
  const { read, summary } = state;
  const problem =
    state.problem ??
    (state.stage === 'header'
      ? TradeBillProblem.EMPTY
      : state.stage === 'rows'
        ? TradeBillProblem.NO_SUMMARY
        : state.stage === 'summaryRow'
          ? TradeBillProblem.NO_SUMMARY_ROW
          : summary && summary.trades !== read.trades
            ? `the summary counts ${summary.trades} trades (总交易单数), the bill has ${read.trades} trade lines`
            : undefined);
  if (problem !== undefined) return { ok: false, problem, ...(summary ? { summary } : {}), read };
  return { ok: true, summary: summary!, read };
}

/**
 * Reads a trade bill line by line (lines without terminators, e.g. `lines` of a download): yields one item per trade
 * line, in order, then `end()` says whether the file as a whole holds (see {@link TradeBillEnd}). When the header is
 * refused nothing is yielded and reading stops.
 */
export function readTradeBill(lines: AsyncIterable<string>): TradeBillReader {
  let end: TradeBillEnd | undefined;
  async function* items(): AsyncGenerator<TradeBillItem> {
    const state: ReadState = {
      stage: 'header',
      index: new Map(),
      width: 0,
      summaryHeader: '',
      read: { trades: 0, problems: 0, settlementFen: 0, refundFen: 0 },
    };
    let line = 0;
    for await (const text of lines) {
      line += 1;
      const item = step(state, text, line);
      if (item) yield item;
      if (state.stage === 'refused') break;
    }
    end = endOf(state);
  }
  return { [Symbol.asyncIterator]: items, end: () => end };
}

/** A row to write: a {@link TradeBillRow} without its line number, and any other column's text. */
export type TradeBillRowInput = Omit<TradeBillRow, 'line'> & { other?: Partial<Record<TradeBillColumn, string>> };

/** How a bill is written. */
export interface TradeBillFormat {
  /** Line terminator (default `\r\n`). */
  newline?: '\n' | '\r\n';
  /** Start with a UTF-8 BOM, as WeChat Pay's files do (default true). */
  bom?: boolean;
  /** Summary values to write instead of the computed ones (to serve a wrong summary on purpose). */
  summary?: Partial<TradeBillSummary>;
}

/** The text of one row's column. */
function columnText(row: TradeBillRowInput, column: TradeBillColumn): string {
  const known: Partial<Record<TradeBillColumn, string | undefined>> = {
    交易时间: row.tradeTime,
    商户号: row.mchid,
    特约商户号: row.subMchid,
    微信订单号: row.transactionId,
    商户订单号: row.outTradeNo,
    交易状态: row.tradeState,
    应结订单金额: fenToYuan(row.settlementFen),
    退款金额: fenToYuan(row.refundFen),
    商户退款单号: row.outRefundNo,
    微信退款单号: row.refundId,
    退款状态: row.refundStatus,
    商户数据包: row.attach,
    订单金额: row.orderFen !== undefined ? fenToYuan(row.orderFen) : undefined,
    货币种类: 'CNY',
  };
  const text = row.other?.[column] ?? known[column] ?? '';
  if (/[\r\n]|,`/.test(text)) throw new RangeError(`${column}: a value may not hold a line break or ",\`"`);
  return text;
}

/**
 * Writes rows as an ALL trade bill: the full header in WeChat Pay's order, one backtick row per trade (empty
 * backtick fields for columns without data), the summary header and row (counts and sums computed from the rows,
 * `summary` overriding). Throws a RangeError for a value the format cannot hold (a line break, `` ,` ``) or an amount
 * that is not whole fen.
 */
export function formatTradeBill(rows: Iterable<TradeBillRowInput>, format: TradeBillFormat = {}): string {
  const newline = format.newline ?? '\r\n';
  const out: string[] = [TRADE_BILL_COLUMNS.join(',')];
  let trades = 0;
  let settlementFen = 0;
  let refundFen = 0;
  let orderFen = 0;
  for (const row of rows) {
    out.push(TRADE_BILL_COLUMNS.map((column) => `\`${columnText(row, column)}`).join(','));
    trades += 1;
    settlementFen += row.settlementFen;
    refundFen += row.refundFen;
    orderFen += row.orderFen ?? row.settlementFen;
  }
  const summary = { trades, settlementFen, refundFen, ...format.summary };
  out.push(TRADE_BILL_SUMMARY_COLUMNS.join(','));
  const totals = [
    String(summary.trades),
    fenToYuan(summary.settlementFen),
    fenToYuan(summary.refundFen),
    '0.00',
    '0.00',
  ];
  out.push([...totals, fenToYuan(orderFen), fenToYuan(refundFen)].map((v) => `\`${v}`).join(','));
  return `${format.bom === false ? '' : '\uFEFF'}${out.join(newline)}${newline}`;
}
