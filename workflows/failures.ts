/** How an activity failure is shown in the status: its type and message, never a stack or a payload. */
import { ActivityFailure, ApplicationFailure, TimeoutFailure } from '@temporalio/workflow';
import { ErrorType, type FailureInfo } from './contract';

/** Turns an activity failure into a status entry (`at` is the workflow's current time). */
export function describeFailure(err: unknown, at: string): FailureInfo {
  if (!(err instanceof ActivityFailure)) {
    return { type: ErrorType.UNKNOWN, message: err instanceof Error ? err.message : String(err), at };
  }
  const cause = err.cause;
  // The window closed between attempts: the server saw the next retry would start too late and ended the activity
  // with the last attempt's failure (usual once retries are at least a second apart). Still: retries exhausted.
  if (cause instanceof ApplicationFailure && err.retryState === 'TIMEOUT' && !cause.nonRetryable) {
    return {
      type: ErrorType.RETRIES_EXHAUSTED,
      message: `retry window closed (no time left for another attempt); last failure ${cause.type ?? ErrorType.UNKNOWN}: ${cause.message}`,
      at,
    };
  }
  if (cause instanceof ApplicationFailure) return { type: cause.type ?? ErrorType.UNKNOWN, message: cause.message, at };
  if (cause instanceof TimeoutFailure) {
    return {
      type: ErrorType.RETRIES_EXHAUSTED,
      message: `retry window closed (${cause.timeoutType})${lastFailureText(cause)}`,
      at,
    };
  }
  return { type: cause?.name ?? ErrorType.UNKNOWN, message: cause?.message ?? err.message, at };
}

/** The last attempt's failure when the retry window closed: from the timeout's cause, else the heartbeat details. */
function lastFailureText(timeout: TimeoutFailure): string {
  const last = timeout.cause;
  if (last instanceof ApplicationFailure) return `; last failure ${last.type ?? ErrorType.UNKNOWN}: ${last.message}`;
  const details: unknown = timeout.lastHeartbeatDetails;
  if (typeof details !== 'object' || details === null || !('lastFailure' in details)) return '';
  const remembered: unknown = details.lastFailure;
  if (typeof remembered !== 'object' || remembered === null) return '';
  const { type, row } = remembered as { type?: unknown; row?: unknown };
  return typeof type === 'string' && typeof row === 'string' ? `; last failure ${type}: ${row}` : '';
}
