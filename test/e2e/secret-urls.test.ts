/**
 * No secret through a URL (issue 11, item 3): a worker whose downstream URLs carry credentials and a `?token=` works,
 * and logs them as origin and path only; WeChat Pay URLs that would carry them are refused without echoing them.
 * Everything these tests produce (worker log, histories, error texts) is searched by the secret-hygiene suite, which
 * runs last and knows these needles.
 */
import fs from 'node:fs';
import type { Client } from '@temporalio/client';
import { startOrder } from '../../client';
import { ConfigErrors, loadWorkerConfig } from '../../worker/config';
import { connectClient, workerLogFile } from '../harness/env';
import { orderInput } from '../harness/orders';
import { TEST_URL_SECRETS, recordErrorText, seedOrder, startStack, withUrlSecrets, type Stack } from '../harness/stack';

/** The configuration error for `env`, recorded for the secret-hygiene suite. */
function configError(env: Record<string, string>): string {
  try {
    loadWorkerConfig(env);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigErrors);
    recordErrorText((err as Error).message);
    return (err as Error).message;
  }
  throw new Error('expected a configuration error');
}

describe('URLs with credentials and tokens', () => {
  let client: Client;
  let stack: Stack;
  const secrets = [
    `${TEST_URL_SECRETS.user}:${TEST_URL_SECRETS.password}@`,
    TEST_URL_SECRETS.password,
    TEST_URL_SECRETS.token,
    '?token=',
  ];

  beforeAll(async () => {
    client = await connectClient();
    stack = await startStack({ urlSecrets: true });
  });
  afterAll(async () => {
    await stack?.stop();
    await client?.connection.close();
  });

  it('calls the downstream URLs as configured (credentials included) and logs them as origin and path only', async () => {
    expect(stack.env.COMPENSATION_URL).toContain(`${TEST_URL_SECRETS.user}:${TEST_URL_SECRETS.password}@`);
    expect(stack.env.PAYMENT_CONFIRMATION_URL).toContain(`?token=${TEST_URL_SECRETS.token}`);

    const reversed = orderInput({ dueInMs: 300 });
    await seedOrder(stack.peer, reversed);
    const adopted = orderInput({ dueInMs: 300, onPaidAtDeadline: 'ADOPT' });
    await seedOrder(stack.peer, adopted, 'SUCCESS');
    const handles = await Promise.all(
      [reversed, adopted].map(async (o) => (await startOrder(client, o, { taskQueue: stack.taskQueue })).handle),
    );
    expect((await Promise.all(handles.map((h) => h.result()))).map((r) => r.outcome)).toEqual(['REVERSED', 'PAID']);
    const routes = stack.orderService.log
      .filter((e) => [reversed, adopted].some((o) => o.combineOutTradeNo === e.combineOutTradeNo))
      .map((e) => e.route);
    expect(routes.filter((r) => r === 'compensate')).toHaveLength(reversed.subOrders.length);
    expect(routes).toContain('confirm');

    // The worker logged its configuration (as `npm run worker` does): URLs without user info or query.
    const line = fs
      .readFileSync(workerLogFile(), 'utf8')
      .split('\n')
      .find((l) => l.includes('"worker configuration"') && l.includes(stack.taskQueue));
    expect(line).toBeDefined();
    const logged = JSON.parse(line!) as Record<string, unknown>;
    expect(logged.compensationUrl).toBe(
      new URL(stack.orderService.url).origin + new URL(stack.orderService.url).pathname,
    );
    expect(logged.paymentConfirmationUrl).toBe(
      new URL(stack.orderService.confirmationUrl).origin + new URL(stack.orderService.confirmationUrl).pathname,
    );
    expect(secrets.filter((s) => line!.includes(s))).toEqual([]);
  });

  it('refuses WeChat Pay URLs with credentials or a query, naming the variable and echoing neither', () => {
    const withCredentials = configError({
      ...stack.env,
      WECHATPAY_BASE_URL: withUrlSecrets(stack.peer.url).replace(/\?.*$/, ''),
      WECHATPAY_BACKUP_BASE_URL: withUrlSecrets(stack.peer.url),
    });
    expect(withCredentials).toContain('WECHATPAY_BASE_URL must not carry credentials (user:password@)');
    expect(withCredentials).toMatch(/WECHATPAY_BACKUP_BASE_URL must not carry credentials/);
    const withQuery = configError({
      ...stack.env,
      WECHATPAY_BASE_URL: `${stack.peer.url}?token=${TEST_URL_SECRETS.token}`,
    });
    expect(withQuery).toContain('WECHATPAY_BASE_URL must not carry a query or fragment');
    for (const message of [withCredentials, withQuery]) {
      expect(secrets.filter((s) => message.includes(s))).toEqual([]);
    }
  });

  it('never echoes credentials or a token in the error for a URL that does not parse, however they are written', () => {
    const { user, password, token } = TEST_URL_SECRETS;
    for (const bad of [
      `ftp://${user}:${password}@orders.internal/compensations?token=${token}`,
      `ftp:${user}:${password}@orders.internal/compensations`,
      `${user}:${password}@orders.internal/compensations#token=${token}`,
      `http://${user}:${password}@[not-an-ip/compensations?token=${token}`,
    ]) {
      const message = configError({ ...stack.env, COMPENSATION_URL: bad });
      expect({ bad, problem: /COMPENSATION_URL must be an http\(s\) URL/.test(message) }).toEqual({
        bad,
        problem: true,
      });
      expect({ bad, leaks: secrets.filter((s) => message.includes(s)) }).toEqual({ bad, leaks: [] });
    }
  });
});
