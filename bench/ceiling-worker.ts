/**
 * The ceiling's worker process: the same connection and worker settings as the product's worker, running
 * `ceilingWorkflow` with no-op activities.
 */
import { NativeConnection, Runtime, DefaultLogger, Worker } from '@temporalio/worker';
import { loadWorkerConfig } from '../worker/config';

async function main(): Promise<void> {
  const config = loadWorkerConfig(process.env);
  Runtime.install({ logger: new DefaultLogger('WARN'), shutdownSignals: ['SIGINT', 'SIGTERM'] });
  const connection = await NativeConnection.connect(config.temporal.connectionOptions);
  const worker = await Worker.create({
    connection,
    namespace: config.temporal.namespace,
    taskQueue: config.taskQueue,
    workflowsPath: require.resolve('../workflows/ceiling'),
    activities: { noop: async (step: string) => step },
    maxConcurrentActivityTaskExecutions: config.maxConcurrentActivities,
    ...(config.maxCachedWorkflows !== undefined ? { maxCachedWorkflows: config.maxCachedWorkflows } : {}),
    shutdownGraceTime: '20s',
  });
  console.log('worker polling');
  await worker.run();
  await connection.close();
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
