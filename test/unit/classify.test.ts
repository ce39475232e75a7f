import { classifyReverseAnswer } from '../../wechatpay/classify';
import type { ReverseAnswer } from '../../wechatpay/client';

const answer = (status: number, code?: string, verified = true): ReverseAnswer => ({
  kind: 'answer',
  status,
  ...(code ? { code } : {}),
  verified,
});

describe('reverse answer table (one test per row)', () => {
  it.each<[string, ReverseAnswer, string, string | null]>([
    ['204 verified → reversed', answer(204), 'ACCEPTED', 'REVERSED'],
    ['200 verified → reversed', answer(200), 'ACCEPTED', 'REVERSED'],
    ['400 ORDER_CLOSED → already closed', answer(400, 'ORDER_CLOSED'), 'ACCEPTED', 'ALREADY_CLOSED'],
    ['400 ORDER_REVERSED → already closed', answer(400, 'ORDER_REVERSED'), 'ACCEPTED', 'ALREADY_CLOSED'],
    ['404 ORDER_NOT_EXIST → no such order', answer(404, 'ORDER_NOT_EXIST'), 'ACCEPTED', 'ORDER_NOT_FOUND'],
    ['404 RESOURCE_NOT_EXISTS → no such order', answer(404, 'RESOURCE_NOT_EXISTS'), 'ACCEPTED', 'ORDER_NOT_FOUND'],
    [
      'unsigned 404 ORDER_NOT_EXIST → still accepted',
      answer(404, 'ORDER_NOT_EXIST', false),
      'ACCEPTED',
      'ORDER_NOT_FOUND',
    ],
    ['bare 404 (proxy, wrong URL) → rejected, not "no such order"', answer(404), 'REJECTED', null],
    ['400 PARAM_ERROR → rejected', answer(400, 'PARAM_ERROR'), 'REJECTED', null],
    ['400 INVALID_REQUEST → rejected', answer(400, 'INVALID_REQUEST'), 'REJECTED', null],
    ['400 unknown code → rejected', answer(400, 'SOMETHING_NEW'), 'REJECTED', null],
    ['401 SIGN_ERROR → auth', answer(401, 'SIGN_ERROR', false), 'AUTH', null],
    ['403 NO_AUTH → auth', answer(403, 'NO_AUTH'), 'AUTH', null],
    ['401 without code → auth', answer(401, undefined, false), 'AUTH', null],
    ['429 → transient', answer(429, 'FREQUENCY_LIMITED'), 'TRANSIENT', null],
    ['408 → transient', answer(408), 'TRANSIENT', null],
    ['500 SYSTEM_ERROR → transient', answer(500, 'SYSTEM_ERROR'), 'TRANSIENT', null],
    ['502 without body → transient', answer(502, undefined, false), 'TRANSIENT', null],
    ['503 SERVICE_UNAVAILABLE → transient', answer(503, 'SERVICE_UNAVAILABLE'), 'TRANSIENT', null],
    ['network fault → transient', { kind: 'network', reason: 'ECONNRESET' }, 'TRANSIENT', null],
    ['timeout → transient', { kind: 'network', reason: 'ECONNABORTED' }, 'TRANSIENT', null],
    [
      '2xx with bad signature → unverified',
      { kind: 'unverified', status: 204, reason: 'EV3_RES_HEADER_SIGNATURE_DIGEST' },
      'UNVERIFIED',
      null,
    ],
    [
      '2xx from unknown serial → unverified',
      { kind: 'unverified', status: 204, reason: 'EV3_RES_HEADER_PLATFORM_SERIAL' },
      'UNVERIFIED',
      null,
    ],
    [
      '2xx with missing headers → unverified',
      { kind: 'unverified', status: 204, reason: 'EV3_RES_HEADERS_INCOMPLATE' },
      'UNVERIFIED',
      null,
    ],
    [
      '2xx with clock skew → unverified',
      { kind: 'unverified', status: 204, reason: 'EV3_RES_HEADER_TIMESTAMP_OFFSET' },
      'UNVERIFIED',
      null,
    ],
    [
      'signed ORDER_CLOSED failing verification → unverified',
      { kind: 'unverified', status: 400, reason: 'EV3_RES_HEADER_SIGNATURE_DIGEST' },
      'UNVERIFIED',
      null,
    ],
    ['301 → transient (unexpected)', answer(301), 'TRANSIENT', null],
  ])('%s', (_name, input, klass, outcome) => {
    const verdict = classifyReverseAnswer(input);
    expect(verdict.class).toBe(klass);
    if (outcome) expect(verdict).toMatchObject({ outcome });
    else expect(verdict).not.toHaveProperty('outcome');
  });
});
