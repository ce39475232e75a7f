/**
 * The real stack for end-to-end suites: the WeChat Pay peer and the order-service stub (real HTTP, real RSA keys),
 * and the product's worker built from environment variables exactly as `npm run worker` builds it.
 */
import { type PeerSettings } from '../../tools/simulator/wechatpay/settings';
import { type TradeState } from '../../tools/simulator/wechatpay/orders';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Runtime, type Worker, type NativeConnection } from '@temporalio/worker';
import { meterMetrics } from '../../worker/metrics';
import { describeConfig, loadWorkerConfig, type WorkerConfig } from '../../worker/config';
import { seedOrder as seedAtPeer, type SubStates } from '../../tools/simulator/admin-client';
import type { OrderInput } from '../../workflows/contract';
import { createProductWorker, type ProductWorker } from '../../worker/worker';
import { loadOrCreateIdentity, workerEnvFor, type SimulatorIdentity } from '../../tools/simulator/keys';
import { startWechatpayPeer, type WechatpayPeer } from '../../tools/simulator/wechatpay/peer';
import { startOrderService, type OrderService } from '../../tools/simulator/order-service';
import { quietRuntime, serverAddress, uniqueId } from './env';

/** The text whose bytes make the suites' webhook secret (the secret-hygiene test searches for it too). */
export const TEST_HMAC_SECRET_BYTES = 'test-hmac-secret-3f9a1c7e52d04b8a';

/**
 * The Standard Webhooks secret the suites use (`COMPENSATION_HMAC_SECRET`): `whsec_` and the base64 of
 * {@link TEST_HMAC_SECRET_BYTES} (the secret-hygiene test searches for it).
 */
export const TEST_HMAC_SECRET = `whsec_${Buffer.from(TEST_HMAC_SECRET_BYTES).toString('base64')}`;

/** Credentials and a token some suites put into URLs (the secret-hygiene test searches for them). */
export const TEST_URL_SECRETS = { user: 'hygiene-user', password: 'url-password-8d2e5b', token: 'url-token-5e1d9a7c' };

/** `url` with user info (`user:password@`) and a `?token=` query, as a careless configuration might carry them. */
export function withUrlSecrets(url: string): string {
  const u = new URL(url);
  u.username = TEST_URL_SECRETS.user;
  u.password = TEST_URL_SECRETS.password;
  u.searchParams.set('token', TEST_URL_SECRETS.token);
  return u.toString();
}

let sharedIdentity: SimulatorIdentity | undefined;
/** One identity (key set) per test run, generated into the run's work dir. */
export function testIdentity(): SimulatorIdentity {
  sharedIdentity ??= loadOrCreateIdentity(path.join(process.env.TEST_WORK_DIR ?? os.tmpdir(), 'simulator-keys'));
  return sharedIdentity;
}

/** A running stack. */
export interface Stack {
  peer: WechatpayPeer;
  orderService: OrderService;
  worker: Worker;
  /** Both workers (the task queue's and the WeChat Pay calls'). */
  product: ProductWorker;
  connection: NativeConnection;
  config: WorkerConfig;
  taskQueue: string;
  env: Record<string, string>;
  /** Stops the worker only (idempotent). */
  stopWorker(): Promise<void>;
  /** Stops the worker and the peers this stack owns. */
  stop(): Promise<void>;
}

/** Starts peer, stub and a worker on a fresh task queue. */
export async function startStack(
  options: {
    mode?: 'PUBLIC_KEY' | 'PLATFORM_CERT';
    peerSettings?: Partial<PeerSettings>;
    env?: Record<string, string>;
    hmac?: boolean;
    /**
     * Put credentials and a `?token=` into the downstream URLs (`COMPENSATION_URL`, `PAYMENT_CONFIRMATION_URL`; see
     * {@link withUrlSecrets}): the secret-hygiene suite then proves they never reach a log, a history or an error.
     */
    urlSecrets?: boolean;
    /** Peers of another stack to share (this stack will not close them). */
    reuse?: { peer: WechatpayPeer; orderService: OrderService };
  } = {},
): Promise<Stack> {
  await quietRuntime();
  const identity = testIdentity();
  const mode = options.mode ?? 'PUBLIC_KEY';
  const secret = options.hmac === false ? undefined : TEST_HMAC_SECRET;
  const peer =
    options.reuse?.peer ??
    (await startWechatpayPeer(identity, { settings: { signWith: mode, delayMs: 3_000, ...options.peerSettings } }));
  const orderService =
    options.reuse?.orderService ??
    (await startOrderService({ ...(secret ? { secrets: secret } : {}), delayMs: 3_000 }));
  const taskQueue = uniqueId('e2e');
  const { address, namespace } = serverAddress();
  const env: Record<string, string> = {
    TEMPORAL_ADDRESS: address,
    TEMPORAL_NAMESPACE: namespace,
    TEMPORAL_TASK_QUEUE: taskQueue,
    ...workerEnvFor(
      identity,
      {
        wechatpay: peer.url,
        compensation: options.urlSecrets ? withUrlSecrets(orderService.url) : orderService.url,
        confirmation: options.urlSecrets ? withUrlSecrets(orderService.confirmationUrl) : orderService.confirmationUrl,
      },
      mode,
    ),
    ...(secret ? { COMPENSATION_HMAC_SECRET: secret } : { COMPENSATION_UNSIGNED: 'allow' }),
    WECHATPAY_TIMEOUT_MS: '1500',
    COMPENSATION_TIMEOUT_MS: '1500',
    WECHATPAY_AUTH_RETRY_DELAY: '1s',
    ...options.env,
  };
  const config = loadWorkerConfig(env);
  const codePath = process.env.TEST_WORKFLOW_BUNDLE!;
  // Logged as `npm run worker` logs it: the secret-hygiene suite checks that nothing secret reaches the log.
  Runtime.instance().logger.info('worker configuration', describeConfig(config));
  const product = await createProductWorker(config, {
    metrics: meterMetrics(Runtime.instance().metricMeter),
    overrides: { workflowBundle: { codePath } },
  });
  const { worker, connection } = product;
  const running = product.run();
  let workerStopped: Promise<void> | undefined;
  const stopWorker = (): Promise<void> =>
    (workerStopped ??= (async () => {
      product.shutdown();
      await running;
      await connection.close();
    })());
  return {
    peer,
    orderService,
    worker,
    product,
    connection,
    config,
    taskQueue,
    env,
    stopWorker,
    async stop() {
      await stopWorker();
      if (!options.reuse) {
        await peer.close();
        await orderService.close();
      }
    },
  };
}

/**
 * Registers an order at the peer as the pay call would leave it (PAYING: outcome unknown, queried as USERPAYING;
 * SUCCESS: debited; or any other WeChat Pay trade state), optionally with per-sub-order states by `outTradeNo`.
 */
export function seedOrder(
  peer: WechatpayPeer,
  input: OrderInput,
  state: TradeState = 'PAYING',
  subStates?: SubStates,
): Promise<void> {
  return seedAtPeer(peer.url, input, state, subStates);
}

/** Appends to a file the suites' error texts, for the secret-hygiene test. */
export function recordErrorText(text: string): void {
  fs.appendFileSync(path.join(process.env.TEST_WORK_DIR ?? os.tmpdir(), 'errors.log'), `${text}\n`);
}
