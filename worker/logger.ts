/**
 * The worker's logs: one JSON object per line on standard output (`time`, `level`, `msg`, and the workflow or activity
 * context the SDK adds: `workflowId`, `runId`, `activityType`, …), through pino, wired into the SDK's runtime logger
 * so that the SDK's own lines, the workflow's and the activities' come out the same way. With tracing on
 * (worker/tracing.ts), a line written while a span is active carries its `trace_id` and `span_id` (the SDK's
 * interceptors add them to the workflow's and the activities' lines too). Nothing secret is ever passed to it (see the
 * secret-hygiene suite).
 */
import { isSpanContextValid, trace } from '@opentelemetry/api';
import type { LogLevel, LogMetadata, Logger } from '@temporalio/common';
import pino, { type DestinationStream } from 'pino';

/** The levels `LOG_LEVEL` accepts, lowest first (the SDK's names). */
export const LOG_LEVELS: readonly LogLevel[] = ['TRACE', 'DEBUG', 'INFO', 'WARN', 'ERROR'];

const PINO_LEVEL: Readonly<Record<LogLevel, pino.Level>> = {
  TRACE: 'trace',
  DEBUG: 'debug',
  INFO: 'info',
  WARN: 'warn',
  ERROR: 'error',
};

/** Meta values JSON cannot carry as they are (bigint) become strings; symbol keys are dropped. */
function plain(meta: LogMetadata | undefined): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(meta ?? {})) out[key] = typeof value === 'bigint' ? String(value) : value;
  return out;
}

/** The active span's ids (none when tracing is off: the API's default context holds no span). */
function traceFields(): Record<string, string> {
  const span = trace.getActiveSpan()?.spanContext();
  return span && isSpanContextValid(span) ? { trace_id: span.traceId, span_id: span.spanId } : {};
}

/**
 * A logger for `Runtime.install({ logger })` writing JSON lines at `level` and above to `destination` (standard
 * output unless a test gives its own).
 */
export function createJsonLogger(level: LogLevel, destination?: DestinationStream): Logger {
  const base = pino(
    {
      level: PINO_LEVEL[level],
      base: undefined,
      messageKey: 'msg',
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label.toUpperCase() }) },
      mixin: traceFields,
    },
    destination ?? pino.destination({ fd: 1, sync: true }),
  );
  const log = (at: LogLevel, message: string, meta?: LogMetadata): void => {
    base[PINO_LEVEL[at]](plain(meta), message);
  };
  return {
    log,
    trace: (message, meta) => log('TRACE', message, meta),
    debug: (message, meta) => log('DEBUG', message, meta),
    info: (message, meta) => log('INFO', message, meta),
    warn: (message, meta) => log('WARN', message, meta),
    error: (message, meta) => log('ERROR', message, meta),
  };
}
