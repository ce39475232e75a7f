/**
 * The worker's memory settings: the Node flags it is launched with and the size of its workflow cache, checked against
 * the V8 heap the process was given. Measured with `node --import tsx tools/bench/memory.ts` (tools/bench/README.md).
 */
import v8 from 'node:v8';

/**
 * Node flags of a worker process (`npm run worker`, `npm start` and the benchmark launch it so). A young generation of
 * 4 MB per semi-space instead of 16 and an old generation of 256 MB keep a worker with tens of thousands of pending
 * orders near 240 MB resident instead of 330 (6000 pending, cache 100). They apply to the workflow thread too.
 */
export const WORKER_NODE_FLAGS: readonly string[] = ['--max-semi-space-size=4', '--max-old-space-size=256'];

/** Workflows kept in the sticky cache unless `WORKER_MAX_CACHED_WORKFLOWS` says otherwise. */
export const DEFAULT_MAX_CACHED_WORKFLOWS = 200;

/**
 * V8 heap a cached order workflow may hold, in MB: a rounded-up measurement (about 0.4 MB of resident memory each
 * between a cache of 100 and one of 1000), so a cache that passes the check below fits with room to spare.
 */
export const CACHED_WORKFLOW_HEAP_MB = 0.5;

/** Heap the process needs besides its cache (bundle, SDK, HTTP clients), in MB. */
export const BASE_HEAP_MB = 64;

/** The V8 heap limit of this process in MB (what `--max-old-space-size` and the young generation allow). */
export function heapLimitMb(): number {
  return Math.floor(v8.getHeapStatistics().heap_size_limit / 2 ** 20);
}

/**
 * Why `maxCachedWorkflows` cannot fit a heap of `limitMb`, or undefined when it fits. A cache larger than the heap
 * would not fail at start but later, when the process runs out of heap with many orders in flight.
 */
export function cacheHeapProblem(maxCachedWorkflows: number, limitMb: number): string | undefined {
  const needMb = Math.ceil(BASE_HEAP_MB + maxCachedWorkflows * CACHED_WORKFLOW_HEAP_MB);
  if (needMb <= limitMb) return undefined;
  const fits = Math.max(0, Math.floor((limitMb - BASE_HEAP_MB) / CACHED_WORKFLOW_HEAP_MB));
  return (
    `asks for ${maxCachedWorkflows} cached workflows, which need about ${needMb} MB of V8 heap, but this process ` +
    `allows ${limitMb} MB: set it to at most ${fits}, or start node with a larger --max-old-space-size`
  );
}
