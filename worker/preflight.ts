/**
 * The go-live check (`combine-papay-worker preflight [--query <combineOutTradeNo>]`): before the first real order,
 * with the worker's own environment, what would otherwise surface as SIGN_ERROR, unverified answers or skew on the
 * first deadline. It loads the worker configuration (which checks the merchant certificate against the serial and the
 * key when `WECHATPAY_MERCHANT_CERT_PATH` is set), reads WeChat Pay's clock, and sends one signed query whose answer
 * must verify. It changes nothing at WeChat Pay: a query is read-only. Nothing it prints holds key material.
 */
import type { X509Certificate } from 'node:crypto';
import { Connection } from '@temporalio/client';
import { createWechatpayClient, type WechatpayAnswer, type WechatpayConfig } from '../wechatpay/client';
import { parseQueriedOrder } from '../wechatpay/classify';
import { ClockOffsetEstimate, clockOffsetSample } from '../wechatpay/freshness';
import { NonceMemory } from '../wechatpay/nonces';
import { PAY_CALL_TIMEOUT_MS, REVERSE_WINDOW_MS } from '../workflows/policies';
import { ConfigErrors, loadWorkerConfig, type WorkerConfig, type WorkerDeployment } from './config';
import type { Env } from './env';

/** How one check came out. */
const CheckStatus = { PASS: 'PASS', WARN: 'WARN', FAIL: 'FAIL', SKIP: 'SKIP' } as const;
/** One of {@link CheckStatus}. */
type CheckStatus = (typeof CheckStatus)[keyof typeof CheckStatus];

/** One line of the report. */
export interface PreflightCheck {
  name: string;
  status: CheckStatus;
  detail: string;
}

/** Options of {@link runPreflight}. */
export interface PreflightOptions {
  /** The order to query; default a probe number no order has (WeChat Pay answers ORDER_NOT_EXIST, signed). */
  query?: string;
  /** This machine's clock (tests shift it). */
  now?: () => number;
}

/** Clock offsets: up to this much is fine; up to {@link CLOCK_FAIL_S} a warning; beyond, a failure. */
const CLOCK_WARN_S = 5;
/** WeChat Pay and the worker refuse signatures more than 5 minutes off; a minute already means no time sync. */
const CLOCK_FAIL_S = 60;
/** A merchant certificate expiring sooner than this is a warning. */
const CERT_WARN_DAYS = 30;
const DAY_MS = 86_400_000;

/** Runs every check; stops after the configuration when it does not load. */
export async function runPreflight(env: Env, options: PreflightOptions = {}): Promise<PreflightCheck[]> {
  const now = options.now ?? Date.now;
  let config: WorkerConfig;
  try {
    config = loadWorkerConfig(env);
  } catch (err) {
    const detail = err instanceof ConfigErrors ? err.message : `cannot load: ${(err as Error).message}`;
    return [{ name: 'configuration', status: CheckStatus.FAIL, detail }];
  }
  const checks: PreflightCheck[] = [
    {
      name: 'configuration',
      status: CheckStatus.PASS,
      detail: `merchant ${config.wechatpay.mchid}, task queue ${config.taskQueue}`,
    },
    certificateCheck(config.merchantCertificate, config.wechatpay.merchantSerial, now()),
    verifyingKeysCheck(config.wechatpay),
    ...policyChecks(config),
  ];
  const clock = await clockCheck(config.wechatpay.baseUrl, now);
  checks.push(clock.check, ...(await temporalChecks(config)));
  const orderNo = options.query ?? `PREFLIGHT${now().toString(36).toUpperCase()}`;
  // The signed query is judged fresh against the offset the clock check measured (one reading is enough here: this
  // one-shot check acts on no order; a worker takes the median of several).
  const offset = new ClockOffsetEstimate({ minSamples: 1 });
  if (clock.offsetMs !== undefined) offset.observe(clock.offsetMs);
  const client = createWechatpayClient(config.wechatpay, new NonceMemory(), offset);
  checks.push(queryCheck('signed query', orderNo, options.query !== undefined, await client.query(orderNo)));
  if (client.hasBackup) {
    const answer = await client.query(orderNo, { useBackup: true });
    checks.push(queryCheck('signed query (backup host)', orderNo, options.query !== undefined, answer));
  }
  return checks;
}

/** The merchant certificate: present (already matched to the serial and key by the configuration), not expiring. */
function certificateCheck(cert: X509Certificate | undefined, serial: string, nowMs: number): PreflightCheck {
  const name = 'merchant certificate';
  if (!cert) {
    return {
      name,
      status: CheckStatus.SKIP,
      detail: 'set WECHATPAY_MERCHANT_CERT_PATH (apiclient_cert.pem) to check WECHATPAY_MERCHANT_SERIAL against it',
    };
  }
  const validTo = Date.parse(cert.validTo);
  const days = Math.floor((validTo - nowMs) / DAY_MS);
  const matches = `serial ${serial} and the private key match it`;
  if (days < 0) return { name, status: CheckStatus.FAIL, detail: `expired ${cert.validTo}; ${matches}` };
  const status = days < CERT_WARN_DAYS ? CheckStatus.WARN : CheckStatus.PASS;
  return { name, status, detail: `${matches}; valid until ${cert.validTo} (${days} days)` };
}

/** Which keys verify WeChat Pay's answers. */
function verifyingKeysCheck(wechatpay: WechatpayConfig): PreflightCheck {
  const ids = Object.keys(wechatpay.verifiers);
  return {
    name: 'WeChat Pay keys',
    status: CheckStatus.PASS,
    detail: `answers verified with ${ids.join(', ')}; requests announce ${wechatpay.wechatpaySerial}`,
  };
}

/**
 * This machine's clock against WeChat Pay's: the `Date` header of an unsigned GET of the base URL, compared with the
 * middle of the round trip (the header has whole seconds, so offsets under a second or two are noise); with the
 * offset it measured (WeChat Pay's clock minus ours, ms), when it could.
 */
async function clockCheck(baseUrl: string, now: () => number): Promise<{ check: PreflightCheck; offsetMs?: number }> {
  const name = 'clock';
  const sent = now();
  let date: string | null;
  try {
    const res = await fetch(baseUrl, { method: 'GET', redirect: 'manual', signal: AbortSignal.timeout(10_000) });
    date = res.headers.get('date');
    await res.body?.cancel();
  } catch (err) {
    const detail = `no answer from ${new URL(baseUrl).host}: ${(err as Error).message}`;
    return { check: { name, status: CheckStatus.FAIL, detail } };
  }
  const theirs = date ? Date.parse(date) : NaN;
  if (!Number.isFinite(theirs)) {
    const detail = `${new URL(baseUrl).host} sent no readable Date header`;
    return { check: { name, status: CheckStatus.WARN, detail } };
  }
  const received = now();
  const sample = clockOffsetSample(date, sent, received);
  const measured = sample.ok ? { offsetMs: sample.offsetMs } : {};
  const offsetS = Math.round((received + sent) / 2 / 1_000 - theirs / 1_000);
  const text = `this machine is ${Math.abs(offsetS)} s ${offsetS >= 0 ? 'ahead of' : 'behind'} WeChat Pay`;
  if (Math.abs(offsetS) <= CLOCK_WARN_S)
    return { check: { name, status: CheckStatus.PASS, detail: text }, ...measured };
  const advice = 'signatures more than 5 minutes off are refused: sync the clock (NTP, chrony)';
  const status = Math.abs(offsetS) <= CLOCK_FAIL_S ? CheckStatus.WARN : CheckStatus.FAIL;
  return { check: { name, status, detail: `${text}; ${advice}` }, ...measured };
}

/**
 * The Temporal namespace answers with the worker's connection settings (address, TLS, API key), and keeps closed runs
 * long enough: a start of an order whose earlier run was already deleted cannot be told from a new order, so the
 * retention must cover the oldest `orderCreatedAt` the validation accepts plus the longest payment timeout. With a
 * Worker Deployment version, whether new orders reach it ({@link currentVersionCheck}).
 */
async function temporalChecks(config: WorkerConfig): Promise<PreflightCheck[]> {
  const name = 'Temporal';
  const { connectionOptions, namespace } = config.temporal;
  const where = `${connectionOptions.address ?? 'localhost:7233'} namespace ${namespace}`;
  let connection: Connection | undefined;
  try {
    connection = await Connection.connect({ ...connectionOptions, connectTimeout: 10_000 });
    const described = await connection.withDeadline(Date.now() + 10_000, () =>
      connection!.workflowService.describeNamespace({ namespace }),
    );
    const ttl = described.config?.workflowExecutionRetentionTtl;
    const retentionMs = ttl?.seconds !== undefined && ttl.seconds !== null ? Number(ttl.seconds) * 1_000 : undefined;
    const checks = [
      { name, status: CheckStatus.PASS, detail: `${where} answers` },
      retentionCheck(namespace, retentionMs),
    ];
    if (config.deployment) checks.push(await routingCheck(connection, namespace, config.deployment));
    return checks;
  } catch (err) {
    return [{ name, status: CheckStatus.FAIL, detail: `${where}: ${(err as Error).message}` }];
  } finally {
    await connection?.close();
  }
}

/** gRPC's NOT_FOUND: the Worker Deployment does not exist (no worker of it has polled yet). */
const GRPC_NOT_FOUND = 5;

/** Where Temporal routes new orders of a Worker Deployment: the current version, and a ramping one with its share. */
interface DeploymentRouting {
  current?: string;
  ramping?: string;
  rampingPercentage?: number;
  /** The build ids of the deployment's versions. */
  versions: string[];
}

/** Asks Temporal how `deployment` routes new orders, and judges it with {@link currentVersionCheck}. */
async function routingCheck(
  connection: Connection,
  namespace: string,
  deployment: WorkerDeployment,
): Promise<PreflightCheck> {
  try {
    const described = await connection.withDeadline(Date.now() + 10_000, () =>
      connection.workflowService.describeWorkerDeployment({ namespace, deploymentName: deployment.name }),
    );
    const info = described.workerDeploymentInfo;
    const routing = info?.routingConfig;
    return currentVersionCheck(namespace, deployment, {
      ...(routing?.currentDeploymentVersion?.buildId ? { current: routing.currentDeploymentVersion.buildId } : {}),
      ...(routing?.rampingDeploymentVersion?.buildId
        ? {
            ramping: routing.rampingDeploymentVersion.buildId,
            rampingPercentage: routing.rampingVersionPercentage ?? 0,
          }
        : {}),
      versions: (info?.versionSummaries ?? []).flatMap((v) =>
        v.deploymentVersion?.buildId ? [v.deploymentVersion.buildId] : [],
      ),
    });
  } catch (err) {
    if ((err as { code?: number }).code === GRPC_NOT_FOUND)
      return currentVersionCheck(namespace, deployment, undefined);
    return {
      name: 'current version',
      status: CheckStatus.WARN,
      detail: `could not describe Worker Deployment ${deployment.name}: ${(err as Error).message}`,
    };
  }
}

/**
 * Whether new orders reach this build: WARN while the Worker Deployment has no version yet or none is current (the
 * first versioned build receives no task until `set-current-version`), or while another build is current and this one
 * does not ramp (it gets no new order; orders already pinned to it still run on it). `routing` is undefined when
 * Temporal does not know the deployment.
 */
function currentVersionCheck(
  namespace: string,
  deployment: WorkerDeployment,
  routing: DeploymentRouting | undefined,
): PreflightCheck {
  const name = 'current version';
  const { name: deploymentName, buildId } = deployment;
  const makeCurrent =
    `temporal worker deployment set-current-version --deployment-name ${deploymentName} --build-id ${buildId} ` +
    `--namespace ${namespace} --yes`;
  const warn = (detail: string): PreflightCheck => ({ name, status: CheckStatus.WARN, detail });
  if (!routing) {
    return warn(
      `Worker Deployment ${deploymentName} does not exist yet in ${namespace} (no worker of it has polled): no order ` +
        `starts on ${buildId} until its workers poll and you run ${makeCurrent}`,
    );
  }
  const ramp = routing.ramping ? `${routing.ramping} ramping at ${routing.rampingPercentage ?? 0}%` : 'nothing ramping';
  if (routing.current === buildId) return { name, status: CheckStatus.PASS, detail: `${buildId} is current; ${ramp}` };
  if (routing.ramping === buildId && routing.current) {
    return { name, status: CheckStatus.PASS, detail: `${ramp}; ${routing.current} is current` };
  }
  const versions = routing.versions.length ? routing.versions.join(', ') : 'none';
  if (!routing.current) {
    return warn(
      `Worker Deployment ${deploymentName} has no current version (versions: ${versions}; ${ramp}): new orders ` +
        `reach no versioned worker until you run ${makeCurrent}`,
    );
  }
  return warn(
    `${routing.current} is current (${ramp}): ${buildId} receives no new order until it ramps or you run ` +
      `${makeCurrent} (orders pinned to it still run on it)`,
  );
}

/** The namespace retention against the longest an earlier run of an order must stay visible (see temporalChecks). */
function retentionCheck(namespace: string, retentionMs: number | undefined): PreflightCheck {
  const name = 'namespace retention';
  const neededMs = REVERSE_WINDOW_MS + REVERSE_WINDOW_MS;
  if (retentionMs === undefined)
    return { name, status: CheckStatus.WARN, detail: `${namespace} did not say its retention` };
  const days = (ms: number): string => `${Math.round((ms / DAY_MS) * 10) / 10}d`;
  if (retentionMs >= neededMs) return { name, status: CheckStatus.PASS, detail: `${days(retentionMs)} kept` };
  return {
    name,
    status: CheckStatus.FAIL,
    detail:
      `${namespace} keeps closed runs ${days(retentionMs)}, under ${days(neededMs)} (the oldest orderCreatedAt accepted ` +
      'plus the longest payment timeout): a second start of an order whose run was deleted would look new. Run ' +
      `temporal operator namespace update --namespace ${namespace} --retention ${days(neededMs)}`,
  };
}

/**
 * Settings that are valid but must not go live: a pay window floor under the pay call's 60 s (FAIL: a query could
 * reach WeChat Pay while a pay call can still land), unsigned downstream requests (WARN), and a worker outside Worker
 * Versioning (WARN: a new build would replay running orders instead of leaving them pinned to theirs).
 */
function policyChecks(config: WorkerConfig): PreflightCheck[] {
  const floorS = config.payWindowFloorMs / 1_000;
  return [
    config.payWindowFloorMs < PAY_CALL_TIMEOUT_MS
      ? {
          name: 'pay window floor',
          status: CheckStatus.FAIL,
          detail: `WECHATPAY_MIN_PAY_WINDOW is ${floorS}s, under the pay call's 60s: demos and tests only`,
        }
      : { name: 'pay window floor', status: CheckStatus.PASS, detail: `${floorS}s` },
    config.compensation.webhookSecrets
      ? { name: 'downstream signing', status: CheckStatus.PASS, detail: 'Standard Webhooks signatures' }
      : {
          name: 'downstream signing',
          status: CheckStatus.WARN,
          detail: 'COMPENSATION_UNSIGNED=allow: the order service cannot tell a compensation from a forgery',
        },
    config.deployment
      ? {
          name: 'deployment version',
          status: CheckStatus.PASS,
          detail: `${config.deployment.name}@${config.deployment.buildId}`,
        }
      : {
          name: 'deployment version',
          status: CheckStatus.WARN,
          detail: 'no WORKER_DEPLOYMENT_NAME/WORKER_BUILD_ID: orders are not pinned to the build that started them',
        },
  ];
}

/** What one signed query's answer says about the credentials, the keys and the path to WeChat Pay. */
function queryCheck(name: string, orderNo: string, asked: boolean, answer: WechatpayAnswer): PreflightCheck {
  const fail = (detail: string): PreflightCheck => ({ name, status: CheckStatus.FAIL, detail });
  const refusedSignature =
    'WeChat Pay refused our signature: check WECHATPAY_MCHID, WECHATPAY_MERCHANT_SERIAL and WECHATPAY_PRIVATE_KEY_PATH';
  if (answer.kind === 'network') return fail(`no answer (${answer.host} host): ${answer.reason}`);
  if (answer.kind === 'unverified' && answer.stale) {
    return fail(
      `HTTP ${answer.status} signed before the query was sent (${answer.reason}): sync this machine's clock (NTP, ` +
        'chrony), or something between the worker and WeChat Pay serves old answers',
    );
  }
  if (answer.kind === 'unverified') {
    return fail(
      answer.unsigned
        ? `HTTP ${answer.status} without Wechatpay-* headers: a proxy between the worker and WeChat Pay strips them`
        : `HTTP ${answer.status} whose signature did not verify (${answer.reason}): check WECHATPAY_PUBLIC_KEY_ID/_PATH or WECHATPAY_PLATFORM_CERTS`,
    );
  }
  const code = answer.code ? ` ${answer.code}` : '';
  if (answer.status === 401) return fail(`HTTP 401${code}: ${refusedSignature}`);
  if (!answer.verified) return fail(`HTTP ${answer.status}${code} unsigned: a proxy strips Wechatpay-* headers?`);
  if (answer.status === 200) {
    const order = parseQueriedOrder(answer.body);
    const states = order ? order.subOrders.map((s) => `${s.outTradeNo} ${s.tradeState}`).join(', ') : 'unreadable body';
    return { name, status: CheckStatus.PASS, detail: `${orderNo} found, signed and verified: ${states}` };
  }
  if (answer.status === 404 && answer.code === 'ORDER_NOT_EXIST') {
    const detail = `${orderNo}: ORDER_NOT_EXIST, signed and verified`;
    return asked
      ? { name, status: CheckStatus.WARN, detail: `${detail} (is it the right order?)` }
      : { name, status: CheckStatus.PASS, detail };
  }
  if (answer.status === 403) return fail(`HTTP 403${code}: the merchant lacks the combine-papay permission`);
  return fail(`HTTP ${answer.status}${code} (signed): ${answer.message ?? 'no message'}`);
}

/** The report as lines, and the closing line. */
export function formatPreflight(checks: readonly PreflightCheck[]): string[] {
  const count = (s: CheckStatus): number => checks.filter((c) => c.status === s).length;
  return [
    ...checks.map((c) => `${c.status.padEnd(4)}  ${c.name}: ${c.detail}`),
    `preflight: ${count('PASS')} passed, ${count('WARN')} warnings, ${count('FAIL')} failed`,
  ];
}
