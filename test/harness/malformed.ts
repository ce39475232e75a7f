/** Malformed order inputs, each with the field its error must name (unit and hostile-input suites). */
/** The fixed "now" the cases are written against. */
export const NOW = Date.parse('2026-11-27T08:00:00Z');
/** A valid input. */
export const valid = () => ({
  combineOutTradeNo: 'P20261127|0001*A@b-c_d',
  combineAppid: 'wxd678efh567hg6787',
  subOrders: [
    { mchid: '1900000109', outTradeNo: 'S1', subMchid: '1900000001' },
    { mchid: '1900000109', outTradeNo: 'S2', subMchid: '1900000002', subAppid: 'wx8888888888888888' },
  ],
});

/** Each malformed input and the field its error must name, with times relative to `now`. */
export function malformedInputs(now: number): [string, unknown, RegExp][] {
  return [
    ['not an object', 'hello', /^input must be a JSON object/],
    ['null', null, /^input must be a JSON object/],
    ['an array', [valid()], /^input must be a JSON object/],
    ['missing combineOutTradeNo', { ...valid(), combineOutTradeNo: undefined }, /combineOutTradeNo is required/],
    ['numeric combineOutTradeNo', { ...valid(), combineOutTradeNo: 123 }, /combineOutTradeNo must be a string/],
    ['empty combineOutTradeNo', { ...valid(), combineOutTradeNo: '' }, /combineOutTradeNo must be 1-32 characters/],
    ['33-char combineOutTradeNo', { ...valid(), combineOutTradeNo: 'A'.repeat(33) }, /combineOutTradeNo must be 1-32/],
    ['combineOutTradeNo with a space', { ...valid(), combineOutTradeNo: 'P 1' }, /combineOutTradeNo must be 1-32/],
    ['combineOutTradeNo with CJK', { ...valid(), combineOutTradeNo: '订单1' }, /combineOutTradeNo must be 1-32/],
    ['combineOutTradeNo with a slash', { ...valid(), combineOutTradeNo: 'a/b' }, /combineOutTradeNo must be 1-32/],
    ['missing combineAppid', { ...valid(), combineAppid: undefined }, /combineAppid is required/],
    [
      'oversize combineAppid',
      { ...valid(), combineAppid: 'w'.repeat(1000) },
      /combineAppid must be 1-32 characters of 0-9 A-Z a-z _ -.*a string of 1000/,
    ],
    ['combineAppid as object', { ...valid(), combineAppid: { a: 1 } }, /combineAppid must be a string, got an object/],
    ['missing subOrders', { ...valid(), subOrders: undefined }, /subOrders is required/],
    ['subOrders not an array', { ...valid(), subOrders: { a: 1 } }, /subOrders must be an array/],
    ['0 subOrders', { ...valid(), subOrders: [] }, /subOrders must have 1-50 items, got 0/],
    [
      '51 subOrders',
      {
        ...valid(),
        subOrders: Array.from({ length: 51 }, (_, i) => ({ mchid: '1', outTradeNo: `S${i}`, subMchid: '2' })),
      },
      /subOrders must have 1-50 items, got 51/,
    ],
    ['sub-order is a string', { ...valid(), subOrders: ['S1'] }, /subOrders\[0\] must be an object/],
    [
      'sub-order missing mchid',
      { ...valid(), subOrders: [{ outTradeNo: 'S1', subMchid: '2' }] },
      /subOrders\[0\]\.mchid is required/,
    ],
    [
      'sub-order missing subMchid',
      { ...valid(), subOrders: [{ mchid: '1', outTradeNo: 'S1' }] },
      /subOrders\[0\]\.subMchid is required/,
    ],
    [
      'sub-order numeric outTradeNo',
      { ...valid(), subOrders: [{ mchid: '1', outTradeNo: 7, subMchid: '2' }] },
      /subOrders\[0\]\.outTradeNo must be a string/,
    ],
    [
      'sub-order bad outTradeNo charset',
      { ...valid(), subOrders: [{ mchid: '1', outTradeNo: 'S#1', subMchid: '2' }] },
      /subOrders\[0\]\.outTradeNo must be 1-32/,
    ],
    [
      'sub-order oversize subAppid',
      { ...valid(), subOrders: [{ mchid: '1', outTradeNo: 'S1', subMchid: '2', subAppid: 'x'.repeat(33) }] },
      /subOrders\[0\]\.subAppid must be 1-32/,
    ],
    [
      'sub-order null subAppid',
      { ...valid(), subOrders: [{ mchid: '1', outTradeNo: 'S1', subMchid: '2', subAppid: null }] },
      /subOrders\[0\]\.subAppid is required|subOrders\[0\]\.subAppid must be/,
    ],
    [
      'sub-order extra field',
      { ...valid(), subOrders: [{ mchid: '1', outTradeNo: 'S1', subMchid: '2', amount: 100 }] },
      /subOrders\[0\]\.amount is not a known field/,
    ],
    [
      'duplicate outTradeNo',
      {
        ...valid(),
        subOrders: [
          { mchid: '1', outTradeNo: 'S1', subMchid: '2' },
          { mchid: '1', outTradeNo: 'S1', subMchid: '3' },
        ],
      },
      /subOrders\[1\]\.outTradeNo duplicates subOrders\[0\]\.outTradeNo/,
    ],
    ['extra top-level field', { ...valid(), amount: 100 }, /amount is not a known field/],
    ['snake_case field', { ...valid(), combine_out_trade_no: 'X' }, /combine_out_trade_no is not a known field/],
    ['paymentTimeout word', { ...valid(), paymentTimeout: 'soon' }, /paymentTimeout must be a duration/],
    ['payWindow word', { ...valid(), payWindow: 'a minute' }, /payWindow must be a duration from 0s to 10m/],
    ['payWindow negative', { ...valid(), payWindow: -1 }, /payWindow must be a duration/],
    ['payWindow over 10 minutes', { ...valid(), payWindow: '11m' }, /payWindow must be a duration/],
    [
      'onPaidAtDeadline unknown',
      { ...valid(), onPaidAtDeadline: 'KEEP' },
      /onPaidAtDeadline must be "REFUND" or "ADOPT"/,
    ],
    [
      'onPaidAtDeadline lower case',
      { ...valid(), onPaidAtDeadline: 'adopt' },
      /onPaidAtDeadline must be "REFUND" or "ADOPT"/,
    ],
    ['paymentTimeout negative', { ...valid(), paymentTimeout: -5 }, /paymentTimeout must be more than 0/],
    ['paymentTimeout zero', { ...valid(), paymentTimeout: '0s' }, /paymentTimeout must be more than 0/],
    ['paymentTimeout fractional ms', { ...valid(), paymentTimeout: 1.5 }, /paymentTimeout must be a duration/],
    [
      'paymentTimeout too long',
      { ...valid(), paymentTimeout: '8d' },
      /paymentTimeout must be more than 0 and at most 7d/,
    ],
    ['paymentTimeout boolean', { ...valid(), paymentTimeout: true }, /paymentTimeout must be a duration/],
    ['orderCreatedAt not ISO', { ...valid(), orderCreatedAt: '27/11/2026' }, /orderCreatedAt must be an ISO-8601 time/],
    [
      'orderCreatedAt without zone',
      { ...valid(), orderCreatedAt: '2026-11-27T08:00:00' },
      /orderCreatedAt must be an ISO-8601 time/,
    ],
    ['orderCreatedAt number', { ...valid(), orderCreatedAt: now }, /orderCreatedAt must be an ISO-8601 time/],
    [
      'orderCreatedAt in the future',
      { ...valid(), orderCreatedAt: new Date(now + 3_600_000).toISOString() },
      /orderCreatedAt is more than 5m in the future/,
    ],
    [
      'deadline long past (outside reverse window)',
      { ...valid(), orderCreatedAt: new Date(now - 26 * 86_400_000).toISOString() },
      /orderCreatedAt is older than WeChat Pay's 7d reverse window/,
    ],
    [
      'retryPolicy bad coefficient',
      { ...valid(), retryPolicy: { wechatpay: { backoffCoefficient: 0.5 } } },
      /retryPolicy\.wechatpay\.backoffCoefficient must be a number from 1\.5 to 10/,
    ],
    [
      'retryPolicy unknown step',
      { ...valid(), retryPolicy: { refund: {} } },
      /retryPolicy\.refund is not a known field/,
    ],
    [
      'retryPolicy bad interval',
      { ...valid(), retryPolicy: { downstream: { initialInterval: 'fast' } } },
      /retryPolicy\.downstream\.initialInterval must be a duration/,
    ],
    // Merchant ids are digits: nothing that could inject into the Web UI's Markdown or a log line.
    [
      'mchid with letters',
      { ...valid(), subOrders: [sub({ mchid: '1900abc' })] },
      /subOrders\[0\]\.mchid must be 1-32 digits/,
    ],
    [
      'mchid as a Markdown link',
      { ...valid(), subOrders: [sub({ mchid: '[x](http://e.vil)' })] },
      /subOrders\[0\]\.mchid must be 1-32 digits/,
    ],
    [
      'mchid as a number',
      { ...valid(), subOrders: [sub({ mchid: 1900000109 })] },
      /subOrders\[0\]\.mchid must be a string/,
    ],
    [
      'mchid with a space',
      { ...valid(), subOrders: [sub({ mchid: '1900 0001' })] },
      /subOrders\[0\]\.mchid must be 1-32 digits/,
    ],
    [
      'subMchid with a table pipe',
      { ...valid(), subOrders: [sub({ subMchid: '1900|0001' })] },
      /subOrders\[0\]\.subMchid must be 1-32 digits/,
    ],
    [
      'subMchid of 33 digits',
      { ...valid(), subOrders: [sub({ subMchid: '1'.repeat(33) })] },
      /subOrders\[0\]\.subMchid must be 1-32 digits/,
    ],
    [
      'subMchid with HTML',
      { ...valid(), subOrders: [sub({ subMchid: '<b>1</b>' })] },
      /subOrders\[0\]\.subMchid must be 1-32 digits/,
    ],
    // App ids are [0-9A-Za-z_-].
    [
      'combineAppid as a Markdown link',
      { ...valid(), combineAppid: '[x](http://e.vil)' },
      /combineAppid must be 1-32 characters of 0-9 A-Z a-z _ -/,
    ],
    [
      'combineAppid with a table pipe',
      { ...valid(), combineAppid: 'wx|1' },
      /combineAppid must be 1-32 characters of 0-9/,
    ],
    [
      'combineAppid with a backtick',
      { ...valid(), combineAppid: 'wx`1`' },
      /combineAppid must be 1-32 characters of 0-9/,
    ],
    [
      'combineAppid with an autolink',
      { ...valid(), combineAppid: '<http://e.vil>' },
      /combineAppid must be 1-32 characters/,
    ],
    [
      'subAppid as a Markdown image',
      { ...valid(), subOrders: [sub({ subAppid: '![x](y)' })] },
      /subOrders\[0\]\.subAppid must be 1-32 characters of 0-9 A-Z a-z _ -/,
    ],
    [
      'subAppid with emphasis',
      { ...valid(), subOrders: [sub({ subAppid: 'wx*1*' })] },
      /subOrders\[0\]\.subAppid must be 1-32 characters of 0-9/,
    ],
    // Dates must exist in the calendar (Date.parse would roll them over).
    [
      'orderCreatedAt on 31 November',
      { ...valid(), orderCreatedAt: '2026-11-31T08:00:00Z' },
      /orderCreatedAt must be an ISO-8601 time with a zone that exists in the calendar/,
    ],
    [
      'orderCreatedAt on 29 February of a common year',
      { ...valid(), orderCreatedAt: '2026-02-29T08:00:00+08:00' },
      /orderCreatedAt must be an ISO-8601 time with a zone that exists/,
    ],
    [
      'orderCreatedAt at hour 24',
      { ...valid(), orderCreatedAt: '2026-11-26T24:00:00Z' },
      /orderCreatedAt must be an ISO-8601 time with a zone that exists/,
    ],
    [
      'orderCreatedAt on 31 April',
      { ...valid(), orderCreatedAt: '2026-04-31T00:00:00Z' },
      /orderCreatedAt must be an ISO-8601 time with a zone that exists/,
    ],
    // The WeChat Pay calls' retry floors and ceiling: one order cannot hammer the merchant's rate limit.
    [
      'retryPolicy.wechatpay initialInterval under 1s',
      { ...valid(), retryPolicy: { wechatpay: { initialInterval: '100ms' } } },
      /retryPolicy\.wechatpay\.initialInterval must be a duration from 1s to 1h, got "100ms"/,
    ],
    [
      'retryPolicy.wechatpay initialInterval of 10 ms',
      { ...valid(), retryPolicy: { wechatpay: { initialInterval: 10 } } },
      /retryPolicy\.wechatpay\.initialInterval must be a duration from 1s to 1h/,
    ],
    [
      'retryPolicy.wechatpay maximumInterval under 1s',
      { ...valid(), retryPolicy: { wechatpay: { maximumInterval: '500ms' } } },
      /retryPolicy\.wechatpay\.maximumInterval must be a duration from 1s to 1d/,
    ],
    [
      'retryPolicy.wechatpay backoff of 1 (no backoff)',
      { ...valid(), retryPolicy: { wechatpay: { backoffCoefficient: 1 } } },
      /retryPolicy\.wechatpay\.backoffCoefficient must be a number from 1\.5 to 10, got number 1/,
    ],
    [
      'retryPolicy.wechatpay window over 3 days',
      { ...valid(), retryPolicy: { wechatpay: { scheduleToClose: '4d' } } },
      /retryPolicy\.wechatpay\.scheduleToClose must be a duration from 1s to 3d/,
    ],
  ];
}

/** A valid sub-order with some fields replaced (values of any type: the cases are malformed on purpose). */
function sub(fields: Record<string, unknown>): Record<string, unknown> {
  return { mchid: '1900000109', outTradeNo: 'S1', subMchid: '1900000001', ...fields };
}

/** The cases written against {@link NOW}. */
export const MALFORMED = malformedInputs(NOW);
