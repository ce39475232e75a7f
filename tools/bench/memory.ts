/**
 * `node --import tsx tools/bench/memory.ts`: the worker's resident memory after a backlog of pending orders, once per
 * variant of the worker's process settings, on one stack (the backlog phase of `npm run bench`, repeated). It answers
 * "which setting keeps a worker with many pending orders small" without a full bench run. Variants: the product's
 * launch flags (`WORKER_NODE_FLAGS`, as `npm run worker` starts it); Node's own defaults (16 MB semi-spaces, an old
 * space sized from the machine's memory); the launch flags with `MALLOC_ARENA_MAX=2` (glibc keeps fewer per-thread
 * heaps: the SDK's Rust core and the workflow thread allocate from several threads); the launch flags with a cache of
 * 1000. Sizes: MEMORY_BACKLOG (10000 orders per variant), MEMORY_CACHE (100 cached workflows), MEMORY_MAX_SEC (150 s of
 * starts at most per variant), MEMORY_VARIANTS (comma-separated names; all when unset).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ensureTemporalCli } from '../devstack/temporal-cli';
import { stopProcess } from '../devstack/dev-server';
import { measureBacklog } from './phases/backlog';
import { startStack } from './stack';
import { log } from './util';

/** One worker process setting to measure. */
interface Variant {
  name: string;
  env: Record<string, string>;
  /** After the launch flags, so they override them. */
  nodeArgs: string[];
  cache?: number;
}

const VARIANTS: Variant[] = [
  { name: 'launch-flags', env: {}, nodeArgs: [] },
  {
    name: 'node-defaults',
    env: {},
    nodeArgs: ['--max-semi-space-size=16', `--max-old-space-size=${Math.floor(os.totalmem() / 2 ** 20 / 4)}`],
  },
  { name: 'MALLOC_ARENA_MAX=2', env: { MALLOC_ARENA_MAX: '2' }, nodeArgs: [] },
  { name: 'cache-1000', env: {}, nodeArgs: [], cache: 1000 },
];

async function main(): Promise<void> {
  const n = Number(process.env.MEMORY_BACKLOG ?? 10_000);
  const cache = Number(process.env.MEMORY_CACHE ?? 100);
  const maxSec = Number(process.env.MEMORY_MAX_SEC ?? 150);
  const cli = await ensureTemporalCli();
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'combine-papay-memory-'));
  const stack = await startStack(work, { eager: false });
  const rows: string[] = [];
  try {
    const wanted = process.env.MEMORY_VARIANTS?.split(',').map((name) => name.trim());
    for (const [i, v] of VARIANTS.entries()) {
      if (wanted && !wanted.includes(v.name)) continue;
      const queue = `memory-${i}`;
      const size = v.cache ?? cache;
      const env = { ...v.env, WORKER_MAX_CACHED_WORKFLOWS: String(size) };
      const worker = await stack.worker('dist/worker/main.js', queue, env, v.nodeArgs);
      const result = await measureBacklog(stack, queue, worker.pid!, n, size, cli, maxSec);
      await stopProcess(worker, 30_000);
      const row = `${v.name}: ${result.orders} pending, RSS ${result.workerRssMbAt50k} MB (idle ${result.workerRssMbIdle} MB), ${result.startsPerSec} starts/s, first tasks done at ${result.firstTasksPerSec}/s`;
      log(row);
      rows.push(row);
    }
  } finally {
    await stack.stop();
  }
  console.log(rows.join('\n'));
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
