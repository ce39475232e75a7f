/**
 * Runs one of the product's activity functions (activities/) outside a Temporal worker, as one attempt of a BullMQ
 * job step: the functions read their attempt number, heartbeat details, cancellation signal and logger from
 * `Context.current()`, so the peer gives them a context of its own (the attempt from BullMQ's count, the heartbeat a
 * failed attempt left in the job's data) and runs the very same code the product's worker runs.
 */
import { asyncLocalStorage, Context, type Info } from '@temporalio/activity';
import { noopMetricMeter, type LogLevel, type LogMetadata, type Logger } from '@temporalio/common';

/** What one attempt knows: its number (1 = first) and the heartbeat details the previous attempt left, if any. */
export interface Attempt {
  attempt: number;
  heartbeatDetails?: unknown;
}

/** What the attempt left: its result, or its error with the heartbeat details it recorded before failing. */
export type AttemptOutcome<R> = { ok: true; value: R } | { ok: false; error: unknown; heartbeatDetails?: unknown };

const LEVELS: readonly LogLevel[] = ['TRACE', 'DEBUG', 'INFO', 'WARN', 'ERROR'];

/** A logger writing WARN and ERROR lines to stderr (the product's workers run with LOG_LEVEL=WARN in the bench). */
function stderrLogger(minimum: LogLevel): Logger {
  const floor = LEVELS.indexOf(minimum);
  const log = (level: LogLevel, message: string, meta?: LogMetadata): void => {
    if (LEVELS.indexOf(level) < floor) return;
    process.stderr.write(`${JSON.stringify({ level, message, ...meta })}\n`);
  };
  return {
    log,
    trace: (m, meta) => log('TRACE', m, meta),
    debug: (m, meta) => log('DEBUG', m, meta),
    info: (m, meta) => log('INFO', m, meta),
    warn: (m, meta) => log('WARN', m, meta),
    error: (m, meta) => log('ERROR', m, meta),
  };
}

const logger = stderrLogger('WARN');

/** The activity info of one attempt (only what the product's activities read is meaningful). */
function infoOf(activityType: string, jobId: string, attempt: Attempt): Info {
  const now = Date.now();
  return {
    taskToken: new Uint8Array(),
    base64TaskToken: '',
    activityId: jobId,
    activityType,
    activityNamespace: 'bullmq',
    namespace: 'bullmq',
    attempt: attempt.attempt,
    isLocal: false,
    scheduledTimestampMs: now,
    currentAttemptScheduledTimestampMs: now,
    scheduleToCloseTimeoutMs: 0,
    startToCloseTimeoutMs: 30_000,
    heartbeatDetails: attempt.heartbeatDetails,
    taskQueue: 'bullmq',
    inWorkflow: false,
  };
}

/** Runs `fn(arg)` as one attempt of activity `activityType` for job `jobId`; never throws (see {@link AttemptOutcome}). */
export async function runActivity<A, R>(
  activityType: string,
  jobId: string,
  attempt: Attempt,
  fn: (arg: A) => Promise<R>,
  arg: A,
): Promise<AttemptOutcome<R>> {
  let heartbeatDetails: unknown;
  const abort = new AbortController();
  const context = new Context(
    infoOf(activityType, jobId, attempt),
    new Promise<never>(() => undefined),
    abort.signal,
    (details?: unknown) => {
      heartbeatDetails = details;
    },
    undefined,
    logger,
    noopMetricMeter,
    {},
  );
  try {
    return { ok: true, value: await asyncLocalStorage.run(context, () => fn(arg)) };
  } catch (error) {
    return { ok: false, error, ...(heartbeatDetails !== undefined ? { heartbeatDetails } : {}) };
  }
}
