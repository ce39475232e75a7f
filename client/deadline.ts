/**
 * Deadlines on the client's calls to an order: an Update or Query waits for a worker, and without a deadline it
 * waits for ever when none polls. Each call takes `timeoutMs` (default {@link DEFAULT_CALL_TIMEOUT_MS}, or
 * `ORDER_CALL_TIMEOUT` of the environment) and fails with {@link OrderNotAnsweringError} when it passes.
 */
import {
  isGrpcCancelledError,
  isGrpcDeadlineError,
  WorkflowUpdateRPCTimeoutOrCancelledError,
} from '@temporalio/client';
import type { Client } from '@temporalio/client';
import { parseDuration } from '../workflows/duration';
import { OrderNotAnsweringError } from './errors';

/** Default deadline of an Update or Query to an order: long enough for a busy worker, short enough for a checkout. */
export const DEFAULT_CALL_TIMEOUT_MS = 5_000;

/** Options of every call to an order. */
export interface CallOptions {
  /**
   * How long to wait for the workflow's answer, in milliseconds or a duration ("5s"). Default: `ORDER_CALL_TIMEOUT`
   * of this process's environment, else 5 s.
   */
  timeoutMs?: number | string;
}

/**
 * A client setting in milliseconds: the option when given, else the environment variable, else `fallback`. Throws
 * naming the option or variable when it is not a duration of at least `minimumMs`.
 */
export function durationSetting(
  option: [name: string, value: string | number | undefined],
  envName: string,
  fallback: number,
  { minimumMs, example }: { minimumMs: number; example: string },
): number {
  const [name, raw] =
    option[1] !== undefined ? [option[0], option[1]] : [envName, process.env[envName]?.trim() || undefined];
  if (raw === undefined) return fallback;
  const ms = parseDuration(raw);
  if (ms === undefined || ms < minimumMs) {
    const kind = minimumMs > 0 ? 'a positive duration' : 'a duration';
    throw new Error(`${name} must be ${kind} such as "${example}", got ${JSON.stringify(raw)}`);
  }
  return ms;
}

/** The call's deadline in ms; throws naming the option or variable when it is not a positive duration. */
export function callTimeoutMs(options: CallOptions = {}): number {
  return durationSetting(['timeoutMs', options.timeoutMs], 'ORDER_CALL_TIMEOUT', DEFAULT_CALL_TIMEOUT_MS, {
    minimumMs: 1,
    example: '5s',
  });
}

/** Whether `err` is a call that ran out of time (the deadline, or the SDK's Update timeout). */
function timedOut(err: unknown): boolean {
  return (
    err instanceof WorkflowUpdateRPCTimeoutOrCancelledError || isGrpcDeadlineError(err) || isGrpcCancelledError(err)
  );
}

/**
 * Runs `fn` (calls made through `client`) under the deadline; a timeout becomes {@link OrderNotAnsweringError}
 * naming the order and the call.
 */
export async function withCallDeadline<T>(
  client: Client,
  combineOutTradeNo: string,
  call: string,
  options: CallOptions,
  fn: () => Promise<T>,
): Promise<T> {
  const ms = callTimeoutMs(options);
  try {
    return await client.withDeadline(Date.now() + ms, fn);
  } catch (err) {
    if (timedOut(err)) throw new OrderNotAnsweringError(combineOutTradeNo, call, ms, { cause: err });
    throw err;
  }
}
