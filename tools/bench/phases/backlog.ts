/**
 * Scale: `n` orders waiting on far deadlines (fewer if starting them takes over `maxSec`: the count is reported); the
 * worker's RSS once every one has had its first workflow task and the worker has gone idle, the rate at which one
 * worker took them in, and the dev server's database size. The backlog is then batch-terminated.
 */
import fs from 'node:fs';
import path from 'node:path';
import { startOrder } from '../../../client';
import type { BacklogResults } from '../results';
import { makeOrder, type Stack, BENCH_PAY_WINDOW } from '../stack';
import { cpuMs, log, pooled, rssMb, sleepMs } from '../util';
import { terminate } from './burst';

/** Waits until the process has used at most 50 ms of CPU per second for 3 s in a row. */
async function settle(pid: number): Promise<void> {
  let last = cpuMs(pid);
  for (let idle = 0; idle < 3;) {
    await sleepMs(1_000);
    const now = cpuMs(pid);
    idle = now - last <= 50 ? idle + 1 : 0;
    last = now;
  }
}

export async function measureBacklog(
  stack: Stack,
  queue: string,
  pid: number,
  n: number,
  maxCachedWorkflows: number,
  cli: string,
  maxSec: number,
): Promise<BacklogResults> {
  const rssIdle = rssMb(pid);
  const run = Date.now().toString(36).toUpperCase();
  const started = Date.now();
  const far = Date.now() + 3_600_000;
  let count = 0;
  const stopAt = started + maxSec * 1000;
  await pooled(
    Array.from({ length: n }, (_, i) => i),
    64,
    async (i) => {
      if (Date.now() > stopAt) return;
      const no = `BB${run}${String(i).padStart(6, '0')}`;
      await startOrder(stack.client, makeOrder(no, far), {
        taskQueue: queue,
        minPayWindow: BENCH_PAY_WINDOW,
      });
      count += 1;
      if (count % 10_000 === 0) log(`backlog: ${count}/${n} started, worker RSS ${rssMb(pid).toFixed(0)} MB`);
    },
  );
  const startsPerSec = count / ((Date.now() - started) / 1000);
  if (count < n) log(`backlog: time cap of ${maxSec} s reached after ${count} starts`);
  await settle(pid);
  // settle() returns 3 idle seconds after the last first task.
  const firstTasksPerSec = count / ((Date.now() - 3_000 - started) / 1000);
  const rss = rssMb(pid);
  const dbFile = path.join(stack.work, 'temporal.sqlite'); // the dev server's (tools/bench/engine.ts)
  const dbBytes = ['', '-wal', '-shm'].reduce(
    (sum, ext) => sum + (fs.existsSync(dbFile + ext) ? fs.statSync(dbFile + ext).size : 0),
    0,
  );
  log(
    `backlog: ${count} started at ${startsPerSec.toFixed(0)}/s, first tasks done at ${firstTasksPerSec.toFixed(0)}/s; worker RSS ${rss.toFixed(0)} MB (idle ${rssIdle.toFixed(0)} MB)`,
  );
  terminate(cli, stack.engine.address, queue);
  return {
    orders: count,
    startsPerSec: Number(startsPerSec.toFixed(1)),
    firstTasksPerSec: Number(firstTasksPerSec.toFixed(1)),
    workerRssMbIdle: Math.round(rssIdle),
    workerRssMbAt50k: Math.round(rss),
    devServerDbMb: Math.round(dbBytes / 1e6),
    maxCachedWorkflows,
  };
}
