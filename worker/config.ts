/**
 * Worker configuration from the environment (**contract** variable names). Everything is checked up front and every
 * problem names its variable; keys are read once and held as KeyObjects. The result holds secrets: never log it —
 * log {@link describeConfig} instead.
 */
import { createSecretKey, type KeyObject, type X509Certificate } from 'node:crypto';
import fs from 'node:fs';
import { Webhook } from 'standardwebhooks';
import { loadClientConnectConfig, type ClientConnectConfig } from '@temporalio/envconfig';
import { type ConfigError, loadCertificate, loadPrivateKey, loadPublicKey, sameSerial } from '../wechatpay/keys';
import type { LogLevel } from '@temporalio/common';
import { EnvReader, loggableUrl, type Env } from './env';
import { LOG_LEVELS } from './logger';
import { readTracing, type TracingConfig } from './tracing-config';
import { cacheHeapProblem, DEFAULT_MAX_CACHED_WORKFLOWS, heapLimitMb } from './memory';
import type { WechatpayConfig } from '../wechatpay/client';
import { ANSWER_TOLERANCE_BOUNDS_MS, DEFAULT_ANSWER_TOLERANCE_MS } from '../wechatpay/freshness';
import { DEFAULT_TASK_QUEUE } from '../workflows/contract';
import { ACTIVITY_START_TO_CLOSE_MS, MAX_PAY_WINDOW_MS, PAY_CALL_TIMEOUT_MS } from '../workflows/policies';
import { MCHID_RE } from '../workflows/contract';

/** Default WeChat Pay host. */
const DEFAULT_WECHATPAY_BASE_URL = 'https://api.mch.weixin.qq.com/';
/**
 * Default of `WECHATPAY_MAX_RPS`: WeChat Pay calls (queries and reverses, retries included) per second across every
 * worker of the task queue. Deliberately modest: enough for a few thousand deadlines a minute, far from what a
 * merchant's API frequency limit is likely to be; raise it to (a margin under) the limit WeChat Pay grants the
 * merchant.
 */
export const DEFAULT_WECHATPAY_MAX_RPS = 50;

/** The worker's whole configuration. */
export interface WorkerConfig {
  temporal: ClientConnectConfig & { namespace: string };
  taskQueue: string;
  wechatpay: WechatpayConfig;
  /** The merchant API certificate (`WECHATPAY_MERCHANT_CERT_PATH`), checked against the serial and the key. */
  merchantCertificate?: X509Certificate;
  /** Delay between WeChat Pay call attempts (query and reverse) after SIGN_ERROR / NO_AUTH. */
  authRetryDelayMs: number;
  /**
   * Most WeChat Pay requests (query and reverse attempts) per second (`WECHATPAY_MAX_RPS`): the Temporal server
   * dispatches at most this many of their activity tasks per second on average across all workers (the dedicated
   * task queue's rate limit), and each worker process sends at most this many in any one second (the client paces
   * them, `wechatpay.maxRequestsPerSecond`).
   */
  wechatpayMaxRps: number;
  /**
   * The pay window floor (`WECHATPAY_MIN_PAY_WINDOW`, default 60 s: WeChat Pay's pay call timeout): no order queries
   * or reverses sooner after its last pay call may have been sent, whatever its `payWindow` says.
   */
  payWindowFloorMs: number;
  /**
   * Downstream requests (compensation, payment confirmation) are Standard Webhooks signed with every one of
   * `webhookSecrets` (`COMPENSATION_HMAC_SECRET`); unsigned only when `COMPENSATION_UNSIGNED=allow` says so explicitly.
   * After a 401/403 the next attempt waits `authRetryDelayMs` (`COMPENSATION_AUTH_RETRY_DELAY`).
   */
  compensation: DownstreamConfig & { url: string };
  /**
   * Where an order adopted as paid (`onPaidAtDeadline: "ADOPT"`) is announced (`PAYMENT_CONFIRMATION_URL`, optional:
   * without it the confirmation activity fails retryably, WORKER_MISCONFIGURED). Same secrets, timeout and retry delay
   * as compensation.
   */
  confirmation: DownstreamConfig & { url?: string };
  /** Port of the Prometheus /metrics endpoint, if any. */
  metricsPort?: number;
  /** Most activities run at once on this worker. */
  maxConcurrentActivities: number;
  /**
   * Most workflows kept in the sticky cache (`WORKER_MAX_CACHED_WORKFLOWS`, default
   * {@link DEFAULT_MAX_CACHED_WORKFLOWS}); checked against the process's V8 heap.
   */
  maxCachedWorkflows: number;
  /** A prebuilt workflow bundle to run instead of the build's own (`WORKFLOW_BUNDLE_PATH`). */
  workflowBundlePath?: string;
  /** Port of the `/healthz` and `/readyz` probes (`WORKER_HEALTH_PORT`), if any. */
  healthPort?: number;
  /** The lowest level logged (`LOG_LEVEL`, default INFO). */
  logLevel: LogLevel;
  /** How long running activities may finish after SIGTERM/SIGINT (`WORKER_SHUTDOWN_GRACE`, default 20 s). */
  shutdownGraceMs: number;
  /** The Worker Deployment version this worker serves, when Worker Versioning is on. */
  deployment?: WorkerDeployment;
  /** How often the order gauges read visibility, when this process exports them (`WORKER_ORDER_GAUGES=on`). */
  orderGaugesIntervalMs?: number;
  /** The daily reconciliation against WeChat Pay's trade bill. */
  tradeBill: TradeBillSettings;
  /** Where spans go (OTLP/HTTP JSON), when tracing is on (`OTEL_EXPORTER_OTLP_ENDPOINT`; worker/tracing.ts). */
  tracing?: TracingConfig;
}

/** Settings of the trade-bill reconciliation. */
interface TradeBillSettings {
  /** Secondary merchants always reconciled, whether or not a day's orders involve them (`RECONCILE_SUB_MCHIDS`). */
  subMchids: string[];
  /** Delay before asking again for a bill that is not ready (`TRADE_BILL_NOT_READY_RETRY`, default 30 minutes). */
  notReadyRetryMs: number;
  /**
   * Whether this worker creates or updates the Schedule `combine-papay-trade-bill` at start (`TRADE_BILL_SCHEDULE`,
   * `on` by default; `off` where an operator keeps it with `combine-papay-order schedule ensure`).
   */
  ensureSchedule: boolean;
}

/** How downstream requests are signed and sent. Holds the webhook secrets: never log it. */
interface DownstreamConfig {
  /** The decoded Standard Webhooks secrets, one signature each (first the one listed first); absent when unsigned. */
  webhookSecrets?: KeyObject[];
  /** Whole-call deadline (`COMPENSATION_TIMEOUT_MS`). */
  timeoutMs: number;
  /** Delay before the next attempt after a 401/403 (`COMPENSATION_AUTH_RETRY_DELAY`, default 5 minutes). */
  authRetryDelayMs: number;
}

/** A Worker Deployment version: the deployment's name and this build's id. */
export interface WorkerDeployment {
  name: string;
  buildId: string;
}

/** What {@link readProcessSettings} reads. */
type ProcessSettings = Pick<
  WorkerConfig,
  | 'metricsPort'
  | 'healthPort'
  | 'maxConcurrentActivities'
  | 'maxCachedWorkflows'
  | 'workflowBundlePath'
  | 'logLevel'
  | 'shutdownGraceMs'
  | 'deployment'
  | 'orderGaugesIntervalMs'
  | 'tradeBill'
  | 'tracing'
>;

/**
 * Default of `WORKER_SHUTDOWN_GRACE`: how long running activities may finish after SIGTERM. An orchestrator's grace
 * period (Kubernetes `terminationGracePeriodSeconds`) must be longer.
 */
export const DEFAULT_SHUTDOWN_GRACE_MS = 20_000;

/** Several configuration problems at once, each naming its variable. */
export class ConfigErrors extends Error {
  constructor(readonly problems: ConfigError[]) {
    super(`invalid worker configuration:\n${problems.map((p) => `  - ${p.message}`).join('\n')}`);
    this.name = 'ConfigErrors';
  }
}

/**
 * A floor under the pay call's own timeout lets a query reach WeChat Pay while a pay call can still land, for every
 * order this worker takes into REVERSING: refused unless `WECHATPAY_SHORT_PAY_WINDOW=allow` says it is a demo or test.
 */
function checkShortFloor(r: EnvReader, payWindowFloorMs: number): void {
  const allow = r.optional('WECHATPAY_SHORT_PAY_WINDOW');
  if (allow !== undefined && allow !== 'allow') {
    r.problem('WECHATPAY_SHORT_PAY_WINDOW', `must be "allow" when set, got "${allow.slice(0, 20)}"`);
  } else if (payWindowFloorMs < PAY_CALL_TIMEOUT_MS && allow !== 'allow') {
    r.problem(
      'WECHATPAY_MIN_PAY_WINDOW',
      `is under 60s (WeChat Pay's pay call timeout): a pay call could land after the query; set WECHATPAY_SHORT_PAY_WINDOW=allow only for demos and tests`,
    );
  }
}

/**
 * Reads and checks the worker configuration from `env`; throws {@link ConfigErrors} naming every bad variable.
 * `heapMb` is the V8 heap the workflow cache must fit in (this process's, unless a test says otherwise).
 */
export function loadWorkerConfig(env: Env = process.env, heapMb: number = heapLimitMb()): WorkerConfig {
  const r = new EnvReader(env);
  const temporal = r.attempt(() => loadClientConnectConfig({ overrideEnvVars: definedOnly(env) }));
  const taskQueue = r.optional('TEMPORAL_TASK_QUEUE') ?? DEFAULT_TASK_QUEUE;
  const merchant = readMerchant(r);
  const { verifiers, wechatpaySerial } = readVerifyingKeys(r, merchant.merchantSerial);
  const timeoutMs = r.integer('WECHATPAY_TIMEOUT_MS', 10_000, 100, ACTIVITY_START_TO_CLOSE_MS - 5_000);
  const authRetryDelayMs = r.duration('WECHATPAY_AUTH_RETRY_DELAY', 5 * 60_000, 1_000, 86_400_000, '1s to 1d');
  const wechatpayMaxRps = r.integer('WECHATPAY_MAX_RPS', DEFAULT_WECHATPAY_MAX_RPS, 1, 10_000);
  const answerToleranceMs = r.duration(
    'WECHATPAY_ANSWER_TOLERANCE',
    DEFAULT_ANSWER_TOLERANCE_MS,
    ANSWER_TOLERANCE_BOUNDS_MS.min,
    ANSWER_TOLERANCE_BOUNDS_MS.max,
    '1s to 60s (default 5s: how much earlier than our request, clock offset aside, an answer may be signed)',
  );
  const payWindowFloorMs = r.duration(
    'WECHATPAY_MIN_PAY_WINDOW',
    PAY_CALL_TIMEOUT_MS,
    0,
    MAX_PAY_WINDOW_MS,
    `0s to ${MAX_PAY_WINDOW_MS / 60_000}m (default 60s, WeChat Pay's pay call timeout; lower it only for tests and demos)`,
  );
  checkShortFloor(r, payWindowFloorMs);
  const compensationUrl = r.url('COMPENSATION_URL');
  const confirmationUrl = r.optional('PAYMENT_CONFIRMATION_URL') ? r.url('PAYMENT_CONFIRMATION_URL') : undefined;
  const downstream = readDownstream(r);
  const processSettings = readProcessSettings(r, heapMb);

  const { baseUrl, backupBaseUrl, mchid, merchantSerial, privateKey, merchantCertificate } = merchant;
  if (
    r.problems.length > 0 ||
    !temporal ||
    !baseUrl ||
    !mchid ||
    !merchantSerial ||
    !privateKey ||
    !wechatpaySerial ||
    !compensationUrl
  ) {
    throw new ConfigErrors(r.problems);
  }
  return {
    temporal: { ...temporal, namespace: temporal.namespace ?? 'default' },
    taskQueue,
    wechatpay: {
      baseUrl,
      ...(backupBaseUrl ? { backupBaseUrl } : {}),
      mchid,
      merchantSerial,
      privateKey,
      verifiers,
      wechatpaySerial,
      timeoutMs,
      maxBodyBytes: 64 * 1024,
      maxRequestsPerSecond: wechatpayMaxRps,
      answerToleranceMs,
    },
    ...(merchantCertificate ? { merchantCertificate } : {}),
    authRetryDelayMs,
    wechatpayMaxRps,
    payWindowFloorMs,
    compensation: { url: compensationUrl, ...downstream },
    confirmation: { ...(confirmationUrl ? { url: confirmationUrl } : {}), ...downstream },
    ...processSettings,
  };
}

/** The settings of the worker process itself: ports, concurrency, cache, bundle, logs, shutdown, deployment version. */
function readProcessSettings(r: EnvReader, heapMb: number): ProcessSettings {
  const port = (name: string): number | undefined => (r.optional(name) ? r.integer(name, 0, 1, 65_535) : undefined);
  const metricsPort = port('WORKER_METRICS_PORT');
  const healthPort = port('WORKER_HEALTH_PORT');
  const maxConcurrentActivities = r.integer('WORKER_MAX_CONCURRENT_ACTIVITIES', 100, 1, 10_000);
  const maxCachedWorkflows = r.integer('WORKER_MAX_CACHED_WORKFLOWS', DEFAULT_MAX_CACHED_WORKFLOWS, 0, 1_000_000);
  const cacheProblem = cacheHeapProblem(maxCachedWorkflows, heapMb);
  if (cacheProblem) r.problem('WORKER_MAX_CACHED_WORKFLOWS', cacheProblem);
  const workflowBundlePath = r.optional('WORKFLOW_BUNDLE_PATH');
  if (workflowBundlePath && !fs.existsSync(workflowBundlePath)) {
    r.problem('WORKFLOW_BUNDLE_PATH', `points at ${workflowBundlePath}, which does not exist`);
  }
  const level = (r.optional('LOG_LEVEL') ?? 'INFO').toUpperCase();
  const logLevel = LOG_LEVELS.find((l) => l === level);
  if (!logLevel) r.problem('LOG_LEVEL', `must be one of ${LOG_LEVELS.join(', ')}, got "${level.slice(0, 20)}"`);
  const shutdownGraceMs = r.duration('WORKER_SHUTDOWN_GRACE', DEFAULT_SHUTDOWN_GRACE_MS, 1_000, 600_000, '1s to 10m');
  const deployment = readDeployment(r);
  const orderGaugesIntervalMs = readOrderGauges(r, metricsPort);
  const tradeBill = readTradeBill(r);
  const tracing = readTracing(r);
  return {
    tradeBill,
    ...(tracing ? { tracing } : {}),
    ...(metricsPort ? { metricsPort } : {}),
    ...(healthPort ? { healthPort } : {}),
    maxConcurrentActivities,
    ...(workflowBundlePath ? { workflowBundlePath } : {}),
    maxCachedWorkflows,
    logLevel: logLevel ?? 'INFO',
    shutdownGraceMs,
    ...(deployment ? { deployment } : {}),
    ...(orderGaugesIntervalMs ? { orderGaugesIntervalMs } : {}),
  };
}

/** The trade-bill reconciliation's settings: merchants always reconciled, the not-ready delay, the Schedule. */
function readTradeBill(r: EnvReader): TradeBillSettings {
  const subMchids = (r.optional('RECONCILE_SUB_MCHIDS') ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  const bad = subMchids.find((s) => !MCHID_RE.test(s));
  if (bad !== undefined) {
    r.problem(
      'RECONCILE_SUB_MCHIDS',
      `must list merchant ids (1-32 digits) separated by commas, got "${bad.slice(0, 40)}"`,
    );
  }
  const notReadyRetryMs = r.duration('TRADE_BILL_NOT_READY_RETRY', 30 * 60_000, 1_000, 6 * 3_600_000, '1s to 6h');
  const schedule = r.optional('TRADE_BILL_SCHEDULE') ?? 'on';
  if (schedule !== 'on' && schedule !== 'off') {
    r.problem('TRADE_BILL_SCHEDULE', `must be "on" or "off", got "${schedule.slice(0, 20)}"`);
  }
  return { subMchids, notReadyRetryMs, ensureSchedule: schedule === 'on' };
}

/**
 * The order gauges (worker/order-gauges.ts): `WORKER_ORDER_GAUGES=on` in one process of the deployment, read every
 * `WORKER_ORDER_GAUGES_INTERVAL` (default 30 s); they are exported on `WORKER_METRICS_PORT`, which they need.
 */
function readOrderGauges(r: EnvReader, metricsPort: number | undefined): number | undefined {
  const on = r.optional('WORKER_ORDER_GAUGES');
  if (on !== undefined && on !== 'on' && on !== 'off') {
    r.problem('WORKER_ORDER_GAUGES', `must be "on" or "off", got "${on.slice(0, 20)}"`);
  }
  const intervalMs = r.duration('WORKER_ORDER_GAUGES_INTERVAL', 30_000, 1_000, 600_000, '1s to 10m');
  if (on !== 'on') return undefined;
  if (metricsPort === undefined) r.problem('WORKER_ORDER_GAUGES', 'is on but WORKER_METRICS_PORT is not set');
  return intervalMs;
}

/**
 * The Worker Deployment version (`WORKER_DEPLOYMENT_NAME` with `WORKER_BUILD_ID`, both or neither): with it the
 * worker uses Worker Versioning and pins every order to the version that started it. The Temporal Worker Controller
 * injects the same two as `TEMPORAL_DEPLOYMENT_NAME` and `TEMPORAL_WORKER_BUILD_ID` (its deployment name holds a `/`):
 * either name is read, and both set to different values is a problem.
 */
function readDeployment(r: EnvReader): WorkerDeployment | undefined {
  const name = readEither(r, 'WORKER_DEPLOYMENT_NAME', 'TEMPORAL_DEPLOYMENT_NAME');
  const buildId = readEither(r, 'WORKER_BUILD_ID', 'TEMPORAL_WORKER_BUILD_ID');
  if (!name.value && !buildId.value) return undefined;
  if (!name.value) r.problem(name.variable, `is required with ${buildId.variable} (or ${name.alternative})`);
  if (!buildId.value) r.problem(buildId.variable, `is required with ${name.variable} (or ${buildId.alternative})`);
  if (name.value && !/^[0-9A-Za-z._/-]{1,255}$/.test(name.value)) {
    r.problem(name.variable, 'must be 1-255 of 0-9 A-Z a-z . _ - /');
  }
  if (buildId.value && !/^[0-9A-Za-z._-]{1,255}$/.test(buildId.value)) {
    r.problem(buildId.variable, 'must be 1-255 of 0-9 A-Z a-z . _ -');
  }
  return name.value && buildId.value ? { name: name.value, buildId: buildId.value } : undefined;
}

/**
 * One setting under the worker's own name or the Temporal Worker Controller's: the value, the variable it came from
 * (the worker's own when neither is set) and the other name.
 */
function readEither(r: EnvReader, own: string, controller: string) {
  const mine = r.optional(own);
  const injected = r.optional(controller);
  if (mine && injected && mine !== injected) {
    r.problem(
      own,
      `is "${mine.slice(0, 60)}" but ${controller} (set by the Temporal Worker Controller) is ` +
        `"${injected.slice(0, 60)}": set one of them, or both to the same value`,
    );
  }
  const variable = !mine && injected ? controller : own;
  return { value: mine ?? injected, variable, alternative: variable === own ? controller : own };
}

/** The merchant side of WeChat Pay: hosts, merchant id, certificate serial and private key. */
function readMerchant(r: EnvReader) {
  const baseUrl = httpsUnlessLoopback(
    r,
    'WECHATPAY_BASE_URL',
    r.url('WECHATPAY_BASE_URL', DEFAULT_WECHATPAY_BASE_URL, true),
  );
  const backupBaseUrl = r.optional('WECHATPAY_BACKUP_BASE_URL')
    ? httpsUnlessLoopback(r, 'WECHATPAY_BACKUP_BASE_URL', r.url('WECHATPAY_BACKUP_BASE_URL', undefined, true))
    : undefined;
  const mchid = r.matching(
    'WECHATPAY_MCHID',
    r.required('WECHATPAY_MCHID'),
    /^[0-9A-Za-z]{1,32}$/,
    '1-32 letters or digits',
  );
  const merchantSerial = r.matching(
    'WECHATPAY_MERCHANT_SERIAL',
    r.required('WECHATPAY_MERCHANT_SERIAL'),
    /^[0-9A-Fa-f]{8,64}$/,
    'the hexadecimal serial of the merchant API certificate',
  );
  const keyPath = r.required('WECHATPAY_PRIVATE_KEY_PATH');
  const privateKey = keyPath ? r.attempt(() => loadPrivateKey('WECHATPAY_PRIVATE_KEY_PATH', keyPath)) : undefined;
  const merchantCertificate = readMerchantCertificate(r, merchantSerial, privateKey);
  return { baseUrl, backupBaseUrl, mchid, merchantSerial, privateKey, merchantCertificate };
}

/**
 * The merchant API certificate (`WECHATPAY_MERCHANT_CERT_PATH`, `apiclient_cert.pem`, optional): when given, its
 * serial must be `WECHATPAY_MERCHANT_SERIAL` and its key the one in `WECHATPAY_PRIVATE_KEY_PATH`, so a serial typed
 * by hand or a key from another certificate stops the worker at start instead of failing every call with SIGN_ERROR.
 */
function readMerchantCertificate(
  r: EnvReader,
  merchantSerial: string | undefined,
  privateKey: KeyObject | undefined,
): X509Certificate | undefined {
  const certPath = r.optional('WECHATPAY_MERCHANT_CERT_PATH');
  if (!certPath) return undefined;
  const cert = r.attempt(() => loadCertificate('WECHATPAY_MERCHANT_CERT_PATH', certPath));
  if (!cert) return undefined;
  if (merchantSerial && !sameSerial(cert.serialNumber, merchantSerial)) {
    r.problem(
      'WECHATPAY_MERCHANT_SERIAL',
      `is not the serial of the certificate in WECHATPAY_MERCHANT_CERT_PATH (${cert.serialNumber})`,
    );
  }
  if (privateKey && !cert.checkPrivateKey(privateKey)) {
    r.problem(
      'WECHATPAY_PRIVATE_KEY_PATH',
      'does not hold the private key of the certificate in WECHATPAY_MERCHANT_CERT_PATH',
    );
  }
  return cert;
}

/**
 * The keys that verify WeChat Pay's answers, by serial, and the serial announced in requests: the WeChat Pay public
 * key (`WECHATPAY_PUBLIC_KEY_ID` with `WECHATPAY_PUBLIC_KEY_PATH`) and/or platform certificates
 * (`WECHATPAY_PLATFORM_CERTS`, `serial=path,…`); at least one of them, and never the merchant's own serial.
 */
function readVerifyingKeys(
  r: EnvReader,
  merchantSerial: string | undefined,
): { verifiers: Record<string, KeyObject>; wechatpaySerial: string | undefined } {
  const verifiers: Record<string, KeyObject> = {};
  let wechatpaySerial: string | undefined;
  const pubId = r.optional('WECHATPAY_PUBLIC_KEY_ID');
  const pubPath = r.optional('WECHATPAY_PUBLIC_KEY_PATH');
  if (pubId && !pubPath) r.problem('WECHATPAY_PUBLIC_KEY_PATH', 'is required with WECHATPAY_PUBLIC_KEY_ID');
  if (pubPath && !pubId) r.problem('WECHATPAY_PUBLIC_KEY_ID', 'is required with WECHATPAY_PUBLIC_KEY_PATH');
  if (pubId && pubPath) {
    if (!/^[\x21-\x7e]{1,128}$/.test(pubId)) {
      r.problem('WECHATPAY_PUBLIC_KEY_ID', 'must be the key id WeChat Pay shows, e.g. PUB_KEY_ID_…');
    } else {
      const key = r.attempt(() => loadPublicKey('WECHATPAY_PUBLIC_KEY_PATH', pubPath));
      if (key) verifiers[pubId] = key;
      wechatpaySerial = pubId;
    }
  }
  const certs = r.optional('WECHATPAY_PLATFORM_CERTS');
  for (const entry of (certs ?? '')
    .split(',')
    .map((e) => e.trim())
    .filter(Boolean)) {
    const eq = entry.indexOf('=');
    const serial = eq > 0 ? entry.slice(0, eq).trim() : '';
    const file = eq > 0 ? entry.slice(eq + 1).trim() : '';
    if (!/^[0-9A-Fa-f]{8,64}$/.test(serial) || !file) {
      r.problem(
        'WECHATPAY_PLATFORM_CERTS',
        `must be "serial=path,serial=path" with hex serials, got an entry "${entry.slice(0, 80)}"`,
      );
      continue;
    }
    const key = r.attempt(() => loadPublicKey('WECHATPAY_PLATFORM_CERTS', file));
    if (key) verifiers[serial] = key;
    // Without a public key, announce the last listed (newest) platform certificate.
    if (!pubId) wechatpaySerial = serial;
  }
  if (!pubId && !pubPath && !certs) {
    r.problem(
      'WECHATPAY_PUBLIC_KEY_ID',
      'and WECHATPAY_PUBLIC_KEY_PATH (or WECHATPAY_PLATFORM_CERTS) are required to verify WeChat Pay answers',
    );
  }
  if (merchantSerial && merchantSerial in verifiers) {
    r.problem('WECHATPAY_PLATFORM_CERTS', 'must not contain the merchant certificate serial');
  }
  return { verifiers, wechatpaySerial };
}

/**
 * A WeChat Pay base URL must use TLS: what binds an error answer such as "no such order" (which carries no order
 * number) to our request is its freshness and the TLS connection it came over. Plain `http://` only to a loopback
 * host (the simulator, a local proxy).
 */
function httpsUnlessLoopback(r: EnvReader, name: string, url: string | undefined): string | undefined {
  if (!url) return undefined;
  const { protocol, hostname } = new URL(url);
  if (protocol === 'https:' || isLoopbackHost(hostname)) return url;
  r.problem(name, `must be an https:// URL (plain http:// only to a loopback host), got ${loggableUrl(url)}`);
  return undefined;
}

/** `localhost`, `127.0.0.0/8` or `::1`. */
function isLoopbackHost(hostname: string): boolean {
  const host = hostname.replace(/^\[|\]$/g, '').toLowerCase();
  return host === 'localhost' || host === '::1' || /^127(?:\.\d{1,3}){3}$/.test(host);
}

/** How downstream requests are signed and sent (`COMPENSATION_*`), shared by compensation and confirmation. */
function readDownstream(r: EnvReader): DownstreamConfig {
  const webhookSecrets = readWebhookSecrets(r);
  return {
    ...(webhookSecrets ? { webhookSecrets } : {}),
    timeoutMs: r.integer('COMPENSATION_TIMEOUT_MS', 10_000, 100, ACTIVITY_START_TO_CLOSE_MS - 5_000),
    authRetryDelayMs: r.duration('COMPENSATION_AUTH_RETRY_DELAY', 5 * 60_000, 1_000, 86_400_000, '1s to 1d'),
  };
}

/** Fewest bytes a Standard Webhooks secret must decode to (128 bits). */
const MIN_WEBHOOK_SECRET_BYTES = 16;

/**
 * One Standard Webhooks secret, `whsec_<base64>` (padded base64 of at least {@link MIN_WEBHOOK_SECRET_BYTES} bytes,
 * as the `standardwebhooks` library decodes it), as a secret KeyObject; or why not, without repeating the secret.
 *
 * @param text - one entry of `COMPENSATION_HMAC_SECRET`
 */
export function parseWebhookSecret(text: string): { ok: true; key: KeyObject } | { ok: false; problem: string } {
  const base64 = /^whsec_((?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?)$/.exec(text)?.[1];
  if (!base64) return { ok: false, problem: 'is not of the form whsec_<base64>' };
  const bytes = Buffer.from(base64, 'base64');
  if (bytes.length < MIN_WEBHOOK_SECRET_BYTES) {
    return { ok: false, problem: `decodes to ${bytes.length} bytes, fewer than ${MIN_WEBHOOK_SECRET_BYTES}` };
  }
  try {
    new Webhook(text); // the library the order services verify with must read it too
  } catch {
    return { ok: false, problem: 'is not read by the standardwebhooks library' };
  }
  return { ok: true, key: createSecretKey(bytes) };
}

/**
 * The Standard Webhooks secrets of downstream requests (`COMPENSATION_HMAC_SECRET` or the file
 * `COMPENSATION_HMAC_SECRET_PATH` names): one or more space-separated `whsec_<base64>`, each of which signs every
 * request (rotation: the order service accepts either). Required: the order service must be able to tell a
 * compensation from a forgery. Only `COMPENSATION_UNSIGNED=allow` lets a worker send unsigned requests (a downstream
 * that cannot verify yet), and says so in the logged configuration. A problem names the variable, never the secret.
 */
function readWebhookSecrets(r: EnvReader): KeyObject[] | undefined {
  const { text, name } = webhookSecretsText(r);
  const unsigned = r.optional('COMPENSATION_UNSIGNED');
  if (unsigned !== undefined && unsigned !== 'allow') {
    r.problem('COMPENSATION_UNSIGNED', `must be "allow" when set, got "${unsigned.slice(0, 20)}"`);
  }
  const entries = (text ?? '').split(/\s+/).filter(Boolean);
  if (entries.length === 0) {
    // An unreadable file was reported already.
    if (unsigned === 'allow' || (text === undefined && name === 'COMPENSATION_HMAC_SECRET_PATH')) return undefined;
    r.problem(
      name,
      `${name === 'COMPENSATION_HMAC_SECRET' ? 'is required' : 'names a file without any secret'}: one or more space-separated Standard Webhooks secrets (whsec_<base64>) sign every compensation and payment confirmation; set COMPENSATION_UNSIGNED=allow only for a downstream that cannot verify yet`,
    );
    return undefined;
  }
  const keys: KeyObject[] = [];
  entries.forEach((entry, i) => {
    const which = entries.length > 1 ? `entry ${i + 1} of ${entries.length}` : 'its value';
    const parsed = parseWebhookSecret(entry);
    if (!parsed.ok) r.problem(name, `must hold Standard Webhooks secrets (whsec_<base64>): ${which} ${parsed.problem}`);
    else if (keys.some((k) => k.equals(parsed.key))) r.problem(name, `${which} repeats an earlier secret`);
    else keys.push(parsed.key);
  });
  return keys.length === entries.length ? keys : undefined;
}

/**
 * The secrets' text and the variable it came from: `COMPENSATION_HMAC_SECRET`, or the content of the file
 * `COMPENSATION_HMAC_SECRET_PATH` names (a mounted secret volume). Never both.
 */
function webhookSecretsText(r: EnvReader): { text: string | undefined; name: string } {
  const file = r.optional('COMPENSATION_HMAC_SECRET_PATH');
  if (!file) return { text: r.env.COMPENSATION_HMAC_SECRET, name: 'COMPENSATION_HMAC_SECRET' };
  const name = 'COMPENSATION_HMAC_SECRET_PATH';
  if (r.env.COMPENSATION_HMAC_SECRET) {
    r.problem(name, 'is set with COMPENSATION_HMAC_SECRET: give the secrets one way');
  }
  try {
    return { text: fs.readFileSync(file, 'utf8'), name };
  } catch {
    r.problem(name, `names ${file}, which cannot be read`);
    return { text: undefined, name };
  }
}

function definedOnly(env: Env): Record<string, string> {
  return Object.fromEntries(Object.entries(env).filter((e): e is [string, string] => e[1] !== undefined));
}

/** A loggable summary of the configuration: no keys, no secrets; URLs as origin and path only. */
export function describeConfig(config: WorkerConfig): Record<string, unknown> {
  return {
    temporalAddress: config.temporal.connectionOptions.address ?? 'localhost:7233',
    namespace: config.temporal.namespace,
    tls: Boolean(config.temporal.connectionOptions.tls),
    apiKey: config.temporal.connectionOptions.apiKey ? 'set' : 'not set',
    taskQueue: config.taskQueue,
    wechatpayBaseUrl: loggableUrl(config.wechatpay.baseUrl),
    wechatpayBackupBaseUrl: config.wechatpay.backupBaseUrl ? loggableUrl(config.wechatpay.backupBaseUrl) : 'not set',
    mchid: config.wechatpay.mchid,
    merchantSerial: config.wechatpay.merchantSerial,
    verifyingKeys: Object.keys(config.wechatpay.verifiers),
    wechatpaySerialHeader: config.wechatpay.wechatpaySerial,
    wechatpayTimeoutMs: config.wechatpay.timeoutMs,
    wechatpayMaxRps: config.wechatpayMaxRps,
    wechatpayAnswerTolerance: `${(config.wechatpay.answerToleranceMs ?? DEFAULT_ANSWER_TOLERANCE_MS) / 1_000}s`,
    payWindowFloor: `${config.payWindowFloorMs / 1_000}s`,
    compensationUrl: loggableUrl(config.compensation.url),
    compensationSigned: Boolean(config.compensation.webhookSecrets),
    webhookSecrets: config.compensation.webhookSecrets?.length ?? 0,
    downstreamAuthRetryDelay: `${config.compensation.authRetryDelayMs / 1_000}s`,
    paymentConfirmationUrl: config.confirmation.url ? loggableUrl(config.confirmation.url) : 'not set',
    paymentConfirmationSigned: Boolean(config.confirmation.url && config.confirmation.webhookSecrets),
    maxCachedWorkflows: config.maxCachedWorkflows,
    v8HeapLimitMb: heapLimitMb(),
    logLevel: config.logLevel,
    healthPort: config.healthPort ?? 'not set',
    shutdownGrace: `${config.shutdownGraceMs / 1_000}s`,
    deployment: config.deployment ? `${config.deployment.name}@${config.deployment.buildId}` : 'not versioned',
    orderGauges: config.orderGaugesIntervalMs ? `every ${config.orderGaugesIntervalMs / 1_000}s` : 'off',
    reconcileSubMchids: config.tradeBill.subMchids.length,
    tradeBillNotReadyRetry: `${config.tradeBill.notReadyRetryMs / 1_000}s`,
    tradeBillSchedule: config.tradeBill.ensureSchedule ? 'ensured at start' : 'off',
    traces: config.tracing
      ? `${loggableUrl(config.tracing.url)} as ${config.tracing.serviceName} (OTLP/HTTP JSON, every ${config.tracing.scheduleDelayMs} ms${Object.keys(config.tracing.headers).length > 0 ? ', with headers' : ''})`
      : 'off',
  };
}
