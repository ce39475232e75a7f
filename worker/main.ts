/**
 * The production worker (`combine-papay-worker`, `npm run worker`): one worker from the environment. Logs are JSON
 * lines on standard output; `/healthz` and `/readyz` on `WORKER_HEALTH_PORT`. SIGINT/SIGTERM stop polling (readiness
 * turns 503), let running activities finish within `WORKER_SHUTDOWN_GRACE`, then exit 0; unfinished work is retried
 * by Temporal on another worker.
 */
import { Runtime } from '@temporalio/worker';
import type { Logger } from '@temporalio/common';
import { ConfigErrors, describeConfig, loadWorkerConfig, type WorkerConfig } from './config';
import { startHealthServer } from './health';
import { createJsonLogger } from './logger';
import { meterMetrics } from './metrics';
import { startOrderGauges } from './order-gauges';
import { SearchAttributesMissingError } from './search-attributes';
import { assertSupportedRuntime, describeStartFailure, unsupportedRuntimeWarning } from './runtime';
import { createProductWorker, type ProductWorker } from './worker';

/** Installs the runtime: JSON logs (the SDK core's own lines forwarded at WARN and above), signals, metrics. */
function installRuntime(config: WorkerConfig): Logger {
  const logger = createJsonLogger(config.logLevel);
  Runtime.install({
    logger,
    shutdownSignals: ['SIGINT', 'SIGTERM'],
    telemetryOptions: {
      logging: { filter: { core: 'WARN', other: 'ERROR' }, forward: {} },
      ...(config.metricsPort ? { metrics: { prometheus: { bindAddress: `0.0.0.0:${config.metricsPort}` } } } : {}),
    },
  });
  return logger;
}

/** Logs where the worker listens and polls. */
function announce(logger: Logger, config: WorkerConfig, product: ProductWorker, healthPort?: number): void {
  if (config.metricsPort) logger.info(`Prometheus metrics on :${config.metricsPort}/metrics`);
  if (healthPort) logger.info(`probes on :${healthPort}/healthz and /readyz`);
  if (product.registeredSearchAttributes.length > 0) {
    logger.info('registered search attributes', { names: product.registeredSearchAttributes });
  }
  logger.info(`trade-bill Schedule combine-papay-trade-bill: ${product.tradeBillSchedule}`);
  logger.info(
    `worker polling task queue ${config.taskQueue} (WeChat Pay calls on ${product.wechatpayWorker.options.taskQueue}, at most ${config.wechatpayMaxRps}/s)`,
    config.deployment ? { deploymentName: config.deployment.name, buildId: config.deployment.buildId } : {},
  );
}

async function main(): Promise<void> {
  assertSupportedRuntime();
  const config = loadWorkerConfig(process.env);
  const logger = installRuntime(config);
  const runtimeWarning = unsupportedRuntimeWarning();
  if (runtimeWarning) logger.warn(runtimeWarning);
  logger.info('worker configuration', describeConfig(config));
  const metrics = meterMetrics(Runtime.instance().metricMeter);
  const product = await createProductWorker(config, { metrics });
  const health =
    config.healthPort === undefined ? undefined : await startHealthServer(config.healthPort, () => product.polling());
  const gauges = config.orderGaugesIntervalMs
    ? await startOrderGauges(config, Runtime.instance().metricMeter, logger, config.orderGaugesIntervalMs)
    : undefined;
  announce(logger, config, product, health?.port);
  try {
    await product.run();
  } finally {
    await gauges?.stop();
    await health?.close();
    await product.connection.close();
  }
  logger.info('worker stopped');
}

main().catch((err: unknown) => {
  if (err instanceof ConfigErrors || err instanceof SearchAttributesMissingError) {
    console.error(err.message);
  } else {
    console.error(describeStartFailure(err, Boolean(process.env.TEMPORAL_TLS_CLIENT_CERT_PATH?.trim())));
  }
  process.exit(1);
});
