/**
 * `npm run worker`: one worker from the environment. SIGINT/SIGTERM stop polling, let running activities finish
 * within the grace time, then exit; unfinished work is retried by Temporal on another worker.
 */
import { DefaultLogger, Runtime } from '@temporalio/worker';
import { ConfigErrors, describeConfig, loadWorkerConfig } from './config';
import { meterMetrics } from './metrics';
import { SearchAttributesMissingError } from './search-attributes';
import { assertSupportedRuntime, describeStartFailure } from './runtime';
import { createProductWorker } from './worker';

async function main(): Promise<void> {
  assertSupportedRuntime();
  const config = loadWorkerConfig(process.env);
  const logger = new DefaultLogger((process.env.LOG_LEVEL as 'INFO' | undefined) ?? 'INFO');
  Runtime.install({
    logger,
    shutdownSignals: ['SIGINT', 'SIGTERM'],
    ...(config.metricsPort
      ? { telemetryOptions: { metrics: { prometheus: { bindAddress: `0.0.0.0:${config.metricsPort}` } } } }
      : {}),
  });
  logger.info('worker configuration', describeConfig(config));
  const metrics = meterMetrics(Runtime.instance().metricMeter);
  const product = await createProductWorker(config, { metrics });
  const { connection, registeredSearchAttributes } = product;
  if (config.metricsPort) logger.info(`Prometheus metrics on :${config.metricsPort}/metrics`);
  if (registeredSearchAttributes.length > 0) {
    logger.info('registered search attributes', { names: registeredSearchAttributes });
  }
  logger.info(
    `worker polling task queue ${config.taskQueue} (WeChat Pay calls on ${product.wechatpayWorker.options.taskQueue}, at most ${config.wechatpayMaxRps}/s)`,
  );
  try {
    await product.run();
  } finally {
    await connection.close();
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
