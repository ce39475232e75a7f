/**
 * Worker configuration from the environment (**contract** variable names). Everything is checked up front and every
 * problem names its variable; keys are read once and held as KeyObjects. The result holds secrets: never log it —
 * log {@link describeConfig} instead.
 */
import { createSecretKey, type KeyObject } from 'node:crypto';
import fs from 'node:fs';
import { loadClientConnectConfig, type ClientConnectConfig } from '@temporalio/envconfig';
import { ConfigError, loadPrivateKey, loadPublicKey } from '../wechatpay/keys';
import type { WechatpayConfig } from '../wechatpay/client';
import { parseDuration } from '../workflows/duration';
import { DEFAULT_TASK_QUEUE } from '../workflows/messages';
import { ACTIVITY_START_TO_CLOSE_MS } from '../workflows/policies';

/** Default WeChat Pay host. */
export const DEFAULT_WECHATPAY_BASE_URL = 'https://api.mch.weixin.qq.com/';
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
  /** Delay between WeChat Pay call attempts (query and reverse) after SIGN_ERROR / NO_AUTH. */
  authRetryDelayMs: number;
  /**
   * Most WeChat Pay requests (query and reverse attempts) per second (`WECHATPAY_MAX_RPS`): the Temporal server
   * dispatches at most this many of their activity tasks per second on average across all workers (the dedicated
   * task queue's rate limit), and each worker process sends at most this many in any one second (the client paces
   * them, `wechatpay.maxRequestsPerSecond`).
   */
  wechatpayMaxRps: number;
  compensation: { url: string; hmacKey?: KeyObject; timeoutMs: number };
  /**
   * Where an order adopted as paid (`onPaidAtDeadline: "ADOPT"`) is announced (`PAYMENT_CONFIRMATION_URL`, optional:
   * without it the confirmation activity fails retryably, WORKER_MISCONFIGURED). Same HMAC secret and timeout as
   * compensation.
   */
  confirmation: { url?: string; hmacKey?: KeyObject; timeoutMs: number };
  /** Port of the Prometheus /metrics endpoint, if any. */
  metricsPort?: number;
  /** Most activities run at once on this worker. */
  maxConcurrentActivities: number;
  /** Most workflows kept in the sticky cache (`WORKER_MAX_CACHED_WORKFLOWS`); the SDK sizes it from memory otherwise. */
  maxCachedWorkflows?: number;
  /** A prebuilt workflow bundle to run instead of the build's own (`WORKFLOW_BUNDLE_PATH`). */
  workflowBundlePath?: string;
}

/** Several configuration problems at once, each naming its variable. */
export class ConfigErrors extends Error {
  constructor(readonly problems: ConfigError[]) {
    super(`invalid worker configuration:\n${problems.map((p) => `  - ${p.message}`).join('\n')}`);
    this.name = 'ConfigErrors';
  }
}

type Env = Record<string, string | undefined>;

/** Reads and checks the worker configuration from `env`; throws {@link ConfigErrors} naming every bad variable. */
export function loadWorkerConfig(env: Env = process.env): WorkerConfig {
  const problems: ConfigError[] = [];
  const attempt = <T>(fn: () => T): T | undefined => {
    try {
      return fn();
    } catch (err) {
      if (err instanceof ConfigError) problems.push(err);
      else problems.push(new ConfigError('TEMPORAL_*', `could not be read (${(err as Error).message})`));
      return undefined;
    }
  };
  const required = (name: string): string | undefined => {
    const value = env[name]?.trim();
    if (!value) problems.push(new ConfigError(name, 'is required'));
    return value || undefined;
  };
  const matching = (name: string, value: string | undefined, re: RegExp, rule: string): string | undefined => {
    if (value !== undefined && !re.test(value)) {
      problems.push(new ConfigError(name, `must be ${rule}`));
      return undefined;
    }
    return value;
  };
  const integer = (name: string, fallback: number, min: number, max: number): number => {
    const raw = env[name]?.trim();
    if (!raw) return fallback;
    const n = Number(raw);
    if (!Number.isInteger(n) || n < min || n > max) {
      problems.push(new ConfigError(name, `must be an integer from ${min} to ${max}, got "${raw}"`));
      return fallback;
    }
    return n;
  };
  /**
   * An http(s) URL. `base`: a WeChat Pay base URL, which request paths are appended to and whose requests are signed:
   * no user info (the HTTP client would send it as Basic credentials in place of the signature), no query, no
   * fragment. No message ever echoes credentials or a query.
   */
  const url = (name: string, fallback?: string, base = false): string | undefined => {
    const raw = env[name]?.trim() || fallback;
    if (!raw) {
      problems.push(new ConfigError(name, 'is required'));
      return undefined;
    }
    let parsed: URL;
    try {
      parsed = new URL(raw);
      if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') throw new Error('scheme');
    } catch {
      problems.push(new ConfigError(name, `must be an http(s) URL, got "${redactUrlText(raw)}"`));
      return undefined;
    }
    if (base && (parsed.username || parsed.password)) {
      problems.push(
        new ConfigError(
          name,
          `must not carry credentials (user:password@), got ${loggableUrl(raw)} with them: WeChat Pay requests are signed, and the credentials would replace the signature`,
        ),
      );
      return undefined;
    }
    if (base && (parsed.search || parsed.hash)) {
      problems.push(
        new ConfigError(
          name,
          `must not carry a query or fragment (request paths are appended), got ${loggableUrl(raw)}`,
        ),
      );
      return undefined;
    }
    return parsed.toString();
  };

  const temporal = attempt(() => loadClientConnectConfig({ overrideEnvVars: definedOnly(env) }));
  const taskQueue = env.TEMPORAL_TASK_QUEUE?.trim() || DEFAULT_TASK_QUEUE;

  const baseUrl = url('WECHATPAY_BASE_URL', DEFAULT_WECHATPAY_BASE_URL, true);
  const backupBaseUrl = env.WECHATPAY_BACKUP_BASE_URL?.trim()
    ? url('WECHATPAY_BACKUP_BASE_URL', undefined, true)
    : undefined;
  const mchid = matching(
    'WECHATPAY_MCHID',
    required('WECHATPAY_MCHID'),
    /^[0-9A-Za-z]{1,32}$/,
    '1-32 letters or digits',
  );
  const merchantSerial = matching(
    'WECHATPAY_MERCHANT_SERIAL',
    required('WECHATPAY_MERCHANT_SERIAL'),
    /^[0-9A-Fa-f]{8,64}$/,
    'the hexadecimal serial of the merchant API certificate',
  );
  const keyPath = required('WECHATPAY_PRIVATE_KEY_PATH');
  const privateKey = keyPath ? attempt(() => loadPrivateKey('WECHATPAY_PRIVATE_KEY_PATH', keyPath)) : undefined;

  const verifiers: Record<string, KeyObject> = {};
  let wechatpaySerial: string | undefined;
  const pubId = env.WECHATPAY_PUBLIC_KEY_ID?.trim();
  const pubPath = env.WECHATPAY_PUBLIC_KEY_PATH?.trim();
  if (pubId && !pubPath)
    problems.push(new ConfigError('WECHATPAY_PUBLIC_KEY_PATH', 'is required with WECHATPAY_PUBLIC_KEY_ID'));
  if (pubPath && !pubId)
    problems.push(new ConfigError('WECHATPAY_PUBLIC_KEY_ID', 'is required with WECHATPAY_PUBLIC_KEY_PATH'));
  if (pubId && pubPath) {
    if (!/^[\x21-\x7e]{1,128}$/.test(pubId)) {
      problems.push(
        new ConfigError('WECHATPAY_PUBLIC_KEY_ID', 'must be the key id WeChat Pay shows, e.g. PUB_KEY_ID_…'),
      );
    } else {
      const key = attempt(() => loadPublicKey('WECHATPAY_PUBLIC_KEY_PATH', pubPath));
      if (key) verifiers[pubId] = key;
      wechatpaySerial = pubId;
    }
  }
  const certs = env.WECHATPAY_PLATFORM_CERTS?.trim();
  if (certs) {
    for (const entry of certs
      .split(',')
      .map((e) => e.trim())
      .filter(Boolean)) {
      const eq = entry.indexOf('=');
      const serial = eq > 0 ? entry.slice(0, eq).trim() : '';
      const file = eq > 0 ? entry.slice(eq + 1).trim() : '';
      if (!/^[0-9A-Fa-f]{8,64}$/.test(serial) || !file) {
        problems.push(
          new ConfigError(
            'WECHATPAY_PLATFORM_CERTS',
            `must be "serial=path,serial=path" with hex serials, got an entry "${entry.slice(0, 80)}"`,
          ),
        );
        continue;
      }
      const key = attempt(() => loadPublicKey('WECHATPAY_PLATFORM_CERTS', file));
      if (key) verifiers[serial] = key;
      // Without a public key, announce the last listed (newest) platform certificate.
      if (!pubId) wechatpaySerial = serial;
    }
  }
  if (!pubId && !pubPath && !certs) {
    problems.push(
      new ConfigError(
        'WECHATPAY_PUBLIC_KEY_ID',
        'and WECHATPAY_PUBLIC_KEY_PATH (or WECHATPAY_PLATFORM_CERTS) are required to verify WeChat Pay answers',
      ),
    );
  }
  if (merchantSerial && merchantSerial in verifiers) {
    problems.push(new ConfigError('WECHATPAY_PLATFORM_CERTS', 'must not contain the merchant certificate serial'));
  }

  const timeoutMs = integer('WECHATPAY_TIMEOUT_MS', 10_000, 100, ACTIVITY_START_TO_CLOSE_MS - 5_000);
  const authRetryRaw = env.WECHATPAY_AUTH_RETRY_DELAY?.trim();
  let authRetryDelayMs = 5 * 60_000;
  if (authRetryRaw) {
    const ms = parseDuration(authRetryRaw);
    if (ms === undefined || ms < 1_000 || ms > 86_400_000) {
      problems.push(
        new ConfigError('WECHATPAY_AUTH_RETRY_DELAY', `must be a duration from 1s to 1d, got "${authRetryRaw}"`),
      );
    } else {
      authRetryDelayMs = ms;
    }
  }
  const wechatpayMaxRps = integer('WECHATPAY_MAX_RPS', DEFAULT_WECHATPAY_MAX_RPS, 1, 10_000);
  const compensationUrl = url('COMPENSATION_URL');
  const secret = env.COMPENSATION_HMAC_SECRET;
  let hmacKey: KeyObject | undefined;
  if (secret !== undefined && secret !== '') {
    if (secret.length < 16)
      problems.push(new ConfigError('COMPENSATION_HMAC_SECRET', 'must be at least 16 characters'));
    else hmacKey = createSecretKey(Buffer.from(secret, 'utf8'));
  }
  const confirmationUrl = env.PAYMENT_CONFIRMATION_URL?.trim() ? url('PAYMENT_CONFIRMATION_URL') : undefined;
  const compensationTimeoutMs = integer('COMPENSATION_TIMEOUT_MS', 10_000, 100, ACTIVITY_START_TO_CLOSE_MS - 5_000);
  const metricsPortRaw = env.WORKER_METRICS_PORT?.trim();
  const metricsPort = metricsPortRaw ? integer('WORKER_METRICS_PORT', 0, 1, 65_535) : undefined;
  const maxConcurrentActivities = integer('WORKER_MAX_CONCURRENT_ACTIVITIES', 100, 1, 10_000);
  const cachedRaw = env.WORKER_MAX_CACHED_WORKFLOWS?.trim();
  const maxCachedWorkflows = cachedRaw ? integer('WORKER_MAX_CACHED_WORKFLOWS', 0, 0, 1_000_000) : undefined;
  const workflowBundlePath = env.WORKFLOW_BUNDLE_PATH?.trim() || undefined;
  if (workflowBundlePath && !fs.existsSync(workflowBundlePath)) {
    problems.push(new ConfigError('WORKFLOW_BUNDLE_PATH', `points at ${workflowBundlePath}, which does not exist`));
  }

  if (
    problems.length > 0 ||
    !temporal ||
    !baseUrl ||
    !mchid ||
    !merchantSerial ||
    !privateKey ||
    !wechatpaySerial ||
    !compensationUrl
  ) {
    throw new ConfigErrors(problems);
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
    },
    authRetryDelayMs,
    wechatpayMaxRps,
    compensation: { url: compensationUrl, ...(hmacKey ? { hmacKey } : {}), timeoutMs: compensationTimeoutMs },
    confirmation: {
      ...(confirmationUrl ? { url: confirmationUrl } : {}),
      ...(hmacKey ? { hmacKey } : {}),
      timeoutMs: compensationTimeoutMs,
    },
    ...(metricsPort ? { metricsPort } : {}),
    maxConcurrentActivities,
    ...(workflowBundlePath ? { workflowBundlePath } : {}),
    ...(maxCachedWorkflows !== undefined ? { maxCachedWorkflows } : {}),
  };
}

function definedOnly(env: Env): Record<string, string> {
  return Object.fromEntries(Object.entries(env).filter((e): e is [string, string] => e[1] !== undefined));
}

/**
 * A URL as it may be logged: origin and path only — never user info (credentials), query string or fragment.
 * Anything unparseable is reported as such.
 */
export function loggableUrl(url: string): string {
  try {
    const parsed = new URL(url);
    return `${parsed.origin}${parsed.pathname}`;
  } catch {
    return '(not a URL)';
  }
}

/**
 * A bad URL value for an error message: query and fragment cut, everything before the last `@` of what remains (user
 * info, however written: `scheme://user:token@`, `scheme:user:token@`, `user:token@`) masked, at most 80 characters.
 */
export function redactUrlText(raw: string): string {
  const noQuery = raw.replace(/[?#].*$/s, '');
  const at = noQuery.lastIndexOf('@');
  if (at < 0) return noQuery.slice(0, 80);
  const scheme = /^[A-Za-z][A-Za-z0-9+.-]*:(?:\/\/)?/.exec(noQuery)?.[0] ?? '';
  return `${scheme}***@${noQuery.slice(at + 1)}`.slice(0, 80);
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
    compensationUrl: loggableUrl(config.compensation.url),
    compensationSigned: Boolean(config.compensation.hmacKey),
    paymentConfirmationUrl: config.confirmation.url ? loggableUrl(config.confirmation.url) : 'not set',
    paymentConfirmationSigned: Boolean(config.confirmation.url && config.confirmation.hmacKey),
  };
}
