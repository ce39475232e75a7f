/**
 * Pacing of outgoing WeChat Pay requests in one worker process: each request is released at least
 * `1 / perSecond` seconds (plus a margin) after the previous one was, in the order they asked, so that no window of
 * one second holds more than `perSecond` requests from this process, however the activity tasks arrived. (The
 * Temporal server's task-queue rate limit bounds the rate across workers, but lets a burst through at once: its
 * token buckets start full.) Spacing is measured from the moment the previous request was actually released, so a
 * late timer (a busy event loop) delays requests and never bunches them.
 */

/** Waits for the next request slot. */
export interface Pacer {
  /** Resolves when the caller may send; rejects (giving up its turn) if `signal` aborts first. */
  wait(signal?: AbortSignal): Promise<void>;
}

/**
 * Releases are this much further apart than `1 / perSecond` (10 %): over one second the margin adds up to 100 ms, so
 * a request that reaches WeChat Pay later than the next one (a cold start, a new connection, a busy event loop)
 * cannot bring `perSecond + 1` arrivals into one second. The price: at most about 91 % of the limit is used.
 */
export const PACING_MARGIN = 0.1;

/** A pacer of at most `perSecond` requests per second. */
export function createPacer(perSecond: number, now: () => number = Date.now): Pacer {
  if (!(perSecond > 0) || !Number.isFinite(perSecond)) throw new RangeError('perSecond must be a positive number');
  const intervalMs = (1_000 / perSecond) * (1 + PACING_MARGIN);
  let lastRelease = -Infinity;
  let queue: Promise<void> = Promise.resolve();
  return {
    wait(signal) {
      const turn = queue.then(async () => {
        for (;;) {
          signal?.throwIfAborted();
          const delay = lastRelease + intervalMs - now();
          if (delay <= 0) break;
          await sleep(Math.ceil(delay), signal);
        }
        lastRelease = now();
      });
      queue = turn.catch(() => undefined);
      if (!signal) return turn;
      // A caller that gives up leaves at once; its turn, when it comes, is skipped without using a slot.
      return Promise.race([turn, aborted(signal)]);
    },
  };
}

function aborted(signal: AbortSignal): Promise<never> {
  return new Promise<never>((_resolve, reject) => {
    if (signal.aborted) reject(signal.reason as Error);
    else signal.addEventListener('abort', () => reject(signal.reason as Error), { once: true });
  });
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(signal?.reason as Error);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
