import {
  classifyQueryAnswer,
  classifyReverseAnswer,
  parseQueriedOrder,
  type ExpectedOrder,
} from '../../wechatpay/classify';
import type { WechatpayAnswer } from '../../wechatpay/client';
import type { WechatpayHost } from '../../workflows/contract';

const answer = (
  status: number,
  code?: string,
  verified = true,
  host: WechatpayHost = 'main',
  body?: unknown,
): WechatpayAnswer => ({
  kind: 'answer',
  status,
  ...(code ? { code } : {}),
  verified,
  ...(body !== undefined ? { body } : {}),
  host,
});
const unverified = (status: number, reason: string, unsigned = false): WechatpayAnswer => ({
  kind: 'unverified',
  status,
  reason,
  unsigned,
  host: 'main',
});
const network = (reason: string, host: WechatpayHost = 'main'): WechatpayAnswer => ({ kind: 'network', reason, host });

type Row = [name: string, input: WechatpayAnswer, klass: string, outcome: string | null, unsigned?: boolean];

describe('reverse answer table (one test per row)', () => {
  it.each<Row>([
    ['verified 204 → reversed', answer(204), 'ACCEPTED', 'REVERSED'],
    ['verified 202 USER_PAYING → transient (not done: query and retry)', answer(202, 'USER_PAYING'), 'TRANSIENT', null],
    ['verified 200 → transient (a 2xx other than 204 is not "done")', answer(200), 'TRANSIENT', null],
    ['signed 400 ORDER_CLOSED → already closed', answer(400, 'ORDER_CLOSED'), 'ACCEPTED', 'ALREADY_CLOSED'],
    ['signed 400 ORDER_REVERSED → already closed', answer(400, 'ORDER_REVERSED'), 'ACCEPTED', 'ALREADY_CLOSED'],
    ['signed 400 ORDERREVERSED → already closed', answer(400, 'ORDERREVERSED'), 'ACCEPTED', 'ALREADY_CLOSED'],
    [
      'signed ORDER_CLOSED from the backup host → already closed (closing is not undone by lag)',
      answer(400, 'ORDER_CLOSED', true, 'backup'),
      'ACCEPTED',
      'ALREADY_CLOSED',
    ],
    [
      'unsigned 400 ORDER_CLOSED → transient, counted unsigned',
      answer(400, 'ORDER_CLOSED', false),
      'TRANSIENT',
      null,
      true,
    ],
    [
      'signed 404 ORDER_NOT_EXIST, main host → no such order',
      answer(404, 'ORDER_NOT_EXIST'),
      'ACCEPTED',
      'ORDER_NOT_FOUND',
    ],
    [
      'signed 404 ORDERNOTEXIST, main host → no such order',
      answer(404, 'ORDERNOTEXIST'),
      'ACCEPTED',
      'ORDER_NOT_FOUND',
    ],
    [
      'signed 404 ORDER_NOT_EXISTS, main host → no such order',
      answer(404, 'ORDER_NOT_EXISTS'),
      'ACCEPTED',
      'ORDER_NOT_FOUND',
    ],
    [
      'signed 404 ORDER_NOT_EXIST from the backup host → transient (the backup may lag)',
      answer(404, 'ORDER_NOT_EXIST', true, 'backup'),
      'TRANSIENT',
      null,
    ],
    [
      'unsigned 404 ORDER_NOT_EXIST → transient, counted unsigned',
      answer(404, 'ORDER_NOT_EXIST', false),
      'TRANSIENT',
      null,
      true,
    ],
    ['signed 404 NOT_FOUND (generic) → rejected: wrong URL', answer(404, 'NOT_FOUND'), 'REJECTED', null],
    [
      'signed 404 RESOURCE_NOT_EXISTS → rejected: unknown resource',
      answer(404, 'RESOURCE_NOT_EXISTS'),
      'REJECTED',
      null,
    ],
    ['unsigned 404 NOT_FOUND → rejected, counted unsigned', answer(404, 'NOT_FOUND', false), 'REJECTED', null, true],
    [
      'bare 404 (proxy, wrong URL) → rejected, not "no such order"',
      answer(404, undefined, false),
      'REJECTED',
      null,
      true,
    ],
    ['400 PARAM_ERROR → rejected', answer(400, 'PARAM_ERROR'), 'REJECTED', null],
    ['400 INVALID_REQUEST → rejected', answer(400, 'INVALID_REQUEST'), 'REJECTED', null],
    ['400 unknown code → rejected', answer(400, 'SOMETHING_NEW'), 'REJECTED', null],
    ['401 SIGN_ERROR (never signed) → auth, not counted unsigned', answer(401, 'SIGN_ERROR', false), 'AUTH', null],
    ['403 NO_AUTH → auth', answer(403, 'NO_AUTH'), 'AUTH', null],
    ['401 without code → auth', answer(401, undefined, false), 'AUTH', null],
    ['429 → transient', answer(429, 'FREQUENCY_LIMITED'), 'TRANSIENT', null],
    ['408 → transient', answer(408), 'TRANSIENT', null],
    ['500 SYSTEM_ERROR → transient', answer(500, 'SYSTEM_ERROR'), 'TRANSIENT', null],
    [
      '502 without body, unsigned → transient, counted unsigned',
      answer(502, undefined, false),
      'TRANSIENT',
      null,
      true,
    ],
    ['503 SERVICE_UNAVAILABLE → transient', answer(503, 'SERVICE_UNAVAILABLE'), 'TRANSIENT', null],
    ['network fault → transient', network('ECONNRESET'), 'TRANSIENT', null],
    ['timeout → transient', network('ECONNABORTED'), 'TRANSIENT', null],
    ['2xx with bad signature → unverified', unverified(204, 'EV3_RES_HEADER_SIGNATURE_DIGEST'), 'UNVERIFIED', null],
    ['2xx from unknown serial → unverified', unverified(204, 'EV3_RES_HEADER_PLATFORM_SERIAL'), 'UNVERIFIED', null],
    ['2xx with missing headers → unverified', unverified(204, 'EV3_RES_HEADERS_INCOMPLATE'), 'UNVERIFIED', null],
    [
      '2xx without any Wechatpay-* header → unverified, counted unsigned',
      unverified(204, 'EV3_RES_HEADERS_INCOMPLATE', true),
      'UNVERIFIED',
      null,
      true,
    ],
    ['2xx with clock skew → unverified', unverified(204, 'EV3_RES_HEADER_TIMESTAMP_OFFSET'), 'UNVERIFIED', null],
    [
      'signed ORDER_CLOSED failing verification → unverified',
      unverified(400, 'EV3_RES_HEADER_SIGNATURE_DIGEST'),
      'UNVERIFIED',
      null,
    ],
    ['a 2xx reported unsigned (invariant guard) → unverified', answer(204, undefined, false), 'UNVERIFIED', null, true],
    ['301 → transient (unexpected)', answer(301), 'TRANSIENT', null],
  ])('%s', (_name, input, klass, outcome, unsigned = false) => {
    const verdict = classifyReverseAnswer(input);
    expect(verdict.class).toBe(klass);
    if (outcome) expect(verdict).toMatchObject({ outcome });
    else expect(verdict).not.toHaveProperty('outcome');
    expect(Boolean(verdict.unsigned)).toBe(unsigned);
    expect(verdict.row.length).toBeGreaterThan(0);
    expect(verdict.row.length).toBeLessThan(120);
  });

  it('a verified 204 or "no such order" signed before the request was sent → unverified, marked stale', () => {
    const reason = 'STALE_ANSWER: signed 60.4 s before our request (clock offset 0 s, tolerance 5 s)';
    for (const status of [204, 404]) {
      const stale: WechatpayAnswer = { kind: 'unverified', status, reason, unsigned: false, host: 'main', stale: true };
      expect(classifyReverseAnswer(stale)).toEqual({
        class: 'UNVERIFIED',
        row: `${status} not fresh (${reason})`,
        stale: true,
      });
      expect(classifyQueryAnswer(stale, expectedOf(stale))).toMatchObject({ class: 'UNVERIFIED', stale: true });
    }
    expect(classifyReverseAnswer(unverified(204, 'REPLAYED_NONCE: already seen by this worker'))).not.toHaveProperty(
      'stale',
    );
  });

  it('rows say why, without bodies or messages', () => {
    expect(classifyReverseAnswer(answer(202, 'USER_PAYING')).row).toMatch(/202 USER_PAYING.*outcome unknown: query/);
    expect(classifyReverseAnswer(answer(404, 'ORDER_NOT_EXIST', true, 'backup')).row).toMatch(/backup host/);
    expect(classifyReverseAnswer(answer(404, 'NOT_FOUND')).row).toMatch(/wrong URL/);
    const withMessage: WechatpayAnswer = {
      kind: 'answer',
      status: 400,
      code: 'PARAM_ERROR',
      message: 'secret-looking message text',
      verified: true,
      host: 'main',
    };
    expect(classifyReverseAnswer(withMessage).row).not.toContain('secret-looking');
  });
});

const NO = 'Q2026112700001';
const sub = (n: number, tradeState: string, extra: Record<string, unknown> = {}) => ({
  mchid: '1900000109',
  sub_mchid: `190000000${n}`,
  out_trade_no: `${NO}S${n}`,
  trade_state: tradeState,
  amount: { total_amount: 100, currency: 'CNY' },
  ...extra,
});
const order = (subs: unknown[], no = NO) => ({
  combine_appid: 'wxd678efh567hg6787',
  combine_mchid: '1900000109',
  combine_out_trade_no: no,
  sub_orders: subs,
});
const found = (body: unknown, status = 200, host: WechatpayHost = 'main') =>
  answer(status, undefined, true, host, body);
/**
 * The order the table's answers are compared with: order NO of merchant 1900000109 with the very sub-orders a
 * well-formed answer lists (the binding rules have their own table below), else one sub-order.
 */
const expectedOf = (a: WechatpayAnswer): ExpectedOrder => ({
  combineOutTradeNo: NO,
  combineMchid: '1900000109',
  subOrders: (a.kind === 'answer' && parseQueriedOrder(a.body)?.subOrders) || [
    { mchid: '1900000109', outTradeNo: `${NO}S1`, subMchid: '1900000001' },
  ],
});

describe('query answer table (one test per row)', () => {
  it.each<Row>([
    [
      'verified 200 with the order → found',
      found(order([sub(1, 'CLOSED'), sub(2, 'SUCCESS', { transaction_id: '4200000001202611270001' })])),
      'FOUND',
      null,
    ],
    [
      'verified 200 with an unknown state → found (kept verbatim)',
      found(order([sub(1, 'FROZEN_BY_RISK')])),
      'FOUND',
      null,
    ],
    ['verified 200 from the backup host → found', found(order([sub(1, 'NOTPAY')]), 200, 'backup'), 'FOUND', null],
    ['verified 200 for another order → not this order', found(order([sub(1, 'CLOSED')], 'OTHER')), 'UNVERIFIED', null],
    ['verified 200 without sub_orders → not an order', found({ combine_out_trade_no: NO }), 'UNVERIFIED', null],
    ['verified 200 with empty sub_orders → not an order', found(order([])), 'UNVERIFIED', null],
    [
      'verified 200 with 51 sub-orders → not an order',
      found(order(Array.from({ length: 51 }, (_, i) => sub(i, 'CLOSED')))),
      'UNVERIFIED',
      null,
    ],
    [
      'verified 200 with a sub-order without trade_state → not an order',
      found(order([{ ...sub(1, 'X'), trade_state: undefined }])),
      'UNVERIFIED',
      null,
    ],
    [
      'verified 200 with a numeric trade_state → not an order',
      found(order([{ ...sub(1, 'X'), trade_state: 7 }])),
      'UNVERIFIED',
      null,
    ],
    [
      'verified 200 with a 33-character trade_state → not an order',
      found(order([sub(1, 'S'.repeat(33))])),
      'UNVERIFIED',
      null,
    ],
    ['verified 200 with an empty trade_state → not an order', found(order([sub(1, '')])), 'UNVERIFIED', null],
    [
      'verified 200 without sub_mchid → not an order',
      found(order([{ ...sub(1, 'CLOSED'), sub_mchid: undefined }])),
      'UNVERIFIED',
      null,
    ],
    [
      'verified 200 with a numeric mchid → not an order',
      found(order([{ ...sub(1, 'CLOSED'), mchid: 1900000109 }])),
      'UNVERIFIED',
      null,
    ],
    [
      'verified 200 with a numeric transaction_id → not an order',
      found(order([sub(1, 'SUCCESS', { transaction_id: 42 })])),
      'UNVERIFIED',
      null,
    ],
    [
      'verified 200 with duplicate out_trade_no → not an order',
      found(order([sub(1, 'CLOSED'), sub(1, 'SUCCESS')])),
      'UNVERIFIED',
      null,
    ],
    ['verified 200 with a non-JSON body → not an order', found('<html>ok</html>'), 'UNVERIFIED', null],
    ['verified 200 with an array body → not an order', found([order([sub(1, 'CLOSED')])]), 'UNVERIFIED', null],
    ['verified 200 without a body → not an order', answer(200), 'UNVERIFIED', null],
    ['verified 202 → transient', answer(202, 'USER_PAYING'), 'TRANSIENT', null],
    ['verified 204 → transient', answer(204), 'TRANSIENT', null],
    ['signed 404 ORDER_NOT_EXIST, main host → not found', answer(404, 'ORDER_NOT_EXIST'), 'NOT_FOUND', null],
    ['signed 404 ORDERNOTEXIST, main host → not found', answer(404, 'ORDERNOTEXIST'), 'NOT_FOUND', null],
    [
      'signed 404 ORDER_NOT_EXIST from the backup host → transient (the backup may lag)',
      answer(404, 'ORDER_NOT_EXIST', true, 'backup'),
      'TRANSIENT',
      null,
    ],
    [
      'unsigned 404 ORDER_NOT_EXIST → transient, counted unsigned',
      answer(404, 'ORDER_NOT_EXIST', false),
      'TRANSIENT',
      null,
      true,
    ],
    ['signed 404 NOT_FOUND (generic) → rejected', answer(404, 'NOT_FOUND'), 'REJECTED', null],
    ['signed 404 RESOURCE_NOT_EXISTS → rejected', answer(404, 'RESOURCE_NOT_EXISTS'), 'REJECTED', null],
    ['bare unsigned 404 → rejected, counted unsigned', answer(404, undefined, false), 'REJECTED', null, true],
    ['signed 400 ORDER_CLOSED → rejected (not a query answer)', answer(400, 'ORDER_CLOSED'), 'REJECTED', null],
    [
      'unsigned 400 ORDER_CLOSED (a proxy) → transient, counted unsigned (found by chaos)',
      answer(400, 'ORDER_CLOSED', false),
      'TRANSIENT',
      null,
      true,
    ],
    ['400 PARAM_ERROR → rejected', answer(400, 'PARAM_ERROR'), 'REJECTED', null],
    ['401 SIGN_ERROR → auth', answer(401, 'SIGN_ERROR', false), 'AUTH', null],
    ['403 NO_AUTH → auth', answer(403, 'NO_AUTH'), 'AUTH', null],
    ['429 RATELIMIT_EXCEEDED → transient', answer(429, 'RATELIMIT_EXCEEDED'), 'TRANSIENT', null],
    ['429 FREQUENCY_LIMITED → transient', answer(429, 'FREQUENCY_LIMITED'), 'TRANSIENT', null],
    [
      '403 FREQUENCY_LIMITED → transient (a rate limit, not a permission)',
      answer(403, 'FREQUENCY_LIMITED'),
      'TRANSIENT',
      null,
    ],
    ['400 FREQUENCY_LIMITED → transient', answer(400, 'FREQUENCY_LIMITED'), 'TRANSIENT', null],
    ['500 SYSTEM_ERROR → transient', answer(500, 'SYSTEM_ERROR'), 'TRANSIENT', null],
    ['unsigned 502 → transient, counted unsigned', answer(502, undefined, false), 'TRANSIENT', null, true],
    ['network fault → transient', network('ECONNREFUSED'), 'TRANSIENT', null],
    ['network fault on the backup host → transient', network('ETIMEDOUT', 'backup'), 'TRANSIENT', null],
    ['200 with a bad signature → unverified', unverified(200, 'EV3_RES_HEADER_SIGNATURE_DIGEST'), 'UNVERIFIED', null],
    [
      '200 without any Wechatpay-* header → unverified, counted unsigned',
      unverified(200, 'EV3_RES_HEADERS_INCOMPLATE', true),
      'UNVERIFIED',
      null,
      true,
    ],
    [
      'signed 404 failing verification → unverified',
      unverified(404, 'EV3_RES_HEADER_SIGNATURE_DIGEST'),
      'UNVERIFIED',
      null,
    ],
  ])('%s', (_name, input, klass, _outcome, unsigned = false) => {
    const verdict = classifyQueryAnswer(input, expectedOf(input));
    expect(verdict.class).toBe(klass);
    expect(Boolean(verdict.unsigned)).toBe(unsigned);
    expect(verdict.row.length).toBeGreaterThan(0);
    expect(verdict.row.length).toBeLessThan(120);
  });

  it('a found order carries typed sub-orders: states verbatim, transaction ids when sent, nothing else', () => {
    const verdict = classifyQueryAnswer(
      found(
        order([
          sub(1, 'CLOSED'),
          sub(2, 'SUCCESS', { transaction_id: '4200000001202611270002' }),
          sub(3, 'SOME_FUTURE_STATE'),
        ]),
      ),
      {
        combineOutTradeNo: NO,
        combineMchid: '1900000109',
        subOrders: [1, 2, 3].map((n) => ({ mchid: '1900000109', outTradeNo: `${NO}S${n}`, subMchid: `190000000${n}` })),
      },
    );
    expect(verdict).toEqual({
      class: 'FOUND',
      row: '200: order found (3 sub-orders)',
      subOrders: [
        { outTradeNo: `${NO}S1`, mchid: '1900000109', subMchid: '1900000001', tradeState: 'CLOSED' },
        {
          outTradeNo: `${NO}S2`,
          mchid: '1900000109',
          subMchid: '1900000002',
          tradeState: 'SUCCESS',
          transactionId: '4200000001202611270002',
        },
        { outTradeNo: `${NO}S3`, mchid: '1900000109', subMchid: '1900000003', tradeState: 'SOME_FUTURE_STATE' },
      ],
    });
  });

  it('a not-found verdict carries the code', () => {
    expect(classifyQueryAnswer(answer(404, 'ORDER_NOT_EXIST'), expectedOf(answer(404)))).toMatchObject({
      class: 'NOT_FOUND',
      code: 'ORDER_NOT_EXIST',
    });
  });

  it('parseQueriedOrder accepts exactly 32 characters of trade_state', () => {
    expect(parseQueriedOrder(order([sub(1, 'S'.repeat(32))]))?.subOrders[0]?.tradeState).toHaveLength(32);
  });
});

describe('a query answer binds to this order exactly (one test per rule)', () => {
  const expected: ExpectedOrder = {
    combineOutTradeNo: NO,
    combineMchid: '1900000109',
    subOrders: [1, 2].map((n) => ({ mchid: '1900000109', outTradeNo: `${NO}S${n}`, subMchid: `190000000${n}` })),
  };
  const two = () => [sub(1, 'CLOSED'), sub(2, 'CLOSED')];
  it.each<[string, unknown, RegExp]>([
    ['another combine_mchid', { ...order(two()), combine_mchid: '1900000000' }, /combine_mchid 1900000000/],
    ['no combine_mchid', { ...order(two()), combine_mchid: undefined }, /combine_mchid absent/],
    ['another order number', order(two(), 'OTHER'), /combine_out_trade_no OTHER/],
    ['a sub-order missing', order([sub(1, 'CLOSED')]), /S2 missing/],
    ['a sub-order the order does not have', order([...two(), sub(3, 'CLOSED')]), /S3 is not one of this order/],
    [
      'a sub-order of another secondary merchant',
      order([sub(1, 'CLOSED'), { ...sub(2, 'CLOSED'), sub_mchid: '1999999999' }]),
      /sub_mchid 1999999999/,
    ],
    [
      'a sub-order of another merchant',
      order([{ ...sub(1, 'CLOSED'), mchid: '1900000001' }, sub(2, 'CLOSED')]),
      /S1 mchid 1900000001/,
    ],
  ])('%s → unverified, marked as a mismatch (never a confirmation)', (_name, body, row) => {
    const verdict = classifyQueryAnswer(found(body), expected);
    expect(verdict).toMatchObject({ class: 'UNVERIFIED', mismatch: true });
    expect(verdict.row).toMatch(row);
  });

  it('the same sub-orders in another order → found', () => {
    const verdict = classifyQueryAnswer(found(order([sub(2, 'CLOSED'), sub(1, 'REFUND')])), expected);
    expect(verdict.class).toBe('FOUND');
  });
});
