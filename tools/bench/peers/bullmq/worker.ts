/**
 * The BullMQ peer's worker process: the product's activities built by the product's own factory from the product's
 * own configuration (`loadWorkerConfig`: the same WeChat Pay client, keys, rate limit, order service and timeouts as
 * the product's worker), run by a BullMQ worker on `BULLMQ_QUEUE` at Redis `REDIS_HOST`:`REDIS_PORT`, as many jobs at
 * once as the product runs activities (`maxConcurrentActivities`), with BullMQ's defaults for locks and stalled jobs.
 * SIGINT/SIGTERM close it gracefully (running jobs finish).
 */
import { Worker, type Job } from 'bullmq';
import { createActivities } from '../../../../activities';
import { createWechatpayClient } from '../../../../wechatpay/client';
import { loadWorkerConfig } from '../../../../worker/config';
import { createStepProcessor, peerBackoff, type PeerJobData, type PeerJobResult, type StepJob } from './steps';

/** The job as the steps see it. */
function stepJob(job: Job<PeerJobData, PeerJobResult>): StepJob {
  return {
    id: job.id ?? job.name,
    attempt: job.attemptsMade + 1,
    data: job.data,
    save: (data) => job.updateData(data),
  };
}

async function main(): Promise<void> {
  const config = loadWorkerConfig(process.env);
  const activities = createActivities({
    wechatpay: { client: createWechatpayClient(config.wechatpay), authRetryDelayMs: config.authRetryDelayMs },
    compensation: config.compensation,
    confirmation: config.confirmation,
    payWindowFloorMs: config.payWindowFloorMs,
    // BullMQ keeps no runs of an order: nothing earlier to find.
    runs: { earlierRuns: async () => [], scheduledReverse: async () => false },
  });
  const processJob = createStepProcessor(activities);
  const worker = new Worker<PeerJobData, PeerJobResult>(
    process.env.BULLMQ_QUEUE ?? 'bench-bullmq',
    (job) => processJob(stepJob(job)),
    {
      connection: { host: process.env.REDIS_HOST ?? '127.0.0.1', port: Number(process.env.REDIS_PORT ?? 6379) },
      concurrency: config.maxConcurrentActivities,
      settings: { backoffStrategy: peerBackoff },
    },
  );
  worker.on('error', (err) => console.error(JSON.stringify({ level: 'ERROR', message: err.message })));
  const stop = (): void => {
    void worker.close().then(() => process.exit(0));
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  await worker.waitUntilReady();
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
