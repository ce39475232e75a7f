/**
 * An Update the server aborted with the workflow task it rode in: when that task fails (e.g. `UnhandledCommand`, a
 * signal such as `cancelOrder` arriving while the order completes), Temporal server 1.27+ aborts the Updates it
 * carried with `FAILED_PRECONDITION` ("… due to unexpected workflow task failure"). Such an Update was never accepted
 * (its acceptance rode in the failed task): there is nothing to deduplicate, and the client sends it again as a new
 * Update.
 */
import { randomUUID } from 'node:crypto';
import { ServiceError } from '@temporalio/client';

/** gRPC's `FAILED_PRECONDITION` status code. */
const FAILED_PRECONDITION = 9;

/** How many times an aborted Update is sent in all before its error is thrown. */
const ATTEMPTS = 5;

/** Whether `err` is the server's abort of an Update whose workflow task failed. */
function updateAborted(err: unknown): boolean {
  if (!(err instanceof ServiceError)) return false;
  const cause = err.cause as { code?: unknown; details?: unknown } | undefined;
  return (
    cause?.code === FAILED_PRECONDITION &&
    typeof cause.details === 'string' &&
    /workflow task failure/i.test(cause.details)
  );
}

/**
 * Sends an Update through `send` (with a new Update id each time). When the server aborts it, waits a moment — the
 * failed task is usually the one completing the order, and an Update sent at once would fail it again — and, unless
 * `running` says the run has ended (then the abort is thrown: the caller reads the ended run), sends it again; at most
 * {@link ATTEMPTS} times in all. Any other outcome is `send`'s.
 */
export async function sendUpdate<T>(
  send: (updateId: string) => Promise<T>,
  running: () => Promise<boolean> = async () => true,
): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await send(randomUUID());
    } catch (err) {
      if (!updateAborted(err) || attempt >= ATTEMPTS) throw err;
      await new Promise((resolve) => setTimeout(resolve, 100 * attempt));
      if (!(await running())) throw err;
    }
  }
}
