/**
 * `node --import tsx tools/bench/worker-start.ts`: the production worker's cold start and idle memory, as the image
 * starts it (`node <WORKER_NODE_FLAGS> bin/combine-papay-worker.js`, the built output and the prebuilt workflow
 * bundle). Cold start: from process spawn to `/readyz` answering 200 (connected, both workers polling the order and the
 * WeChat Pay task queues). Idle RSS: the process's resident memory 15 s after it became ready, with nothing to do.
 * Repeated WORKER_START_RUNS times (5) against one dev server; writes `tools/bench/results/worker-start.json` with each
 * run and the medians.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freePort, startDevServer, stopProcess, waitFor } from '../devstack/dev-server';
import { projectRoot } from '../devstack/data-dir';
import { ensureBuilt } from '../scripts/build-if-stale';
import { loadOrCreateIdentity, workerEnvFor } from '../simulator/keys';
import { HEALTH_PATHS, probeStatus } from '../../worker/health';
import { WORKER_NODE_FLAGS } from '../../worker/memory';
import { log } from './util';

const RUNS = Number(process.env.WORKER_START_RUNS ?? 5);
const IDLE_MS = 15_000;

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

/** Resident memory of a process in MB, from /proc. */
function rssMb(pid: number): number {
  const kb = /VmRSS:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
  return Math.round(Number(kb) / 1024);
}

async function once(env: Record<string, string>, run: number): Promise<{ coldStartMs: number; idleRssMb: number }> {
  const healthPort = await freePort();
  const started = performance.now();
  const child = spawn(
    process.execPath,
    [...WORKER_NODE_FLAGS, path.join(projectRoot(), 'bin', 'combine-papay-worker.js')],
    {
      env: {
        ...process.env,
        ...env,
        TEMPORAL_TASK_QUEUE: `start-${run}-${Date.now()}`,
        WORKER_HEALTH_PORT: String(healthPort),
        LOG_LEVEL: 'WARN',
      },
      stdio: 'ignore',
    },
  );
  try {
    const ready = async (): Promise<boolean> => (await probeStatus(healthPort, HEALTH_PATHS.ready)) === 200;
    await waitFor('the worker to be ready', ready, { timeoutMs: 60_000, intervalMs: 5 });
    const coldStartMs = Math.round(performance.now() - started);
    await new Promise((r) => setTimeout(r, IDLE_MS));
    return { coldStartMs, idleRssMb: rssMb(child.pid!) };
  } finally {
    await stopProcess(child);
  }
}

async function main(): Promise<void> {
  ensureBuilt(); // the bin runs the built worker (dist/)
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'worker-start-'));
  const server = await startDevServer({ headless: true });
  const identity = loadOrCreateIdentity(path.join(work, 'keys'));
  const env = {
    ...workerEnvFor(identity, { wechatpay: 'http://127.0.0.1:9/', compensation: 'http://127.0.0.1:9/c' }),
    COMPENSATION_HMAC_SECRET: `whsec_${Buffer.from('worker-start-bench-secret-0123456789').toString('base64')}`,
    TEMPORAL_ADDRESS: server.address,
    TEMPORAL_NAMESPACE: server.namespace,
  };
  const runs = [];
  try {
    for (let i = 0; i < RUNS; i += 1) {
      const r = await once(env, i);
      log(`run ${i + 1}: cold start ${r.coldStartMs} ms, idle RSS ${r.idleRssMb} MB`);
      runs.push(r);
    }
  } finally {
    await server.stop();
  }
  const result = {
    measuredAt: new Date().toISOString(),
    node: process.version,
    cpus: os.cpus().length,
    command: `node ${WORKER_NODE_FLAGS.join(' ')} bin/combine-papay-worker.js`,
    coldStartMsMedian: median(runs.map((r) => r.coldStartMs)),
    idleRssMbMedian: median(runs.map((r) => r.idleRssMb)),
    runs,
  };
  const file = path.join(projectRoot(), 'bench', 'results', 'worker-start.json');
  fs.writeFileSync(file, `${JSON.stringify(result, null, 2)}\n`);
  log(`cold start ${result.coldStartMsMedian} ms, idle RSS ${result.idleRssMbMedian} MB (medians of ${RUNS}); ${file}`);
}

void main();
