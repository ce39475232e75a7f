/**
 * The order input's JSON Schema (`schema/order-input.schema.json`, shipped in the package) is the one built from the
 * validator's rules, and agrees with the validator: valid inputs pass both; every input broken in its shape fails
 * both; no input the validator accepts fails the schema. `npm run schema` rewrites the file and the examples' copies.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Ajv2020 from 'ajv/dist/2020';
import { sampleOrderInput } from '../../tools/devstack/order-input';
import { SCHEMA_FILES, schemaText, staleSchemaFiles } from '../../tools/devstack/schema-files';
import { ORDER_INPUT_SCHEMA } from '../../workflows/input-schema';
import { validateOrderInput } from '../../workflows/validation';

const NOW = Date.parse('2026-12-03T00:00:00Z');
const valid = (): Record<string, unknown> => ({
  ...sampleOrderInput('P20261203001', { paymentTimeout: '30m', subOrders: 2 }),
});

/** Inputs broken in their shape: the schema must refuse each, like the validator. */
const BROKEN: [string, (i: Record<string, unknown>) => unknown][] = [
  ['not an object', () => 'order'],
  ['missing combineOutTradeNo', ({ combineOutTradeNo: _, ...rest }) => rest],
  ['order number too long', (i) => ({ ...i, combineOutTradeNo: 'X'.repeat(33) })],
  ['order number with a space', (i) => ({ ...i, combineOutTradeNo: 'P 1' })],
  ['appid with a dot', (i) => ({ ...i, combineAppid: 'wx.1' })],
  ['no sub-orders', (i) => ({ ...i, subOrders: [] })],
  [
    '51 sub-orders',
    (i) => ({
      ...i,
      subOrders: Array.from({ length: 51 }, (_, k) => ({ mchid: '1', outTradeNo: `S${k}`, subMchid: '2' })),
    }),
  ],
  ['mchid with letters', (i) => ({ ...i, subOrders: [{ mchid: '19x', outTradeNo: 'S1', subMchid: '1' }] })],
  [
    'unknown sub-order field',
    (i) => ({ ...i, subOrders: [{ mchid: '1', outTradeNo: 'S1', subMchid: '1', colour: 'red' }] }),
  ],
  ['unknown field', (i) => ({ ...i, colour: 'red' })],
  ['paymentTimeout not a duration', (i) => ({ ...i, paymentTimeout: 'soon' })],
  ['paymentTimeout fractional ms', (i) => ({ ...i, paymentTimeout: 1.5 })],
  ['orderCreatedAt without a zone', (i) => ({ ...i, orderCreatedAt: '2026-12-02T10:00:00' })],
  ['onPaidAtDeadline unknown', (i) => ({ ...i, onPaidAtDeadline: 'KEEP' })],
  ['retryPolicy unknown call', (i) => ({ ...i, retryPolicy: { query: {} } })],
  ['backoff below the WeChat Pay floor', (i) => ({ ...i, retryPolicy: { wechatpay: { backoffCoefficient: 1.2 } } })],
  ['unknown retry field', (i) => ({ ...i, retryPolicy: { downstream: { attempts: 3 } } })],
];

describe('the order input JSON Schema', () => {
  const ajv = new Ajv2020({ strict: true, allErrors: true });
  const schemaAccepts = ajv.compile(ORDER_INPUT_SCHEMA);
  const validatorAccepts = (input: unknown): boolean => validateOrderInput(input, NOW).ok;

  it('is the committed schema file (the one the package ships) and the copies the Java and Go templates carry', () => {
    const generated = schemaText();
    expect(generated).toBe(`${JSON.stringify(ORDER_INPUT_SCHEMA, null, 2)}\n`);
    for (const file of SCHEMA_FILES) {
      const text = fs.readFileSync(path.resolve(__dirname, '..', '..', file), 'utf8');
      expect({ file, text }).toEqual({ file, text: generated }); // stale: `npm run schema`
    }
  });

  it('names the stale and missing files, which `npm run schema -- --check` refuses', () => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'schema-'));
    const [first, second, third] = SCHEMA_FILES;
    for (const [file, text] of [
      [first, schemaText()],
      [second, `${schemaText()} `],
    ] as const) {
      fs.mkdirSync(path.dirname(path.join(root, file)), { recursive: true });
      fs.writeFileSync(path.join(root, file), text);
    }
    expect(staleSchemaFiles(root)).toEqual([second, third]);
    fs.rmSync(root, { recursive: true, force: true });
  });

  it('accepts valid inputs, like the validator', () => {
    const inputs = [
      valid(),
      { ...valid(), orderCreatedAt: '2026-12-02T23:50:00+08:00', payWindow: '90s', onPaidAtDeadline: 'ADOPT' },
      {
        ...valid(),
        paymentTimeout: 900_000,
        retryPolicy: { wechatpay: { initialInterval: '2s', backoffCoefficient: 2 } },
      },
    ];
    for (const input of inputs)
      expect({ schema: schemaAccepts(input), validator: validatorAccepts(input) }).toEqual({
        schema: true,
        validator: true,
      });
  });

  it.each(BROKEN)('refuses an input broken in its shape: %s', (_name, mutate) => {
    const input = mutate(valid());
    expect({ schema: schemaAccepts(input), validator: validatorAccepts(input) }).toEqual({
      schema: false,
      validator: false,
    });
  });

  it('leaves to the validator what a schema cannot say (ranges, calendar, duplicates)', () => {
    const semantic = [
      { ...valid(), paymentTimeout: '400d' },
      { ...valid(), orderCreatedAt: '2026-02-30T10:00:00Z' },
      {
        ...valid(),
        subOrders: [
          { mchid: '1', outTradeNo: 'S1', subMchid: '1' },
          { mchid: '1', outTradeNo: 'S1', subMchid: '1' },
        ],
      },
    ];
    for (const input of semantic)
      expect({ schema: schemaAccepts(input), validator: validatorAccepts(input) }).toEqual({
        schema: true,
        validator: false,
      });
  });
});
